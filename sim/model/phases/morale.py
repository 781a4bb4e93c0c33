"""Phase 6 kernel: morale and rout; phase 1: the economy."""

from __future__ import annotations

import numpy as np

from sim.model.formulas import (
    REMNANT,
    combat_power,
    funds_after,
    kernel,
    morale_update,
    recruits,
    routs,
)
from sim.model.formulas_campaign import (
    cutoff_drain,
    desertion,
    rout_threshold_of,
    sustain,
    travel_share,
)
from sim.model.phases.common import BLOCK, DESERTED, add_loss, partners


@kernel
def morale_phase(state, step, sampled, geo, k, broken):  # pragma: no cover
    """Phase 6: remnants under REMNANT persons are lost; every cell's morale follows
    formulas.morale_update with H = aggression-weighted enemy power and O = own and friends'
    power in the cell's reach. The forces that rout (formulas.routs) are written to `broken`
    as flat indices (r A + a) G + g in C order; returns how many. Replications go in blocks
    (common.BLOCK)."""
    R, A, G = state.F.shape
    n = min(BLOCK, R)
    near = np.empty((2, n, A, G))  # enemies' (x aggression) and friends' power near
    relations = np.empty((2, A, A), np.int64)  # enemies, friends lists
    counts = np.empty((2, A), np.int64)
    if step.stances.shape[0] == 1:
        partners(step.stances, 0, False, relations[0], counts[0])
        partners(step.stances, 0, True, relations[1], counts[1])
    n_broken = 0
    for start in range(0, R, BLOCK):
        stop = min(start + BLOCK, R)
        _power_near(state, step, sampled, geo, k, start, stop, relations, counts, near)
        n_broken = _update(state, step, sampled, k, start, stop, near, broken, n_broken)
    return n_broken


@kernel
def _update(state, step, sampled, k, start, stop, near, broken, n_broken):  # pragma: no cover
    """Per cell of the block: desertion (formulas_campaign.desertion), then
    formulas.morale_update with the actor's brittleness and the drain of being cut off;
    forces under their rout threshold are listed as broken."""
    A, G = state.F.shape[1], state.F.shape[2]
    days = k.loss_days  # steps longer than a day count like battle days (docs/model.md)
    for r in range(start, stop):
        i = r - start
        for a in range(A):
            brittle = sampled.brittleness[r, a]
            threshold = rout_threshold_of(sampled.will[r, a], state.morale0[r, a], k)
            for g in range(G):
                f = state.F[r, a, g]
                if f == 0.0:
                    # An empty cell's morale is never read: arrivals mix morale by headcount
                    # (formulas.mixed_morale), so skipping it changes nothing.
                    continue
                if sampled.desertion[r, a] > 0.0:
                    gone = desertion(f, sampled.desertion[r, a], days)
                    state.F[r, a, g] = f - gone
                    add_loss(state.losses, state.loss_kinds, r, a, gone, DESERTED, 0.0)
                drain = cutoff_drain(state.supply[r, a, g], brittle, k)
                m = morale_update(state.morale[r, a, g], state.morale0[r, a],
                                  step.loss_today[r, a, g], state.F[r, a, g], near[0, i, a, g],
                                  near[1, i, a, g], state.momentum[r, a], brittle, drain, k)
                state.morale[r, a, g] = m
                # A force breaks under pressure: enemies near, losses today, or cut off.
                pressed = (near[0, i, a, g] > 0.0 or step.loss_today[r, a, g] > 0.0
                           or not state.connected[r, a, g])
                if pressed and routs(m, state.F[r, a, g], threshold):
                    broken[n_broken] = (r * A + a) * G + g
                    n_broken += 1
    return n_broken


@kernel
def _power_near(state, step, sampled, geo, k, start, stop, relations, counts,
                near):  # pragma: no cover
    """Remove remnants (dispersed: counted as deserted); sum each actor's enemies' (x
    aggression) and friends' power over each region's reach, per replication of the block."""
    A, G = state.F.shape[1], state.F.shape[2]
    for r in range(start, stop):
        if step.stances.shape[0] > 1:
            partners(step.stances, r, False, relations[0], counts[0])
            partners(step.stances, r, True, relations[1], counts[1])
        enemy_near, own_near = near[0, r - start], near[1, r - start]
        enemy_near[:] = 0.0
        own_near[:] = 0.0
        for b in range(A):
            lost = 0.0
            for h in range(G):
                f = state.F[r, b, h]
                if f < REMNANT:
                    lost += f
                    state.F[r, b, h] = 0.0
                    continue
                p = combat_power(f, step.readiness_quality[r, b], state.morale[r, b, h],
                                 sustain(state.supply[r, b, h], k), k)
                pe = p * sampled.aggression[r, b]
                for j in range(geo.nb_ptr[h], geo.nb_ptr[h + 1]):
                    g = geo.nb_idx[j]
                    # A force presses on g as far as it can get there this step.
                    reach = travel_share(sampled.speed[r, b], geo.travel[h, g], k.loss_days)
                    for e in range(counts[0, b]):
                        enemy_near[relations[0, b, e], g] += pe * reach
                    for e in range(counts[1, b]):
                        own_near[relations[1, b, e], g] += p * reach
            if lost > 0.0:
                add_loss(state.losses, state.loss_kinds, r, b, lost, DESERTED, 0.0)


@kernel
def economy(funds, reserve, strength, income, upkeep, recruitment, days):  # pragma: no cover
    """Phase 1 for every (replication, actor): formulas.funds_after, then recruits join the
    reserve while funds are positive; funds are floored at 0."""
    R, A = funds.shape
    for r in range(R):
        for a in range(A):
            new = funds_after(funds[r, a], income[r, a], upkeep[r, a], strength[r, a], days)
            reserve[r, a] += recruits(new, recruitment[r, a], days)
            funds[r, a] = max(new, 0.0)
