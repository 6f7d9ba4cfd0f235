// Play, Pause and Step: the training loop's requests, how long each trains, and when it asks for maps.
//
// The same loop on both transports; it adapts to what the answers say they cost ("seconds": training,
// the curves' points, the rest of the state, the maps). Each request trains for a time budget long
// enough that its fixed costs are about a sixth of it; the heat maps, dear in plain Python in a browser,
// come at most a few times a second and take at most a share of the time: in full when a full set is
// cheap (the local server), else as a coarser "preview"; in full again once training pauses.

import { $, api, page, stats, train } from "./common.js";

const hooks = { showState: null, startSession: null, since: null }; // from training.js

const BUDGET = { min: 0.02, max: 0.25, perOverhead: 6 }; // seconds of training per request
const MAPS = { share: 0.15, every: 0.1, cheap: 0.05 }; // at most 15% of the time, 10 a second; full if under 50 ms
const plan = { budget: BUDGET.min, mapsAt: 0, fullCost: 0, previewCost: 0, lastMaps: true };

export function setupPlaying(given) {
  Object.assign(hooks, given);
  $("play").addEventListener("click", play);
  $("pause").addEventListener("click", pause);
  $("train-step").addEventListener("click", () => {
    pause();
    trainStep(1);
  });
}

function mapsWanted() {
  // what maps the next request asks for while playing: true, "preview" or false
  const full = plan.fullCost <= MAPS.cheap;
  const cost = full ? plan.fullCost : plan.previewCost;
  const now = performance.now() / 1000;
  if (now - plan.mapsAt < Math.max(MAPS.every, cost / MAPS.share)) return false;
  plan.mapsAt = now;
  return full ? true : "preview";
}

function learn(state, maps) {
  // what this answer cost, for the next requests' budget and maps
  const seconds = state.seconds;
  if (!seconds) return;
  for (const [name, value] of Object.entries(seconds)) stats.spent[name] = (stats.spent[name] || 0) + value;
  if (maps === true) plan.fullCost = seconds.maps;
  else if (maps === "preview") plan.previewCost = seconds.maps;
  if (maps) plan.lastMaps = maps;
  const overhead = seconds.curves + seconds.state;
  plan.budget = Math.min(BUDGET.max, Math.max(BUDGET.min, BUDGET.perOverhead * overhead));
}

function requestSteps(steps, after, playing) {
  const body = { steps, since: after };
  let maps = true;
  if (playing) {
    maps = mapsWanted();
    Object.assign(body, { seconds: plan.budget, maps, metrics_every: 0 }); // the curves: a point per answer
  }
  return api("POST", `/api/sessions/${train.id}/step`, body).then((state) => {
    learn(state, maps);
    return state;
  });
}

function received(state) {
  const before = train.state ? train.state.step : 0;
  if (!state.boundary && train.state?.boundary && train.state.id === state.id) {
    state.boundary = train.state.boundary; // no new maps in this answer: the last ones stay
    state.neurons = train.state.neurons;
  }
  hooks.showState(state, false);
  stats.steps += Math.max(0, state.step - before);
  if (state.diverged) {
    $("train-error").textContent = state.diverged;
    pause();
  }
}

async function failed(error) {
  if (error.status === 404) {
    train.id = null; // the session expired: start again with the same settings
    await hooks.startSession(train.settings);
  } else {
    $("train-error").textContent = error.message;
    pause();
  }
}

async function trainStep(steps) {
  if (train.busy || !train.id) return;
  train.busy = true;
  try {
    received(await requestSteps(steps, hooks.since(), false));
  } catch (error) {
    await failed(error);
  } finally {
    train.busy = false;
  }
}

async function loop() {
  // the next step is asked for as soon as an answer arrives, so Python computes while the page draws
  if (train.busy || !train.id) return;
  train.busy = true;
  const many = page.info.limits.steps_per_request; // the time budget decides how many are done
  plan.mapsAt = 0;
  let pending = requestSteps(many, hooks.since(), true);
  try {
    while (pending) {
      const state = await pending;
      pending = train.playing && !state.diverged ? requestSteps(many, state.step, true) : null;
      received(state);
      stats.playUpdates += 1;
      showRate();
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    if (plan.lastMaps !== true && train.id) {
      // paused: the maps in full again
      received(await api("GET", `/api/sessions/${train.id}?since=${hooks.since()}`));
      plan.lastMaps = true;
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
  stats.playSteps = stats.steps;
  swapFocus($("play"), $("pause"));
  loop();
}

export function pause() {
  train.playing = false;
  swapFocus($("pause"), $("play"));
}

function swapFocus(off, on) {
  // the button pressed is disabled: focus moves to its partner instead of dropping to the page
  const hadFocus = document.activeElement === off;
  on.disabled = false;
  off.disabled = true;
  if (hadFocus) on.focus();
}

function showRate() {
  const seconds = (performance.now() - stats.playStarted) / 1000;
  if (seconds > 0.5) {
    const steps = (stats.steps - stats.playSteps) / seconds;
    $("rate").textContent = `${steps.toFixed(0)} steps/s · ${(stats.playUpdates / seconds).toFixed(1)} updates/s`;
  }
}
