// The input units: one per feature the API offers (GET /api/info lists data.FEATURES), each a toggle
// (role checkbox) showing the feature's value over the plane. The chosen features are the model's
// inputs: their lines go to the first layer. Toggling one needs a new model; the training view
// starts it when this module says so (a "change-features" event on the network).

import { $, page, train } from "./common.js";
import { paintValues } from "./drawing.js";

export function featureLabel(name) {
  // the API's names are expressions (x1^2, x1*x2, sin(x1)); the page writes them as a textbook does
  return name.replace(/\^2/g, "²").replace(/\*/g, "·");
}

export function makeFeatureUnit(name, place, chosen, onShow) {
  const unit = document.createElement("button");
  unit.type = "button";
  unit.className = chosen ? "feature chosen" : "feature";
  unit.dataset.feature = name;
  unit.setAttribute("role", "checkbox");
  unit.setAttribute("aria-checked", String(chosen));
  unit.setAttribute("aria-label", featureLabel(name));
  // the last chosen feature stays: a model needs an input
  if (chosen && train.settings?.features.length === 1) {
    unit.setAttribute("aria-disabled", "true");
    unit.title = LAST_INPUT;
  }
  const label = document.createElement("span");
  label.textContent = featureLabel(name);
  label.setAttribute("aria-hidden", "true");
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 20;
  Object.assign(canvas.style, { width: `${place.size}px`, height: `${place.size}px` });
  unit.append(label, canvas);
  Object.assign(unit.style, { right: `calc(100% - ${place.x + place.size}px)`, top: `${place.y}px`, height: `${place.size}px` });
  unit.addEventListener("click", () => toggleFeature(name));
  unit.addEventListener("mouseenter", onShow);
  unit.addEventListener("focus", onShow);
  return unit;
}

const LAST_INPUT = "the network needs at least one input: choose another feature first";

function toggleFeature(name) {
  const chosen = new Set(train.settings.features);
  if (chosen.has(name)) chosen.delete(name); else chosen.add(name);
  if (!chosen.size) {
    $("status").textContent = `${featureLabel(name)} stays: ${LAST_INPUT}`;
    return;
  }
  const features = page.info.features.filter((feature) => chosen.has(feature)); // the API's order
  $("network").dispatchEvent(new CustomEvent("change-features", { detail: { features } }));
}

export function paintFeatures(box) {
  // the maps change only with the data's extent, which comes with a fresh state: not every step
  if (!train.featureMaps) return;
  for (const unit of box.querySelectorAll("button.feature")) {
    const map = train.featureMaps[unit.dataset.feature];
    if (map) paintValues(unit.querySelector("canvas"), map);
  }
}
