"""Phase 4 kernels: redeployment and reserves; the batched retreat of routed forces; walk-ins
into abandoned regions (phase 7)."""

from __future__ import annotations

import numpy as np

from sim.model.formulas import ALLIANCE, friendly, inline, kernel, mixed_morale
from sim.model.phases.common import retreat_destination, stance_row


@kernel
def movement(state, step, geo, k, threat, attacking, ground):  # pragma: no cover
    """Phase 4: every actor not attacking this step sends redeploy_share x (1 - rear_keep)
    of its forces in unthreatened regions, and reserve_share of its reserve while an entry
    region is friendly ground, to the threatened regions it may reinforce, shared in
    proportion to threat x (1 + goal weight). Arrivals mix the baseline morale in by
    headcount (formulas.mixed_morale). Personnel is conserved exactly.

    May reinforce: regions held by the actor, an ally, or a cooperating partner where the
    actor has a goal. Writes `ground` (R, A, G): regions held by the actor or a friend.
    """
    R, A, G = state.F.shape
    weight = np.empty(G)
    for r in range(R):
        for a in range(A):
            total_weight, can_enter = _front_weights(state, step, geo, threat, ground, r, a,
                                                     weight)
            if attacking[r, a] or not total_weight > 0.0:
                continue
            _redeploy(state, k, threat, r, a, weight, total_weight, can_enter)


@inline
def _front_weights(state, step, geo, threat, ground, r, a, weight):  # pragma: no cover
    """Actor a's front weights (threat x (1 + goal) where it may reinforce), their total,
    and whether one of its entry regions is friendly ground; fills ground[r, a]."""
    row = stance_row(step.stances, r)
    can_enter = False
    total = 0.0
    for g in range(state.F.shape[2]):
        holder = state.control[r, g]
        own_side = False
        reinforce = False
        if holder >= 0:
            rel = step.stances[row, a, holder]
            own_side = friendly(rel)
            reinforce = own_side and (holder == a or rel == ALLIANCE or geo.goals[a, g] > 0)
        ground[r, a, g] = own_side
        if own_side and geo.entry[a, g]:
            can_enter = True
        t = threat[r, a, g]
        w = t * (1.0 + geo.goals[a, g]) if (t > 0.0 and reinforce) else 0.0
        weight[g] = w
        total += w
    return total, can_enter


@inline
def _redeploy(state, k, threat, r, a, weight, total_weight, can_enter):  # pragma: no cover
    """Move actor a's rear forces and entering reserve to its front (see movement)."""
    G = state.F.shape[2]
    pool = 0.0
    out_share = k.redeploy_share_step * (1 - k.rear_keep)
    from_reserve = state.reserve[r, a] * k.reserve_share_step if can_enter else 0.0
    for g in range(G):
        if threat[r, a, g] <= 0.0 and state.F[r, a, g] > 0.0:
            pool += state.F[r, a, g] * out_share
    pool += from_reserve
    for g in range(G):
        f = state.F[r, a, g]
        leaving = f * out_share if (threat[r, a, g] <= 0.0 and f > 0.0) else 0.0
        new = f - leaving + pool * (weight[g] / total_weight)
        incoming = new - f
        if incoming > 0.0:
            state.morale[r, a, g] = mixed_morale(state.morale[r, a, g], f,
                                                 state.morale0[r, a] * incoming, incoming)
        state.F[r, a, g] = new
    state.reserve[r, a] -= from_reserve


@kernel
def retreat(state, stances, adj, b, rows, regions):  # pragma: no cover
    """Actor b's forces leave region regions[i] in replication rows[i]: each goes to its
    retreat destination (common.retreat_destination, chosen before anyone moves) and brings
    its morale, mixed in by headcount; with nowhere to go it is lost."""
    R, A, G = state.F.shape
    n = rows.shape[0]
    dest = np.empty(n, np.int64)
    moving = np.empty(n)
    for i in range(n):
        dest[i] = retreat_destination(state, stances, adj, b, rows[i], regions[i])
        moving[i] = state.F[rows[i], b, regions[i]]
    for i in range(n):
        state.F[rows[i], b, regions[i]] = 0.0
    arriving = np.zeros((R, G))
    morale_mass = np.zeros((R, G))
    for i in range(n):
        r, d = rows[i], dest[i]
        if d >= 0:
            arriving[r, d] += moving[i]
            morale_mass[r, d] += moving[i] * state.morale[r, b, regions[i]]
        else:
            state.losses[r, b] += moving[i]
    for i in range(n):
        r, d = rows[i], dest[i]
        if d >= 0 and arriving[r, d] > 0.0:
            f = state.F[r, b, d]
            state.morale[r, b, d] = mixed_morale(state.morale[r, b, d], f, morale_mass[r, d],
                                                 arriving[r, d])
            state.F[r, b, d] = f + arriving[r, d]
            arriving[r, d] = 0.0


@kernel
def walk_in(F, morale, adj, rows, regions, actors, share):  # pragma: no cover
    """Phase 7: actor actors[i] occupies the empty region regions[i] of replication rows[i]
    with `share` of its forces in the neighbour where it has most (first on ties), one
    region after another in the order given; the detachment brings its morale."""
    G = F.shape[2]
    for i in range(rows.shape[0]):
        r, g, a = rows[i], regions[i], actors[i]
        source = 0
        most = 0.0
        for h in range(G):
            f = F[r, a, h] if adj[g, h] else 0.0
            if f > most:
                most = f
                source = h
        detachment = most * share
        if detachment > 0.0:
            morale[r, a, g] = mixed_morale(morale[r, a, g], F[r, a, g],
                                           detachment * morale[r, a, source], detachment)
        F[r, a, source] -= detachment
        F[r, a, g] += detachment
