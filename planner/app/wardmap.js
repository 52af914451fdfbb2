// The ward map of the planner app, drawn on a 2D canvas (no WebGL, so it draws at once in any browser).
//
// Python (planner/app/wardmap.py) sends, on every run: the outlines as compact text (parsed once per data set and
// kept on window, so a re-solve only recolours), one colour per ward, each ward's tooltip as HTML (escaped there),
// the area to fit and the chosen ward. A click on a ward sends its code back (trigger "ward"). Wheel, pinch or the
// + and - buttons zoom, a drag pans, "Fit" goes back to the area. Nothing is fetched from anywhere.

const STORE = (window.__plannerWardMap = window.__plannerWardMap || { shapes: new Map() });
// parseShapes, inside and tooltip are exported for the tests (tests/test_app_wardmap.py runs them in Node).

export function parseShapes(text) {
  // "x,y,dx,dy,...;ring|shape|..." -> [{ rings: [Float64Array], box: [x0, y0, x1, y1], path: Path2D }]
  if (!text) return [];
  return text.split("|").map((shape) => {
    const rings = [];
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    const path = new Path2D();
    if (shape) {
      for (const ringText of shape.split(";")) {
        const v = ringText.split(",");
        const ring = new Float64Array(v.length);
        let x = 0;
        let y = 0;
        for (let k = 0; k + 1 < v.length; k += 2) {
          x += +v[k];
          y += +v[k + 1];
          ring[k] = x;
          ring[k + 1] = y;
          if (x < box[0]) box[0] = x;
          if (y < box[1]) box[1] = y;
          if (x > box[2]) box[2] = x;
          if (y > box[3]) box[3] = y;
          if (k === 0) path.moveTo(x, y);
          else path.lineTo(x, y);
        }
        path.closePath();
        rings.push(ring);
      }
    }
    return { rings, box, path };
  });
}

function shapesOf(id, text) {
  // Parsed shapes, kept per id (a data set's wards, boroughs or BCUs), the last few only; null when Python sent
  // none (it sends them once a session) and none are kept.
  let found = STORE.shapes.get(id);
  if (!found) {
    if (text === null || text === undefined) return null;
    found = parseShapes(text);
    STORE.shapes.set(id, found);
    while (STORE.shapes.size > 12) STORE.shapes.delete(STORE.shapes.keys().next().value);
  }
  return found;
}

export function inside(rings, x, y) {
  // Even-odd rule over every ring (holes and islands alike).
  let inn = false;
  for (const r of rings) {
    const n = r.length;
    for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
      const xi = r[i];
      const yi = r[i + 1];
      const xj = r[j];
      const yj = r[j + 1];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inn = !inn;
    }
  }
  return inn;
}

function wardAt(m, px, py) {
  const [x, y] = toWorld(m, px, py);
  const wards = m.wards;
  for (let i = 0; i < wards.length; i++) {
    const b = wards[i].box;
    if (x < b[0] || x > b[2] || y < b[1] || y > b[3]) continue;
    if (inside(wards[i].rings, x, y)) return i;
  }
  return -1;
}

function toWorld(m, px, py) {
  return [(px - m.view.tx) / m.view.s, (m.view.ty - py) / m.view.s];
}

function fit(m) {
  const [x0, y0, x1, y1] = m.data.bounds;
  const w = m.width;
  const h = m.height;
  const pad = 0.06;
  const s = Math.min((w * (1 - 2 * pad)) / Math.max(x1 - x0, 1), (h * (1 - 2 * pad)) / Math.max(y1 - y0, 1));
  m.view = { s, tx: w / 2 - ((x0 + x1) / 2) * s, ty: h / 2 + ((y0 + y1) / 2) * s };
}

function zoomAt(m, px, py, factor) {
  const s = Math.max(m.minScale, Math.min(m.view.s * factor, m.minScale * 400));
  const f = s / m.view.s;
  m.view = { s, tx: px - (px - m.view.tx) * f, ty: py - (py - m.view.ty) * f };
  schedule(m);
}

function strokeShapes(ctx, shapes, colour, widthPx, s) {
  ctx.strokeStyle = colour;
  ctx.lineWidth = widthPx / s;
  for (const sh of shapes) ctx.stroke(sh.path);
}

