// The training view: a session on the server, its settings, Play/Pause/Step and the points' graphs.

import { $, api, number, page, saveURL, setSvg, stats, train } from "./common.js";
import { drawBoundary, drawCurves, toCanvas } from "./drawing.js";
import { drawNetwork } from "./network.js";

const LRS = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const L2S = [0, 0.00001, 0.0001, 0.001, 0.01, 0.1, 1];

const SETTING_FIELDS = ["dataset", "classes", "noise", "points", "train_ratio", "batch_size", "activation", "loss", "optimizer", "lr", "l2"];

function settingsFromURL() {
  const settings = { ...page.info.defaults };
  for (const name of [...SETTING_FIELDS, "seed"]) {
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
  for (const name of [...SETTING_FIELDS, "seed"]) {
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
    else if (JSON.stringify(settings) !== JSON.stringify(page.info.defaults)) {
      await startSession({ ...page.info.defaults }); // the address asked for something impossible
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

export function pause() {
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

export function setupTraining() {
  const options = (id, values, text = String) => $(id).replaceChildren(...values.map((v) => new Option(text(v), String(v))));
  options("dataset", page.info.datasets);
  options("activation", page.info.activations);
  options("loss", page.info.losses);
  options("optimizer", page.info.optimizers);
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
  $("network").addEventListener("resize-layers", (event) => changeSettings({ hidden: event.detail.hidden }));
  window.addEventListener("pagehide", () => {
    // the tab closes or reloads: free its session on the server now rather than when it expires
    if (train.id) page.transport.request("DELETE", `/api/sessions/${train.id}`).catch(() => {});
  });
  startSession(settingsFromURL());
}
