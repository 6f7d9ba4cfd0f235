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

export function fillControls(settings) {
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
  options("dataset", page.info.datasets);
  options("activation", page.info.activations);
  options("loss", page.info.losses);
  options("optimizer", page.info.optimizers);
  options("lr", LRS);
  options("l2", L2S);
  options("l1", L2S);
  for (const name of ["noise", "train_ratio"]) $(name).addEventListener("input", showSliders);
}