function draw(m) {
  m.frame = 0;
  const { ctx, dpr, view, data } = m;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, m.canvas.width, m.canvas.height);
  const s = view.s * dpr;
  ctx.setTransform(s, 0, 0, -s, view.tx * dpr, view.ty * dpr);
  ctx.lineJoin = "round";
  const fills = data.fill;
  for (let i = 0; i < m.wards.length; i++) {
    ctx.fillStyle = "#" + fills.substr(i * 8, 8);
    ctx.fill(m.wards[i].path, "evenodd");
  }
  if (m.hover >= 0) {
    ctx.fillStyle = "rgba(255,255,255,0.35)";
    ctx.fill(m.wards[m.hover].path, "evenodd");
  }
  if (data.show_boroughs) strokeShapes(ctx, m.boroughs, "rgba(60,60,60,0.86)", 1.2 * dpr, s);
  if (data.show_bcus) strokeShapes(ctx, m.bcus, "rgba(20,20,20,1)", 3 * dpr, s);
  const sel = data.selected;
  if (sel !== null && sel >= 0 && sel < m.wards.length) {
    ctx.strokeStyle = "rgb(0,200,255)";
    ctx.lineWidth = (4 * dpr) / s;
    ctx.stroke(m.wards[sel].path);
  }
  if (data.labels && data.labels.length) {
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.font = "600 12px sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.lineWidth = 3;
    ctx.strokeStyle = "rgba(255,255,255,0.9)";
    ctx.fillStyle = "rgba(20,20,20,0.9)";
    for (const [name, x, y] of data.labels) {
      const px = x * view.s + view.tx;
      const py = view.ty - y * view.s;
      ctx.strokeText(name, px, py);
      ctx.fillText(name, px, py);
    }
  }
}

function schedule(m) {
  if (!m.frame) m.frame = requestAnimationFrame(() => draw(m));
}

function resize(m) {
  const w = Math.max(1, Math.round(m.box.clientWidth));
  const h = m.data.height;
  const dpr = window.devicePixelRatio || 1;
  if (w === m.width && h === m.height && dpr === m.dpr) return false;
  const old = m.width;
  m.width = w;
  m.height = h;
  m.dpr = dpr;
  m.canvas.width = Math.round(w * dpr);
  m.canvas.height = Math.round(h * dpr);
  m.canvas.style.width = w + "px";
  m.canvas.style.height = h + "px";
  if (!m.view || !old) fit(m);
  else m.view.tx += (w - old) / 2;
  m.minScale = Math.min(m.minScale || Infinity, m.view.s / 4);
  return true;
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" };

export function tooltip(tips, i) {
  const values = {};
  tips.names.forEach((name, k) => {
    values[name] = tips.values[i][k];
  });
  return tips.template.replace(/\{(\w+)\}/g, (_, name) =>
    String(values[name] ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]),
  );
}

function showTip(m, i, px, py) {
  const tip = m.tip;
  if (i < 0 || !m.data.tips.values[i]) {
    tip.style.display = "none";
    return;
  }
  if (m.tipFor !== i) {
    tip.innerHTML = tooltip(m.data.tips, i); // the template is the app's own; every value is escaped
    m.tipFor = i;
  }
  tip.style.display = "block";
  const left = Math.min(px + 14, m.width - tip.offsetWidth - 4);
  const top = py + 14 + tip.offsetHeight > m.height ? py - tip.offsetHeight - 10 : py + 14;
  tip.style.left = Math.max(0, left) + "px";
  tip.style.top = Math.max(0, top) + "px";
}

