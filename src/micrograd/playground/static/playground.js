// micrograd playground: the page draws, the Python engine computes (see docs/playground.md).
"use strict";

const $ = (id) => document.getElementById(id);
const COLORS = ["#f59322", "#0877bd", "#2ca02c", "#9467bd", "#d62728", "#8c564b"];
const LRS = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const L2S = [0, 0.00001, 0.0001, 0.001, 0.01, 0.1, 1];
const stats = { updates: 0, steps: 0, playStarted: 0, playUpdates: 0 };
window.playgroundStats = stats;

let info = null; // GET /api/info
let url = new URLSearchParams(location.search);

// -- talking to the server ------------------------------------------------------------------

async function api(method, path, body) {
  const options = { method, headers: { "Content-Type": "application/json" } };
  if (body !== undefined) options.body = JSON.stringify(body);
  const response = await fetch(path, options);
  let document_ = null;
  try { document_ = await response.json(); } catch (_) { document_ = { error: `the server answered ${response.status}` }; }
  if (!response.ok) {
    const error = new Error(document_.error || `the server answered ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return document_;
}

function saveURL() {
  const query = url.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

function number(x, digits = 4) {
  if (x === null || x === undefined) return "–";
  if (Number.isInteger(x)) return String(x);
  const text = Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-4 && x !== 0) ? x.toExponential(3) : x.toFixed(digits);
  return text.includes("e") ? text : text.replace(/\.?0+$/, "") || "0";
}

function setSvg(container, svgText) {
  const parsed = new DOMParser().parseFromString(svgText, "image/svg+xml");
  const svg = parsed.documentElement;
  if (svg.nodeName !== "svg") return null;
  svg.querySelectorAll("script, a, foreignObject").forEach((element) => element.remove());
  container.replaceChildren(document.importNode(svg, true));
  return container.firstElementChild;
}

// -- views ----------------------------------------------------------------------------------

function showView(name) {
  for (const view of ["lab", "training"]) {
    $(`tab-${view}`).setAttribute("aria-selected", String(view === name));
    $(view).hidden = view !== name;
  }
  if (name !== "training") pause();
  else if (train.state) {
    delete $("network").dataset.layers; // laid out again now that it has a size
    drawNetwork(train.state);
  }
  if (name === "lab") url.delete("view"); else url.set("view", name);
  saveURL();
}

// -- the expression lab ---------------------------------------------------------------------

const lab = { result: null, step: null, pending: null, busy: false, variables: {} };

function labRequest(extra = {}) {
  const body = { expression: $("expression").value, variables: lab.variables, ...extra };
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
    const chosen = select.value || url.get("nudge");
    select.replaceChildren(...names.map((name) => new Option(name, name)));
    if (names.includes(chosen)) select.value = chosen;
  }
  lab.variables = { ...result.variables };
  const svg = result.svg ? setSvg($("graph"), result.svg) : null;
  if (!svg) $("graph").textContent = result.svg_error || "";
  else markGraph(svg, result);
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
    if (id === result.current && result.step < result.steps) group.classList.add("current");
    if (fresh.has(id) && result.step < result.steps) group.classList.add("ready-now");
  }
}

function showNudge(nudge) {
  if (!nudge) return;
  const name = nudge.variable;
  const L = lab.result ? lab.result.nodes.find((node) => node.id === lab.result.root).name : "L";
  $("nudge-result").textContent = nudge.error
    ? nudge.error
    : `${L}(${name} + h) − ${L}(${name}) = ${number(nudge.difference, 8)}   ·   grad × h = ${number(nudge.grad)} × ${number(nudge.h, 8)} = ${number(nudge.predicted, 8)}`;
}

function saveLabURL() {
  url.set("expr", $("expression").value);
  url.set("vars", Object.entries(lab.variables).map(([name, value]) => `${name}:${value}`).join(","));
  if (lab.step === null) url.delete("labstep"); else url.set("labstep", String(lab.step));
  url.set("nudge", $("nudge-variable").value || "");
  url.set("h", $("nudge-h").value);
  saveURL();
}

function setupLab() {
  const expression = url.get("expr") ?? info.expression.expression;
  $("expression").value = expression;
  if (url.has("vars")) {
    for (const pair of url.get("vars").split(",")) {
      const [name, value] = pair.split(":");
      if (name && Number.isFinite(Number(value))) lab.variables[name] = Number(value);
    }
  } else if (!url.has("expr")) lab.variables = { ...info.expression.variables };
  if (url.has("labstep") && Number.isInteger(Number(url.get("labstep")))) lab.step = Number(url.get("labstep"));
  if (url.has("h")) $("nudge-h").value = url.get("h");
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
    const h = Number($("nudge-h").value);
    saveLabURL();
    refreshLab({ nudge: { variable: $("nudge-variable").value, h } });
  });
  $("nudge-variable").addEventListener("change", saveLabURL);
  refreshLab(url.has("nudge") && url.get("nudge") ? { nudge: { variable: url.get("nudge"), h: Number($("nudge-h").value) } } : {});
}

// -- training -------------------------------------------------------------------------------

const train = { id: null, state: null, playing: false, busy: false, history: [], point: null, pointBusy: false, pointAt: 0 };
const SETTING_FIELDS = ["dataset", "classes", "noise", "points", "train_ratio", "batch_size", "activation", "loss", "optimizer", "lr", "l2"];

function settingsFromURL() {
  const settings = { ...info.defaults };
  for (const name of [...SETTING_FIELDS, "seed"]) {
    if (!url.has(name)) continue;
    const text = url.get(name);
    settings[name] = typeof info.defaults[name] === "number" ? Number(text) : text;
  }
  if (url.has("hidden")) settings.hidden = url.get("hidden") === "" ? [] : url.get("hidden").split(",").map(Number);
  return settings;
}

function currentSettings() {
  const settings = { ...train.settings };
  for (const name of SETTING_FIELDS) {
    const element = $(name);
    settings[name] = typeof info.defaults[name] === "number" ? Number(element.value) : element.value;
  }
  return settings;
}

function settingsToURL(settings) {
  for (const name of [...SETTING_FIELDS, "seed"]) {
    if (settings[name] === info.defaults[name]) url.delete(name); else url.set(name, String(settings[name]));
  }
  if (settings.hidden.join() === info.defaults.hidden.join()) url.delete("hidden"); else url.set("hidden", settings.hidden.join(","));
  saveURL();
}

function fillControls(settings) {
  for (const name of SETTING_FIELDS) {
    const element = $(name);
    if (element.tagName === "SELECT" && ![...element.options].some((o) => o.value === String(settings[name]))) {
      element.append(new Option(String(settings[name]), String(settings[name])));
    }
    element.value = String(settings[name]);
  }
  $("batch_size").max = String(settings.points);
  const multi = ["spirals", "blobs"].includes(settings.dataset);
  $("classes").disabled = !multi;
  $("noise").disabled = settings.dataset === "yin_yang";
  $("remove-layer").disabled = settings.hidden.length === 0;
  $("add-layer").disabled = settings.hidden.length >= info.limits.layers[1];
}

async function startSession(settings) {
  try {
    const state = train.id
      ? await api("POST", `/api/sessions/${train.id}/reset`, settings)
      : await api("POST", "/api/sessions", settings);
    $("train-error").textContent = "";
    // only settings the server accepted go to the controls and the address
    train.settings = settings;
    fillControls(settings);
    settingsToURL(settings);
    train.id = state.id;
    train.history = [];
    train.point = null;
    $("point-panel").hidden = true;
    showState(state, true);
  } catch (error) {
    if (error.status === 404 && train.id) {
      train.id = null; // the session expired: start a new one
      return startSession(settings);
    }
    $("train-error").textContent = error.message;
    pause();
    if (train.settings) fillControls(train.settings); // back to the last settings that worked
    else if (JSON.stringify(settings) !== JSON.stringify(info.defaults)) {
      await startSession({ ...info.defaults }); // the address asked for something impossible
      $("train-error").textContent = `${error.message} (using the default settings)`;
    }
  }
}

function changeSettings(update) {
  const settings = { ...currentSettings(), ...update };
  const classes = settings.dataset === "yin_yang" ? 3 : ["spirals", "blobs"].includes(settings.dataset) ? settings.classes : 2;
  if (classes > 2) settings.loss = "cross-entropy"; // the other losses are for two classes
  settings.batch_size = Math.min(settings.batch_size, settings.points);
  startSession(settings);
}

function since() {
  return train.history.length ? train.history[train.history.length - 1].step : -1;
}

function requestSteps(steps, after) {
  return api("POST", `/api/sessions/${train.id}/step`, { steps, since: after });
}

function received(state, steps) {
  showState(state, false);
  stats.steps += steps;
  if (state.diverged) {
    $("train-error").textContent = state.diverged;
    pause();
  }
}

async function failed(error) {
  if (error.status === 404) {
    train.id = null; // the session expired: start again with the same settings
    await startSession(train.settings);
  } else {
    $("train-error").textContent = error.message;
    pause();
  }
}

async function trainStep(steps) {
  if (train.busy || !train.id) return;
  train.busy = true;
  try {
    received(await requestSteps(steps, since()), steps);
  } catch (error) {
    await failed(error);
  } finally {
    train.busy = false;
  }
}

async function loop() {
  // the next step is asked for as soon as an answer arrives, so the server computes while the page draws
  if (train.busy || !train.id) return;
  train.busy = true;
  let pending = requestSteps(1, since());
  try {
    while (pending) {
      const state = await pending;
      pending = train.playing && !state.diverged ? requestSteps(1, state.step) : null;
      received(state, 1);
      stats.playUpdates += 1;
      showRate();
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
  } catch (error) {
    if (pending) pending.catch(() => {});
    await failed(error);
  } finally {
    train.busy = false;
  }
}

function play() {
  if (train.playing) return;
  train.playing = true;
  stats.playStarted = performance.now();
  stats.playUpdates = 0;
  $("play").disabled = true;
  $("pause").disabled = false;
  loop();
}

function pause() {
  train.playing = false;
  $("play").disabled = false;
  $("pause").disabled = true;
}

function showRate() {
  const seconds = (performance.now() - stats.playStarted) / 1000;
  if (seconds > 0.5) $("rate").textContent = `${(stats.playUpdates / seconds).toFixed(1)} updates/s`;
}

function percent(x) {
  return x === null || x === undefined ? "–" : `${Math.round(x * 100)}%`;
}

function showState(state, fresh) {
  if (fresh) {
    train.data = { train: state.train, test: state.test };
    train.extent = state.extent;
  }
  train.state = state;
  for (const entry of state.history) {
    if (!train.history.length || entry.step > train.history[train.history.length - 1].step) train.history.push(entry);
  }
  if (train.history.length > 4000) train.history = train.history.filter((_, index) => index % 2 === 0 || index === train.history.length - 1);
  $("status").textContent =
    `step ${state.step} · loss ${number(state.train_loss)} · train accuracy ${percent(state.train_accuracy)} · test accuracy ${percent(state.test_accuracy)}`;
  if (state.boundary) drawBoundary(state);
  drawCurves();
  drawNetwork(state);
  stats.updates += 1;
  if (train.point && (fresh || !train.playing || performance.now() - train.pointAt > 1000)) showPoint(train.point);
}

// -- drawing --------------------------------------------------------------------------------

const RGB = COLORS.map((hex) => [16, 8, 0].map((shift) => (parseInt(hex.slice(1), 16) >> shift) & 255));
const mixed = [0, 0, 0];
function mix(color, amount) {
  // ``color`` (an index into COLORS) blended with white; the array is reused, read it at once
  const rgb = RGB[color];
  for (let k = 0; k < 3; k++) mixed[k] = Math.round(255 + (rgb[k] - 255) * amount);
  return mixed;
}

const scratches = new Map();
function scratch(size) {
  // one small canvas per size, reused: the map is drawn there, then scaled up smoothly
  if (!scratches.has(size)) {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = size;
    scratches.set(size, canvas);
  }
  return scratches.get(size);
}

function paintMap(canvas, size, colorAt) {
  const context = canvas.getContext("2d");
  const image = context.createImageData(size, size);
  const pixels = image.data;
  for (let i = 0; i < size * size; i++) {
    const rgb = colorAt(i);
    pixels[4 * i] = rgb[0];
    pixels[4 * i + 1] = rgb[1];
    pixels[4 * i + 2] = rgb[2];
    pixels[4 * i + 3] = 255;
  }
  if (canvas.width === size) {
    context.putImageData(image, 0, 0);
    return;
  }
  const small = scratch(size);
  small.getContext("2d").putImageData(image, 0, 0);
  context.imageSmoothingEnabled = true;
  context.drawImage(small, 0, 0, canvas.width, canvas.height);
}

function toCanvas(x, y, canvas) {
  const [x0, x1, y0, y1] = train.extent;
  return [((x - x0) / (x1 - x0)) * canvas.width, ((y1 - y) / (y1 - y0)) * canvas.height];
}

function drawBoundary(state) {
  const canvas = $("boundary");
  const { size, classes, confidence } = state.boundary;
  paintMap(canvas, size, (i) => mix(classes[i], 0.15 + 0.5 * (confidence[i] / 100)));
  const context = canvas.getContext("2d");
  for (const [set, outline] of [["train", "white"], ["test", "black"]]) {
    const { points, labels } = train.data[set];
    points.forEach(([x, y], index) => {
      const [px, py] = toCanvas(x, y, canvas);
      context.beginPath();
      context.arc(px, py, 4, 0, 2 * Math.PI);
      context.fillStyle = COLORS[labels[index]];
      context.fill();
      context.lineWidth = set === train.point?.set && index === train.point?.index ? 3 : 1;
      context.strokeStyle = outline;
      context.stroke();
    });
  }
}

function drawCurve(canvas, series, top, label) {
  const context = canvas.getContext("2d");
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  const history = train.history;
  const last = history.length ? history[history.length - 1].step : 1;
  context.fillStyle = "#666";
  context.font = "11px Liberation Sans, Arial, sans-serif";
  context.fillText(`${label} (max ${number(top, 3)})`, 4, 12);
  series.forEach(([key, color, dashed]) => {
    context.beginPath();
    context.setLineDash(dashed ? [4, 3] : []);
    context.strokeStyle = color;
    let started = false;
    for (const entry of history) {
      if (entry[key] === null) continue;
      const x = (entry.step / Math.max(last, 1)) * (width - 4) + 2;
      const y = height - 2 - (Math.min(entry[key], top) / top) * (height - 18);
      if (started) context.lineTo(x, y); else context.moveTo(x, y);
      started = true;
    }
    context.stroke();
  });
  context.setLineDash([]);
}

function drawCurves() {
  const losses = train.history.flatMap((entry) => [entry.train_loss, entry.test_loss]).filter((x) => x !== null);
  const top = Math.max(1e-9, ...losses.slice(0, 20), ...losses.slice(-200));
  drawCurve($("loss-curve"), [["train_loss", "#222", false], ["test_loss", "#f59322", true]], top, "loss");
  drawCurve($("accuracy-curve"), [["train_accuracy", "#222", false], ["test_accuracy", "#f59322", true]], 1, "accuracy");
}

function networkLayout(layers, box) {
  // the x, y of every unit's box (inputs, hidden neurons, outputs), column by column
  const columns = layers.length;
  const unit = 34;
  return layers.map((count, column) => {
    const x = 20 + (column * (box.width - 60 - unit)) / Math.max(columns - 1, 1);
    const gap = Math.min(unit + 8, (box.height - 40) / count);
    const top = 30 + (box.height - 40 - gap * count) / 2;
    return Array.from({ length: count }, (_, row) => ({ x, y: top + row * gap, size: Math.min(unit, gap - 2) }));
  });
}

function drawNetwork(state) {
  const box = $("network");
  const layers = state.layers;
  const key = layers.join(",");
  if (box.dataset.layers !== key) buildNetwork(box, layers);
  const lines = box.querySelectorAll("line");
  let index = 0;
  state.weights.forEach((layer) => {
    layer.w.forEach((row) => {
      row.forEach((w) => {
        const line = lines[index++];
        line.setAttribute("stroke", w >= 0 ? "#0877bd" : "#f59322");
        line.setAttribute("stroke-width", String(Math.min(0.5 + Math.abs(w) * 1.5, 7)));
      });
    });
  });
  const canvases = box.querySelectorAll("canvas.neuron");
  let at = 0;
  for (const layer of state.neurons || []) {
    for (const map of layer) {
      const canvas = canvases[at++];
      if (!canvas) continue;
      const size = Math.round(Math.sqrt(map.values.length));
      if (canvas.width !== size) canvas.width = canvas.height = size; // the browser scales it up smoothly
      paintMap(canvas, size, (i) => {
        const v = map.values[i] / 100;
        return mix(v >= 0 ? 1 : 0, Math.abs(v) * 0.85);
      });
      canvas.title = `largest |value| ${number(map.scale)}`;
    }
  }
}

function buildNetwork(box, layers) {
  box.dataset.layers = layers.join(",");
  box.replaceChildren();
  const rect = { width: box.clientWidth || 480, height: box.clientHeight || 520 };
  const layout = networkLayout(layers, rect);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  box.append(svg);
  const segments = [];
  const pick = (event) => {
    // the edge nearest the pointer (within 6 pixels): thin lines are hard to hit exactly
    const rect = box.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const y = event.clientY - rect.top;
    let best = null;
    for (const s of segments) {
      const dx = s.x2 - s.x1;
      const dy = s.y2 - s.y1;
      const t = Math.max(0, Math.min(1, ((x - s.x1) * dx + (y - s.y1) * dy) / (dx * dx + dy * dy || 1)));
      const distance = Math.hypot(s.x1 + t * dx - x, s.y1 + t * dy - y);
      if (distance < 6 && (!best || distance < best.distance)) best = { s, distance };
    }
    box.querySelector("line.chosen")?.classList.remove("chosen");
    if (!best) return;
    best.s.line.classList.add("chosen");
    showWeight(best.s.layer, best.s.n, best.s.i);
  };
  box.addEventListener("mousemove", pick);
  box.addEventListener("click", pick);
  for (let l = 1; l < layout.length; l++) {
    layout[l].forEach((to, n) => {
      layout[l - 1].forEach((from, i) => {
        const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
        line.setAttribute("x1", String(from.x + from.size));
        line.setAttribute("y1", String(from.y + from.size / 2));
        line.setAttribute("x2", String(to.x));
        line.setAttribute("y2", String(to.y + to.size / 2));
        line.setAttribute("opacity", "0.7");
        svg.append(line);
        segments.push({ x1: from.x + from.size, y1: from.y + from.size / 2, x2: to.x, y2: to.y + to.size / 2, layer: l - 1, n, i, line });
      });
    });
  }
  layout.forEach((column, l) => {
    column.forEach((place, n) => {
      let element;
      if (l === 0 || l === layout.length - 1) {
        element = document.createElement("div");
        element.className = "unit";
        element.textContent = l === 0 ? `x${n + 1}` : layers[l] === 1 ? "score" : `score ${n}`;
        element.style.lineHeight = `${place.size}px`;
        element.style.background = "#eef";
      } else {
        element = document.createElement("canvas");
        element.className = "neuron";
        element.width = element.height = 20;
        element.setAttribute("aria-label", `neuron ${n + 1} of hidden layer ${l}`);
      }
      Object.assign(element.style, { left: `${place.x}px`, top: `${place.y}px`, width: `${place.size}px`, height: `${place.size}px` });
      box.append(element);
    });
    if (l > 0 && l < layout.length - 1) {
      const head = document.createElement("div");
      head.className = "layer-head";
      head.style.left = `${column[0].x - 10}px`;
      const add = document.createElement("button");
      add.textContent = "+";
      add.setAttribute("aria-label", `Add a neuron to layer ${l}`);
      add.addEventListener("click", () => resizeLayer(l - 1, 1));
      const remove = document.createElement("button");
      remove.textContent = "−";
      remove.setAttribute("aria-label", `Remove a neuron from layer ${l}`);
      remove.addEventListener("click", () => resizeLayer(l - 1, -1));
      const count = document.createElement("span");
      count.textContent = String(layers[l]);
      head.append(remove, count, add);
      box.append(head);
    }
  });
}

function resizeLayer(index, change) {
  const hidden = [...train.settings.hidden];
  hidden[index] = Math.max(1, Math.min(info.limits.neurons[1], hidden[index] + change));
  changeSettings({ hidden });
}

function showWeight(layer, neuron, input) {
  const weights = train.state.weights[layer];
  const from = layer === 0 ? `x${input + 1}` : `neuron ${input + 1} of layer ${layer}`;
  const to = layer === train.state.weights.length - 1 ? "the output" : `neuron ${neuron + 1} of layer ${layer + 1}`;
  $("weight-info").textContent =
    `${from} → ${to}: w = ${number(weights.w[neuron][input])}, grad = ${number(weights.w_grad[neuron][input])}`;
}

async function showPoint(point) {
  if (train.pointBusy) return;
  train.pointBusy = true;
  train.pointAt = performance.now();
  try {
    const result = await api("POST", `/api/sessions/${train.id}/point`, { set: point.set, index: point.index });
    $("point-panel").hidden = false;
    const [x, y] = result.point;
    $("point-title").textContent =
      `The loss of ${point.set} point ${point.index} (${number(x, 2)}, ${number(y, 2)}), class ${result.label}: ${number(result.loss)}`;
    if (!result.svg || !setSvg($("point-graph"), result.svg)) $("point-graph").textContent = result.svg_error || "";
  } catch (error) {
    $("train-error").textContent = error.message;
  } finally {
    train.pointBusy = false;
  }
}

function pickPoint(event) {
  if (!train.data) return;
  const canvas = $("boundary");
  const rect = canvas.getBoundingClientRect();
  const cx = ((event.clientX - rect.left) / rect.width) * canvas.width;
  const cy = ((event.clientY - rect.top) / rect.height) * canvas.height;
  let best = null;
  for (const set of ["train", "test"]) {
    train.data[set].points.forEach(([x, y], index) => {
      const [px, py] = toCanvas(x, y, canvas);
      const distance = Math.hypot(px - cx, py - cy);
      if (distance < 8 && (!best || distance < best.distance)) best = { set, index, distance };
    });
  }
  if (!best) return;
  train.point = { set: best.set, index: best.index };
  if (train.state) drawBoundary(train.state);
  showPoint(train.point);
}

function setupTraining() {
  const options = (id, values, text = String) => $(id).replaceChildren(...values.map((v) => new Option(text(v), String(v))));
  options("dataset", info.datasets);
  options("activation", info.activations);
  options("loss", info.losses);
  options("optimizer", info.optimizers);
  options("lr", LRS);
  options("l2", L2S);
  for (const name of SETTING_FIELDS) $(name).addEventListener("change", () => changeSettings({}));
  $("play").addEventListener("click", play);
  $("pause").addEventListener("click", pause);
  $("train-step").addEventListener("click", () => {
    pause();
    trainStep(1);
  });
  $("reset").addEventListener("click", () => changeSettings({}));
  $("regenerate").addEventListener("click", () => changeSettings({ seed: Math.floor(Math.random() * 1e9) }));
  $("add-layer").addEventListener("click", () => changeSettings({ hidden: [...train.settings.hidden, 4] }));
  $("remove-layer").addEventListener("click", () => changeSettings({ hidden: train.settings.hidden.slice(0, -1) }));
  $("boundary").addEventListener("click", pickPoint);
  window.addEventListener("pagehide", () => {
    // the tab closes or reloads: free its session on the server now rather than when it expires
    if (train.id) fetch(`/api/sessions/${train.id}`, { method: "DELETE", keepalive: true }).catch(() => {});
  });
  startSession(settingsFromURL());
}

// -- start ----------------------------------------------------------------------------------

async function start() {
  info = await api("GET", "/api/info");
  $("tab-lab").addEventListener("click", () => showView("lab"));
  $("tab-training").addEventListener("click", () => showView("training"));
  setupLab();
  setupTraining();
  showView(url.get("view") === "training" ? "training" : "lab");
}

start().catch((error) => {
  $("lab-error").textContent = `the playground could not start: ${error.message}`;
});
