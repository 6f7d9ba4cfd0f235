// Start-up: connect through the site's transport, read the choices, set up both views.

import { $, api, page, saveURL, stats, train } from "./common.js";
import { setupLab } from "./lab.js";
import { drawNetwork } from "./network.js";
import { SITE } from "./site.js";
import { pause, setupTraining } from "./training.js";
import { connect } from "./transport.js";

const VIEWS = ["lab", "training"];

function tabKeys(event) {
  // the ARIA tabs pattern: arrows, Home and End select and focus another tab
  const at = VIEWS.indexOf(event.currentTarget.id.slice(4));
  const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: VIEWS.length - 1 }[event.key];
  if (to === undefined) return;
  event.preventDefault();
  const view = VIEWS[(to + VIEWS.length) % VIEWS.length];
  showView(view);
  $(`tab-${view}`).focus();
}

function showView(name) {
  for (const view of VIEWS) {
    $(`tab-${view}`).setAttribute("aria-selected", String(view === name));
    $(`tab-${view}`).tabIndex = view === name ? 0 : -1; // one tab stop; the arrows move between tabs
    $(view).hidden = view !== name;
  }
  if (name !== "training") pause();
  else if (train.state) {
    delete $("network").dataset.layers; // laid out again now that it has a size
    drawNetwork(train.state);
  }
  if (name === "lab") page.url.delete("view"); else page.url.set("view", name);
  saveURL();
}

async function start() {
  page.transport = await connect(SITE, (text) => { $("where").textContent = text; });
  $("where").textContent = page.transport.where;
  stats.startup = page.transport.startup || null;
  page.info = await api("GET", "/api/info");
  page.fixedSeed = page.url.has("seed") || page.url.has("weights_seed"); // then Reset gives the same weights
  for (const view of VIEWS) {
    $(`tab-${view}`).addEventListener("click", () => showView(view));
    $(`tab-${view}`).addEventListener("keydown", tabKeys);
  }
  setupLab();
  setupTraining();
  showView(page.url.get("view") === "training" ? "training" : "lab");
}

start().catch((error) => {
  $("lab-error").textContent = `the playground could not start: ${error.message}`;
});