function listen(m, setTriggerValue) {
  const c = m.canvas;
  const pointers = new Map();
  let moved = 0;
  let pinch = 0;
  const pos = (e) => {
    const r = c.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };
  const onDown = (e) => {
    c.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, pos(e));
    moved = 0;
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      pinch = Math.hypot(a[0] - b[0], a[1] - b[1]);
    }
  };
  const onMove = (e) => {
    const [px, py] = pos(e);
    const last = pointers.get(e.pointerId);
    if (last && pointers.size === 1) {
      moved += Math.abs(px - last[0]) + Math.abs(py - last[1]);
      m.view.tx += px - last[0];
      m.view.ty += py - last[1];
      pointers.set(e.pointerId, [px, py]);
      m.tip.style.display = "none";
      schedule(m);
      return;
    }
    if (last && pointers.size === 2) {
      pointers.set(e.pointerId, [px, py]);
      const [a, b] = [...pointers.values()];
      const d = Math.hypot(a[0] - b[0], a[1] - b[1]);
      if (pinch > 0 && d > 0) zoomAt(m, (a[0] + b[0]) / 2, (a[1] + b[1]) / 2, d / pinch);
      pinch = d;
      moved += 10;
      return;
    }
    const i = wardAt(m, px, py);
    if (i !== m.hover) {
      m.hover = i;
      schedule(m);
    }
    c.style.cursor = i >= 0 ? "pointer" : "grab";
    showTip(m, i, px, py);
  };
  const onUp = (e) => {
    const was = pointers.has(e.pointerId);
    pointers.delete(e.pointerId);
    if (pointers.size < 2) pinch = 0;
    if (!was || moved > 6 || pointers.size > 0) return;
    const [px, py] = pos(e);
    const i = wardAt(m, px, py);
    if (i >= 0) setTriggerValue("ward", m.data.codes[i]);
  };
  const onLeave = () => {
    if (m.hover !== -1) {
      m.hover = -1;
      schedule(m);
    }
    m.tip.style.display = "none";
  };
  const onWheel = (e) => {
    e.preventDefault();
    const [px, py] = pos(e);
    zoomAt(m, px, py, Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)));
  };
  const onDbl = (e) => {
    const [px, py] = pos(e);
    zoomAt(m, px, py, 2);
  };
  const handlers = [
    ["pointerdown", onDown],
    ["pointermove", onMove],
    ["pointerup", onUp],
    ["pointercancel", onUp],
    ["pointerleave", onLeave],
    ["wheel", onWheel],
    ["dblclick", onDbl],
  ];
  for (const [name, fn] of handlers) c.addEventListener(name, fn, name === "wheel" ? { passive: false } : undefined);
  const button = (label, title, act) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.title = title;
    b.setAttribute("aria-label", title);
    b.addEventListener("click", act);
    m.tools.appendChild(b);
  };
  button("+", "Zoom in", () => zoomAt(m, m.width / 2, m.height / 2, 1.6));
  button("\u2212", "Zoom out", () => zoomAt(m, m.width / 2, m.height / 2, 1 / 1.6));
  button("Fit", "Fit the map to your area", () => {
    fit(m);
    schedule(m);
  });
  const watch = new ResizeObserver(() => {
    if (resize(m)) draw(m);
  });
  watch.observe(m.box);
  return () => {
    watch.disconnect();
    for (const [name, fn] of handlers) c.removeEventListener(name, fn);
    m.tools.replaceChildren();
  };
}

export default function wardMap({ data, parentElement, setTriggerValue }) {
  const wards = shapesOf(data.id + "/wards", data.wards);
  const boroughs = shapesOf(data.id + "/boroughs", data.boroughs);
  const bcus = shapesOf(data.id + "/bcus", data.bcus);
  if (!wards || !boroughs || !bcus) {
    setTriggerValue("missing", data.id); // not kept here (a reloaded page, a full cache): ask for the outlines again
    return undefined;
  }
  let m = parentElement.__plannerWardMap;
  const first = !m;
  if (first) {
    const box = parentElement.querySelector(".ward-map");
    m = {
      box,
      canvas: box.querySelector("canvas"),
      tip: box.querySelector(".tip"),
      tools: box.querySelector(".tools"),
      hover: -1,
      tipFor: -1,
      frame: 0,
    };
    m.ctx = m.canvas.getContext("2d");
    parentElement.__plannerWardMap = m;
  }
  const refit = first || !m.data || m.data.bounds.join() !== data.bounds.join() || m.data.height !== data.height;
  m.data = data;
  m.tipFor = -1;
  m.canvas.setAttribute("aria-label", data.label);
  m.box.style.height = data.height + "px";
  m.wards = wards;
  m.boroughs = boroughs;
  m.bcus = bcus;
  if (m.hover >= m.wards.length) m.hover = -1;
  if (refit) {
    m.view = null;
    m.width = 0;
    m.minScale = Infinity;
  }
  resize(m);
  draw(m);
  if (first) m.stop = listen(m, setTriggerValue);
  return () => {
    if (m.stop) m.stop();
    if (m.frame) cancelAnimationFrame(m.frame);
    delete parentElement.__plannerWardMap;
  };
}
