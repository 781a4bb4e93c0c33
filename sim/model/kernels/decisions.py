"""Phase 3 kernels: attack options and their value (sim/model/rules/decisions.py, combat.py) and
the actors' logit choice."""

from __future__ import annotations

import numpy as np

from sim.model.kernels._common import cell_power, clip1, kernel, partners


@kernel
def _attack_value(ap, e, pers, posture_term, terrain_term, air_sup, surprise, cst, log_fixed,
                  mean_factor, val, tol_left, loss_aversion, advance_ratio):  # pragma: no cover
    """(P(win), utility) of one legal attack; see :func:`options`. log_fixed: a failed attack's
    median log loss share at parity; mean_factor: the lognormal mean factor exp(sigma^2 / 2)."""
    c0, slope, air_coef, surprise_coef = cst[0], cst[1], cst[3], cst[4]
    loss_exp, log_cap = cst[6], cst[15]
    tiny = 1e-9
    log_ap = np.log(max(ap, 0.0) + tiny)
    log_ep = np.log(max(e, 0.0) + tiny)
    z = (c0 + slope * (log_ap - log_ep) + posture_term + terrain_term
         + air_coef * clip1(air_sup) + surprise_coef * clip1(surprise))
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
    """Phase 3 (sim/model/rules/decisions.py; the engine's `_options`): every actor's attack options
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
    log_fixed = cst[5] + cst[7]  # ln(att_loss_base) + ln(att_loser_mult)
    mean_factor = np.exp(0.5 * cst[8] ** 2)
    ep_r = np.empty((A, G))
    dp_r = np.empty((A, G))
    ap_r = np.empty((A, G))
    af_r = np.empty((A, G))
    strength = np.empty(A)
    enemies = np.empty((A, A), np.int64)
    n_enemies = np.empty(A, np.int64)
    if st.shape[0] == 1:
        partners(st, 0, war_code, war_code, enemies, n_enemies)
    for r in range(R):
        s = r if st.shape[0] > 1 else 0
        if st.shape[0] > 1:
            partners(st, s, war_code, war_code, enemies, n_enemies)
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
                    p = cell_power(f, rq[r, b], mr[b, h], neutral, weight, floor)
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
                    air_sup, surprise, cst, log_fixed, mean_factor, val, tol_left,
                    loss_aversion, advance_ratio)


@kernel
def logit_choice(utility, legal, hold, beta, u, out):  # pragma: no cover
    """sim.model.rules.decisions.logit_choice for one actor: utility, legal (R, G); hold, beta, u,
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
