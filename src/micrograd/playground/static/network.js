// The network: one unit per input feature (features.js) and per output, one live heat map per hidden
// neuron, one line per weight. A weight is chosen by pointing, clicking or, with the network focused,
// the arrow keys; the chosen weight's value can be edited. A unit pointed at or focused shows its map large.

import { $, COLORS, number, page, train } from "./common.js";
import { paintValues } from "./drawing.js";
import { featureLabel, makeFeatureUnit, paintFeatures } from "./features.js";

const SVG = "http://www.w3.org/2000/svg";
const net = { segments: [], chosen: null, large: null };

function networkLayout(layers, box) {
  // the x, y of every unit's box (inputs, hidden neurons, outputs), column by column
  const columns = layers.length;
  const unit = 34;
  const left = 60; // room for the input features' names
  return layers.map((count, column) => {
    const x = left + (column * (box.width - left - 40 - unit)) / Math.max(columns - 1, 1);
    const gap = Math.min(unit + 8, (box.height - 40) / count);
    const top = 30 + (box.height - 40 - gap * count) / 2;
    return Array.from({ length: count }, (_, row) => ({ x, y: top + row * gap, size: Math.min(unit, gap - 2) }));
  });
}

export function drawNetwork(state) {
  const box = $("network");
  const regression = page.info.regressions.includes(state.settings.dataset); // its output is a value, not a score
  const key = `${state.settings.features.join(" ")} ${state.layers.join(",")}${regression ? " regression" : ""}`;
  if (state.features) train.featureMaps = state.features; // with a fresh state only: they change with the data
  if (box.dataset.layers !== key) {
    // a + or − pressed rebuilds the buttons: the focus goes to the same button, not to the page
    const focused = box.contains(document.activeElement) ? document.activeElement.getAttribute("aria-label") : null;
    buildNetwork(box, state, key);
    if (focused) {
      const again = [...box.querySelectorAll("button")].find((b) => b.getAttribute("aria-label") === focused);
      const target = again && !again.disabled ? again : again?.parentElement.querySelector("button:not(:disabled)");
      (target || box).focus();
    }
  }
  let index = 0;
  state.weights.forEach((layer) => layer.w.forEach((row) => row.forEach((w) => {
    const line = net.segments[index++].line;
    line.setAttribute("stroke", w >= 0 ? "#0877bd" : "#f59322");
    line.setAttribute("stroke-width", String(Math.min(0.5 + Math.abs(w) * 1.5, 7)));
  })));
  const canvases = box.querySelectorAll("canvas.neuron");
  let at = 0;
  for (const layer of state.neurons || []) {
    for (const map of layer) {
      const canvas = canvases[at++];
      if (canvas) paintValues(canvas, map);
    }
  }
  if (state.features) paintFeatures(box);
  const large = net.large && net.large.map(state);
  if (large) paintValues($("neuron-large"), large);
  if (net.chosen) showWeight(net.chosen);
}

function buildNetwork(box, state, key) {
  box.dataset.layers = key;
  box.replaceChildren();
  const all = page.info.features;
  const chosen = state.settings.features;
  const layers = [all.length, ...state.layers.slice(1)]; // every feature has a unit, chosen or not
  const layout = networkLayout(layers, { width: box.clientWidth || 480, height: box.clientHeight || 520 });
  const svg = document.createElementNS(SVG, "svg");
  box.append(svg);
  net.segments = [];
  // the first layer's inputs are the chosen features, in the API's order
  const inputs = (l) => (l === 1 ? chosen.map((name) => layout[0][all.indexOf(name)]) : layout[l - 1]);
  for (let l = 1; l < layout.length; l++) {
    layout[l].forEach((to, n) => inputs(l).forEach((from, i) => {
      const segment = { x1: from.x + from.size, y1: from.y + from.size / 2, x2: to.x, y2: to.y + to.size / 2, layer: l - 1, n, i };
      segment.line = document.createElementNS(SVG, "line");
      for (const name of ["x1", "y1", "x2", "y2"]) segment.line.setAttribute(name, String(segment[name]));
      segment.line.setAttribute("opacity", "0.7");
      svg.append(segment.line);
      net.segments.push(segment);
    }));
  }
  layout[0].forEach((place, n) => {
    const show = () => showLarge(() => train.featureMaps?.[all[n]], `${featureLabel(all[n])}: its value over the plane`);
    box.append(makeFeatureUnit(all[n], place, chosen.includes(all[n]), show));
  });
  paintFeatures(box);
  layout.forEach((column, l) => {
    if (l > 0) column.forEach((place, n) => box.append(makeUnit(box, layers, l, n, place)));
    if (l > 0 && l < layout.length - 1) box.append(makeHead(layers, l, column[0].x));
  });
  if (net.chosen && !net.segments.some((s) => sameWeight(s, net.chosen))) net.chosen = null;
}

