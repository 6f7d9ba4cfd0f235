// The training view: a session on the server, its settings and the points' graphs (Play/Pause/Step: playing.js).

import { $, api, number, page, saveURL, setSvg, stats, train } from "./common.js";
import { drawBoundary, drawCurves, toCanvas } from "./drawing.js";
import { chosenWeight, drawNetwork, setupNetwork } from "./network.js";
import { pause, setupPlaying } from "./playing.js";
import { makeZoomable, zoomButtons } from "./zoom.js";

const LRS = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const L2S = [0, 0.00001, 0.0001, 0.001, 0.01, 0.1, 1];

const SETTING_FIELDS = ["dataset", "classes", "noise", "points", "train_ratio", "batch_size", "activation", "loss", "optimizer", "lr", "l2", "l1"];

function settingsFromURL() {
  const settings = { ...page.info.defaults };
  for (const name of [...SETTING_FIELDS, "seed", "weights_seed"]) {
    if (!page.url.has(name)) continue;
    const text = page.url.get(name);
    settings[name] = typeof page.info.defaults[name] === "number" ? Number(text) : text;
  }
  if (page.url.has("hidden")) settings.hidden = page.url.get("hidden") === "" ? [] : page.url.get("hidden").split(",").map(Number);
  return settings;
}

function currentSettings() {
  const settings = { ...train.settings };
  for (const name of SETTING_FIELDS) {
    const element = $(name);
    settings[name] = typeof page.info.defaults[name] === "number" ? Number(element.value) : element.value;
  }
  return settings;
}

function settingsToURL(settings) {
  for (const name of [...SETTING_FIELDS, "seed", "weights_seed"]) {
    if (settings[name] === page.info.defaults[name]) page.url.delete(name); else page.url.set(name, String(settings[name]));
  }
  if (settings.hidden.join() === page.info.defaults.hidden.join()) page.url.delete("hidden"); else page.url.set("hidden", settings.hidden.join(","));
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
  showSliders();
  const multi = ["spirals", "blobs"].includes(settings.dataset);
  $("classes").disabled = !multi;
  $("noise").disabled = settings.dataset === "yin_yang";
  $("remove-layer").disabled = settings.hidden.length === 0;
  $("add-layer").disabled = settings.hidden.length >= page.info.limits.layers[1];
}

async function startSession(settings) {
  try {
    const state = train.id
      ? await api("POST", `/api/sessions/${train.id}/reset`, settings)
      : await api("POST", "/api/sessions", settings);
    $("train-error").textContent = "";
    $("retry").hidden = true;
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
    if (error.status === 503 || error.status === undefined) {
      // refused (every session taken) or the server is gone: one line and a retry
      $("status").textContent = "no training session";
      $("retry").hidden = false;
      return;
    }
    if (train.settings) fillControls(train.settings); // back to the last settings that worked
    else if (JSON.stringify(settings) !== JSON.stringify(page.info.defaults)) {
      await startSession({ ...page.info.defaults }); // the address asked for something impossible
      $("train-error").textContent = `${error.message} (using the default settings)`;
    }
  }
}

const LIVE = ["lr", "l2", "l1", "optimizer", "batch_size"]; // taken at the next step, keeping the model

function changeSettings(update, { newWeights = false } = {}) {
  const settings = { ...currentSettings(), ...update };
  if (update.loss === undefined && document.activeElement === $("loss")) train.chosenLoss = settings.loss;
  const classes = settings.dataset === "yin_yang" ? 3 : ["spirals", "blobs"].includes(settings.dataset) ? settings.classes : 2;
  const notes = [];
  if (classes > 2 && settings.loss !== "cross-entropy") {
    settings.loss = "cross-entropy"; // the other losses are for two classes
    notes.push(`loss cross-entropy: the loss for ${classes} classes`);
  } else if (classes === 2 && train.chosenLoss && settings.loss !== train.chosenLoss) {
    settings.loss = train.chosenLoss; // back to two classes: the loss chosen before
    notes.push(`loss ${settings.loss} again`);
  }
  settings.batch_size = Math.min(settings.batch_size, settings.points);
  if (newWeights && !page.fixedSeed) settings.weights_seed = 1 + Math.floor(Math.random() * 2147483646);
  const changed = Object.keys(settings).filter((k) => JSON.stringify(settings[k]) !== JSON.stringify(train.settings?.[k]));
  if (train.id && !newWeights && changed.length && changed.every((name) => LIVE.includes(name))) {
    retune(settings, changed);
    return;
  }
  const why = newWeights ? (page.fixedSeed ? "the same weights (the address fixes the seed)" : "new weights")
    : `${changed.filter((name) => !LIVE.includes(name)).join(", ")} changed`;
  train.notice = [`new model (${why})`, ...notes].join(" · ");
  $("status").textContent = `${train.notice}, starting again at step 0…`;
  startSession(settings);
}

async function retune(settings, changed) {
  try {
    const state = await api("POST", `/api/sessions/${train.id}/settings`, { settings, since: since() });
    train.settings = settings;
    settingsToURL(settings);
    train.notice = `${changed.join(", ")} changed: the same model trains on`;
    train.noticeAt = state.step;
    showState(state, false);
  } catch (error) {
    $("train-error").textContent = error.message;
    fillControls(train.settings);
  }
}

