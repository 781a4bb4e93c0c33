"""What each order does to the model, and why an impossible order is refused.

`apply_order` checks one order against the model's current state and applies it (mutating the
state, or recording a plan for the turn's steps). It raises OrdersError naming the reason, so
the caller can restore the state and ask the team again (an order set is all-or-nothing).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.errors import OrdersError
from sim.model.compile import STANCE_CODES, WAR
from sim.scenario.schema import Stance, SupportKind
from sim.wargame import aid
from sim.wargame.orders import (
    Accept,
    Advisers,
    AirStrike,
    Arms,
    Attack,
    Ceasefire,
    CommitReserve,
    Hold,
    Move,
    Order,
    Refuse,
    StanceOrder,
    StartCommitment,
    StopCommitment,
    SupportOrder,
    quote,
)

if TYPE_CHECKING:
    from sim.wargame.game import GameModel

_GAME_ROW = np.array([0])  # a wargame is replication row 0 of its model


@dataclass
class Plan:
    """A team's intentions for the steps of one turn (what is not applied at once)."""

    attacks: list[int] = field(default_factory=list)  # region indices, in the order given
    hold: bool = False
    strike: int | None = None  # region the team's sorties go to
    air_given: dict[int, float] = field(default_factory=dict)  # receiver -> sorties/day
    intel_given: dict[int, float] = field(default_factory=dict)  # receiver -> added share
    advisers: dict[int, float] = field(default_factory=dict)  # receiver -> advisers this turn
    arms_gain: dict[int, float] = field(default_factory=dict)  # receiver -> quality added
    commitments: dict[int, bool] = field(default_factory=dict)  # support index -> start/stop
    offers: list[int] = field(default_factory=list)  # actors offered a ceasefire
    answers: dict[int, bool] = field(default_factory=dict)  # offering actor -> accepted
    offered_by: frozenset[int] = frozenset()  # actors whose ceasefire offer is open to us


def fmt(x: float) -> str:
    return f"{x:,.0f}"


# Funds and sorties are shown to 0.1 and intelligence shares to 0.01 (in `can` and in the
# refusals): ordering the figure shown must fit even when it was rounded up, so a check allows
# half a shown unit more and the order takes no more than there is (troops allow 0.5 alike).
FUNDS_SLACK, AIR_SLACK, INTEL_SLACK = 0.05, 0.05, 0.005


def fits(asked: float, have: float, slack: float) -> bool:
    return asked <= have + slack + 1e-9


def resolve(name: str, ids: tuple[str, ...], names: list[str], what: str) -> int:
    """Index of a region or actor typed by id or display name (case-insensitive).

    Raises:
        OrdersError: "unknown region 'baghdd' (did you mean 'baghdad'?)".
    """
    key = name.strip().lower()
    lowered = [i.lower() for i in ids]
    if key in lowered:
        return lowered.index(key)
    by_name = [n.lower() for n in names]
    if key in by_name:
        return by_name.index(key)
    close = difflib.get_close_matches(key, lowered + by_name, n=1, cutoff=0.6)
    hint = ""
    if close:
        idx = (lowered + by_name).index(close[0]) % len(ids)
        hint = f" (did you mean '{ids[idx]}'?)"
    raise OrdersError(f"unknown {what} {quote(name)}{hint}")


def stance(m: GameModel, a: int, b: int) -> int:
    return int(m.state.stance[0, a, b])


def friendly_ground(m: GameModel, a: int) -> np.ndarray:
    """(G,) regions held by actor a or a friend (the engine's rule, for the one replication)."""
    return m.friendly_ground(_GAME_ROW)[0, a]


def apply_order(m: GameModel, a: int, order: Order, plan: Plan) -> None:
    """Check `order` of actor `a` and apply it to model `m` (see the module docstring)."""
    handler: Any = _HANDLERS[type(order)]
    handler(m, a, order, plan)


def _region(m: GameModel, name: str) -> int:
    return resolve(name, m.compiled.region_ids, [r.name for r in m.spec.regions.values()], "region")


def _actor(m: GameModel, name: str) -> int:
    return resolve(name, m.compiled.actor_ids, [x.name for x in m.spec.actors.values()], "actor")


def _mix_in(m: GameModel, a: int, g: int, n: float, morale: float) -> None:
    """Add n personnel of morale `morale` to actor a in region g (morale mixes by headcount)."""
    s = m.state
    old = s.F[0, a, g]
    s.morale[0, a, g] = (s.morale[0, a, g] * old + morale * n) / (old + n)
    s.F[0, a, g] = old + n


