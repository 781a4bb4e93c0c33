"""What can I do this turn: every order open to a team now, with its limits.

One list of rows (`order` to type, `limit` in words, `ok` False for an order shown with the
reason it is not possible now) that the terminal (`views.actions`, the `can` command) and the
browser's team page both show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.compile import STANCE_CODES, WAR
from sim.model.vectorised import friendly_relation
from sim.scenario.schema import Stance, SupportKind
from sim.wargame import aid
from sim.wargame import fog as fogmod
from sim.wargame.rules import attack_problem, friendly_ground, sorties, strike_reach

if TYPE_CHECKING:
    from sim.wargame.game import Game

STANCES = list(STANCE_CODES)
Row = dict[str, object]


def n(x: float) -> str:
    return f"{x:,.0f}"


def _row(order: str, limit: str, ok: bool = True) -> Row:
    return {"order": order, "limit": limit, "ok": ok}


def attacks(game: Game, team: str, fog: bool) -> list[Row]:
    m, a = game.model, game.index[team]
    s, c = m.state, m.compiled
    opts = m.current_options()
    rows = []
    for g in np.nonzero(opts.legal[0, a])[0]:
        p = float(opts.p_win[0, a, g])
        shown = f"~{p:.1f}" if fog else f"{p:.2f}"
        rows.append(_row(f"attack {c.region_ids[g]}",
                         f"commit ~{n(opts.att_personnel[0, a, g])} from {c.region_ids[g]} and "
                         f"its neighbours against {fogmod.enemy_strength(m, a, g, fog)}; "
                         f"P(win a day's battle) {shown}"))
    war = s.war()[0, a]
    near = (m.reach @ (s.F[0, a] >= 1).astype(float)) > 0
    hostile = war[np.clip(s.control[0], 0, None)] & (s.control[0] >= 0)
    hostile |= (s.F[0, :, :] * war[:, None]).sum(0) >= 1
    for g in np.nonzero(near & hostile & ~opts.legal[0, a])[0]:
        why = attack_problem(m, a, int(g))
        if why:
            rows.append(_row(f"attack {c.region_ids[g]}", f"not possible now: {why}", False))
    return rows


def forces(game: Game, team: str) -> list[Row]:
    m, a = game.model, game.index[team]
    s, c = m.state, m.compiled
    rows = []
    ground = friendly_ground(m, a)
    for g in np.nonzero(s.F[0, a] >= 1)[0]:
        dests = [c.region_ids[j] for j in np.nonzero(c.adj[g] & ground)[0]]
        if dests:
            rows.append(_row(f"move {c.region_ids[g]} TO N",
                             f"N up to {n(s.F[0, a, g])}; TO one of: {', '.join(dests)}"))
    if s.reserve[0, a] >= 1:
        rows.append(_row("reserve REGION N", f"N up to {n(s.reserve[0, a])}; REGION any held "
                         "by you or an ally"))
    have_air = sorties(m, a)
    war = s.war()[0, a]
    targets = [c.region_ids[g] for g in range(c.G) if strike_reach(m, a)[g]
               and (s.F[0, :, g] * war).sum() >= 1]
    if have_air > 0 and targets:
        rows.append(_row("strike REGION", f"{have_air:,.1f} sorties/day at one of: "
                         f"{', '.join(targets)}"))
    elif have_air <= 0:
        rows.append(_row("strike REGION", "not possible now: no air sorties this turn (start "
                         "an air commitment, or ask an ally for air_strikes)", False))
    return rows


def partners(game: Game, team: str) -> list[Row]:
    m, a = game.model, game.index[team]
    s, c = m.state, m.compiled
    friends = [b for b in range(c.A) if b != a and friendly_relation(s.stance[0, a, b])]
    # Support goes to anyone neither at war with nor a rival of the giver (rules._support),
    # neutrals too; advisers and arms only to friends.
    hostile = (WAR, STANCE_CODES[Stance.rivalry])
    open_to = [b for b in range(c.A) if b != a and int(s.stance[0, a, b]) not in hostile]
    names = ", ".join(c.actor_ids[b] for b in open_to) or "none (change a stance first)"
    rows = [_row("support ACTOR KIND X",
                 f"ACTOR one of: {names}; troops up to {n(s.reserve[0, a])} (from reserve), "
                 f"money up to {s.funds[0, a]:,.1f} (USD million), intelligence up to "
                 f"{s.intel[0, a]:.2f} in all, air_strikes up to {s.air[0, a]:,.1f} "
                 "sorties/day in all")]
    for b in friends:
        here = aid.advisers_available(m, a, b)
        if here >= 1:
            rows.append(_row(f"advisers {c.actor_ids[b]} N",
                             f"N up to {n(here)} (your personnel in regions it holds): its "
                             "readiness rises for this turn"))
    if friends and s.funds[0, a] > 0:
        rows.append(_row("arms ACTOR X", f"X up to {s.funds[0, a]:,.1f} USD million; quality "
                         f"+{aid.ARMS_GAIN:.2f} at most per turn (USD "
                         f"{aid.COST_PER_FIGHTER * 1e6:,.0f} per fighter re-equipped)"))
    return rows


def commitments(game: Game, team: str) -> list[Row]:
    m, a = game.model, game.index[team]
    rows = []
    for j, sup in enumerate(m.compiled.supports):
        if sup.giver != a:
            continue
        name = sup.id.split(".")[-1]
        kind = list(SupportKind)[sup.kind].value
        amount = float(m.params[sup.amount][0])
        what = f"{kind} {amount:,.4g} to {m.compiled.actor_ids[sup.receiver]}"
        if aid.commitment_active(m, j):
            cond = ", while its condition holds" if sup.condition is not None else ""
            rows.append(_row(f"stop {name}", f"now running{cond}: {what}"))
        elif sup.start > m.state.day:
            rows.append(_row(f"start {name}", f"due from day {sup.start}: {what}"))
        else:
            rows.append(_row(f"start {name}", f"stopped: {what}"))
    return rows


def diplomacy(game: Game, team: str) -> list[Row]:
    m, a = game.model, game.index[team]
    s, c = m.state, m.compiled
    others = [b for b in range(c.A) if b != a]
    rel = ", ".join(f"{c.actor_ids[b]}: {STANCES[s.stance[0, a, b]].value}" for b in others)
    rows = [_row("stance ACTOR STANCE", f"now {rel}")]
    enemies = [c.actor_ids[b] for b in others if int(s.stance[0, a, b]) == WAR]
    if enemies:
        rows.append(_row("ceasefire ACTOR", f"offer to one of: {', '.join(enemies)} (war turns "
                         "to neutrality when it accepts)"))
    for (x, y), turn in game.offers.items():
        if y == a:
            rows.append(_row(f"accept {c.actor_ids[x]}", f"{c.actor_ids[x]} offered a "
                             f"ceasefire in turn {turn}; or refuse {c.actor_ids[x]}"))
    rows.append(_row("hold", "no offensive this turn"))
    return rows


def possible(game: Game, team: str, fog: bool = True) -> list[Row]:
    """Every order open to `team` now (and attacks not possible, with the reason)."""
    return (attacks(game, team, fog) + forces(game, team) + partners(game, team)
            + commitments(game, team) + diplomacy(game, team))