export { pause };

function since() {
  return train.history.length ? train.history[train.history.length - 1].step : -1;
}

function percent(x) {
  return x === null || x === undefined ? "–" : `${Math.round(x * 100)}%`;
}

function showStatus(state, fresh) {
  // the status line: step, epoch, loss, accuracies, and for one step what just changed
  if (fresh || train.noticeAt === undefined) train.noticeAt = state.step;
  if (state.step > train.noticeAt + 1) train.notice = "";
  const trainCount = state.settings ? Math.round(state.settings.points * state.settings.train_ratio) : 1;
  const epoch = Math.floor((state.step * train.settings.batch_size) / Math.max(1, trainCount));
  const parts = [`step ${state.step}`, `epoch ${epoch}`, `loss ${number(state.train_loss)}`,
    `train accuracy ${percent(state.train_accuracy)}`, `test accuracy ${percent(state.test_accuracy)}`];
  if (train.notice) parts.push(train.notice);
  $("status").textContent = parts.join(" · ");
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
  showStatus(state, fresh);
  if (state.boundary) drawBoundary(state);
  drawCurves();
  drawNetwork(state);
  stats.updates += 1;
  if (train.point && (fresh || !train.playing || performance.now() - train.pointAt > 1000)) showPoint(train.point);
}

// -- drawing --------------------------------------------------------------------------------
async function showPoint(point) {
  if (train.pointBusy) return;
  train.pointBusy = true;
  train.pointAt = performance.now();
  try {
    const result = await api("POST", `/api/sessions/${train.id}/point`, { set: point.set, index: point.index, max_nodes: train.pointMax });
    const [x, y] = result.point;
    $("point-title").textContent =
      `The loss of ${point.set} point ${point.index} (${number(x, 2)}, ${number(y, 2)}), class ${result.label}: ${number(result.loss)}`;
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

function setupWeightEditor() {
  $("weight-editor").addEventListener("submit", async (event) => {
    event.preventDefault();
    const weight = chosenWeight();
    const value = Number($("weight-value").value);
    if (!weight || $("weight-value").value === "" || !Number.isFinite(value)) return;
    try {
      const body = { layer: weight.layer, neuron: weight.n, input: weight.i, value, since: since() };
      showState(await api("POST", `/api/sessions/${train.id}/weight`, body), false);
      $("train-error").textContent = "";
    } catch (error) {
      $("train-error").textContent = error.message;
    }
  });
}

function showSliders() {
  for (const name of ["noise", "train_ratio"]) $(`${name}-value`).textContent = String(Number($(name).value));
}

export function setupTraining() {
  setupNetwork();
  setupWeightEditor();
  for (const id of ["show-test", "discretize"]) {
    $(id).checked = page.url.has(id) ? page.url.get(id) === "1" : $(id).defaultChecked;
    $(id).addEventListener("change", () => {
      if ($(id).checked === $(id).defaultChecked) page.url.delete(id); else page.url.set(id, $(id).checked ? "1" : "0");
      saveURL();
      if (train.state?.boundary) drawBoundary(train.state);
    });
  }
  for (const name of ["noise", "train_ratio"]) $(name).addEventListener("input", showSliders);
  $("retry").addEventListener("click", () => startSession(train.settings || settingsFromURL()));
  train.pointZoom = makeZoomable($("point-graph"), "The point's loss graph");
  zoomButtons($("point-zoom"), train.pointZoom, "the point's graph");
  const options = (id, values, text = String) => $(id).replaceChildren(...values.map((v) => new Option(text(v), String(v))));
  options("dataset", page.info.datasets);
  options("activation", page.info.activations);
  options("loss", page.info.losses);
  options("optimizer", page.info.optimizers);
  options("lr", LRS);
  options("l2", L2S);
  options("l1", L2S);
  for (const name of SETTING_FIELDS) $(name).addEventListener("change", () => changeSettings({}));
  setupPlaying({ showState, startSession, since });
  $("reset").addEventListener("click", () => changeSettings({}, { newWeights: true }));
  $("regenerate").addEventListener("click", () => changeSettings({ seed: Math.floor(Math.random() * 1e9) }));
  $("add-layer").addEventListener("click", () => changeSettings({ hidden: [...train.settings.hidden, 4] }));
  $("remove-layer").addEventListener("click", () => changeSettings({ hidden: train.settings.hidden.slice(0, -1) }));
  $("boundary").addEventListener("click", pickPoint);
  $("boundary").addEventListener("keydown", pointKeys);
  $("point-expand").addEventListener("click", () => {
    train.pointMax = 100; // the most a point's graph draws
    if (train.point) showPoint(train.point);
  });
  $("network").addEventListener("resize-layers", (event) => changeSettings({ hidden: event.detail.hidden }));
  window.addEventListener("pagehide", () => {
    // the tab closes or reloads: free its session on the server now rather than when it expires
    if (train.id) page.transport.request("DELETE", `/api/sessions/${train.id}`).catch(() => {});
  });
  startSession(settingsFromURL());
}
