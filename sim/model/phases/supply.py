"""Supply and collapse kernels: which forces are cut off from their bases, stocks running
down, and panic spreading when a force breaks."""

from __future__ import annotations

import numpy as np

from sim.model.formulas import friendly, kernel
from sim.model.formulas_campaign import contagion, supply_after
from sim.model.phases.common import clip_morale_row, stance_row


@kernel
def supply_phase(state, step, sampled, geo, k):  # pragma: no cover
    """Each force's stocks (formulas_campaign.supply_after): refilled where a chain of
    regions held by the actor or its friends leads to one of its bases, else run down by
    d / supply_days. Connections are searched again only in replications where control or
    stances changed (state.dirty); an actor without a base anywhere is always supplied."""
    R, A, G = state.F.shape
    queue = np.empty(G, np.int64)
    for r in range(R):
        if state.dirty[r]:
            row = stance_row(step.stances, r)
            for a in range(A):
                _connect(state, step.stances, geo, r, a, row, queue)
            state.dirty[r] = False
        for a in range(A):
            for g in range(G):
                state.supply[r, a, g] = supply_after(state.supply[r, a, g],
                                                     state.connected[r, a, g], k.loss_days,
                                                     sampled.supply_days[r, a])


@kernel
def _connect(state, stances, geo, r, a, row, queue):  # pragma: no cover
    """state.connected[r, a]: breadth-first from actor a's held bases over friendly ground."""
    G = state.F.shape[2]
    connected = state.connected[r, a]
    has_base = False
    n = 0
    for g in range(G):
        connected[g] = False
        if geo.bases[a, g]:
            has_base = True
            holder = state.control[r, g]
            if holder >= 0 and friendly(stances[row, a, holder]):
                connected[g] = True
                queue[n] = g
                n += 1
    if not has_base:
        connected[:] = True
        return
    head = 0
    while head < n:
        g = queue[head]
        head += 1
        for j in range(geo.nb_ptr[g], geo.nb_ptr[g + 1]):
            h = geo.nb_idx[j]
            if not connected[h]:
                holder = state.control[r, h]
                if holder >= 0 and friendly(stances[row, a, holder]):
                    connected[h] = True
                    queue[n] = h
                    n += 1


@kernel
def spread_panic(state, sampled, k, rows, actors, routed):  # pragma: no cover
    """A force of actor actors[i] broke in replication rows[i] with routed[i] personnel:
    every force of that actor loses formulas_campaign.contagion of morale (collapse can
    cascade: the next step's routs come from the lower morale)."""
    G = state.F.shape[2]
    for i in range(rows.shape[0]):
        r, a = rows[i], actors[i]
        strength = state.reserve[r, a] + routed[i]
        for g in range(G):
            strength += state.F[r, a, g]
        shock = contagion(routed[i], strength, sampled.brittleness[r, a], k)
        for g in range(G):
            state.morale[r, a, g] -= shock
        clip_morale_row(state.morale, r)
