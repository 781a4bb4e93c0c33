"""Helpers every phase kernel shares: relation lists, retreats, morale clipping, strikes."""

from __future__ import annotations

from sim.model.formulas import WAR, friendly, inline, kernel, mixed_morale

# Kernels hand replications to their helpers in blocks: a call costs a reference count on
# every array of the containers it takes (~1 us), which per replication would add a fifth to
# a step; a block's working arrays still fit in cache.
BLOCK = 16


@inline
def partners(stances, row, codes_friendly, out, count):  # pragma: no cover
    """For every actor b, the actors a related to b: out[b, :count[b]].

    codes_friendly: True lists friends (alliance, cooperation), False lists enemies (war).
    """
    actors = stances.shape[1]
    for b in range(actors):
        n = 0
        for a in range(actors):
            rel = stances[row, a, b]
            if (friendly(rel) if codes_friendly else rel == WAR):
                out[b, n] = a
                n += 1
        count[b] = n


@inline
def stance_row(stances, r):  # pragma: no cover
    """The stance row replication r reads (row 0 when every replication has the same)."""
    return r if stances.shape[0] > 1 else 0


@inline
def clip_morale_row(morale, r):  # pragma: no cover
    """Clip replication r's morale to [0, 1] (after a battle's or a region's shocks)."""
    actors, regions = morale.shape[1], morale.shape[2]
    for a in range(actors):
        for g in range(regions):
            morale[r, a, g] = min(max(morale[r, a, g], 0.0), 1.0)


@inline
def retreat_destination(state, stances, adj, b, r, h):  # pragma: no cover
    """Where actor b's force in region h of replication r falls back: the neighbouring
    region held by b or a friend where b has most forces (first on ties), or -1 (none: the
    force is dispersed or captured)."""
    row = stance_row(stances, r)
    best = -1
    best_score = -1.0
    for d in range(state.F.shape[2]):
        if adj[h, d] and not state.restricted[r, b, d]:
            holder = state.control[r, d]
            if holder >= 0 and friendly(stances[row, b, holder]):
                score = state.F[r, b, d] + 1.0
                if score > best_score:
                    best_score = score
                    best = d
    return best


@inline
def retreat_one(state, stances, adj, b, r, h):  # pragma: no cover
    """Actor b's force in region h of replication r retreats to its destination, bringing
    its morale (mixed in by headcount); with nowhere to go it is lost."""
    best = retreat_destination(state, stances, adj, b, r, h)
    moving = state.F[r, b, h]
    state.F[r, b, h] = 0.0
    if best < 0:  # nowhere to go: dispersed or captured
        add_loss(state.losses, state.loss_kinds, r, b, moving, CAPTURED, 0.0)
        return
    if moving > 0.0:
        f = state.F[r, b, best]
        state.morale[r, b, best] = mixed_morale(state.morale[r, b, best], f,
                                                moving * state.morale[r, b, h], moving)
        state.F[r, b, best] = f + moving


BATTLE_LOSS, CAPTURED, DESERTED = -1, 2, 3  # add_loss kinds (state.LOSS_KINDS indices)


@inline
def add_loss(losses, loss_kinds, r, b, amount, kind, killed_share):  # pragma: no cover
    """Count `amount` of actor b's personnel as lost: in the total and by kind (a battle or
    strike loss splits into killed and wounded by killed_share; else the kind's index)."""
    losses[r, b] += amount
    if kind == BATTLE_LOSS:
        loss_kinds[r, b, 0] += amount * killed_share
        loss_kinds[r, b, 1] += amount * (1.0 - killed_share)
    else:
        loss_kinds[r, b, kind] += amount


@inline
def strike_region(F, losses, loss_kinds, loss_today, r, region, kills, targets,
                  killed_share):  # pragma: no cover
    """Spread `kills` over the actors with targets[b] in `region` by headcount, each loss at
    most the personnel present; count them in losses and today's losses. (Arrays, not
    containers: it runs per strike.)"""
    total = 0.0
    for b in range(F.shape[1]):
        if targets[b]:
            total += F[r, b, region]
    if not total > 0.0:
        return
    for b in range(F.shape[1]):
        if targets[b]:
            present = F[r, b, region]
            lost = min(kills * (present / total), present)
            F[r, b, region] -= lost
            add_loss(losses, loss_kinds, r, b, lost, BATTLE_LOSS, killed_share)
            loss_today[r, b, region] += lost


@kernel
def strike_region_batch(state, loss_today, rows, region, kills, targets,
                        k):  # pragma: no cover
    """strike_region in each replication rows[i] with kills[i] (an event's air strike)."""
    for i in range(rows.shape[0]):
        strike_region(state.F, state.losses, state.loss_kinds, loss_today, rows[i], region,
                      kills[i], targets, k.killed_share)
