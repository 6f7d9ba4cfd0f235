// One interface, two ways to reach the playground's Api (docs/playground.md, "How it works"):
// `request(method, path, body)` resolves to `{ status, document }`, exactly what
// `Api.handle(method, path, body)` returns in Python; it rejects only when the transport
// itself fails (the server is gone). Views never know which transport they use.

export async function connect(site, onProgress = () => {}) {
  if (site.transport === "http") return httpTransport(onProgress);
  if (site.transport === "pyodide") return workerTransport(site, onProgress);
  throw new Error(`this page does not know the transport ${JSON.stringify(site.transport)}`);
}

function relative(path) {
  // the Api's routes start with "/": asked relative to the page, the site works under any sub-path
  return path.replace(/^\/+/, "");
}

async function httpTransport(onProgress) {
  onProgress("connecting to the playground server…");
  return {
    kind: "http",
    where: "running on this computer (Python)",
    async request(method, path, body) {
      const options = { method, headers: {} };
      if (method === "POST") {
        options.headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(body === undefined ? {} : body);
      }
      if (method === "DELETE") options.keepalive = true; // still sent while the tab closes
      const response = await fetch(relative(path), options);
      let document = null;
      try {
        document = await response.json();
      } catch (_) {
        document = { error: `the server answered ${response.status}` };
      }
      return { status: response.status, document };
    },
    close() {},
  };
}

async function workerTransport(site, onProgress) {
  // the exported site (micrograd playground --export): Pyodide runs the same Api in a Web Worker
  // (worker.js), so Python never blocks the page; site.js says where Pyodide and Graphviz come from
  const absolute = (where) => new URL(where, document.baseURI).href;
  const worker = new Worker(new URL("worker.js", import.meta.url), { type: "module" });
  const waiting = new Map(); // request id -> its promise's resolve
  let nextId = 1;
  const ready = new Promise((resolve, reject) => {
    worker.onmessage = ({ data: message }) => {
      if (message.type === "progress") onProgress(message.text);
      else if (message.type === "ready") resolve(message);
      else if (message.type === "failed") reject(new Error(`Python could not start in this browser: ${message.error}`));
      else if (message.type === "answer" && waiting.has(message.id)) {
        waiting.get(message.id)({ status: message.status, document: message.document });
        waiting.delete(message.id);
      }
    };
    worker.onerror = (event) => reject(new Error(`the worker stopped: ${event.message || "worker.js did not load"}`));
  });
  const paths = { pyodide: absolute(site.pyodide), viz: absolute(site.viz), package: absolute(site.package) };
  worker.postMessage({ type: "start", site: { ...paths, numpy: Boolean(site.numpy) } });
  const about = await ready;
  return {
    kind: "pyodide",
    startup: about.times, // when each start-up phase ended (bench/static_site.py reads them)
    where: `running in your browser (Pyodide, Python ${about.python}); nothing leaves this page`,
    request(method, path, body) {
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        worker.postMessage({ type: "request", id, method, path, body });
      });
    },
    close() {
      worker.terminate();
    },
  };
}
