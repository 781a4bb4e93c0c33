"""Declared outcomes measured on every replication (declarative: kinds, never code).

control     1 if any actor in `by` controls `region` (at `day`, default the horizon; with
            `ever`, at any day up to the horizon);
territory   the actor's share of total strategic value held;
strength    the actor's personnel (all regions plus reserve);
casualties  the actor's cumulative losses (killed, wounded, captured, deserted);
goal        1 if the actor's goal number `goal` is met at the horizon:
            hold / protect / take: the region is held by the actor or a friend;
            defeat X: X's strength is below half its day-0 strength;
            limit_influence X: X's territory share is no larger than on day 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from sim.model import phases
from sim.model.state import LOSS_KINDS
from sim.model.vectorised import held_by_friend
from sim.scenario.schema import CasualtyCategory, Goal, GoalKind, Outcome, OutcomeKind

if TYPE_CHECKING:
    from sim.model.engine import GeoModel

DEFEATED_BELOW = 0.5  # "defeat X" holds when X's strength is below this share of day 0's


def snapshot_days(outcomes: dict[str, Outcome], horizon: int) -> set[int]:
    """Days before the horizon at which some outcome must be measured."""
    return {o.day for o in outcomes.values() if o.day is not None and o.day < horizon}


def measure_outcomes(model: GeoModel) -> dict[str, np.ndarray]:
    """(R,) value of each declared outcome."""
    out = {}
    for oid, o in model.compiled.outcomes.items():
        snap = model.snapshots.get(o.day) if o.day is not None else None
        out[oid] = _measure(model, o, snap or model.current_snapshot())
    return out


def _measure(model: GeoModel, o: Outcome, snap: dict[str, np.ndarray]) -> np.ndarray:
    ai = {a: i for i, a in enumerate(model.compiled.actor_ids)}
    gi = {g: i for i, g in enumerate(model.compiled.region_ids)}
    by = [ai[a] for a in o.by]
    if o.kind is OutcomeKind.control:
        g = gi[o.region]  # type: ignore[index]
        if o.ever:
            return snap["ever"][:, by, g].any(axis=1).astype(float)
        return np.isin(snap["control"][:, g], by).astype(float)
    if o.kind is OutcomeKind.control_all:
        gs = [gi[g] for g in o.regions]
        if o.ever:  # each region held by one of `by` at some day (not necessarily together)
            return snap["ever"][:, by][:, :, gs].any(axis=1).all(axis=1).astype(float)
        return np.isin(snap["control"][:, gs], by).all(axis=1).astype(float)
    if o.kind is OutcomeKind.fall_day:  # +inf: not taken by `by` (censored at the horizon)
        return model.state.taken_day[:, by, gi[o.region]].min(axis=1)  # type: ignore[index]
    if o.kind is OutcomeKind.event_fired:
        e = [ev.id for ev in model.compiled.events].index(o.event)  # type: ignore[arg-type]
        last = o.day if o.day is not None else model.horizon
        return (model.state.event_day[:, e] <= last).astype(float)
    a = ai[o.actor]  # type: ignore[index]
    if o.kind is OutcomeKind.territory:
        return snap["territory"][:, a].astype(float)
    if o.kind is OutcomeKind.strength:
        return snap["strength"][:, a].astype(float)
    if o.kind is OutcomeKind.casualties:
        if o.category is CasualtyCategory.all:
            return snap["losses"][:, a].astype(float)
        return snap["loss_kinds"][:, a, LOSS_KINDS.index(o.category.value)].astype(float)
    goal = model.spec.actors[o.actor].goals[o.goal]  # type: ignore[index]
    return goal_met(model, a, goal, snap).astype(float)


def goal_met(model: GeoModel, a: int, goal: Goal, snap: dict[str, np.ndarray]) -> np.ndarray:
    """(R,) bool: whether actor a's goal holds in the snapshot."""
    ai = {x: i for i, x in enumerate(model.compiled.actor_ids)}
    if goal.region is not None:
        return _held_by_side(model, a, model.compiled.region_ids.index(goal.region), snap)
    if goal.link is not None:  # cut: one end of the road held by the actor or a friend
        ends = [model.compiled.region_ids.index(g) for g in goal.link]
        return _held_by_side(model, a, ends[0], snap) | _held_by_side(model, a, ends[1], snap)
    x = ai[goal.actor]  # type: ignore[index]
    if goal.kind is GoalKind.defeat:
        return defeated(snap["strength"][:, x], model.state.strength0[:, x])
    return influence_limited(snap["territory"][:, x], model.territory0[:, x])


def defeated(strength: ArrayLike, strength0: ArrayLike) -> np.ndarray:
    """A "defeat X" goal: X's strength is below half its day-0 strength."""
    return np.asarray(strength) < DEFEATED_BELOW * np.asarray(strength0)


def influence_limited(territory: ArrayLike, territory0: ArrayLike) -> np.ndarray:
    """A "limit_influence X" goal: X holds no more territory than on day 0."""
    return np.asarray(territory) <= np.asarray(territory0) + 1e-9


def _held_by_side(model: GeoModel, a: int, g: int, snap: dict[str, np.ndarray]) -> np.ndarray:
    """(R,) bool: region g is held by actor a or a friend of a."""
    holder = snap["control"][:, g]
    st = model.state.stance[np.arange(model.R), a, np.clip(holder, 0, None)]
    return held_by_friend(a, holder, st)


def territory(model: GeoModel) -> np.ndarray:
    """(R, A) share of total strategic value held by each actor."""
    out = np.empty((model.R, model.compiled.A))
    phases.territory(model.state.control, model.params["value"], out)
    return out