function makeUnit(box, layers, l, n, place) {
  const last = layers.length - 1;
  let element;
  if (l === last) {
    element = document.createElement("div");
    element.className = "unit";
    element.textContent = layers[l] > 1 ? `class ${n}` : box.dataset.layers.endsWith(" regression") ? "output" : "score";
    element.style.lineHeight = `${place.size}px`;
    if (l === last && layers[l] > 1) element.style.borderLeft = `6px solid ${COLORS[n]}`; // the class's colour
  } else {
    element = document.createElement("canvas");
    element.className = "neuron";
    element.width = element.height = 20;
    element.tabIndex = 0;
    element.setAttribute("role", "img");
    element.setAttribute("aria-label", `neuron ${n + 1} of hidden layer ${l}`);
    const show = () => showLarge((state) => state.neurons?.[l - 1][n], `neuron ${n + 1} of hidden layer ${l}: its output over the plane`);
    element.addEventListener("mouseenter", show);
    element.addEventListener("focus", show);
  }
  Object.assign(element.style, { left: `${place.x}px`, top: `${place.y}px`, width: `${place.size}px`, height: `${place.size}px` });
  return element;
}

function makeHead(layers, l, x) {
  const head = document.createElement("div");
  head.className = layers.length > 5 ? "layer-head narrow" : "layer-head";
  head.style.left = `${x - 10}px`;
  const limits = page.info.limits.neurons;
  const button = (text, label, change, disabled) => {
    const element = document.createElement("button");
    element.type = "button";
    element.textContent = text;
    element.setAttribute("aria-label", label);
    element.disabled = disabled;
    element.addEventListener("click", () => resizeLayer(l - 1, change));
    return element;
  };
  const count = document.createElement("span");
  count.textContent = String(layers[l]);
  head.append(button("−", `Remove a neuron from layer ${l}`, -1, layers[l] <= limits[0]), count,
    button("+", `Add a neuron to layer ${l}`, 1, layers[l] >= limits[1]));
  return head;
}

function resizeLayer(index, change) {
  // the training view listens and starts the new model: this module only draws
  const hidden = [...train.settings.hidden];
  hidden[index] = Math.max(1, Math.min(page.info.limits.neurons[1], hidden[index] + change));
  $("network").dispatchEvent(new CustomEvent("resize-layers", { detail: { hidden } }));
}

function showLarge(map, caption) {
  // a unit's map, large: ``map(state)`` finds it in each new state
  net.large = { map };
  $("neuron-caption").textContent = caption;
  $("neuron-large").hidden = false;
  const found = train.state && map(train.state);
  if (found) paintValues($("neuron-large"), found);
}

const sameWeight = (a, b) => a.layer === b.layer && a.n === b.n && a.i === b.i;

function showWeight(weight) {
  const weights = train.state.weights[weight.layer];
  const from = weight.layer === 0 ? featureLabel(train.state.settings.features[weight.i]) : `neuron ${weight.i + 1} of layer ${weight.layer}`;
  const to = weight.layer === train.state.weights.length - 1 ? "the output" : `neuron ${weight.n + 1} of layer ${weight.layer + 1}`;
  $("weight-info").textContent =
    `${from} → ${to}: w = ${number(weights.w[weight.n][weight.i])}, grad = ${number(weights.w_grad[weight.n][weight.i])}`;
  const field = $("weight-value");
  if (document.activeElement !== field) field.value = String(weights.w[weight.n][weight.i]);
}

export function chooseWeight(segment) {
  $("network").querySelector("line.chosen")?.classList.remove("chosen");
  net.chosen = segment;
  if (!segment) return;
  segment.line.classList.add("chosen");
  $("weight-editor").hidden = false;
  showWeight(segment);
}

export function chosenWeight() {
  return net.chosen;
}

export function setupNetwork() {
  const box = $("network");
  const nearest = (event) => {
    // the edge nearest the pointer (within 6 pixels): thin lines are hard to hit exactly
    const rect = box.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const y = event.clientY - rect.top;
    let best = null;
    for (const s of net.segments) {
      const dx = s.x2 - s.x1;
      const dy = s.y2 - s.y1;
      const t = Math.max(0, Math.min(1, ((x - s.x1) * dx + (y - s.y1) * dy) / (dx * dx + dy * dy || 1)));
      const distance = Math.hypot(s.x1 + t * dx - x, s.y1 + t * dy - y);
      if (distance < 6 && (!best || distance < best.distance)) best = { s, distance };
    }
    return best && best.s;
  };
  box.addEventListener("mousemove", (event) => { const s = nearest(event); if (s) showWeight(s); });
  box.addEventListener("click", (event) => { const s = nearest(event); if (s) chooseWeight(s); });
  box.addEventListener("keydown", (event) => moveChoice(event));
}

function moveChoice(event) {
  // with the network focused: Up/Down go through one layer's weights, Left/Right change layer
  if (event.target !== $("network") || !net.segments.length) return;
  const at = net.chosen ? net.segments.findIndex((s) => sameWeight(s, net.chosen)) : -1;
  let next = at;
  if (event.key === "ArrowDown") next = Math.min(net.segments.length - 1, at + 1);
  else if (event.key === "ArrowUp") next = Math.max(0, at - 1);
  else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
    const layer = (at < 0 ? -1 : net.segments[at].layer) + (event.key === "ArrowRight" ? 1 : -1);
    next = net.segments.findIndex((s) => s.layer === Math.max(0, layer));
  } else if (event.key === "Enter" && net.chosen) {
    $("weight-value").focus();
  } else return;
  event.preventDefault();
  if (next >= 0) chooseWeight(net.segments[next]);
}
