"""Phase 4 kernels: redeployment and reserves; the batched retreat of routed forces and of
exhausted actors' forces; walk-ins into abandoned regions (phase 7)."""

from __future__ import annotations

import numpy as np

from sim.model.formulas import ALLIANCE, friendly, kernel, mixed_morale
from sim.model.formulas_campaign import felt_loss_share, travel_share
from sim.model.phases.common import (
    BLOCK,
    CAPTURED,
    add_loss,
    retreat_destination,
    stance_row,
)


@kernel
def movement(state, step, sampled, geo, k, threat, attacking, ground):  # pragma: no cover
    """Phase 4: every actor not attacking this step sends redeploy_share x (1 - rear_keep)
    of its forces in unthreatened regions, and reserve_share of its reserve while an entry
    region is friendly ground, towards the threatened regions it may reinforce, shared in
    proportion to threat x (1 + goal weight). What is sent arrives at
    formulas_campaign.travel_share of the road distance per step (the rest stays for now):
    reinforcements take days. Arrivals mix the baseline morale in by headcount. Personnel is
    conserved exactly. Replications go in blocks (common.BLOCK).

    May reinforce: regions held by the actor, an ally, or a cooperating partner where the
    actor has a goal, and not restricted to it. Writes `ground` (R, A, G): regions held by
    the actor or a friend.
    """
    R, A, G = state.F.shape
    n = min(BLOCK, R)
    weight = np.empty((n, A, G))
    gates = np.empty((n, A), np.int64)
    work = (np.empty(G, np.int64), np.empty(G))  # fronts, arrivals
    for start in range(0, R, BLOCK):
        stop = min(start + BLOCK, R)
        _front_weights(state, step, geo, threat, ground, (start, stop), (weight, gates))
        _redeploy(state, step, sampled, geo, k, (threat, attacking), (start, stop),
                  (weight, gates), work)


@kernel
def _front_weights(state, step, geo, threat, ground, block, fronts):  # pragma: no cover
    """fronts = (weight, gates). weight[i, a]: actor a's front weights (threat x (1 + goal)
    where it may reinforce), normalised to sum 1 (all 0: no front), for replication start +
    i; gates[i, a]: the first entry region of a on its or a friend's ground, or -1 (where its
    reserve comes in); fills ground."""
    start, stop = block
    weight, gates = fronts
    A, G = state.F.shape[1], state.F.shape[2]
    for r in range(start, stop):
        row = stance_row(step.stances, r)
        for a in range(A):
            w = weight[r - start, a]
            gate = -1
            total = 0.0
            for g in range(G):
                holder = state.control[r, g]
                own_side = False
                reinforce = False
                if holder >= 0:
                    rel = step.stances[row, a, holder]
                    own_side = friendly(rel)
                    reinforce = own_side and (holder == a or rel == ALLIANCE
                                              or geo.goals[a, g] > 0)
                ground[r, a, g] = own_side
                if gate < 0 and own_side and geo.entry[a, g]:
                    gate = g
                t = threat[r, a, g]
                w[g] = (t * (1.0 + geo.goals[a, g])
                        if (t > 0.0 and reinforce and not state.restricted[r, a, g]) else 0.0)
                total += w[g]
            for g in range(G):
                w[g] = w[g] / total if total > 0.0 else 0.0
            gates[r - start, a] = gate


