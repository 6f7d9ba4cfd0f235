// The training view: a session on the server, live settings and new models (Play/Pause/Step: playing.js).

import { $, api, number, page, saveURL, stats, train } from "./common.js";
import {
  currentSettings, fillControls, fitLoss, isRegression, SETTING_FIELDS, settingsFromURL, settingsToURL, setupControls,
} from "./controls.js";
import { drawBoundary, drawCurves } from "./drawing.js";
import { chosenWeight, drawNetwork, setupNetwork } from "./network.js";
import { pause, setupPlaying } from "./playing.js";
import { setupPoints, showPoint } from "./points.js";

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
  const notes = [fitLoss(settings, train.settings)].filter(Boolean);
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
  const parts = [`step ${state.step}`, `epoch ${epoch}`, ...(isRegression(state.settings || train.settings)
    ? [`train loss ${number(state.train_loss)}`, `test loss ${number(state.test_loss)}`] // no accuracy: a number to predict
    : [`loss ${number(state.train_loss)}`, `train accuracy ${percent(state.train_accuracy)}`, `test accuracy ${percent(state.test_accuracy)}`])];
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
  setupControls();
  setupPoints();
  $("retry").addEventListener("click", () => startSession(train.settings || settingsFromURL()));
  for (const name of SETTING_FIELDS) $(name).addEventListener("change", () => changeSettings({}));
  setupPlaying({ showState, startSession, since });
  $("reset").addEventListener("click", () => changeSettings({}, { newWeights: true }));
  $("regenerate").addEventListener("click", () => changeSettings({ seed: Math.floor(Math.random() * 1e9) }));
  $("add-layer").addEventListener("click", () => changeSettings({ hidden: [...train.settings.hidden, 4] }));
  $("remove-layer").addEventListener("click", () => changeSettings({ hidden: train.settings.hidden.slice(0, -1) }));
  $("network").addEventListener("resize-layers", (event) => changeSettings({ hidden: event.detail.hidden }));
  $("network").addEventListener("change-features", (event) => changeSettings({ features: event.detail.features }));
  window.addEventListener("pagehide", () => {
    // the tab closes or reloads: free its session on the server now rather than when it expires
    if (train.id) page.transport.request("DELETE", `/api/sessions/${train.id}`).catch(() => {});
  });
  startSession(settingsFromURL());
}