def attack_problem(m: GameModel, a: int, g: int) -> str | None:
    """Why actor a cannot attack region g now, or None when it can."""
    s, c = m.state, m.compiled
    name = c.region_ids[g]
    holder = int(s.control[0, g])
    war = s.stance[0, a] == WAR
    enemies_in = float((s.F[0, :, g] * war).sum())
    if holder == a and enemies_in <= 0:
        return f"{name} is already yours and no enemy is in it"
    if holder >= 0 and not war[holder] and enemies_in <= 0:
        st = list(STANCE_CODES)[stance(m, a, holder)].value
        return (f"{name} is held by {c.actor_ids[holder]}, with whom you are not at war "
                f"(stance: {st}); declare war first (stance {c.actor_ids[holder]} war)")
    reach = c.adj[g] | (np.arange(c.G) == g)
    if float((s.F[0, a] * reach).sum()) < 1:
        nbs = ", ".join(c.region_ids[j] for j in np.nonzero(c.adj[g])[0])
        return f"you have no forces in or next to {name} (its neighbours: {nbs})"
    opts = m.current_options()
    if opts.legal[0, a, g]:
        return None
    lost = float(s.felt_losses()[0, a])
    if lost >= m.params["cas_tol"][0, a]:
        return (f"your losses not yet made good ({lost:.0%} of your strength) have passed "
                "your casualty tolerance: no new offensives until replacements bring them "
                "below it")
    k = m.constants
    men = float(opts.att_personnel[0, a, g])
    if men < k.min_attack_personnel:
        return (f"too weak to attack {name}: you could commit only {fmt(men)} (60% of your "
                f"forces in and next to it that reach it this turn by road; at least "
                f"{fmt(k.min_attack_personnel)} needed)")
    ratio = opts.att_power[0, a, g] / max(opts.enemy_power[0, a, g], 1e-9)
    needed = k.min_power_ratio * (1 - k.initiative * float(m.params["aggression"][0, a]))
    return (f"too weak to attack {name}: the {fmt(men)} you could commit (60% of your forces "
            f"in and next to it that reach it this turn) have {ratio:.2f}x the defenders' "
            f"combat power, about {needed:.2f}x is needed (more against a determined "
            "defender); move or commit more forces next to it, or strike it from the air first")


def _attack(m: GameModel, a: int, o: Attack, plan: Plan) -> None:
    g = _region(m, o.region)
    if plan.hold:
        raise OrdersError("you ordered hold this turn: an attack contradicts it")
    problem = attack_problem(m, a, g)
    if problem:
        raise OrdersError(problem)
    if g in plan.attacks:
        raise OrdersError(f"{m.compiled.region_ids[g]} is already ordered attacked")
    plan.attacks.append(g)


def _move(m: GameModel, a: int, o: Move, plan: Plan) -> None:
    src, dst = _region(m, o.from_), _region(m, o.to)
    s, c = m.state, m.compiled
    sname, dname = c.region_ids[src], c.region_ids[dst]
    if src == dst:
        raise OrdersError("from and to are the same region")
    if not c.adj[src, dst]:
        nbs = ", ".join(c.region_ids[j] for j in np.nonzero(c.adj[src])[0])
        raise OrdersError(f"not adjacent: no road from {sname} to {dname} (roads from {sname}"
                          f" lead to {nbs})")
    have = float(s.F[0, a, src])
    if have < 1:
        raise OrdersError(f"not your units: you have no forces in {sname}")
    if not friendly_ground(m, a)[dst]:
        raise OrdersError(f"{dname} is not held by you or an ally (to take it, attack it)")
    if o.personnel > have + 0.5:
        raise OrdersError(f"not enough forces in {sname} (have {fmt(have)}, asked "
                          f"{fmt(o.personnel)})")
    n = min(o.personnel, have)
    mor = float(s.morale[0, a, src])
    s.F[0, a, src] = max(have - n, 0.0)
    _mix_in(m, a, dst, n, mor)


def _reserve(m: GameModel, a: int, o: CommitReserve, plan: Plan) -> None:
    g = _region(m, o.region)
    s = m.state
    if not friendly_ground(m, a)[g]:
        raise OrdersError(f"{m.compiled.region_ids[g]} is not held by you or an ally: reserves "
                          "only enter friendly ground")
    have = float(s.reserve[0, a])
    if o.personnel > have + 0.5:
        raise OrdersError(f"not enough forces in reserve (have {fmt(have)}, asked "
                          f"{fmt(o.personnel)})")
    n = min(o.personnel, have)
    s.reserve[0, a] = max(have - n, 0.0)
    _mix_in(m, a, g, n, float(s.morale0[0, a]))


def strike_reach(m: GameModel, a: int) -> np.ndarray:
    """(G,) regions a's aircraft can strike: its or its friends' ground, its forces, neighbours."""
    ground = friendly_ground(m, a) | (m.state.F[0, a] > 0)
    return (m.reach @ ground.astype(float)) > 0


def sorties(m: GameModel, a: int) -> float:
    """Sorties per day actor a has this turn (own capacity plus allied support last step)."""
    return float(m.state.air[0, a] + max(m.air_for[0, a], 0.0))


