// Zoom and pan for an inline SVG graph: wheel or pinch, drag, the +/− keys, and buttons.
// The default is the picture's own size (its text 12 px or more); "Fit" shows all of it.

const STEP = 1.25;
const LIMITS = [0.1, 8];

function natural(svg) {
  // Graphviz gives width/height in points; the picture's own size in CSS pixels
  const size = (name) => {
    const text = svg.getAttribute(name) || "";
    const value = parseFloat(text);
    return text.endsWith("pt") ? (value * 4) / 3 : value;
  };
  if (!svg.dataset.width) {
    const box = svg.viewBox && svg.viewBox.baseVal;
    svg.dataset.width = String(size("width") || (box ? box.width : 300));
    svg.dataset.height = String(size("height") || (box ? box.height : 150));
  }
  return [Number(svg.dataset.width), Number(svg.dataset.height)];
}

function readable(svg, fitted) {
  // the default: all of it if its text stays 12 px or more, else as small as that allows (at most 1:1)
  const sizes = [...svg.querySelectorAll("text")].map((text) => parseFloat(text.getAttribute("font-size") || "14"));
  const points = sizes.length ? Math.min(...sizes) : 14;
  const smallest = 12 / ((points * 4) / 3);
  return Math.min(1, Math.max(fitted, smallest));
}

export function makeZoomable(container, label) {
  const view = { scale: 1, chosen: false }; // chosen: the reader zoomed, keep their scale
  const apply = (around) => {
    const svg = container.querySelector("svg");
    if (!svg) return;
    const [width, height] = natural(svg);
    const before = { x: container.scrollLeft + around.x, y: container.scrollTop + around.y, w: svg.clientWidth || 1 };
    svg.style.width = `${width * view.scale}px`;
    svg.style.height = `${height * view.scale}px`;
    const ratio = (width * view.scale) / before.w;
    container.scrollLeft = before.x * ratio - around.x;
    container.scrollTop = before.y * ratio - around.y;
    container.dataset.scale = view.scale.toFixed(3);
  };
  const centre = () => ({ x: container.clientWidth / 2, y: container.clientHeight / 2 });
  const zoom = (factor, around = centre()) => {
    view.chosen = true;
    view.scale = Math.min(LIMITS[1], Math.max(LIMITS[0], view.scale * factor));
    apply(around);
  };
  const fitted = (svg) => {
    const [width, height] = natural(svg);
    const room = Math.max(container.clientHeight, window.innerHeight * 0.6);
    return Math.min(LIMITS[1], Math.max(LIMITS[0], Math.min(container.clientWidth / width, room / height) * 0.98));
  };
  const fit = () => {
    const svg = container.querySelector("svg");
    if (!svg) return;
    view.chosen = true;
    view.scale = fitted(svg);
    apply({ x: 0, y: 0 });
  };
  const refresh = () => {
    const svg = container.querySelector("svg");
    if (svg && !view.chosen) view.scale = readable(svg, fitted(svg));
    apply({ x: 0, y: 0 });
  };
  listen(container, zoom, fit);
  container.tabIndex = 0;
  container.setAttribute("role", "figure");
  container.setAttribute("aria-label", `${label}: +/− zoom, arrows pan, 0 fits`);
  const actual = () => {
    view.chosen = true;
    view.scale = 1;
    apply(centre());
  };
  return { zoom, fit, refresh, actual };
}

function listen(container, zoom, fit) {
  container.addEventListener("wheel", (event) => {
    // a wheel or a pinch (Chromium sends a pinch as a wheel with ctrlKey) zooms around the pointer
    event.preventDefault();
    const rect = container.getBoundingClientRect();
    const factor = Math.exp(-event.deltaY * (event.ctrlKey ? 0.01 : 0.002));
    zoom(factor, { x: event.clientX - rect.left, y: event.clientY - rect.top });
  }, { passive: false });
  container.addEventListener("keydown", (event) => {
    if (event.key === "+" || event.key === "=") zoom(STEP);
    else if (event.key === "-" || event.key === "−") zoom(1 / STEP);
    else if (event.key === "0") fit();
    else return;
    event.preventDefault();
  });
  let drag = null;
  container.addEventListener("pointerdown", (event) => {
    if (event.pointerType === "mouse" && event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, left: container.scrollLeft, top: container.scrollTop };
  });
  container.addEventListener("pointermove", (event) => {
    if (!drag) return;
    container.scrollLeft = drag.left - (event.clientX - drag.x);
    container.scrollTop = drag.top - (event.clientY - drag.y);
  });
  for (const name of ["pointerup", "pointercancel", "pointerleave"]) container.addEventListener(name, () => { drag = null; });
}

export function zoomButtons(target, zoomable, name) {
  // "Zoom in", "Zoom out", "Fit" and "Actual size" buttons for one graph
  const buttons = [["+", `Zoom in ${name}`, () => zoomable.zoom(STEP)], ["−", `Zoom out ${name}`, () => zoomable.zoom(1 / STEP)],
    ["Fit", `Fit ${name}`, () => zoomable.fit()], ["1:1", `Actual size ${name}`, () => zoomable.actual()]];
  target.replaceChildren(...buttons.map(([text, label, action]) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = text;
    button.setAttribute("aria-label", label);
    button.addEventListener("click", action);
    return button;
  }));
}
