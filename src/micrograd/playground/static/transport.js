// One interface, two ways to reach the playground's Api (docs/playground.md, "How it works"):
// `request(method, path, body)` resolves to `{ status, document }`, exactly what
// `Api.handle(method, path, body)` returns in Python; it rejects only when the transport
// itself fails (the server is gone). Views never know which transport they use.

export async function connect(site, onProgress = () => {}) {
  if (site.transport === "http") return httpTransport(onProgress);
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
