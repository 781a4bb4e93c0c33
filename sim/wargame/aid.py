"""The decisions of states beyond the battlefield: advisers, arms, commitments, ceasefires.

The engine has no orders of these kinds; the wargame expresses each through the data the
engine already uses (the lead may turn them into public engine hooks):

- **advisers ACTOR N**: N of your personnel in regions ACTOR holds work with its forces this
  turn. ACTOR's readiness rises by ``ADVISER_GAIN x min(1, N x TRAINEES_PER_ADVISER /
  ACTOR's personnel present)`` for the turn's steps and falls back after (``state.readiness``).
- **arms ACTOR X**: X USD million of your funds buy arms for ACTOR at once: its quality rises
  by ``ARMS_GAIN x min(1, X / (COST_PER_FIGHTER x ACTOR's strength))`` for good
  (``state.quality``; equipment does not wear off in a game's few weeks).
- **start / stop COMMITMENT**: one of your support commitments of the scenario starts now,
  without its condition, or is suspended from now on (its compiled start and end days).
- **ceasefire ACTOR / accept ACTOR / refuse ACTOR**: a ceasefire turns war into neutrality
  both ways (``state.stance``) when both sides agree: an offer to a team is answered by it next
  turn (unanswered offers lapse); an actor no team plays accepts when it has lost at least half
  of its casualty tolerance (`model_accepts`), else refuses. Either side ends it with
  ``stance ACTOR war``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.errors import OrdersError
from sim.model.compile import STANCE_CODES, WAR
from sim.model.vectorised import friendly_relation
from sim.scenario.schema import Stance

if TYPE_CHECKING:
    from sim.wargame.game import Game, GameModel
    from sim.wargame.rules import Plan

# Assumptions of the wargame (not in the fact sheet), documented in docs/wargame.md.
ADVISER_GAIN = 0.15  # readiness added when every fighter present is advised
TRAINEES_PER_ADVISER = 100  # a 12-strong adviser team per ~1,200-strong battalion (judgement)
ARMS_GAIN = 0.10  # quality added when every fighter is re-equipped
COST_PER_FIGHTER = 0.01  # USD million to equip one fighter (rifle, armour, share of vehicles)
NEUTRAL = STANCE_CODES[Stance.neutrality]


def _partner(m: GameModel, a: int, b: int, what: str) -> None:
    if b == a:
        raise OrdersError(f"you cannot send {what} to yourself")
    if not friendly_relation(m.state.stance[0, a, b]):
        raise OrdersError(f"{what} go only to an ally or partner (alliance or cooperation); "
                          f"change the stance towards {m.compiled.actor_ids[b]} first")


def advisers_available(m: GameModel, a: int, b: int) -> float:
    """Actor a's personnel in regions actor b holds (where they can advise b's forces)."""
    return float(m.state.F[0, a, m.state.control[0] == b].sum())


def advisers(m: GameModel, a: int, b: int, n: float, plan: Plan) -> None:
    _partner(m, a, b, "advisers")
    have = advisers_available(m, a, b) - plan.advisers.get(b, 0.0)
    if n > have + 0.5:
        raise OrdersError(f"not enough of your personnel in regions {m.compiled.actor_ids[b]} "
                          "holds "
                          f"(have {max(have, 0):,.0f} there, asked {n:,.0f}); move or commit "
                          "them there first")
    plan.advisers[b] = plan.advisers.get(b, 0.0) + min(n, have)


def arms(m: GameModel, a: int, b: int, amount: float, plan: Plan) -> None:
    from sim.wargame import rules  # rules imports this module

    _partner(m, a, b, "arms")
    s = m.state
    have = float(s.funds[0, a])
    if not rules.fits(amount, have, rules.FUNDS_SLACK):
        raise OrdersError(f"not enough funds (have {have:,.1f}, asked {amount:,.1f} USD million)")
    amount = min(amount, have)  # the figure shown may be rounded up
    strength = max(float(s.strength()[0, b]), 1.0)
    gain = ARMS_GAIN * min(1.0, amount / (COST_PER_FIGHTER * strength))
    room = ARMS_GAIN - plan.arms_gain.get(b, 0.0)
    if room <= 1e-12:
        raise OrdersError(f"{m.compiled.actor_ids[b]} cannot absorb more arms this turn (at most "
                          f"+{ARMS_GAIN:.2f} quality a turn)")
    s.funds[0, a] -= amount
    s.quality[0, b] += min(gain, room)
    plan.arms_gain[b] = plan.arms_gain.get(b, 0.0) + min(gain, room)


def commitment_index(m: GameModel, a: int, name: str) -> int:
    """Index of actor a's support commitment typed by its id (`us_air_strikes`)."""
    key = name.strip().lower()
    mine = [j for j, sup in enumerate(m.compiled.supports) if sup.giver == a]
    for j in mine:
        sid = m.compiled.supports[j].id.lower()
        if key in (sid, sid.split(".")[-1]):
            return j
    names = ", ".join(m.compiled.supports[j].id.split(".")[-1] for j in mine) or "none"
    raise OrdersError(f"unknown commitment '{name[:60]}' (yours: {names})")


