"""A team's printable briefing: its situation, goals, map and the orders open to it, on paper.

One HTML page, server-rendered (every value escaped), with its own print stylesheet.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from sim.wargame import webview
from sim.wargame.means import possible

if TYPE_CHECKING:
    from sim.wargame.session import Session


def _table(head: list[str], rows: list[list[object]]) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(x))}</td>" for x in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def briefing_html(session: Session, team: str) -> str:
    game = session.game
    h = webview.header(game, team)
    regions = webview.regions(game, team)
    goals = webview.goals(game, team)
    rows = [[r["name"], r["holder"] or "-", f"{r['own']:,}" if r["own"] else "",
             f"{r['allied']:,}" if r["allied"] else "", r["enemy"]] for r in regions]
    goal_rows = [[g["kind"], g["target"], g["weight"],
                  "" if g["met"] is None else ("met" if g["met"] else "not met")] for g in goals]
    options = [[o["order"], o["limit"]] for o in possible(game, team, fog=True) if o["ok"]]
    last = (webview.report_for(game, game.reports[-1], team)["lines"] if game.reports else [])
    stances = "; ".join(f"{b}: {s}" for b, s in h["stances"].items())
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Briefing: {escape(h['name'])}</title><link rel="stylesheet" href="/static/app.css">
</head><body class="briefing"><h1>Briefing for {escape(h['name'])}</h1>
<p>{escape(game.scenario.scenario.title)}. Turn {game.turn} of {game.turns},
{escape(game.date(int(game.model.state.day)))}; each turn is {game.turn_days} days.</p>
<p>Strength {h['strength']:,} (reserve {h['reserve']:,}); funds {h['funds']:,} USD million;
air {h['air']} sorties/day; intelligence {h['intelligence']}; losses not yet made good
{h['losses']:.0%} of {h['tolerance']:.0%} tolerated.</p><p>Relations: {escape(stances)}</p>
<h2>Your goals</h2>{_table(["goal", "target", "weight", "now"], goal_rows)}
<h2>The map as you know it</h2>
{_table(["region", "held by", "yours", "allies", "enemy (estimate)"], rows)}
<h2>Orders open to you now</h2>{_table(["order", "limits"], options)}
<h2>Last turn as you saw it</h2><ul>{''.join(f'<li>{escape(x)}</li>' for x in last)
    or '<li>no turn played yet</li>'}</ul>
<p class="noprint"><button onclick="window.print()">Print</button></p></body></html>"""
