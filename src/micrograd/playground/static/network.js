// The network: one box per input and output, one live heat map per hidden neuron, one line per weight.

import { $, number, page, train } from "./common.js";
import { mix, paintMap } from "./drawing.js";

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

export function drawNetwork(state) {
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
  const segments = drawEdges(svg, layout);
  const pick = edgePicker(box, segments);
  box.addEventListener("mousemove", pick);
  box.addEventListener("click", pick);
  layout.forEach((column, l) => {
    column.forEach((place, n) => box.append(unitElement(layers, layout.length, l, n, place)));
    if (l > 0 && l < layout.length - 1) box.append(layerHead(l, column, layers));
  });
}

function drawEdges(svg, layout) {
  // one line per weight, from each unit of a column to each of the next; returns their segments
  const segments = [];
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
  return segments;
}

function edgePicker(box, segments) {
  // the edge nearest the pointer (within 6 pixels): thin lines are hard to hit exactly
  return (event) => {
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
}

function unitElement(layers, columns, l, n, place) {
  // an input or output box with its name, or a hidden neuron's heat map
  let element;
  if (l === 0 || l === columns - 1) {
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
  return element;
}

function layerHead(l, column, layers) {
  // above a hidden layer: − (count) +
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
  return head;
}

function resizeLayer(index, change) {
  // the training view listens and starts the new model: this module only draws
  const hidden = [...train.settings.hidden];
  hidden[index] = Math.max(1, Math.min(page.info.limits.neurons[1], hidden[index] + change));
  $("network").dispatchEvent(new CustomEvent("resize-layers", { detail: { hidden } }));
}

function showWeight(layer, neuron, input) {
  const weights = train.state.weights[layer];
  const from = layer === 0 ? `x${input + 1}` : `neuron ${input + 1} of layer ${layer}`;
  const to = layer === train.state.weights.length - 1 ? "the output" : `neuron ${neuron + 1} of layer ${layer + 1}`;
  $("weight-info").textContent =
    `${from} → ${to}: w = ${number(weights.w[neuron][input])}, grad = ${number(weights.w_grad[neuron][input])}`;
}
