// The training view's settings: its controls, and the address that keeps them (a teacher's link).

import { $, page, saveURL, train } from "./common.js";

const LRS = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const L2S = [0, 0.00001, 0.0001, 0.001, 0.01, 0.1, 1];

export const SETTING_FIELDS = ["dataset", "classes", "noise", "points", "train_ratio", "batch_size", "activation", "loss", "optimizer", "lr", "l2", "l1"];

export function settingsFromURL() {
  const settings = { ...page.info.defaults };
  for (const name of [...SETTING_FIELDS, "seed", "weights_seed"]) {
    if (!page.url.has(name)) continue;
    const text = page.url.get(name);
    settings[name] = typeof page.info.defaults[name] === "number" ? Number(text) : text;
  }
  if (page.url.has("hidden")) settings.hidden = page.url.get("hidden") === "" ? [] : page.url.get("hidden").split(",").map(Number);
  if (page.url.has("features")) settings.features = page.url.get("features").split(",");
  if (!page.url.has("loss")) fitLoss(settings, null); // a link to a regression need not say mse
  return settings;
}

export function currentSettings() {
  const settings = { ...train.settings };
  for (const name of SETTING_FIELDS) {
    const element = $(name);
    settings[name] = typeof page.info.defaults[name] === "number" ? Number(element.value) : element.value;
  }
  return settings;
}

export function settingsToURL(settings) {
  for (const name of [...SETTING_FIELDS, "seed", "weights_seed"]) {
    if (settings[name] === page.info.defaults[name]) page.url.delete(name); else page.url.set(name, String(settings[name]));
  }
  if (settings.hidden.join() === page.info.defaults.hidden.join()) page.url.delete("hidden"); else page.url.set("hidden", settings.hidden.join(","));
  if (settings.features.join() === page.info.defaults.features.join()) page.url.delete("features"); else page.url.set("features", settings.features.join(","));
  saveURL();
}

export const isRegression = (settings) => page.info.regressions.includes(settings.dataset);

export function fitLoss(settings, before) {
  // the loss follows the data: mse for a regression, cross-entropy for more than two classes, and
  // back at two classes the loss chosen before; returns what the status line should say, if anything
  const info = page.info;
  if (isRegression(settings)) {
    if (info.regression_losses.includes(settings.loss)) return null;
    settings.loss = info.regression_losses[0];
    return `loss ${settings.loss}: a regression predicts a number`;
  }
  const classes = settings.dataset === "yin_yang" ? 3 : ["spirals", "blobs"].includes(settings.dataset) ? settings.classes : 2;
  if (classes > 2 && settings.loss !== "cross-entropy") {
    settings.loss = "cross-entropy"; // the other losses are for two classes
    return `loss cross-entropy: the loss for ${classes} classes`;
  }
  const back = classes === 2 && (train.chosenLoss || (before && isRegression(before) ? info.defaults.loss : null));
  if (!back || settings.loss === back) return null;
  settings.loss = back;
  return `loss ${back} again`;
}

function showKind(regression) {
  // a regression is offered its own losses only, and has no accuracy; its colours are a scale, not classes
  const losses = regression ? page.info.regression_losses : page.info.losses;
  if ([...$("loss").options].map((o) => o.value).join() !== losses.join()) {
    $("loss").replaceChildren(...losses.map((name) => new Option(name, name)));
  }
  $("loss-note").textContent = regression ? "a regression: the mean squared error" : "";
  $("accuracy-curve").hidden = regression;
  const boundary = $("boundary");
  boundary.dataset.label ||= boundary.getAttribute("aria-label");
  boundary.setAttribute("aria-label", regression
    ? "The model's output over the plane with train and test points; click a point, or use the arrow keys and Enter, to see its graph"
    : boundary.dataset.label);
  $("boundary-legend").textContent = regression
    ? "colour: the value, orange −1 · white 0 · blue +1 · ○ training points (grey outline) · ● test points (thick outline)"
    : "○ training points · ● test points (dark outline)";
}

export function fillControls(settings) {
  showKind(isRegression(settings));
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

export function showSliders() {
  for (const name of ["noise", "train_ratio"]) $(`${name}-value`).textContent = String(Number($(name).value));
}

export function setupControls() {
  // the choices come from the API (GET /api/info), so the page offers what the server accepts
  const options = (id, values, text = String) => $(id).replaceChildren(...values.map((v) => new Option(text(v), String(v))));
  const group = (label, names) => {
    const element = document.createElement("optgroup");
    element.label = label;
    element.append(...names.map((name) => new Option(name, name)));
    return element;
  };
  $("dataset").replaceChildren(group("Classification", page.info.datasets), group("Regression", page.info.regressions));
  options("activation", page.info.activations);
  options("loss", page.info.losses);
  options("optimizer", page.info.optimizers);
  options("lr", LRS);
  options("l2", L2S);
  options("l1", L2S);
  for (const name of ["noise", "train_ratio"]) $(name).addEventListener("input", showSliders);
}
