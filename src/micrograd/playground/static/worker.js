// The static playground's Web Worker: this package's Python, run by Pyodide, answers the page.
//
// The page (transport.js, the "pyodide" transport) starts it with {type: "start", site}, where
// site holds absolute URLs: pyodide (Pyodide's index URL), package (this package's zip), viz
// (the WebAssembly Graphviz module) and numpy (load numpy from the Pyodide distribution or not).  It reports {type: "progress", text} while it starts,
// then {type: "ready", python, numpy} or {type: "failed", error}.  Each call {type: "request",
// id, method, path, body} is answered {type: "answer", id, status, document}: the same statuses
// and documents as micrograd.playground.api.Api.handle, which the local server sends.  A picture
// comes from Python as DOT text; it is rendered to SVG here, so the page gets "svg" as it does
// from the local server.  Nothing is fetched but the files named in site.
"use strict";

let api = null; // the Python Api's handle, taking and giving JSON text
let viz = null; // a promise of the Graphviz instance
let ready = null; // a promise resolved once Python answers

const progress = (text) => postMessage({ type: "progress", text });
const times = {}; // when each start-up phase ended (ms since the epoch), for bench/static_site.py
const mark = (name) => { times[name] = performance.timeOrigin + performance.now(); };

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

// this package, as one zip (python/micrograd.zip) imported from where export.py compiled it for
const PACKAGE_PATH = "/home/pyodide/micrograd.zip";

const START_PYTHON = `
import json, sys
sys.path.insert(0, PACKAGE)
from micrograd.playground.api import Api
_api = Api()

def handle(method, path, body):
    status, document = _api.handle(method, path, json.loads(body))
    return json.dumps([status, document], allow_nan=False)

handle
`;

async function startPython(site) {
  progress("loading Pyodide (Python compiled to WebAssembly)…");
  const zip = fetchBytes(site.package); // meanwhile
  zip.catch(() => {}); // awaited below
  const { loadPyodide } = await import(new URL("pyodide.mjs", site.pyodide).href);
  const pyodide = await loadPyodide({ indexURL: site.pyodide });
  mark("pyodide");
  let numpy = false;
  if (site.numpy) {
    progress("loading numpy…");
    try {
      await pyodide.loadPackage("numpy", { messageCallback: () => {}, errorCallback: () => {} });
      numpy = true;
    } catch (_) {
      numpy = false; // not in this distribution: every computation has a plain-Python path
    }
  }
  progress("starting micrograd in Python…");
  pyodide.FS.writeFile(PACKAGE_PATH, await zip);
  mark("installed");
  pyodide.globals.set("PACKAGE", PACKAGE_PATH);
  api = pyodide.runPython(START_PYTHON);
  mark("imported");
  const version = pyodide.runPython("import sys; sys.version.split()[0]");
  return { python: version, numpy, times };
}

async function render(document) {
  // the local server's answers carry "svg"; here Python gives the DOT text and Graphviz runs here
  if (typeof document.dot !== "string" || document.svg) return document;
  try {
    const instance = await viz;
    const svg = instance.renderString(document.dot, { format: "svg" });
    return { ...document, svg, svg_error: null };
  } catch (error) {
    return { ...document, svg: null, svg_error: `the picture could not be drawn: ${error.message || error}` };
  }
}

async function answer(message) {
  try {
    await ready;
  } catch (error) {
    const document = { error: `Python could not start: ${error.message || error}` };
    postMessage({ type: "answer", id: message.id, status: 503, document });
    return;
  }
  const body = JSON.stringify(message.body === undefined ? null : message.body); // JSON text: null is None
  let status;
  let document;
  try {
    [status, document] = JSON.parse(api(message.method, message.path, body));
  } catch (error) {
    status = 500;
    document = { error: `internal error: ${String(error.message || error).split("\n").filter(Boolean).pop()}` };
  }
  postMessage({ type: "answer", id: message.id, status, document: await render(document) });
}

function start(site) {
  mark("worker");
  ready = startPython(site);
  // Graphviz once Python is up, not meanwhile: loading both at once on this thread made Pyodide's
  // start about 1.5 s slower (bench/static_site.py), and the first picture comes after Python anyway
  viz = ready.then(() => import(site.viz)).then((module) => module.instance());
  viz.catch(() => {}); // a failure shows as svg_error on the first picture
  ready.then(
    (about) => postMessage({ type: "ready", ...about }),
    (error) => postMessage({ type: "failed", error: String(error.message || error) }),
  );
}

// Calls run one at a time, in the order they came: Python is single-threaded here anyway,
// and the page's training loop waits for each answer before it asks again.
let queue = Promise.resolve();

self.onmessage = (event) => {
  const message = event.data;
  if (message.type === "start") start(message.site);
  else if (message.type === "request") queue = queue.then(() => answer(message)).catch(() => {});
};
