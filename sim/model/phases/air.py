"""Phase 5 kernel: air strikes."""

from __future__ import annotations

import numpy as np

from sim.model.formulas import WAR, inline, kernel, strike_kills
from sim.model.phases.common import stance_row, strike_region


@kernel
def air_strikes(state, step, geo, k, enemy_power, ground, loss_today):  # pragma: no cover
    """Phase 5, air: each actor with sorties, in actor order, strikes the region within one
    link of its ground or forces where the enemy power assessed at decision time is
    greatest (first on ties), killing formulas.strike_kills(sorties, intel,
    kills_per_sortie x step_days), shared over the enemies present by headcount."""
    R, A, G = state.F.shape
    near = np.empty((A, G), np.bool_)
    at_war = np.empty(A, np.bool_)
    for r in range(R):
        active = False
        for a in range(A):
            active = active or step.air[r, a] > 0.0
        if not active:
            continue
        _reach_of_ground(state.F, ground, step.air, geo.nb_ptr, geo.nb_idx, r, near)
        row = stance_row(step.stances, r)
        for a in range(A):
            if not step.air[r, a] > 0.0:
                continue
            target = 0
            best = 0.0
            for g in range(G):
                score = enemy_power[r, a, g] if near[a, g] else 0.0
                if score > best:
                    best = score
                    target = g
            if not best > 0.0:
                continue
            for b in range(A):
                at_war[b] = step.stances[row, a, b] == WAR
            kills = strike_kills(step.air[r, a], step.intel[r, a], k.kills_per_sortie_step)
            strike_region(state.F, state.losses, state.loss_kinds, loss_today, r, target, kills,
                          at_war, k.killed_share)


@inline
def _reach_of_ground(F, ground, air, nb_ptr, nb_idx, r, near):  # pragma: no cover
    """near[a, g]: g is within one link of a region a holds (or a friend does) or where a
    has forces, for the actors with sorties (no other row is read); fixed before the first
    strike of the step. (Arrays, not containers: it runs per replication.)"""
    A, G = F.shape[1], F.shape[2]
    near[:] = False
    for a in range(A):
        if not air[r, a] > 0.0:
            continue
        for h in range(G):
            if ground[r, a, h] or F[r, a, h] > 0.0:
                for j in range(nb_ptr[h], nb_ptr[h + 1]):
                    near[a, nb_idx[j]] = True


@kernel
def cap_directed(wanted, air, directed, air_left):  # pragma: no cover
    """directed[r, a, g] = min(wanted[r, a, g], max(air[r, a], 0)): no region gets more
    sorties than the actor flies; air_left[r, a] = max(air[r, a] - sum_g directed, 0), the
    sorties left for general strikes."""
    R, A, G = wanted.shape
    for r in range(R):
        for a in range(A):
            cap = max(air[r, a], 0.0)
            total = 0.0
            for g in range(G):
                d = min(wanted[r, a, g], cap)
                directed[r, a, g] = d
                total += d
            air_left[r, a] = max(air[r, a] - total, 0.0)


@kernel
def directed_strikes(state, step, k, directed, disabled):  # pragma: no cover
    """Sorties directed at a region (a support commitment with a region, a wargame order):
    directed[r, a, g] sorties of actor a strike its enemies in g, killing
    formulas.strike_kills(sorties, intel, kills_per_sortie x step_days) split by headcount.
    Writes the personnel disabled to disabled[r, a, g]; updates the state."""
    R, A, G = state.F.shape
    at_war = np.empty(A, np.bool_)
    for r in range(R):
        row = stance_row(step.stances, r)
        for a in range(A):
            for b in range(A):
                at_war[b] = step.stances[row, a, b] == WAR
            for g in range(G):
                disabled[r, a, g] = 0.0
                if not directed[r, a, g] > 0.0:
                    continue
                before = 0.0
                for b in range(A):
                    before += state.F[r, b, g]
                kills = strike_kills(directed[r, a, g], step.intel[r, a], k.kills_per_sortie_step)
                strike_region(state.F, state.losses, state.loss_kinds, step.loss_today, r, g,
                              kills, at_war, k.killed_share)
                after = 0.0
                for b in range(A):
                    after += state.F[r, b, g]
                disabled[r, a, g] = before - after
