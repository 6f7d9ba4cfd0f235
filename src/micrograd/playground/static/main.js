// Start-up: connect through the site's transport, read the choices, set up both views.

import { $, api, page, saveURL, train } from "./common.js";
import { setupLab } from "./lab.js";
import { drawNetwork } from "./network.js";
import { SITE } from "./site.js";
import { pause, setupTraining } from "./training.js";
import { connect } from "./transport.js";

function showView(name) {
  for (const view of ["lab", "training"]) {
    $(`tab-${view}`).setAttribute("aria-selected", String(view === name));
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
  page.info = await api("GET", "/api/info");
  $("tab-lab").addEventListener("click", () => showView("lab"));
  $("tab-training").addEventListener("click", () => showView("training"));
  setupLab();
  setupTraining();
  showView(page.url.get("view") === "training" ? "training" : "lab");
}

start().catch((error) => {
  $("lab-error").textContent = `the playground could not start: ${error.message}`;
});
