// What every view shares: the API client, the address bar, number formatting and inline SVG.

export const $ = (id) => document.getElementById(id);
export const COLORS = ["#f59322", "#0877bd", "#2ca02c", "#9467bd", "#d62728", "#8c564b"];
// what the page counts, for the benchmarks: spent sums the answers' "seconds" (where Python's time went)
export const stats = { updates: 0, steps: 0, playStarted: 0, playUpdates: 0, playSteps: 0, spent: {} };
window.playgroundStats = stats;

// page.info is GET /api/info; page.url the settings kept in the address
export const page = { info: null, transport: null, url: new URLSearchParams(location.search) };

export async function api(method, path, body) {
  // the document of a 2xx answer; an Error with .status for any other
  const { status, document } = await page.transport.request(method, path, body);
  if (status < 200 || status >= 300) {
    const error = new Error((document && document.error) || `the server answered ${status}`);
    error.status = status;
    throw error;
  }
  return document;
}

export function saveURL() {
  const query = page.url.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

export function number(x, digits = 4) {
  if (x === null || x === undefined) return "–";
  if (Number.isInteger(x)) return String(x);
  const text = Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-4 && x !== 0) ? x.toExponential(3) : x.toFixed(digits);
  return text.includes("e") ? text : text.replace(/\.?0+$/, "") || "0";
}

export function setSvg(container, svgText) {
  const parsed = new DOMParser().parseFromString(svgText, "image/svg+xml");
  const svg = parsed.documentElement;
  if (svg.nodeName !== "svg") return null;
  svg.querySelectorAll("script, a, foreignObject").forEach((element) => element.remove());
  container.replaceChildren(document.importNode(svg, true));
  return container.firstElementChild;
}

// the training view's state, read by the drawing modules
export const train = {
  id: null, settings: null, state: null, data: null, extent: null, playing: false, busy: false,
  history: [], point: null, pointBusy: false, pointAt: 0, pointMax: 40,
};
window.playgroundTrain = train; // for tests and the console: the session id, its data and extent
