// geosim classroom: what the team page and the umpire console share. Plain JavaScript, no
// libraries (nothing to download: the class may have no internet). Every value from the
// server is written with textContent, never as HTML.
"use strict";

const KEY = new URLSearchParams(location.search).get("key") || "";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fill(id, ...children) {
  const node = document.getElementById(id);
  node.replaceChildren(...children);
  return node;
}

// A request that cannot reach the server (a restart, a dropped classroom Wi-Fi link) is tried
// again a few times before the page shows an error, but only when the caller says the request is
// idempotent (checking or replacing a team's orders); an umpire's inject or advance never is.
const RETRY_MS = [300, 700, 1500, 3000];

async function api(path, method = "GET", body = undefined, idempotent = false) {
  const init = {
    method, headers: { "X-Geosim-Key": KEY, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  };
  let response;
  for (let attempt = 0; ; attempt++) {
    try { response = await fetch(path, init); break; } catch (error) {
      if (!idempotent || attempt >= RETRY_MS.length) throw new Error(`server unreachable (${error.message})`);
      await new Promise((done) => setTimeout(done, RETRY_MS[attempt]));
    }
  }
  const data = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

// Live updates: the server pushes this page's whole view after every change.
function listen(path, onView) {
  let source;
  const open = () => {
    source = new EventSource(`${path}?key=${encodeURIComponent(KEY)}`);
    source.addEventListener("view", (event) => onView(JSON.parse(event.data)));
    source.onerror = () => { setLiveStatus(false); };
    source.onopen = () => { setLiveStatus(true); };
  };
  open();
}

function setLiveStatus(live) {
  const node = document.getElementById("live");
  if (node) node.textContent = live ? "live" : "reconnecting...";
}

// The countdown runs locally from the seconds left when the view was sent.
let clockState = null;
function setClock(clock) { clockState = { ...clock, at: performance.now() }; tick(); }
function tick() {
  const node = document.getElementById("clock");
  if (!node || !clockState) return;
  if (clockState.left === null) { node.textContent = "no deadline"; return; }
  let left = clockState.left;
  if (clockState.running) left = Math.max(0, left - (performance.now() - clockState.at) / 1000);
  const m = Math.floor(left / 60), s = Math.floor(left % 60);
  node.textContent = `${m}:${String(s).padStart(2, "0")} ${clockState.running ? "left" : "(paused)"}`;
}
setInterval(tick, 500);

function fmt(x) { return typeof x === "number" ? x.toLocaleString("en-US") : String(x); }

// The map: regions at their longitude/latitude, roads between them, the holder's colour.
function drawMap(map, control, label) {
  const NS = "http://www.w3.org/2000/svg";
  // Equirectangular, longitudes shrunk by cos(mean latitude); the height follows the map.
  const W = 640, PAD = 30, RIGHT = 120;
  const lats = map.regions.map((r) => r.lat);
  const shrink = Math.cos((lats.reduce((a, b) => a + b, 0) / lats.length) * Math.PI / 180);
  const xs = map.regions.map((r) => r.lon * shrink);
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...lats), y1 = Math.max(...lats);
  const scale = Math.min((W - PAD - RIGHT) / Math.max(x1 - x0, 1e-6), 560 / Math.max(y1 - y0, 1e-6));
  const H = Math.round((y1 - y0) * scale + 2 * PAD);
  const at = {};
  for (const r of map.regions) at[r.id] = [PAD + (r.lon * shrink - x0) * scale, PAD + (y1 - r.lat) * scale];
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "map");
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  for (const [a, b] of map.links) {
    if (at[a] && at[b]) add("line", { x1: at[a][0], y1: at[a][1], x2: at[b][0], y2: at[b][1] });
  }
  for (const r of map.regions) {
    const holder = control ? control[r.id] : r.holder;
    const [x, y] = at[r.id];
    const dot = add("circle", { cx: x, cy: y, r: 9, fill: map.colors[holder] || "#ffffff",
                                stroke: "#333", "stroke-width": 1, "data-region": r.id });
    const title = document.createElementNS(NS, "title");
    title.textContent = `${r.name}: held by ${holder || "no one"}`;
    dot.append(title);
    add("text", { x: x + 11, y: y - 2 }, r.name);
    const extra = label(r);
    if (extra) add("text", { x: x + 11, y: y + 11, class: "dim" }, extra);
  }
  return svg;
}

function legend(map, actors) {
  return el("div", { class: "row" }, ...actors.map((a) => el("span", {},
    el("span", { class: "badge", style: `background:${map.colors[a]};color:#fff` }, a))));
}

function reportBlock(report) {
  const box = el("div", {});
  box.append(el("h3", {}, `Turn ${report.turn}: ${report.date_from} to ${report.date_to}`));
  for (const [team, orders] of Object.entries(report.orders)) {
    box.append(el("p", {}, `${team} ordered: ${orders.join("; ") || "nothing (hold)"}`));
  }
  for (const d of report.dropped) box.append(el("p", { class: "bad" }, d));
  const lines = el("ul", { class: "lines" }, ...report.lines.map((x) => el("li", {}, x)));
  if (!report.lines.length) lines.append(el("li", { class: "dim" }, "nothing seen"));
  box.append(lines);
  const changes = report.changes.map((c) => `${c.region}: ${c.from || "no one"} -> ${c.to || "no one"}`);
  box.append(el("p", {}, el("b", {}, "Map changes: "), changes.join("; ") || "none"));
  const rows = Object.entries(report.strength).map(([actor, v]) => el("tr", {},
    el("td", {}, actor), el("td", { class: "num" }, v ? fmt(Math.round(v[0])) : "?"),
    el("td", { class: "num" }, v ? fmt(Math.round(v[1])) : "?"),
    el("td", { class: "num" }, `${Math.round(100 * report.territory[actor])}%`)));
  box.append(el("div", { class: "scroll" }, el("table", {}, el("thead", {}, el("tr", {},
    el("th", {}, "actor"), el("th", { class: "num" }, "at start"), el("th", { class: "num" }, "at end"),
    el("th", { class: "num" }, "territory"))), el("tbody", {}, ...rows))));
  return box;
}
