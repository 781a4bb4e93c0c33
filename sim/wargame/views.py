"""What a team sees, as rich renderables: its situation, the orders it can give, the turn report.

Pure functions of a Game (no printing): the command prints what they return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from sim.model.compile import STANCE_CODES
from sim.model.vectorised import friendly_relation
from sim.scenario.schema import GoalKind
from sim.wargame import fog as fogmod
from sim.wargame.rules import friendly_ground, sorties

if TYPE_CHECKING:
    from sim.wargame.game import Game, TurnReport

STANCES = list(STANCE_CODES)


def n(x: float) -> str:
    return f"{x:,.0f}"


def _holder(game: Game, g: int) -> str:
    h = int(game.model.state.control[0, g])
    return game.model.compiled.actor_ids[h] if h >= 0 else "-"


def header(game: Game, team: str) -> RenderableType:
    m, a = game.model, game.index[team]
    s = m.state
    actor = game.scenario.actors[team]
    tol = float(m.params["cas_tol"][0, a])
    lost = float(s.felt_losses()[0, a])
    text = Text()
    text.append(f"Turn {game.turn} of {game.turns}", style="bold")
    text.append(f"  {game.date(s.day)} (day {s.day}); this turn runs {game.turn_days} days\n")
    text.append(f"You play {actor.name} ", style="bold cyan")
    text.append(f"(id: {team})\n")
    text.append(f"Strength {n(s.strength()[0, a])} (in reserve {n(s.reserve[0, a])}); "
                f"funds {s.funds[0, a]:,.1f} USD million; air {sorties(m, a):,.1f} sorties/day; "
                f"intelligence {fogmod.intelligence(m, a):.2f}; losses not yet made good "
                f"{lost:.0%} (no new offensives beyond {tol:.0%})")
    return Panel(text, title=f"[bold]{team}[/bold]", expand=False)


def map_table(game: Game, team: str, fog: bool) -> Table:
    """Every region: holder, your forces, allied forces, enemy strength as the team sees it."""
    m, a = game.model, game.index[team]
    s, c = m.state, m.compiled
    friends = friendly_relation(s.stance[0, a])
    friends[a] = False
    t = Table(title="The map (type the region id in orders)", title_justify="left")
    for col, just in (("region", "left"), ("holder", "left"), ("yours", "right"),
                      ("allies", "right"), ("enemy", "right"), ("roads to", "left")):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for g, gid in enumerate(c.region_ids):
        own = s.F[0, a, g]
        allied = (s.F[0, :, g] * friends).sum()
        roads = " ".join(c.region_ids[j] for j in np.nonzero(c.adj[g])[0])
        style = "bold" if own >= 1 else ""
        t.add_row(gid, _holder(game, g), n(own) if own >= 1 else "",
                  n(allied) if allied >= 1 else "", fogmod.enemy_strength(m, a, g, fog),
                  roads, style=style)
    return t


def goals_text(game: Game, team: str) -> RenderableType:
    m, a = game.model, game.index[team]
    lines = Text("Your goals: ", style="bold")
    ground = friendly_ground(m, a)
    parts = []
    for goal in game.scenario.actors[team].goals:
        if goal.region:
            g = m.compiled.region_ids.index(goal.region)
            met = "met" if ground[g] else "not met"
            parts.append(f"{goal.kind.value} {goal.region} (weight {goal.weight:g}; {met})")
        else:
            verb = "defeat" if goal.kind is GoalKind.defeat else "limit the influence of"
            parts.append(f"{verb} {goal.actor} (weight {goal.weight:g})")
    lines.append("; ".join(parts) or "none declared")
    return lines


def actions(game: Game, team: str, fog: bool) -> RenderableType:
    """The orders open to the team now, with the numbers to type (sim/wargame/means.py)."""
    from sim.wargame.means import possible

    out = Table(title="Orders you can give now", title_justify="left", show_header=True)
    out.add_column("type", style="bold green")
    out.add_column("what it does / numbers")
    for row in possible(game, team, fog):
        style = "" if row["ok"] else "dim"
        out.add_row(Text(str(row["order"]), style=style), Text(str(row["limit"]), style=style))
    return out


def situation(game: Game, team: str, fog: bool, last: bool = True) -> list[RenderableType]:
    """The whole screen a team reads before giving orders (`last`: with last turn's report)."""
    out: list[RenderableType] = [header(game, team), map_table(game, team, fog),
                                 goals_text(game, team)]
    if game.reports and last:
        out.append(turn_report(game, game.reports[-1], team if fog else None, brief=True))
    out.append(actions(game, team, fog))
    return out


def seen_by(game: Game, team: str | None, rec: dict) -> bool:
    """Whether `team` (None: the umpire) saw what record `rec` tells."""
    if team is None:
        return True
    if team in (rec.get("attacker"), rec.get("actor"), rec.get("other")):
        return True
    if team in rec.get("defenders_by", {}):
        return True
    region = rec.get("region")
    if region is None:
        return rec["kind"] == "event"
    g = game.model.compiled.region_ids.index(region)
    return bool(fogmod.visible(game.model, game.index[team])[g])


def turn_report(game: Game, r: TurnReport, team: str | None = None,
                brief: bool = False) -> RenderableType:
    """A turn's report: orders, engagements, routs, map changes, strengths.

    With `team` (fog of war), only what that team saw: its own engagements and those in
    regions it watches, the public map changes, and exact strength for its own actor only.
    """
    parts: list[RenderableType] = []
    title = f"Turn {r.turn}: {r.date_from} to {r.date_to} (days {r.day_from}-{r.day_to})"
    if not brief:
        for t, orders in r.orders.items():
            if team is None or t == team:
                parts.append(Text(f"{t} ordered: {'; '.join(orders) or 'nothing (hold)'}"))
    parts += [Text(d, style="yellow") for d in r.dropped if team is None or d.startswith(team)]
    seen = [f"day {rec['day']:>3}  {rec['text']}" for rec in r.records
            if seen_by(game, team, rec)]
    parts.append(Text("What happened:", style="bold"))
    parts += [Text(x) for x in seen] or [Text("  nothing seen" if team else "  nothing happened")]
    if r.control_changes:
        changes = "; ".join(f"{x['region']}: {x['from'] or 'no one'} -> {x['to'] or 'no one'}"
                            for x in r.control_changes)
        parts.append(Text(f"Map changes: {changes}", style="bold magenta"))
    else:
        parts.append(Text("Map changes: none"))
    parts.append(_strength_table(r, team))
    return Panel(Group(*parts), title=("Last turn: " if brief else "") + title, expand=False)


def _strength_table(r: TurnReport, team: str | None) -> Table:
    t = Table(title="Strength and territory", title_justify="left")
    for col in ("actor", "personnel at start", "at end", "territory"):
        t.add_column(col, justify="left" if col == "actor" else "right")
    for aid, (x0, x1) in r.strength.items():
        if team is not None and aid != team:
            t.add_row(aid, "?", "?", f"{r.territory[aid][1]:.0%}")
        else:
            t.add_row(aid, n(x0), n(x1), f"{r.territory[aid][1]:.0%}")
    return t


HELP = """\
Orders (one per line; 'done' when finished):
  attack REGION                 offensive on REGION from your forces in it and next to it;
                                one battle a day while it stays possible; several attack
                                lines = targets in that order, the next once one is taken
  move FROM TO N                move N personnel along a road to a region you or an ally hold
  reserve REGION N              put N personnel from your reserve into a region you or an ally hold
  strike REGION                 all your air sorties this turn hit the enemy in REGION
  support ACTOR KIND AMOUNT     KIND: troops (persons from your reserve), money (USD million,
                                once), intelligence (added share, this turn), air_strikes
                                (sorties/day of your own, this turn)
  stance ACTOR STANCE           alliance | cooperation | neutrality | rivalry | war
  advisers ACTOR N              N of your personnel in regions ACTOR holds advise its forces
                                this turn (its readiness rises)
  arms ACTOR X                  arms worth X USD million from your funds (its quality rises)
  start COMMITMENT              begin one of your support commitments now; stop COMMITMENT
                                suspends one
  ceasefire ACTOR               offer a ceasefire to an enemy; accept ACTOR / refuse ACTOR
                                answer an offer made to you
  hold                          no offensive this turn (the default when you give no attack)
Other commands: help, can (what can I do this turn, with the limits), show (the situation
  again), list (orders so far), undo (drop the last),
  clear (drop all), done (end your orders), quit (stop; the game is saved after each turn)
Regions and actors are typed by id (see the map); numbers may be written 2000 or 2,000."""
