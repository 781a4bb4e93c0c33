"""What the browser pages show, as JSON-ready dicts: a team's fogged view, the umpire's view.

Pure functions of a Session (no I/O). A team's view holds only what that team may know (the
same fog as the terminal, sim/wargame/fog.py): the map with holders (public), its own and
allied forces, enemy strength as a rounded range where it can see, its goals, its orders and
the umpire's vetoes of them, the orders open to it now, and every turn's report as that team
saw it. The umpire's view is unfogged and adds the lobby, every team's orders and the log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.analysis.charts import actor_colors
from sim.model.compile import STANCE_CODES
from sim.model.vectorised import friendly_relation
from sim.wargame import fog as fogmod
from sim.wargame.means import possible
from sim.wargame.rules import friendly_ground, sorties
from sim.wargame.views import seen_by

if TYPE_CHECKING:
    from sim.wargame.game import Game, TurnReport
    from sim.wargame.session import Session

STANCES = [s.value for s in STANCE_CODES]


def regions(game: Game, team: str | None) -> list[dict[str, Any]]:
    """Every region: place, holder, and forces as `team` knows them (None: exact, all)."""
    m, sc = game.model, game.scenario
    s, c = m.state, m.compiled
    a = game.index[team] if team else None
    friends = friendly_relation(s.stance[0, a]) if a is not None else None
    out = []
    for g, gid in enumerate(c.region_ids):
        holder = int(s.control[0, g])
        row: dict[str, Any] = {"id": gid, "name": sc.regions[gid].name,
                               "lon": sc.regions[gid].lon, "lat": sc.regions[gid].lat,
                               "holder": c.actor_ids[holder] if holder >= 0 else None}
        if a is not None and friends is not None:
            allied = float((s.F[0, :, g] * friends).sum() - (s.F[0, a, g] if friends[a] else 0))
            row.update(own=round(float(s.F[0, a, g])), allied=round(max(allied, 0.0)),
                       enemy=fogmod.enemy_strength(m, a, g, fog=True))
        else:
            row["forces"] = {c.actor_ids[b]: round(float(x))
                             for b, x in enumerate(s.F[0, :, g]) if x >= 1}
        out.append(row)
    return out


def map_data(game: Game, team: str | None) -> dict[str, Any]:
    sc = game.scenario
    colors = actor_colors(sc)
    return {"regions": regions(game, team),
            "links": [list(link.between) for link in sc.links],
            "colors": colors,
            "start": {g: (game.model.compiled.actor_ids[h] if h >= 0 else None)
                      for g, h in zip(game.model.compiled.region_ids, game.model.compiled.control0,
                                      strict=True)}}


def header(game: Game, team: str) -> dict[str, Any]:
    m, a = game.model, game.index[team]
    s = m.state
    return {"team": team, "name": game.scenario.actors[team].name,
            "strength": round(float(s.strength()[0, a])), "reserve": round(float(s.reserve[0, a])),
            "funds": round(float(s.funds[0, a]), 1), "air": round(sorties(m, a), 1),
            "intelligence": round(fogmod.intelligence(m, a), 2),
            "losses": round(float(s.felt_losses()[0, a]), 3),
            "tolerance": round(float(m.params["cas_tol"][0, a]), 3),
            "stances": {b: STANCES[int(s.stance[0, a, j])]
                        for j, b in enumerate(m.compiled.actor_ids) if j != a}}


def goals(game: Game, team: str) -> list[dict[str, Any]]:
    m, a = game.model, game.index[team]
    ground = friendly_ground(m, a)
    out = []
    for goal in game.scenario.actors[team].goals:
        row: dict[str, Any] = {"kind": goal.kind.value, "weight": goal.weight}
        if goal.region:
            g = m.compiled.region_ids.index(goal.region)
            row.update(target=goal.region, met=bool(ground[g]))
        elif goal.link:  # cut: met when either end of the road is friendly ground
            ends = [m.compiled.region_ids.index(end) for end in goal.link]
            row.update(target=" - ".join(goal.link), met=bool(ground[ends].any()))
        else:
            row.update(target=goal.actor, met=None)
        out.append(row)
    return out


def report_for(game: Game, r: TurnReport, team: str | None) -> dict[str, Any]:
    """A turn's report as `team` saw it (None: the umpire's, complete)."""
    return {
        "turn": r.turn, "date_from": r.date_from, "date_to": r.date_to,
        "day_from": r.day_from, "day_to": r.day_to,
        "orders": {t: o for t, o in r.orders.items() if team is None or t == team},
        "dropped": [d for d in r.dropped if team is None or d.startswith(f"{team} ")],
        "lines": [f"day {rec['day']:>3}  {rec['text']}" for rec in r.records
                  if seen_by(game, team, rec)],
        "changes": r.control_changes, "control": r.control,
        "strength": {x: (v if team is None or x == team else None)
                     for x, v in r.strength.items()},
        "territory": {x: v[1] for x, v in r.territory.items()},
    }


def _clock(session: Session) -> dict[str, Any]:
    left = session.clock.left()
    return {"minutes": session.clock.minutes, "running": session.clock.running,
            "left": None if left is None else round(left, 1)}


def _common(session: Session) -> dict[str, Any]:
    g = session.game
    day = int(g.model.state.day)
    return {"version": session.version, "turn": g.turn, "turns": g.turns, "over": g.over,
            "date": g.date(day), "day": day, "turn_days": g.turn_days, "clock": _clock(session),
            "title": g.scenario.scenario.title}


def team_view(session: Session, team: str) -> dict[str, Any]:
    g = session.game
    return {**_common(session), "role": "team", "header": header(g, team),
            "map": map_data(g, team), "goals": goals(g, team),
            "orders": [o.text() for o in session.orders[team]],
            "submitted": session.submitted[team], "vetoes": session.vetoes[team],
            "options": [] if g.over else possible(g, team, fog=True),
            "reports": [report_for(g, r, team) for r in g.reports]}


def umpire_view(session: Session) -> dict[str, Any]:
    g = session.game
    teams = [{"team": t, "joined": t in session.joined, "submitted": session.submitted[t],
              "orders": [o.text() for o in session.orders[t]], "vetoes": session.vetoes[t]}
             for t in g.teams]
    s = g.model.state
    return {**_common(session), "role": "umpire", "teams": teams, "log": session.log,
            "map": map_data(g, None), "reports": [report_for(g, r, None) for r in g.reports],
            "strength": {a: round(float(x)) for a, x in zip(g.model.compiled.actor_ids,
                                                             s.strength()[0], strict=True)},
            "events": [ev.id for ev in g.model.compiled.events],
            "actors": list(g.model.compiled.actor_ids), "aar": session.aar_path is not None}
