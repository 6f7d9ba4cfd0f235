// A data point's loss graph: chosen on the boundary by pointer or keyboard, drawn by the server.

import { $, api, number, setSvg, train } from "./common.js";
import { isRegression } from "./controls.js";
import { drawBoundary, toCanvas } from "./drawing.js";
import { makeZoomable, zoomButtons } from "./zoom.js";

export async function showPoint(point) {
  if (train.pointBusy) return;
  train.pointBusy = true;
  train.pointAt = performance.now();
  try {
    const result = await api("POST", `/api/sessions/${train.id}/point`, { set: point.set, index: point.index, max_nodes: train.pointMax });
    const [x, y] = result.point;
    $("point-title").textContent =
      `The loss of ${point.set} point ${point.index} (${number(x, 2)}, ${number(y, 2)}), ${isRegression(train.settings) ? `target ${number(result.label)}` : `class ${result.label}`}: ${number(result.loss)}`;
    const opening = $("point-panel").hidden;
    $("point-expand").hidden = train.pointMax >= 100 || !/more operand|showing \d+ of/.test(result.svg || "");
    $("point-panel").hidden = false;
    if (!result.svg || !setSvg($("point-graph"), result.svg)) $("point-graph").textContent = result.svg_error || "";
    else train.pointZoom.refresh();
    if (opening) $("point-panel").scrollIntoView({ block: "nearest" });
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
  for (const set of $("show-test").checked ? ["train", "test"] : ["train"]) {
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

function pointKeys(event) {
  // with the boundary focused: arrows go from point to point (train, then test), Enter shows its graph
  if (!train.data || !["ArrowRight", "ArrowDown", "ArrowLeft", "ArrowUp", "Enter"].includes(event.key)) return;
  event.preventDefault();
  const all = ($("show-test").checked ? ["train", "test"] : ["train"])
    .flatMap((set) => train.data[set].points.map((_, index) => ({ set, index })));
  let at = train.point ? all.findIndex((p) => p.set === train.point.set && p.index === train.point.index) : -1;
  if (event.key !== "Enter") at = (at + (["ArrowRight", "ArrowDown"].includes(event.key) ? 1 : all.length - 1)) % all.length;
  if (at < 0) at = 0;
  train.point = all[at];
  const [x, y] = train.data[train.point.set].points[train.point.index];
  $("point-choice").textContent = `${train.point.set} point ${train.point.index} at (${number(x, 2)}, ${number(y, 2)})`;
  if (train.state) drawBoundary(train.state);
  if (event.key === "Enter") showPoint(train.point);
}

export function setupPoints() {
  train.pointZoom = makeZoomable($("point-graph"), "The point's loss graph");
  zoomButtons($("point-zoom"), train.pointZoom, "the point's graph");
  $("boundary").addEventListener("click", pickPoint);
  $("boundary").addEventListener("keydown", pointKeys);
  $("point-expand").addEventListener("click", () => {
    train.pointMax = 100; // the most a point's graph draws
    if (train.point) showPoint(train.point);
  });
}
