"""Phase 2: support between actors and the scenario's events (sparse work, in NumPy).

Support commitments flow while their day window is open and their condition holds; events
fire once, when due, with their probability. The rules are in docs/model.md, "Phase 2".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model import phases
from sim.model.compile import SUPPORT_CODES, CSupport
from sim.model.conditions import holds
from sim.model.phases import strike_region_batch
from sim.model.sampling import Purpose, uniforms
from sim.model.vectorised import mixed_morale, strike_kills, troops_arriving
from sim.scenario.schema import SupportKind

if TYPE_CHECKING:
    from sim.model.engine import GeoModel

_TROOPS = SUPPORT_CODES[SupportKind.troops]
_AIR = SUPPORT_CODES[SupportKind.air_strikes]
_INTEL = SUPPORT_CODES[SupportKind.intelligence]


def flow_support(model: GeoModel) -> None:
    """This step's support: air sorties and intelligence for the step, money, troops."""
    s = model.state
    model.air_for[:] = 0.0
    model.intel_bonus[:] = 0.0
    model.air_directed[:] = 0.0
    for j, sup in enumerate(model.compiled.supports):
        active = np.full(model.R, sup.start <= s.day <= sup.end)
        if sup.condition is not None and active.any():
            active &= holds(sup.condition, s, model.compiled)
        if not active.any():
            continue
        amount = model.params[sup.amount]
        if sup.kind == _TROOPS:
            _deliver_troops(model, j, sup, np.where(active, amount, 0.0))
        elif sup.kind == _AIR:
            sorties = np.where(active, amount, 0.0)
            model.air_for[:, sup.receiver] += sorties
            if sup.region >= 0:  # flown against the receiver's enemies in that region
                model.air_directed[:, sup.receiver, sup.region] += sorties
        elif sup.kind == _INTEL:
            model.intel_bonus[:, sup.receiver] += np.where(active, amount, 0.0)
        else:
            s.funds[:, sup.receiver] += np.where(active, amount * model.step_days, 0.0)


def _deliver_troops(model: GeoModel, j: int, sup: CSupport, amount: np.ndarray) -> None:
    """Troops arrive as the giver's forces in the commitment's region, or else in the
    receiver's most threatened friendly region (none: they wait)."""
    s = model.state
    arrive = troops_arriving(amount, s.sent[:, j], float(sup.ramp), float(model.step_days))
    if sup.region >= 0:
        dest = np.full(model.R, sup.region)
    else:
        threat = model.last_threat()
        ground = model.friendly_ground()[:, sup.receiver, :]
        dest = np.where(ground, threat[:, sup.receiver, :], -1.0).argmax(axis=1)
        arrive = np.where(ground.any(axis=1), arrive, 0.0)
    arrive_in(model, np.arange(model.R), sup.giver, dest, arrive)
    s.sent[:, j] += arrive
    if model.log:
        model.log.arrival(sup, arrive, dest)


def arrive_in(model: GeoModel, rows: np.ndarray, actor: int, regions: np.ndarray,
              personnel: np.ndarray) -> None:
    """New personnel of `actor` join its forces in regions[i] of replication rows[i],
    bringing the actor's baseline morale (formulas.mixed_morale)."""
    s = model.state
    present = s.F[rows, actor, regions]
    joined = present + personnel
    s.morale[rows, actor, regions] = np.where(
        joined > 0, mixed_morale(s.morale[rows, actor, regions], present,
                                 personnel * s.morale0[rows, actor],
                                 np.where(joined > 0, personnel, 1.0)),
        s.morale[rows, actor, regions])
    s.F[rows, actor, regions] = joined


def fire_events(model: GeoModel) -> None:
    """Each due event (not yet had its chance, on its day, its condition holding) is marked
    done and fires where its EVENT draw is below its probability."""
    s, compiled = model.state, model.compiled
    if not compiled.events:
        return
    u: np.ndarray | None = None  # the step's EVENT draws, made when an event is first due
    for e, ev in enumerate(compiled.events):
        due = ~s.event_done[:, e]
        if ev.day >= 0:
            due &= (s.day <= ev.day < s.day + model.step_days)
        if ev.condition is not None and due.any():
            due &= holds(ev.condition, s, compiled)
        if not due.any():
            continue
        s.event_done[:, e] |= due
        if u is None:
            u = uniforms(model.keys, s.day, Purpose.EVENT, len(compiled.events))
        fire = due & (u[:, e] < model.params[ev.probability])
        s.event_day[fire, e] = s.day
        if fire.any():
            for effect in ev.effects:
                apply_effect(model, effect, np.nonzero(fire)[0])
            if model.log:
                model.log.event(ev)


def apply_effect(model: GeoModel, eff: Any, rows: np.ndarray) -> None:
    """One event effect in the replications `rows` (docs/model.md, the effects table)."""
    s = model.state
    # Effects without an amount (stance, handover) never read it.
    amount = model.params[eff.amount][rows] if eff.amount else np.zeros(len(rows))
    if eff.kind == "reinforce":
        arrive_in(model, rows, eff.actor, np.full(len(rows), eff.region), amount)
    elif eff.kind == "morale":
        s.morale[rows, eff.actor, :] = np.clip(s.morale[rows, eff.actor, :] + amount[:, None],
                                               0, 1)
        s.morale0[rows, eff.actor] = np.clip(s.morale0[rows, eff.actor] + amount, 0, 1)
    elif eff.kind == "readiness":
        s.readiness[rows, eff.actor] = np.clip(s.readiness[rows, eff.actor] + amount, 0, 1)
    elif eff.kind == "funds":
        s.funds[rows, eff.actor] = np.maximum(s.funds[rows, eff.actor] + amount, 0)
    elif eff.kind == "air_capacity":
        s.air[rows, eff.actor] = np.maximum(s.air[rows, eff.actor] + amount, 0)
    elif eff.kind == "set_stance":
        s.stance[rows, eff.actor, eff.other] = eff.stance
        s.stance[rows, eff.other, eff.actor] = eff.stance
        model.stances_changed()
    elif eff.kind == "aggression":
        model.params["aggression"][rows, eff.actor] = amount
    elif eff.kind == "withdraw":
        for g in eff.regions:
            here = rows[s.F[rows, eff.actor, g] > 0]
            phases.retreat(model.state_arrays(), model.stances(), model.compiled.adj,
                           eff.actor, np.ascontiguousarray(here, np.int64),
                           np.full(len(here), g, np.int64))
    elif eff.kind == "restrict":
        for g in eff.regions:
            s.restricted[rows, eff.actor, g] = not eff.allow
        s.dirty[rows] = True
    elif eff.kind == "handover":
        model.set_control(rows, np.full(len(rows), eff.region), eff.actor)
    elif eff.kind == "air_strike":
        kills = strike_kills(amount, s.intel[rows, eff.actor], model.kconst.kills_per_sortie)
        targets = np.arange(model.compiled.A) == eff.other
        strike_region_batch(model.state_arrays(), np.zeros_like(s.F), rows, eff.region, kills,
                            targets, model.kconst)