@kernel
def _redeploy(state, step, sampled, geo, k, phase3, block, front_weights,
              work):  # pragma: no cover
    """Move each non-attacking actor's rear forces and entering reserve towards its front
    (see movement); weight[i, a, f] is front f's share of what actor a sends, gates[i, a]
    where its reserve enters (front_weights = (weight, gates), from _front_weights).

    Reads weight by index and the state's reserve through a local (no per-actor views or
    attribute reads in branches: numba would count references to them per actor)."""
    threat, attacking = phase3
    weight, gates = front_weights
    reserve = state.reserve
    start, stop = block
    fronts, arriving = work
    A, G = state.F.shape[1], state.F.shape[2]
    days = k.loss_days
    out_share = k.redeploy_share_step * (1 - k.rear_keep)
    for r in range(start, stop):
        i = r - start
        for a in range(A):
            n_fronts = 0
            for g in range(G):
                if weight[i, a, g] > 0.0:
                    fronts[n_fronts] = g
                    n_fronts += 1
                    arriving[g] = 0.0
            if attacking[r, a] or n_fronts == 0:
                continue
            speed = sampled.speed[r, a]
            for g in range(G):
                f = state.F[r, a, g]
                if not (threat[r, a, g] <= 0.0 and f > 0.0):
                    continue
                sent = 0.0
                for j in range(n_fronts):
                    d = fronts[j]
                    move = f * out_share * weight[i, a, d] * travel_share(
                        speed, geo.travel[g, d], days)
                    arriving[d] += move
                    sent += move
                state.F[r, a, g] = f - sent
            from_reserve = reserve[r, a] * k.reserve_share_step
            gate = gates[i, a]
            if from_reserve > 0.0 and gate >= 0:
                sent = 0.0
                for j in range(n_fronts):
                    d = fronts[j]
                    move = from_reserve * weight[i, a, d] * travel_share(
                        speed, geo.travel[gate, d], days)
                    arriving[d] += move
                    sent += move
                reserve[r, a] -= sent
            for j in range(n_fronts):
                d = fronts[j]
                incoming = arriving[d]
                if incoming > 0.0:
                    f = state.F[r, a, d]
                    state.morale[r, a, d] = mixed_morale(
                        state.morale[r, a, d], f, state.morale0[r, a] * incoming, incoming)
                    state.F[r, a, d] = f + incoming


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
        else:  # nowhere to go: dispersed or captured
            add_loss(state.losses, state.loss_kinds, r, b, moving[i], CAPTURED, 0.0)
    for i in range(n):
        r, d = rows[i], dest[i]
        if d >= 0 and arriving[r, d] > 0.0:
            f = state.F[r, b, d]
            state.morale[r, b, d] = mixed_morale(state.morale[r, b, d], f, morale_mass[r, d],
                                                 arriving[r, d])
            state.F[r, b, d] = f + arriving[r, d]
            arriving[r, d] = 0.0


@kernel
def retreat_each(state, stances, adj, rows, actors, regions):  # pragma: no cover
    """`retreat` for the forces (rows[i], actors[i], regions[i]), actor after actor (in actor
    order; each actor's forces in the order given)."""
    n = rows.shape[0]
    mine_rows = np.empty(n, np.int64)
    mine_regions = np.empty(n, np.int64)
    for b in range(state.F.shape[1]):
        m = 0
        for i in range(n):
            if actors[i] == b:
                mine_rows[m] = rows[i]
                mine_regions[m] = regions[i]
                m += 1
        if m > 0:
            retreat(state, stances, adj, b, mine_rows[:m], mine_regions[:m])


@kernel
def withdraw(state, stances, adj, taken, threat, tolerance):  # pragma: no cover
    """Phase 4, end: an actor whose felt losses reached its casualty tolerance
    (formulas_campaign.felt_loss_share >= tolerance) gives up ground it took: its
    forces in the regions it took (taken[b, g]) that are threatened (threat > 0) `retreat`,
    actor after actor, each actor's forces in replication and region order."""
    R, A, G = state.F.shape
    rows = np.empty(R * G, np.int64)
    regions = np.empty(R * G, np.int64)
    for b in range(A):
        n = 0
        for r in range(R):
            lost = felt_loss_share(state.losses[r, b], state.recovered[r, b],
                                   state.strength0[r, b])
            if not lost >= tolerance[r, b]:
                continue
            for g in range(G):
                if taken[b, g] and state.F[r, b, g] > 0 and threat[r, b, g] > 0:
                    rows[n] = r
                    regions[n] = g
                    n += 1
        if n > 0:
            retreat(state, stances, adj, b, rows[:n], regions[:n])


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