def _strike(m: GameModel, a: int, o: AirStrike, plan: Plan) -> None:
    g = _region(m, o.region)
    name = m.compiled.region_ids[g]
    if plan.strike is not None:
        raise OrdersError(f"only one air strike order a turn (already striking "
                          f"{m.compiled.region_ids[plan.strike]})")
    have = sorties(m, a) - sum(plan.air_given.values())
    if have <= 0:
        raise OrdersError("you have no air-strike sorties this turn")
    war = m.state.stance[0, a] == WAR
    if float((m.state.F[0, :, g] * war).sum()) < 1:
        raise OrdersError(f"no enemy forces in {name} to strike")
    if not strike_reach(m, a)[g]:
        raise OrdersError(f"{name} is out of reach: aircraft strike regions held by you or an "
                          "ally, where you have forces, and their neighbours")
    plan.strike = g


def _support(m: GameModel, a: int, o: SupportOrder, plan: Plan) -> None:
    b = _actor(m, o.to)
    s, bid = m.state, m.compiled.actor_ids[b]
    if b == a:
        raise OrdersError("you cannot support yourself")
    if stance(m, a, b) in (WAR, STANCE_CODES[Stance.rivalry]):
        raise OrdersError(f"you are at war with or rivals of {bid}: change the stance first")
    if o.what is SupportKind.money:
        have = float(s.funds[0, a])
        if not fits(o.amount, have, FUNDS_SLACK):
            raise OrdersError(f"not enough funds (have {have:,.1f}, asked {o.amount:,.1f} USD "
                              "million)")
        given = min(o.amount, have)
        s.funds[0, a] -= given
        s.funds[0, b] += given
    elif o.what is SupportKind.troops:
        _send_troops(m, a, b, o.amount)
    elif o.what is SupportKind.intelligence:
        # The limit is the turn's total: two shares of 0.5 do not fit in an own 0.62.
        have = float(s.intel[0, a]) - sum(plan.intel_given.values())
        if o.amount > 1:
            raise OrdersError("intelligence is a share: amount at most 1 (e.g. 0.1)")
        if not fits(o.amount, have, INTEL_SLACK):
            raise OrdersError(f"you cannot share more intelligence than you have (have "
                              f"{max(have, 0):.2f} left this turn, asked {o.amount:.2f})")
        plan.intel_given[b] = plan.intel_given.get(b, 0.0) + min(o.amount, max(have, 0.0))
    else:
        have = float(s.air[0, a]) - sum(plan.air_given.values())
        if not fits(o.amount, have, AIR_SLACK):
            raise OrdersError(f"not enough own air capacity (have {max(have, 0):,.1f} sorties/"
                              f"day, asked {o.amount:,.1f})")
        plan.air_given[b] = plan.air_given.get(b, 0.0) + min(o.amount, max(have, 0.0))


def _send_troops(m: GameModel, a: int, b: int, n: float) -> None:
    """n of a's reserve go, as a's own forces, to b's most threatened region."""
    s = m.state
    have = float(s.reserve[0, a])
    if n > have + 0.5:
        raise OrdersError(f"not enough forces in reserve (have {fmt(have)}, asked {fmt(n)})")
    held = s.control[0] == b
    if not held.any():
        raise OrdersError(f"{m.compiled.actor_ids[b]} holds no region to send troops to")
    threat = m.options(m.step_inputs(), detail=True).threat[0, b]
    dest = int(np.where(held, threat + 1e-9, -1.0).argmax())
    s.reserve[0, a] = max(have - n, 0.0)
    _mix_in(m, a, dest, min(n, have), float(s.morale0[0, a]))


def _stance(m: GameModel, a: int, o: StanceOrder, plan: Plan) -> None:
    b = _actor(m, o.actor)
    if b == a:
        raise OrdersError("a stance is towards another actor")
    code = STANCE_CODES[o.stance]
    m.state.stance[:, a, b] = code
    m.state.stance[:, b, a] = code


def _hold(m: GameModel, a: int, o: Hold, plan: Plan) -> None:
    if plan.attacks:
        raise OrdersError("you ordered an attack this turn: hold contradicts it")
    plan.hold = True


_HANDLERS: dict[type, Any] = {
    Attack: _attack, Move: _move, CommitReserve: _reserve, AirStrike: _strike,
    SupportOrder: _support, StanceOrder: _stance, Hold: _hold,
    Advisers: lambda m, a, o, plan: aid.advisers(m, a, _actor(m, o.to), o.personnel, plan),
    Arms: lambda m, a, o, plan: aid.arms(m, a, _actor(m, o.to), o.amount, plan),
    StartCommitment: lambda m, a, o, plan: aid.set_commitment(m, a, o.commitment, True, plan),
    StopCommitment: lambda m, a, o, plan: aid.set_commitment(m, a, o.commitment, False, plan),
    Ceasefire: lambda m, a, o, plan: aid.offer(m, a, _actor(m, o.actor), plan),
    Accept: lambda m, a, o, plan: aid.answer(m, a, _actor(m, o.actor), True, plan),
    Refuse: lambda m, a, o, plan: aid.answer(m, a, _actor(m, o.actor), False, plan),
}
