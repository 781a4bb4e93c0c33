"""Phase 4 and retreats: redeployment and reserves, retreats of beaten or broken forces, and
walk-ins into abandoned regions (sim/model/rules/movement.py)."""

from __future__ import annotations

import numpy as np

from sim.model.kernels._common import kernel


@kernel
def movement(F, reserve, morale, morale0, threat, attacking, control, st, ally_code, coop_code,
             goals, entry, redeploy_rate, reserve_rate, rear_keep, ground):  # pragma: no cover
    """Phase 4 (sim/model/rules/movement.py, redeploy): every actor not attacking this step moves
    forces from its rear towards threatened regions it may reinforce, and reserves enter while
    an entry region is friendly ground. Arrivals mix their baseline morale in by headcount.

    May reinforce: regions held by the actor, an ally, or a cooperating partner where the actor
    has a goal. Updates F, reserve, morale in place; writes ground (regions held by the actor
    or a friend) for the air phase.
    """
    R, A, G = F.shape
    weight = np.empty(G)
    for r in range(R):
        s = r if st.shape[0] > 1 else 0
        for a in range(A):
            can_enter = False
            total_w = 0.0
            for g in range(G):
                holder = control[r, g]
                gr = False
                reinforce = False
                if holder >= 0:
                    rel = st[s, a, holder]
                    gr = rel in (ally_code, coop_code)
                    reinforce = gr and (holder == a or rel == ally_code or goals[a, g] > 0)
                ground[r, a, g] = gr
                if gr and entry[a, g]:
                    can_enter = True
                t = threat[r, a, g]
                w = t * (1.0 + goals[a, g]) if (t > 0.0 and reinforce) else 0.0
                weight[g] = w
                total_w += w
            if attacking[r, a] or not total_w > 0.0:
                continue
            pool = 0.0
            out_share = redeploy_rate * (1 - rear_keep)
            from_reserve = reserve[r, a] * reserve_rate if can_enter else 0.0
            for g in range(G):
                if threat[r, a, g] <= 0.0 and F[r, a, g] > 0.0:
                    pool += F[r, a, g] * out_share
            pool += from_reserve
            for g in range(G):
                f = F[r, a, g]
                out = f * out_share if (threat[r, a, g] <= 0.0 and f > 0.0) else 0.0
                new = f - out + pool * (weight[g] / total_w)
                incoming = new - f
                if incoming > 0.0:
                    morale[r, a, g] = (morale[r, a, g] * f + morale0[r, a] * incoming) / (
                        f + incoming)
                F[r, a, g] = new
            reserve[r, a] -= from_reserve


@kernel
def _retreat_destination(F, control, st, s, ally_code, coop_code, adj, b, r,
                         h):  # pragma: no cover
    """Where actor b's force in region h falls back (sim.model.rules.movement.retreat_destination):
    the neighbour held by b or a friend where b has most forces (first on ties), or -1."""
    best = -1
    best_score = -1.0
    for d in range(F.shape[2]):
        if adj[h, d]:
            holder = control[r, d]
            if holder >= 0 and st[s, b, holder] in (ally_code, coop_code):
                score = F[r, b, d] + 1.0
                if score > best_score:
                    best_score = score
                    best = d
    return best


@kernel
def retreat(F, morale, losses, control, st, ally_code, coop_code, adj, b, rows,
            regions):  # pragma: no cover
    """Actor b's forces leave region regions[i] in replication rows[i] (sim/model/rules/movement.py,
    retreat_destination): each goes to the neighbour held by b or a friend where b has most
    forces (first on ties), chosen before anyone moves, and brings its morale (mixed in by
    headcount); with nowhere to go it is lost (dispersed or captured). Updates F, morale and
    losses in place.
    """
    R, A, G = F.shape
    n = rows.shape[0]
    dest = np.empty(n, np.int64)
    moving = np.empty(n)
    for i in range(n):
        r = rows[i]
        s = r if st.shape[0] > 1 else 0
        dest[i] = _retreat_destination(F, control, st, s, ally_code, coop_code, adj, b, r,
                                       regions[i])
        moving[i] = F[r, b, regions[i]]
    for i in range(n):
        F[rows[i], b, regions[i]] = 0.0
    weight = np.zeros((R, G))
    carried = np.zeros((R, G))
    for i in range(n):
        r = rows[i]
        d = dest[i]
        if d >= 0:
            weight[r, d] += moving[i]
            carried[r, d] += moving[i] * morale[r, b, regions[i]]
        else:
            losses[r, b] += moving[i]
    for i in range(n):
        r = rows[i]
        d = dest[i]
        if d >= 0 and weight[r, d] > 0.0:
            f = F[r, b, d]
            morale[r, b, d] = (morale[r, b, d] * f + carried[r, d]) / (f + weight[r, d])
            F[r, b, d] = f + weight[r, d]
            weight[r, d] = 0.0


@kernel
def retreat_one(F, morale, losses, control, st, s, ally_code, coop_code, adj, b, r,
                 h):  # pragma: no cover
    """:func:`retreat` for one force (actor b, region h, replication r)."""
    best = _retreat_destination(F, control, st, s, ally_code, coop_code, adj, b, r, h)
    moving = F[r, b, h]
    F[r, b, h] = 0.0
    if best < 0:
        losses[r, b] += moving
        return
    if moving > 0.0:
        f = F[r, b, best]
        morale[r, b, best] = (morale[r, b, best] * f + moving * morale[r, b, h]) / (f + moving)
        F[r, b, best] = f + moving


@kernel
def walk_in(F, adj, rows, regions, actors, share):  # pragma: no cover
    """Phase 7: actor actors[i] occupies the empty region regions[i] of replication rows[i]
    with `share` of its forces in the neighbour where it has most (first on ties), one region
    after another in the order given. Updates F in place."""
    G = F.shape[2]
    for i in range(rows.shape[0]):
        r, g, a = rows[i], regions[i], actors[i]
        src = 0
        most = 0.0
        for h in range(G):
            f = F[r, a, h] if adj[g, h] else 0.0
            if f > most:
                most = f
                src = h
        detachment = most * share
        F[r, a, src] -= detachment
        F[r, a, g] += detachment
