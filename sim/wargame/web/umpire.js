// The umpire console: lobby, clock, veto and amend, injects, unfogged map with a replay
// slider over past turns, the umpire-only log, save, and the after-action report at the end.
"use strict";

let view = null, replayTurn = null;

async function act(action, body = {}) {
  try { await api(`/api/umpire/${action}`, "POST", body); return true; } catch (error) {
    alert(`${action}: ${error.message}`);  // eslint-disable-line no-alert
    return false;
  }
}

function orderCell(team, orders, vetoes) {
  const cell = el("td", {});
  orders.forEach((text, index) => {
    const row = el("div", { class: "row" }, el("code", {}, text),
      el("button", { type: "button", "data-veto": `${team}:${index}`, onclick: () => {
        const note = prompt(`Veto ${team}'s "${text}": note for the team`, "");  // eslint-disable-line no-alert
        if (note !== null) act("veto", { team, index, note });
      } }, "veto"),
      el("button", { type: "button", "data-amend": `${team}:${index}`, onclick: () => {
        const line = prompt(`Amend ${team}'s "${text}" to:`, text);  // eslint-disable-line no-alert
        if (line !== null) act("amend", { team, index, line, note: "" });
      } }, "amend"));
    cell.append(row);
  });
  if (!orders.length) cell.append(el("span", { class: "dim" }, "none yet"));
  for (const v of vetoes) cell.append(el("div", { class: "veto" }, `${v.order}: ${v.note}`));
  return cell;
}

function lobby(v) {
  const head = el("tr", {}, ...["team", "joined", "submitted", "orders"].map((x) => el("th", {}, x)));
  const rows = v.teams.map((t) => el("tr", { "data-team": t.team }, el("td", {}, t.team),
    el("td", {}, el("span", { class: `badge ${t.joined ? "yes" : "no"}` }, t.joined ? "joined" : "not yet")),
    el("td", {}, el("span", { class: `badge ${t.submitted ? "yes" : "no"}` }, t.submitted ? "submitted" : "no")),
    orderCell(t.team, t.orders, t.vetoes)));
  return el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows));
}

function showMap() {
  const v = view;
  const played = v.reports.length;
  const slider = document.getElementById("replay");
  slider.max = played;
  const k = replayTurn === null ? played : Math.min(replayTurn, played);
  slider.value = k;
  const control = k === 0 ? v.map.start : v.reports[k - 1].control;
  fill("replay-label", k === played ? ` ${k} (now)` : ` ${k}`);
  const label = (r) => k === played
    ? Object.entries(r.forces).map(([a, x]) => `${a} ${fmt(x)}`).join(" · ") : "";
  fill("map", drawMap(v.map, control, label), legend(v.map, v.actors));
  const report = k === 0 ? null : v.reports[k - 1];
  fill("report", report ? reportBlock(report) : el("p", { class: "dim" }, "The start: no turn played."));
  const strength = report ? Object.fromEntries(Object.entries(report.strength).map(([a, s]) => [a, Math.round(s[1])])) : v.strength;
  fill("strength", el("table", {}, el("tbody", {}, ...Object.entries(strength).map(([a, x]) =>
    el("tr", {}, el("td", {}, a), el("td", { class: "num" }, fmt(x)))))));
}

function render(v) {
  view = v;
  fill("turn", v.over ? `Game over after ${v.turns} turns` : `Turn ${v.turn} of ${v.turns} · ${v.date}`);
  const done = v.teams.filter((t) => t.submitted).length;
  fill("state", `${done} of ${v.teams.length} submitted`);
  setClock(v.clock);
  const minutes = document.getElementById("minutes");
  if (document.activeElement !== minutes) minutes.value = v.clock.minutes;
  fill("lobby", lobby(v));
  fill("events", v.events.join(", "));
  fill("log", ...v.log.slice().reverse().map((x) => el("li", {}, `${x.time} turn ${x.turn}: ${x.text}`)));
  const aar = document.getElementById("aar");
  aar.hidden = !v.aar;
  aar.href = `/api/umpire/aar?key=${encodeURIComponent(KEY)}`;
  for (const id of ["advance", "start", "pause", "inject-go"]) document.getElementById(id).disabled = v.over;
  showMap();
}

document.getElementById("start").addEventListener("click", () =>
  act("clock", { run: true, minutes: Number(document.getElementById("minutes").value) }));
document.getElementById("pause").addEventListener("click", () => act("clock", { run: false }));
document.getElementById("advance").addEventListener("click", () => act("advance"));
document.getElementById("save").addEventListener("click", async () => {
  if (await act("save")) fill("save-status", `saved ${new Date().toLocaleTimeString()}`);
});
document.getElementById("inject-go").addEventListener("click", async () => {
  const line = document.getElementById("inject").value;
  const note = document.getElementById("inject-note").value;
  try {
    await api("/api/umpire/inject", "POST", { line, note });
    fill("inject-status", el("span", { class: "ok" }, `done: ${line}`));
    document.getElementById("inject").value = "";
    document.getElementById("inject-note").value = "";
  } catch (error) { fill("inject-status", el("span", { class: "bad" }, error.message)); }
});
document.getElementById("replay").addEventListener("input", (e) => {
  const k = Number(e.target.value);
  replayTurn = k === view.reports.length ? null : k;
  showMap();
});
listen("/api/umpire/stream", render);
