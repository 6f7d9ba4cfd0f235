// Drawing the training view: the decision boundary with its points, heat maps and the curves.

import { $, COLORS, number, train } from "./common.js";

const RGB = COLORS.map((hex) => [16, 8, 0].map((shift) => (parseInt(hex.slice(1), 16) >> shift) & 255));
const mixed = [0, 0, 0];
export function mix(color, amount) {
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

export function paintMap(canvas, size, colorAt) {
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

export function paintValues(canvas, map) {
  // a quantized map ({scale, values in -100..100}) in the diverging colours: orange below 0, blue above
  const size = Math.round(Math.sqrt(map.values.length));
  if (canvas.width !== size && canvas.id !== "neuron-large") canvas.width = canvas.height = size; // scaled up smoothly
  paintMap(canvas, size, (i) => {
    const v = map.values[i] / 100;
    return mix(v >= 0 ? 1 : 0, Math.abs(v) * 0.85);
  });
  canvas.title = `largest |value| ${number(map.scale)}`;
}

export function toCanvas(x, y, canvas) {
  const [x0, x1, y0, y1] = train.extent;
  return [((x - x0) / (x1 - x0)) * canvas.width, ((y1 - y) / (y1 - y0)) * canvas.height];
}

export function diverging(value) {
  // a number in the diverging colours, clipped to -1..1: orange below 0, white at 0, blue above
  const v = Math.max(-1, Math.min(1, value));
  return `rgb(${mix(v >= 0 ? 1 : 0, Math.abs(v) * 0.85).join(",")})`;
}

function paintRegression(canvas, { size, values, scale }, discrete) {
  // a regression's output over the plane; "Discretize output": only its sign
  paintMap(canvas, size, (i) => {
    const v = Math.max(-1, Math.min(1, (values[i] / 100) * scale));
    return mix(v >= 0 ? 1 : 0, discrete ? 0.55 : Math.abs(v) * 0.85);
  });
}

export function drawBoundary(state) {
  const canvas = $("boundary");
  const regression = state.boundary.values !== undefined;
  // "Discretize output": each cell in its class's colour, without the paler shades of doubt
  const discrete = $("discretize").checked;
  if (regression) paintRegression(canvas, state.boundary, discrete);
  else {
    const { size, classes, confidence } = state.boundary;
    paintMap(canvas, size, (i) => mix(classes[i], discrete ? 0.55 : 0.15 + 0.5 * (confidence[i] / 100)));
  }
  const context = canvas.getContext("2d");
  // a regression's points are coloured by their target, so their outlines must show on white
  const outlines = regression ? ["#555", "black"] : ["white", "black"];
  const sets = $("show-test").checked ? [["train", outlines[0]], ["test", outlines[1]]] : [["train", outlines[0]]];
  for (const [set, outline] of sets) {
    const { points, labels } = train.data[set];
    points.forEach(([x, y], index) => {
      const [px, py] = toCanvas(x, y, canvas);
      context.beginPath();
      context.arc(px, py, 4, 0, 2 * Math.PI);
      context.fillStyle = regression ? diverging(labels[index]) : COLORS[labels[index]];
      context.fill();
      const chosen = set === train.point?.set && index === train.point?.index;
      context.lineWidth = chosen ? 3 : regression && set === "test" ? 2 : 1;
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

export function drawCurves() {
  const losses = train.history.flatMap((entry) => [entry.train_loss, entry.test_loss]).filter((x) => x !== null);
  const top = Math.max(1e-9, ...losses.slice(0, 20), ...losses.slice(-200));
  drawCurve($("loss-curve"), [["train_loss", "#222", false], ["test_loss", "#f59322", true]], top, "loss");
  drawCurve($("accuracy-curve"), [["train_accuracy", "#222", false], ["test_accuracy", "#f59322", true]], 1, "accuracy");
}
