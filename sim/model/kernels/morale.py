"""Phase 6 kernel: morale, cohesion and rout (sim/model/rules/morale.py)."""

from __future__ import annotations

import numpy as np

from sim.model.kernels._common import cell_power, kernel, partners


@kernel
def morale_phase(F, morale, morale0, loss_today, momentum, losses, rq, aggression, st,
                 war_code, ally_code, coop_code, nb_ptr, nb_idx, neutral, weight, floor,
                 recovery, loss_shock, isolation_shock, rout_threshold,
                 broken):  # pragma: no cover
    """Phase 6 (sim/model/rules/morale.py): remnants under one person are lost; every cell's morale
    relaxes to baseline, drops with today's losses and with a bad local ratio (enemy power,
    weighted by aggression, over friendly power in the region's reach) and moves with
    momentum. Updates F, morale, losses in place. The forces that rout (morale under the
    threshold, personnel present) are written to `broken` as flat indices (r A + a) G + g in
    C order, as np.nonzero would list them; returns how many.
    """
    R, A, G = F.shape
    n_broken = 0
    near = np.empty((A, G))
    mine = np.empty((A, G))
    enemies = np.empty((A, A), np.int64)
    n_enemies = np.empty(A, np.int64)
    friends = np.empty((A, A), np.int64)
    n_friends = np.empty(A, np.int64)
    if st.shape[0] == 1:
        partners(st, 0, war_code, war_code, enemies, n_enemies)
        partners(st, 0, ally_code, coop_code, friends, n_friends)
    for r in range(R):
        if st.shape[0] > 1:
            partners(st, r, war_code, war_code, enemies, n_enemies)
            partners(st, r, ally_code, coop_code, friends, n_friends)
        near[:] = 0.0
        mine[:] = 0.0
        Fr, mr, lr = F[r], morale[r], loss_today[r]
        for b in range(A):
            lost = 0.0
            for h in range(G):
                f = Fr[b, h]
                if f < 1.0:
                    lost += f
                    Fr[b, h] = 0.0
                    continue
                p = cell_power(f, rq[r, b], mr[b, h], neutral, weight, floor)
                pe = p * aggression[r, b]
                for k in range(nb_ptr[h], nb_ptr[h + 1]):
                    g = nb_idx[k]
                    for i in range(n_enemies[b]):
                        near[enemies[b, i], g] += pe
                    for i in range(n_friends[b]):
                        mine[friends[b, i], g] += p
            losses[r, b] += lost
        for a in range(A):
            m0 = morale0[r, a]
            drift = 0.01 * momentum[r, a]
            for g in range(G):
                m = mr[a, g]
                m = (m0 - m) * recovery + m
                lt = lr[a, g]
                if lt > 0.0:
                    m -= loss_shock * lt / (Fr[a, g] + lt)
                e = near[a, g]
                o = mine[a, g]
                if e > o and o > 0.0:
                    ratio = min(e / o, 1.7976931348623157e308)
                    m -= isolation_shock * np.log(ratio) * (1.0 - m0)
                m += drift
                m = min(max(m, 0.0), 1.0)
                mr[a, g] = m
                if m < rout_threshold and Fr[a, g] > 0.0:
                    broken[n_broken] = (r * A + a) * G + g
                    n_broken += 1
    return n_broken
