// The expression lab: an expression, its variables, backprop step by step, and the nudge.

import { $, api, number, page, saveURL, setSvg, stats } from "./common.js";
import { makeZoomable, zoomButtons } from "./zoom.js";

const lab = { result: null, step: null, pending: null, busy: false, variables: {}, nudging: false };

function labRequest(extra = {}) {
  const body = { expression: $("expression").value, variables: lab.variables, ...extra };
  const variable = $("nudge-variable").value;
  if (lab.nudging && !body.nudge && variable in lab.variables) {
    body.nudge = { variable, h: Number($("nudge-h").value) }; // the nudge follows every change
  }
  if (lab.step !== null) body.steps = lab.step;
  return body;
}

async function refreshLab(extra = {}) {
  // one request at a time; the newest change waits and replaces older waiting ones
  lab.pending = extra;
  if (lab.busy) return;
  lab.busy = true;
  while (lab.pending !== null) {
    const request = labRequest(lab.pending);
    lab.pending = null;
    try {
      const result = await api("POST", "/api/expression", request);
      // an expression not valid yet is answered 200 with `error` (no HTTP error in the console): the old graph stays, faded
      if (result.error) throw new Error(result.error);
      $("lab-error").textContent = "";
      $("graph").classList.remove("stale");
      showLab(result);
    } catch (error) {
      $("lab-error").textContent = error.message;
      $("graph").classList.add("stale");
    }
  }
  lab.busy = false;
  stats.updates += 1;
}

function variableRow(name, value) {
  const row = document.createElement("div");
  row.className = "variable";
  const label = document.createElement("label");
  label.htmlFor = `var-${name}`;
  label.textContent = name;
  const input = document.createElement("input");
  input.type = "number";
  input.id = `var-${name}`;
  input.step = "any";
  input.value = String(value);
  const slider = document.createElement("input");
  slider.type = "range";
  slider.setAttribute("aria-label", `${name} slider`);
  const span = Math.max(5, Math.ceil(Math.abs(value) * 2));
  slider.min = String(-span);
  slider.max = String(span);
  slider.step = "0.1";
  slider.value = String(value);
  const set = (text, source) => {
    const x = Number(text);
    if (text === "" || !Number.isFinite(x)) return;
    lab.variables[name] = x;
    if (source !== input) input.value = text;
    if (source !== slider) slider.value = text;
    saveLabURL();
    refreshLab();
  };
  input.addEventListener("input", () => set(input.value, input));
  slider.addEventListener("input", () => set(slider.value, slider));
  row.append(label, input, slider);
  return row;
}

function showLab(result) {
  lab.result = result;
  const names = Object.keys(result.variables);
  const shown = [...$("variables").querySelectorAll("label")].map((label) => label.textContent);
  if (names.join() !== shown.join()) {
    $("variables").replaceChildren(...names.map((name) => variableRow(name, result.variables[name])));
    const select = $("nudge-variable");
    const chosen = select.value || page.url.get("nudge");
    select.replaceChildren(...names.map((name) => new Option(name, name)));
    if (names.includes(chosen)) select.value = chosen;
  }
  lab.variables = { ...result.variables };
  const svg = result.svg ? setSvg($("graph"), result.svg) : null;
  if (!svg) $("graph").textContent = result.svg_error || "";
  else {
    markGraph(svg, result);
    lab.zoom.refresh(); // the same zoom as before the change
    showCurrent(svg);
  }
  const groups = result.explanation;
  const current = result.step;
  $("explanation").replaceChildren(
    ...groups.flatMap((lines, index) =>
      lines.map((line, at) => {
        const item = document.createElement("li");
        item.textContent = line;
        if (index === current) {
          item.classList.add("current");
          if (at === 0) item.setAttribute("aria-current", "step");
        } else if (index > current) item.classList.add("future");
        return item;
      })
    )
  );
  const where = current === result.steps ? "backward done" : `step ${current} of ${result.steps}`;
  $("lab-position").textContent = `${where} · ${result.root ? "" : ""}value ${number(result.value)}`;
  $("lab-back").disabled = current === 0;
  $("lab-step").disabled = result.steps === 0;
  $("lab-run").disabled = current === result.steps;
  showNudge(result.nudge);
}

