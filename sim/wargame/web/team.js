// The team page: the team's fogged view, its order form (checked as typed), its reports.
"use strict";

const TEAM = decodeURIComponent(location.pathname.split("/")[2] || "");
const BASE = `/api/team/${encodeURIComponent(TEAM)}`;
let view = null, dirty = false, shownTurn = null, checkTimer = null;
// Checks answer out of order on a slow link: only the latest one asked is shown. A check
// that could not reach the server is asked again when the server is back (next view).
let checkSeq = 0, checkFailed = false;

function situation(v) {
  const h = v.header;
  const rows = [
    ["Strength", `${fmt(h.strength)} (in reserve ${fmt(h.reserve)})`],
    ["Funds", `${fmt(h.funds)} USD million`], ["Air", `${h.air} sorties/day`],
    ["Intelligence", h.intelligence],
    ["Losses not yet made good", `${Math.round(100 * h.losses)}% (no new offensives beyond ${Math.round(100 * h.tolerance)}%)`],
    ["Relations", Object.entries(h.stances).map(([b, s]) => `${b}: ${s}`).join(", ")],
  ];
  return el("table", {}, el("tbody", {}, ...rows.map(([k, x]) => el("tr", {}, el("th", {}, k), el("td", {}, x)))));
}

function regionTable(v) {
  const head = el("tr", {}, ...["region", "held by", "yours", "allies", "enemy"].map((x) => el("th", {}, x)));
  const rows = v.map.regions.map((r) => el("tr", { "data-region": r.id }, el("td", {}, r.name),
    el("td", {}, r.holder || "-"), el("td", { class: "num" }, r.own ? fmt(r.own) : ""),
    el("td", { class: "num" }, r.allied ? fmt(r.allied) : ""), el("td", { class: "num" }, r.enemy)));
  return el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows));
}

function options(v) {
  if (!v.options.length) return el("p", { class: "dim" }, v.over ? "The game is over." : "No orders open.");
  return el("table", { id: "options" }, el("tbody", {}, ...v.options.map((o) => el("tr", { class: o.ok ? "" : "dim" },
    el("td", {}, el("code", {}, o.order)), el("td", {}, o.limit)))));
}

function goals(v) {
  return el("ul", {}, ...v.goals.map((g) => el("li", {}, `${g.kind} ${g.target} (weight ${g.weight})`,
    g.met === null ? "" : el("span", { class: `badge ${g.met ? "yes" : "no"}` }, g.met ? "met" : "not met"))));
}

function reports(v) {
  const select = document.getElementById("report-turn");
  const turns = v.reports.map((r) => r.turn);
  const wanted = shownTurn && turns.includes(shownTurn) ? shownTurn : turns[turns.length - 1];
  select.replaceChildren(...turns.map((t) => el("option", { value: t }, `turn ${t}`)));
  if (!turns.length) { fill("report", el("p", { class: "dim" }, "No turn played yet.")); return; }
  select.value = wanted;
  fill("report", reportBlock(v.reports.find((r) => r.turn === Number(wanted))));
}

function render(v) {
  const newTurn = !view || view.turn !== v.turn;
  view = v;
  document.title = `geosim: ${v.header.name}`;
  fill("who", v.header.name);
  fill("turn", v.over ? `Game over after ${v.turns} turns` : `Turn ${v.turn} of ${v.turns} · ${v.date}`);
  fill("state", v.over ? "over" : v.submitted ? "orders submitted" : "orders not submitted");
  setClock(v.clock);
  fill("situation", situation(v));
  fill("map", drawMap(v.map, null, (r) => [r.own ? `you ${fmt(r.own)}` : "", r.enemy !== "none" && r.enemy !== "?" ? `enemy ${r.enemy}` : r.enemy === "?" ? "enemy ?" : ""].filter(Boolean).join(" · ")));
  fill("regions", regionTable(v));
  fill("can", options(v));
  fill("goals", goals(v));
  fill("vetoes", ...v.vetoes.map((x) => el("div", { class: "veto" }, `Umpire: ${x.order}: ${x.note}`)));
  if (newTurn) { dirty = false; shownTurn = null; }
  const area = document.getElementById("orders");
  if (!dirty) { area.value = v.orders.join("\n"); scheduleCheck(); } else if (checkFailed) scheduleCheck();
  document.getElementById("submit").disabled = v.over;
  document.getElementById("withdraw").disabled = v.over || !v.submitted;
  fill("submit-status", v.submitted ? el("span", { class: "ok" }, `Submitted: ${v.orders.length} orders`) : "");
  reports(v);
}

function scheduleCheck() { clearTimeout(checkTimer); checkTimer = setTimeout(check, 200); }

async function check() {
  const lines = document.getElementById("orders").value.split("\n");
  const seq = ++checkSeq;
  let items;
  try {
    const { checks } = await api(`${BASE}/check`, "POST", { lines }, true);
    checkFailed = false;
    items = checks.filter((c) => c.ok !== null).map((c) => el("li", { class: c.ok ? "ok" : "bad" },
      c.ok ? `✓ ${c.order}` : `✗ ${c.line}: ${c.error}`));
  } catch (error) { checkFailed = true; items = [el("li", { class: "bad" }, error.message)]; }
  if (seq !== checkSeq) return;  // a later check was asked meanwhile
  // data-lines says which text these checks are of (a test waits on it).
  fill("checks", ...items).dataset.lines = JSON.stringify(lines);
}

async function submit() {
  const lines = document.getElementById("orders").value.split("\n");
  try {
    await api(`${BASE}/orders`, "POST", { lines }, true);
    dirty = false;
    fill("submit-status", el("span", { class: "ok" }, "Submitted"));
  } catch (error) { fill("submit-status", el("span", { class: "bad" }, `Not submitted: ${error.message}`)); }
}

async function withdraw() {
  try { await api(`${BASE}/orders`, "DELETE", undefined, true); } catch (error) { fill("submit-status", error.message); }
}

document.getElementById("orders").addEventListener("input", () => { dirty = true; scheduleCheck(); });
document.getElementById("submit").addEventListener("click", submit);
document.getElementById("withdraw").addEventListener("click", withdraw);
document.getElementById("report-turn").addEventListener("change", (e) => {
  shownTurn = Number(e.target.value);
  fill("report", reportBlock(view.reports.find((r) => r.turn === shownTurn)));
});
document.getElementById("briefing").href = `/team/${encodeURIComponent(TEAM)}/briefing?key=${encodeURIComponent(KEY)}`;
listen(`${BASE}/stream`, render);
