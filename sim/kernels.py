"""Fused kernels for the dense, every-cell work of a step, compiled with numba.

The rules are stated once, as vectorised NumPy functions in sim/rules/ (the reference, with
docs/model.md). Applied to whole (R, actors, regions) arrays they cost about 150 array passes
per step, each a trip through memory for a few flops; profiling showed that this, not the
model's logic, was where ensemble time went. Each kernel here does one phase's dense work in a
single pass per replication, skipping cells without forces, and tests/test_kernels.py checks
that it gives the reference rules' results.

Conventions:
- every loop is over replications first and each replication only reads its own rows, so a
  replication gives the same numbers alone or in a batch of any size (no fastmath: no
  reassociation of sums);
- relations come as stance codes `st` of shape (S, A, A), S = 1 when every replication has the
  same stances (then row 0 serves all) or S = R;
- region neighbourhoods ("a region and its neighbours", the reach) come as CSR arrays
  `nb_ptr`, `nb_idx` (see :func:`neighbourhoods`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

# cache: compiled code is kept next to this file, so worker processes load it instead of
# compiling; nogil: a kernel does not hold up other threads (dask's worker threads).
# error_model="numpy": no zero-division checks in the loops (every division is guarded).
kernel = njit(cache=True, nogil=True, error_model="numpy")


def neighbourhoods(reach: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR form of a (G, G) reach matrix: the regions h with reach[h, g] > 0, for each g."""
    cols = [np.nonzero(reach[:, g] > 0)[0] for g in range(reach.shape[0])]
    ptr = np.zeros(len(cols) + 1, np.int64)
    ptr[1:] = np.cumsum([len(c) for c in cols])
    idx = np.concatenate(cols).astype(np.int64) if cols else np.zeros(0, np.int64)
    return ptr, idx


@kernel
def _power(f: float, rq: float, m: float, neutral: float, weight: float, floor: float) -> float:
    """Combat power of one cell, as sim.rules.combat.combat_power (same operation order)."""
    mf = (m - neutral) * weight + 1.0
    if mf < floor:
        mf = floor
    p = mf * rq * f
    return p if p > 0.0 else 0.0


@kernel
def _partners(st, s, code1, code2, out, count):  # pragma: no cover
    """For every actor b, the actors a with st[s, a, b] in (code1, code2): out[b, :count[b]]."""
    A = st.shape[1]
    for b in range(A):
        n = 0
        for a in range(A):
            rel = st[s, a, b]
            if rel in (code1, code2):
                out[b, n] = a
                n += 1
        count[b] = n