def commitment_active(m: GameModel, j: int) -> bool:
    """Whether commitment j's day window is open now (its condition aside)."""
    sup = m.compiled.supports[j]
    return bool(sup.start <= m.state.day <= sup.end)


def set_commitment(m: GameModel, a: int, name: str, start: bool, plan: Plan) -> None:
    j = commitment_index(m, a, name)
    if j in plan.commitments:
        done = "started" if plan.commitments[j] else "stopped"
        raise OrdersError(f"{name} is already ordered {done} this turn")
    plan.commitments[j] = start


def offer(m: GameModel, a: int, b: int, plan: Plan) -> None:
    if b == a or int(m.state.stance[0, a, b]) != WAR:
        raise OrdersError(f"you are not at war with {m.compiled.actor_ids[b]}: a ceasefire is "
                          "offered to an enemy")
    plan.offers.append(b)


def answer(m: GameModel, a: int, b: int, yes: bool, plan: Plan) -> None:
    if b not in plan.offered_by:
        raise OrdersError(f"{m.compiled.actor_ids[b]} has offered you no ceasefire")
    if b in plan.answers:
        raise OrdersError(f"you have already answered {m.compiled.actor_ids[b]} this turn")
    plan.answers[b] = yes


def model_accepts(m: GameModel, b: int) -> bool:
    """An actor no team plays accepts a ceasefire once it has lost half its tolerance."""
    s = m.state
    lost = float(s.felt_losses()[0, b])
    return lost >= 0.5 * float(m.params["cas_tol"][0, b])


# ------------------------------------------------------------------------------ the turn


def _say(m: GameModel, text: str, **data: Any) -> None:
    m.log.note(text, kind="diplomacy", **data)


def _ceasefire(m: GameModel, a: int, b: int) -> None:
    m.state.stance[:, a, b] = NEUTRAL
    m.state.stance[:, b, a] = NEUTRAL
    m.stances_changed()
    ids = m.compiled.actor_ids
    _say(m, f"Ceasefire between {ids[a]} and {ids[b]}: they are now neutral.",
         actor=ids[a], other=ids[b])


def _diplomacy(game: Game, plans: dict[str, Plan]) -> None:
    m, ids = game.model, game.model.compiled.actor_ids
    teams = {game.index[t] for t in plans}
    game.offers = {}
    for team, plan in plans.items():
        a = game.index[team]
        for b, yes in plan.answers.items():
            if yes and int(m.state.stance[0, a, b]) == WAR:
                _ceasefire(m, a, b)
            elif not yes:
                _say(m, f"{ids[a]} refuses {ids[b]}'s ceasefire offer.", actor=ids[a],
                     other=ids[b])
    for team, plan in plans.items():
        a = game.index[team]
        for b in plan.offers:
            if int(m.state.stance[0, a, b]) != WAR:
                continue
            if b in teams and a in plans[ids[b]].offers:
                _ceasefire(m, a, b)  # both offered in the same turn
            elif b in teams:
                game.offers[(a, b)] = game.turn
                _say(m, f"{ids[a]} offers {ids[b]} a ceasefire (answer next turn: accept "
                     f"{ids[a]} or refuse {ids[a]}).", actor=ids[a], other=ids[b])
            elif model_accepts(m, b):
                _ceasefire(m, a, b)
            else:
                _say(m, f"{ids[b]} refuses {ids[a]}'s ceasefire offer.", actor=ids[a],
                     other=ids[b])


def begin_turn(game: Game, plans: dict[str, Plan]) -> list[tuple[int, float]]:
    """Apply the turn's commitments, diplomacy and advisers; return what to undo after."""
    m = game.model
    for plan in plans.values():
        for j, start in plan.commitments.items():
            sup, day = m.compiled.supports[j], int(m.state.day)
            m.compiled.supports[j] = (
                dataclasses.replace(sup, start=day, end=max(sup.end, m.horizon), condition=None)
                if start else dataclasses.replace(sup, end=day - 1))
    _diplomacy(game, plans)
    undo = []
    s = m.state
    for plan in plans.values():
        for b, n in plan.advisers.items():
            present = max(float(s.F[0, b].sum()), 1.0)
            gain = ADVISER_GAIN * min(1.0, n * TRAINEES_PER_ADVISER / present)
            gain = min(gain, 1.0 - float(s.readiness[0, b]))
            s.readiness[0, b] += gain
            undo.append((b, gain))
    return undo


def end_turn(m: GameModel, undo: list[tuple[int, float]]) -> None:
    """Advisers go home at the end of the turn: their readiness bonus ends."""
    for b, gain in undo:
        m.state.readiness[0, b] = np.clip(m.state.readiness[0, b] - gain, 0.0, 1.0)