function showCurrent(svg) {
  // the node the step just processed is scrolled into the graph's view
  const node = svg.querySelector("g.node.current");
  if (!node) return;
  const box = $("graph");
  const outer = box.getBoundingClientRect();
  const inner = node.getBoundingClientRect();
  if (inner.left < outer.left || inner.right > outer.right) box.scrollLeft += inner.left - outer.left - (outer.width - inner.width) / 2;
  if (inner.top < outer.top || inner.bottom > outer.bottom) box.scrollTop += inner.top - outer.top - (outer.height - inner.height) / 2;
}

function markGraph(svg, result) {
  // a record's first cell is its value's name, which is unique in the graph
  const nodes = new Map(result.nodes.map((node) => [node.name, node]));
  const byId = new Map(result.nodes.map((node) => [node.id, node]));
  const current = result.current ? byId.get(result.current) : null;
  const fresh = new Set(current ? current.operands : []);
  for (const group of svg.querySelectorAll("g.node")) {
    const texts = group.querySelectorAll("text");
    const node = texts.length === 3 ? nodes.get(texts[0].textContent) : null;
    if (!node) continue;
    const id = node.id;
    if (!node.ready) {
      group.classList.add("pending");
      for (const text of group.querySelectorAll("text")) {
        if (text.textContent.startsWith("grad")) text.textContent = "grad ?";
      }
    }
    if (id === result.current) group.classList.add("current"); // the last step's node too
    if (fresh.has(id)) group.classList.add("ready-now");
  }
}

function showNudge(nudge) {
  if (!nudge) {
    $("nudge-result").textContent = ""; // never an old derivative next to a new graph
    return;
  }
  const name = nudge.variable;
  const L = lab.result ? lab.result.nodes.find((node) => node.id === lab.result.root).name : "L";
  $("nudge-result").textContent = nudge.error
    ? nudge.error
    : `${L}(${name} + h) − ${L}(${name}) = ${number(nudge.difference, 8)}   ·   grad × h = ${number(nudge.grad)} × ${number(nudge.h, 8)} = ${number(nudge.predicted, 8)}`;
}

function saveLabURL() {
  page.url.set("expr", $("expression").value);
  page.url.set("vars", Object.entries(lab.variables).map(([name, value]) => `${name}:${value}`).join(","));
  if (lab.step === null) page.url.delete("labstep"); else page.url.set("labstep", String(lab.step));
  if (lab.nudging) page.url.set("nudge", $("nudge-variable").value || ""); else page.url.delete("nudge");
  page.url.set("h", $("nudge-h").value);
  saveURL();
}

export function setupLab() {
  lab.zoom = makeZoomable($("graph"), "The graph: label, data and grad of every value");
  zoomButtons($("graph-zoom"), lab.zoom, "the graph");
  const expression = page.url.get("expr") ?? page.info.expression.expression;
  $("expression").value = expression;
  if (page.url.has("vars")) {
    for (const pair of page.url.get("vars").split(",")) {
      const [name, value] = pair.split(":");
      if (name && Number.isFinite(Number(value))) lab.variables[name] = Number(value);
    }
  } else if (!page.url.has("expr")) lab.variables = { ...page.info.expression.variables };
  if (page.url.has("labstep") && Number.isInteger(Number(page.url.get("labstep")))) lab.step = Number(page.url.get("labstep"));
  if (page.url.has("h")) $("nudge-h").value = page.url.get("h");
  let timer = null;
  $("expression").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      lab.step = null;
      saveLabURL();
      refreshLab();
    }, 150);
  });
  const go = (step) => {
    lab.step = step;
    saveLabURL();
    refreshLab();
  };
  $("lab-step").addEventListener("click", () => {
    const r = lab.result;
    if (!r) return;
    go(r.step >= r.steps ? 1 : r.step + 1); // at the end, Step walks again from the start
  });
  $("lab-back").addEventListener("click", () => lab.result && go(Math.max(0, lab.result.step - 1)));
  $("lab-run").addEventListener("click", () => go(null));
  $("nudge").addEventListener("click", () => {
    lab.nudging = true;
    const h = Number($("nudge-h").value);
    saveLabURL();
    refreshLab({ nudge: { variable: $("nudge-variable").value, h } });
  });
  $("nudge-variable").addEventListener("change", () => {
    saveLabURL();
    if (lab.nudging) refreshLab();
  });
  lab.nudging = Boolean(page.url.get("nudge"));
  refreshLab(page.url.has("nudge") && page.url.get("nudge") ? { nudge: { variable: page.url.get("nudge"), h: Number($("nudge-h").value) } } : {});
}