def combat_args(cc: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The combat constants the kernels read: (scalars, posture effects, terrain effects).

    Scalars, in order: win_intercept, ratio_slope, air_coef, surprise_coef, att_loss_exp,
    ln(att_loss_base) + ln(att_loser_mult) (a failed attack's median log loss share at
    parity), ln(max_daily_loss_share) and exp(att_loss_sigma^2 / 2) (the lognormal mean
    factor), computed once here rather than per option.
    """
    scalars = np.array([cc.win_intercept, cc.ratio_slope, cc.air_coef, cc.surprise_coef,
                        cc.att_loss_exp, np.log(cc.att_loss_base) + np.log(cc.att_loser_mult),
                        np.log(cc.max_daily_loss_share), np.exp(0.5 * cc.att_loss_sigma**2)],
                       dtype=np.float64)
    return (scalars, np.asarray(cc.posture_effect, np.float64),
            np.asarray(cc.terrain_effect, np.float64))


@kernel
def _clip1(x: float) -> float:
    return min(max(x, -1.0), 1.0)


@kernel
def _attack_value(ap, e, pers, posture_term, terrain_term, air_sup, surprise, cst, val,
                  tol_left, loss_aversion, advance_ratio):  # pragma: no cover
    """(P(win), utility) of one legal attack; see :func:`options`."""
    c0, slope, air_coef, surprise_coef = cst[0], cst[1], cst[2], cst[3]
    loss_exp, log_fixed, log_cap, mean_factor = cst[4], cst[5], cst[6], cst[7]
    tiny = 1e-9
    log_ap = np.log(max(ap, 0.0) + tiny)
    log_ep = np.log(max(e, 0.0) + tiny)
    z = (c0 + slope * (log_ap - log_ep) + posture_term + terrain_term
         + air_coef * _clip1(air_sup) + surprise_coef * _clip1(surprise))
    p = 0.5 * (1.0 + np.tanh(0.5 * z))
    share = np.exp(min(log_fixed + loss_exp * (log_ep - log_ap), log_cap))
    loss = min(share * pers, pers) * mean_factor / pers
    sup = ap / (advance_ratio * e) if e > 0.0 else 1.0
    take = p * min(sup, 1.0) ** 2
    return p, take * val - loss_aversion * loss / tol_left


@kernel
def options(F, reserve, morale, rq, st, war_code, control, nb_ptr, nb_idx, commit, min_pers,
            min_ratio, cas_tol, lost_share, neutral, weight, floor, posture, terrain, air,
            intel, hostility_goal, goals, value, cst, posture_effect, terrain_effect,
            air_reference, opportunity, loss_aversion, advance_ratio,
            ep, threat, legal, p_win, utility, att_power, att_pers,
            def_pers):  # pragma: no cover
    """Phase 3 (sim/rules/decisions.py; the engine's `_options`): every actor's attack options
    against every region, per replication.

    For actor a and region g: ep = combat power of a's enemies in g, threat = ep summed over
    g's reach, attack power / personnel = commit x a's power / personnel in g's reach.
    Attacking g is legal when there are enemies in g or an enemy holds it, the attack has
    min_pers personnel and min_ratio x ep power, and a's losses are within its tolerance.
    Each legal attack gets
      air_sup  = (air_a - enemy air) / (air_a + enemy air + air_reference)
      surprise = (intel_a - max(0, max enemy intel)) / 2
      p        = win_probability(attack power, ep, posture, terrain, no river, air, surprise)
      loss     = mean daily loss share if it fails (daily_losses at median noise x exp(s^2/2))
      value    = goal + opportunity x value_g / mean value + hostility-weighted enemy share
      utility  = attack_utility(p, attack power, ep, value, loss, tolerance left)
    and other cells p_win = utility = 0.

    Writes ep, threat, legal, p_win, utility (R, A, G). att_power, att_pers and def_pers
    (enemy personnel) are written only when given with R rows (shape (0, A, G): not wanted):
    the ensemble does not need them and every full array written costs memory bandwidth, the
    limit of this kernel. Per replication, work stays in (A, G) scratch arrays.
    """
    R, A, G = F.shape
    detail = att_power.shape[0] == R
    ep_r = np.empty((A, G))
    dp_r = np.empty((A, G))
    ap_r = np.empty((A, G))
    af_r = np.empty((A, G))
    strength = np.empty(A)
    enemies = np.empty((A, A), np.int64)
    n_enemies = np.empty(A, np.int64)
    if st.shape[0] == 1:
        _partners(st, 0, war_code, war_code, enemies, n_enemies)
    for r in range(R):
        s = r if st.shape[0] > 1 else 0
        if st.shape[0] > 1:
            _partners(st, s, war_code, war_code, enemies, n_enemies)
        ep_r[:] = 0.0
        dp_r[:] = 0.0
        ap_r[:] = 0.0
        af_r[:] = 0.0
        Fr, mr = F[r], morale[r]
        # Forces: enemy power and personnel in each region, attack power in each reach.
        for b in range(A):
            total = 0.0
            for h in range(G):
                f = Fr[b, h]
                total += f
                if f > 0.0:
                    p = _power(f, rq[r, b], mr[b, h], neutral, weight, floor)
                    for i in range(n_enemies[b]):
                        a = enemies[b, i]
                        ep_r[a, h] += p
                        dp_r[a, h] += f
                    for k in range(nb_ptr[h], nb_ptr[h + 1]):
                        g = nb_idx[k]
                        ap_r[b, g] += p
                        af_r[b, g] += f
            strength[b] = total + reserve[r, b]
        mean_value = 0.0
        for g in range(G):
            mean_value += value[r, g]
        mean_value /= G
        for a in range(A):
            threat_a, ep_a, legal_a = threat[r, a], ep[r, a], legal[r, a]
            p_win_a, utility_a = p_win[r, a], utility[r, a]
            most = 0.0
            for g in range(G):
                threat_a[g] = 0.0
                most = max(most, af_r[a, g])
            for h in range(G):
                e = ep_r[a, h]
                ep_a[h] = e
                if e > 0.0:
                    for k in range(nb_ptr[h], nb_ptr[h + 1]):
                        threat_a[nb_idx[k]] += e
            if detail:
                for g in range(G):
                    att_power[r, a, g] = ap_r[a, g] * commit
                    att_pers[r, a, g] = af_r[a, g] * commit
                    def_pers[r, a, g] = dp_r[a, g]
            ok_a = lost_share[r, a] < cas_tol[r, a]
            if not (ok_a and most * commit >= min_pers):  # no attack possible anywhere
                for g in range(G):
                    legal_a[g] = False
                    p_win_a[g] = 0.0
                    utility_a[g] = 0.0
                continue
            enemy_air = 0.0
            enemy_intel = 0.0
            for b in range(A):
                if st[s, a, b] == war_code:
                    enemy_air += air[r, b]
                    enemy_intel = max(enemy_intel, intel[r, b])
            air_sup = (air[r, a] - enemy_air) / (air[r, a] + enemy_air + air_reference)
            surprise = 0.5 * (intel[r, a] - enemy_intel)
            tol_left = max(cas_tol[r, a] - lost_share[r, a], 0.02)
            for g in range(G):
                ap = ap_r[a, g] * commit
                af = af_r[a, g] * commit
                e = ep_r[a, g]
                ok = af >= min_pers and ap >= min_ratio * e
                if ok and not e > 0.0:
                    holder = control[r, g]
                    ok = holder >= 0 and st[s, holder, a] == war_code  # held by an enemy
                legal_a[g] = ok
                if not ok:
                    p_win_a[g] = 0.0
                    utility_a[g] = 0.0
                    continue
                enemy_share = 0.0
                for b in range(A):
                    w = hostility_goal[a, b]
                    if w != 0.0:
                        enemy_share += w * (Fr[b, g] / max(strength[b], 1.0))
                val = goals[a, g] + opportunity * value[r, g] / mean_value + enemy_share
                p_win_a[g], utility_a[g] = _attack_value(
                    ap, e, af, posture_effect[posture[r, g]], terrain_effect[terrain[g]],
                    air_sup, surprise, cst, val, tol_left, loss_aversion, advance_ratio)


@kernel
def logit_choice(utility, legal, hold, beta, u, out):  # pragma: no cover
    """sim.rules.decisions.logit_choice for one actor: utility, legal (R, G); hold, beta, u,
    out (R,). Writes the chosen region, or -1 (hold), to out."""
    R, G = utility.shape
    cdf = np.empty(G + 1)
    for r in range(R):
        b = beta[r]
        top = hold[r] * b
        for g in range(G):
            if legal[r, g]:
                sc = utility[r, g] * b
                if sc > top:
                    top = sc
        total = 0.0
        for g in range(G):
            if legal[r, g]:
                total += np.exp(utility[r, g] * b - top)
            cdf[g] = total
        total += np.exp(hold[r] * b - top)
        cdf[G] = total
        cut = u[r] * total
        pick = 0
        for j in range(G + 1):
            if cdf[j] < cut:
                pick += 1
        if pick > G:
            pick = G
        out[r] = -1 if pick == G else pick


@kernel
def movement(F, reserve, morale, morale0, threat, attacking, control, st, ally_code, coop_code,
             goals, entry, redeploy_rate, reserve_rate, rear_keep, ground):  # pragma: no cover
    """Phase 4 (sim/rules/movement.py, redeploy): every actor not attacking this step moves
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
def morale_phase(F, morale, morale0, loss_today, momentum, losses, rq, aggression, st,
                 war_code, ally_code, coop_code, nb_ptr, nb_idx, neutral, weight, floor,
                 recovery, loss_shock, isolation_shock, rout_threshold,
                 broken):  # pragma: no cover
    """Phase 6 (sim/rules/morale.py): remnants under one person are lost; every cell's morale
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
        _partners(st, 0, war_code, war_code, enemies, n_enemies)
        _partners(st, 0, ally_code, coop_code, friends, n_friends)
    for r in range(R):
        if st.shape[0] > 1:
            _partners(st, r, war_code, war_code, enemies, n_enemies)
            _partners(st, r, ally_code, coop_code, friends, n_friends)
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
                p = _power(f, rq[r, b], mr[b, h], neutral, weight, floor)
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


@kernel
def air_strikes(F, losses, loss_today, sorties, intel, ground, ep, st, war_code, nb_ptr,
                nb_idx, kills_per_sortie):  # pragma: no cover
    """Phase 5, air (sim/rules/support.py, air_strike_losses): each actor with sorties, in
    actor order, strikes the region in reach of its ground or forces where the enemy power
    assessed at decision time (ep) is greatest (first such region on ties); kills =
    sorties x kills_per_sortie x (0.5 + intel), shared over the enemies present by headcount,
    each loss at most the personnel present. Updates F, losses and loss_today in place.
    """
    R, A, G = F.shape
    near = np.empty((A, G), np.bool_)
    for r in range(R):
        s = r if st.shape[0] > 1 else 0
        active = False
        for a in range(A):
            active = active or sorties[r, a] > 0.0
        if not active:
            continue
        # Reach of each actor's ground or forces, fixed before the first strike.
        near[:] = False
        for a in range(A):
            for h in range(G):
                if ground[r, a, h] or F[r, a, h] > 0.0:
                    for k in range(nb_ptr[h], nb_ptr[h + 1]):
                        near[a, nb_idx[k]] = True
        for a in range(A):
            if not sorties[r, a] > 0.0:
                continue
            tgt = 0
            best = 0.0
            for g in range(G):
                score = ep[r, a, g] if near[a, g] else 0.0
                if score > best:
                    best = score
                    tgt = g
            if not best > 0.0:
                continue
            total = 0.0
            for b in range(A):
                if st[s, a, b] == war_code:
                    total += F[r, b, tgt]
            if not total > 0.0:
                continue
            kills = sorties[r, a] * kills_per_sortie * (0.5 + intel[r, a])
            for b in range(A):
                if st[s, a, b] == war_code:
                    present = F[r, b, tgt]
                    lost = min(kills * (present / total), present)
                    F[r, b, tgt] -= lost
                    losses[r, b] += lost
                    loss_today[r, b, tgt] += lost


@kernel
def _retreat_destination(F, control, st, s, ally_code, coop_code, adj, b, r,
                         h):  # pragma: no cover
    """Where actor b's force in region h falls back (sim.rules.movement.retreat_destination):
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
    """Actor b's forces leave region regions[i] in replication rows[i] (sim/rules/movement.py,
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
def control_changes(F, control, st, war_code, ally_code, coop_code, adj, goals, new_holder,
                    walk):  # pragma: no cover
    """Phase 7: which held regions change hands this step.

    A region is undefended when neither its holder nor a friend of the holder (alliance,
    cooperation) has personnel in it. It passes to the holder's enemy with most personnel
    inside; with none inside, to the enemy with most personnel in the neighbouring regions
    among those with a goal there (walk[r, g] = True: it must send a detachment). First actor
    on ties. new_holder[r, g] = that actor, or -1 when the region does not change hands.
    """
    R, A, G = F.shape
    for r in range(R):
        s = r if st.shape[0] > 1 else 0
        for g in range(G):
            new_holder[r, g] = -1
            walk[r, g] = False
            holder = control[r, g]
            if holder < 0:
                continue
            held = 0.0
            for b in range(A):
                if st[s, holder, b] in (ally_code, coop_code):
                    held += F[r, b, g]
            if held > 0.0:
                continue
            best = -1
            most = 0.0
            for a in range(A):
                if st[s, holder, a] == war_code and F[r, a, g] > most:
                    most = F[r, a, g]
                    best = a
            if best < 0:
                for a in range(A):
                    if st[s, holder, a] != war_code or not goals[a, g] > 0:
                        continue
                    near = 0.0
                    for h in range(G):
                        if adj[g, h]:
                            near += F[r, a, h]
                    if near > most:
                        most = near
                        best = a
                walk[r, g] = best >= 0
            new_holder[r, g] = best


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


@kernel
def territory(control, value, out):  # pragma: no cover
    """out[r, a] = share of replication r's total strategic value in regions held by a."""
    R, A = out.shape
    for r in range(R):
        total = 0.0
        for a in range(A):
            out[r, a] = 0.0
        for g in range(control.shape[1]):
            total += value[r, g]
            holder = control[r, g]
            if holder >= 0:
                out[r, holder] += value[r, g]
        for a in range(A):
            out[r, a] /= total


# Fields of a battle record (kernels.battles, for the narrative of one replication).
REC_FIELDS = ("fought", "region", "att_pers", "def_pers", "power_ratio", "posture", "air",
              "surprise", "river", "roll", "p_win", "won", "att_loss", "def_loss", "advance",
              "old_holder")


def battle_args(cc: Any) -> np.ndarray:
    """The combat constants :func:`battles` reads, with the logs sim.rules.combat takes of
    them computed here the same way (NumPy), once."""
    rho = cc.loss_noise_corr
    return np.array([cc.win_intercept, cc.ratio_slope, cc.river_effect, cc.air_coef,
                     cc.surprise_coef, np.log(cc.att_loss_base), cc.att_loss_exp,
                     np.log(cc.att_loser_mult), cc.att_loss_sigma, np.log(cc.def_loss_base),
                     cc.def_loss_exp, np.log(cc.def_loser_mult), cc.def_loss_sigma, rho,
                     np.sqrt(1.0 - rho**2), np.log(cc.max_daily_loss_share)], dtype=np.float64)


@kernel
def _clip_row(morale, r):  # pragma: no cover
    A, G = morale.shape[1], morale.shape[2]
    for a in range(A):
        for g in range(G):
            morale[r, a, g] = min(max(morale[r, a, g], 0.0), 1.0)


@kernel
def _retreat_one(F, morale, losses, control, st, s, ally_code, coop_code, adj, b, r,
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
def _record(rec, rec_def, r, a, h, att_pers, def_pers, power_ratio, posture, air, surprise,
            river, roll, p_win, won, att_loss, def_loss, advance, def_by):  # pragma: no cover
    """One battle's REC_FIELDS (old_holder -2: no change of hands, set later if it changes)."""
    values = (1.0, float(h), att_pers, def_pers, power_ratio, float(posture), air, surprise,
              1.0 if river else 0.0, roll, p_win, 1.0 if won else 0.0, att_loss, def_loss,
              1.0 if advance else 0.0, -2.0)
    for i in range(16):
        rec[r, a, i] = values[i]
    for b in range(def_by.shape[0]):
        rec_def[r, a, b] = def_by[b]


@kernel
def battles(F, morale, losses, loss_today, momentum, control, posture, held_days, ever,
            targets, rq, air, intel, value, st, war_code, ally_code, coop_code, adj, river,
            terrain, nb_ptr, nb_idx, u_win, z_att, z_def, bcst, posture_effect, terrain_effect,
            neutral, weight, floor, commit, min_pers, air_reference, advance_ratio, loss_days,
            victory_boost, defeat_shock, region_loss_shock, rec, rec_def):  # pragma: no cover
    """Phase 5, ground combat (sim/rules/combat.py; the engine's `_combat`): in every
    replication, each actor with a target (targets[r, a] >= 0), in actor order, attacks it.

    The attack commits `commit` of the actor's forces in the target's reach (no battle under
    min_pers / 2). adjudicate: P(win) = sigmoid(c0 + b ln(Pa/Pd) + posture + terrain + river
    + air + surprise); the attacker wins if u_win < P(win); daily loss shares
    base x ratio^e x [loser multiplier] x exp(sigma z) (z_att, and the defender's
    rho z_att + sqrt(1 - rho^2) z_def), capped, x loss_days, shared over the origins and the
    defenders by headcount. The winner advances only if its power left is at least
    advance_ratio x the defender's: beaten defenders retreat, the committed survivors move
    in, the region changes hands (posture hasty, the loser's morale drops by
    region_loss_shock x the region's value share). Momentum and morale move with the result.
    When rec has R rows, each battle is recorded (REC_FIELDS; rec_def: defenders by actor)
    for the narrative. Updates the state arrays in place.
    """
    R, A, G = F.shape
    c0, slope, river_effect, air_coef, surprise_coef = bcst[0], bcst[1], bcst[2], bcst[3], bcst[4]
    la_base, a_exp, la_loser, a_sigma = bcst[5], bcst[6], bcst[7], bcst[8]
    ld_base, d_exp, ld_loser, d_sigma, rho, rho_c, log_cap = (bcst[9], bcst[10], bcst[11],
                                                               bcst[12], bcst[13], bcst[14],
                                                               bcst[15])
    record = rec.shape[0] == R
    committed = np.empty(G)
    def_by = np.empty(A)
    def_pow_by = np.empty(A)
    for r in range(R):
        s = r if st.shape[0] > 1 else 0
        for a in range(A):
            h = targets[r, a]
            if h < 0:
                continue
            # The attacking force: commit x a's forces in h's reach.
            att_pers = 0.0
            for g in range(G):
                committed[g] = 0.0
            for k in range(nb_ptr[h], nb_ptr[h + 1]):
                g = nb_idx[k]
                committed[g] = commit * F[r, a, g]
            for g in range(G):
                att_pers += committed[g]
            if not att_pers >= min_pers * 0.5:
                continue
            mor = 0.0
            for g in range(G):
                mor += morale[r, a, g] * committed[g]
            mor /= max(att_pers, 1e-9)
            att_pow = _power(att_pers, rq[r, a], mor, neutral, weight, floor)
            def_pers = 0.0
            def_pow = 0.0
            enemy_air = 0.0
            enemy_intel = 0.0
            for b in range(A):
                at_war = st[s, a, b] == war_code
                def_by[b] = F[r, b, h] if at_war else 0.0
                def_pow_by[b] = _power(def_by[b], rq[r, b], morale[r, b, h], neutral, weight,
                                       floor)
                def_pers += def_by[b]
                def_pow += def_pow_by[b]
                if at_war:
                    enemy_air += air[r, b]
                    enemy_intel = max(enemy_intel, intel[r, b])
            air_sup = (air[r, a] - enemy_air) / (air[r, a] + enemy_air + air_reference)
            surprise = 0.5 * (intel[r, a] - enemy_intel)
            # A river crossing: every origin with forces reaches h across a river.
            any_origin = False
            any_dry = False
            for g in range(G):
                if F[r, a, g] > 0.0 and (adj[h, g] or g == h):
                    any_origin = True
                    any_dry = any_dry or not river[h, g]
            crossing = any_origin and not any_dry
            # Adjudication (sim.rules.combat.adjudicate).
            log_a = np.log(max(att_pow, 0.0) + 1e-9)
            log_d = np.log(max(def_pow, 0.0) + 1e-9)
            z = (c0 + slope * (log_a - log_d) + posture_effect[posture[r, h]]
                 + terrain_effect[terrain[h]] + river_effect * crossing
                 + air_coef * _clip1(air_sup) + surprise_coef * _clip1(surprise))
            p = 0.5 * (1.0 + np.tanh(0.5 * z))
            won = u_win[r, a] < p
            za = z_att[r, a]
            zd = rho * za + rho_c * z_def[r, a]
            share_a = np.exp(min(la_base + a_exp * (log_d - log_a) + (0.0 if won else la_loser)
                                 + a_sigma * za, log_cap))
            share_d = np.exp(min(ld_base + d_exp * (log_a - log_d) + (ld_loser if won else 0.0)
                                 + d_sigma * zd, log_cap))
            a_pers = max(att_pers, 0.0)
            d_pers = max(def_pers, 0.0)
            att_loss = min(share_a * a_pers, a_pers) * loss_days
            def_loss = min(share_d * d_pers, d_pers) * loss_days
            # Losses by origin and by defender, in proportion to what each committed.
            a_lost_total = 0.0
            for g in range(G):
                if committed[g] > 0.0:
                    lost = min(att_loss * (committed[g] / max(att_pers, 1e-9)), F[r, a, g])
                    F[r, a, g] -= lost
                    losses[r, a] += lost
                    loss_today[r, a, g] += lost
                    committed[g] -= lost
                    a_lost_total += lost
            d_lost_total = 0.0
            for b in range(A):
                if def_by[b] > 0.0:
                    lost = min(def_loss * (def_by[b] / max(def_pers, 1e-9)), F[r, b, h])
                    F[r, b, h] -= lost
                    losses[r, b] += lost
                    loss_today[r, b, h] += lost
                    d_lost_total += lost
            left_att = _power(att_pers - a_lost_total, rq[r, a], mor, neutral, weight, floor)
            left_def = def_pow * max(1 - d_lost_total / max(def_pers, 1e-9), 0)
            advance = won and left_att >= advance_ratio * left_def
            if record:
                _record(rec, rec_def, r, a, h, att_pers, def_pers, att_pow / max(def_pow, 1e-9),
                        posture[r, h], air_sup, surprise, crossing, u_win[r, a], p, won,
                        att_loss, def_loss, advance, def_by)
            # Momentum and morale after the battle.
            momentum[r, a] = 0.7 * momentum[r, a] + 0.3 * (1.0 if won else -1.0)
            shift = victory_boost if won else -defeat_shock
            for g in range(G):
                if committed[g] > 0.0:
                    morale[r, a, g] += shift
            for b in range(A):
                if st[s, a, b] == war_code:
                    if won:
                        momentum[r, b] = 0.7 * momentum[r, b] - 0.3
                    if advance and F[r, b, h] > 0.0:
                        morale[r, b, h] -= defeat_shock
            _clip_row(morale, r)
            if not advance:
                continue
            for b in range(A):
                if st[s, a, b] == war_code and F[r, b, h] > 0.0:
                    _retreat_one(F, morale, losses, control, st, s, ally_code, coop_code, adj,
                                 b, r, h)
            moved = 0.0
            for g in range(G):
                if g != h:
                    F[r, a, g] -= committed[g]
                    moved += committed[g]
            F[r, a, h] += moved
            old = control[r, h]
            if old == a:
                continue
            control[r, h] = a
            posture[r, h] = 0
            held_days[r, h] = 0
            ever[r, a, h] = True
            if record:
                rec[r, a, 15] = old
            if old >= 0:
                total_value = 0.0
                for g in range(G):
                    total_value += value[r, g]
                shock = region_loss_shock * (value[r, h] / total_value)
                for g in range(G):
                    morale[r, old, g] -= shock
                _clip_row(morale, r)
