"""Phase 5 kernels: air strikes and ground combat (sim/model/rules/support.py,
sim/model/rules/combat.py)."""

from __future__ import annotations

import numpy as np

from sim.model.kernels._common import cell_power, clip1, clip_row, kernel
from sim.model.kernels.movement import retreat_one


@kernel
def air_strikes(F, losses, loss_today, sorties, intel, ground, ep, st, war_code, nb_ptr,
                nb_idx, kills_per_sortie):  # pragma: no cover
    """Phase 5, air (sim/model/rules/support.py, air_strike_losses): each actor with sorties, in
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


# Fields of a battle record (kernels.battles, for the narrative of one replication).
REC_FIELDS = ("fought", "region", "att_pers", "def_pers", "power_ratio", "posture", "air",
              "surprise", "river", "roll", "p_win", "won", "att_loss", "def_loss", "advance",
              "old_holder")


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
    """Phase 5, ground combat (sim/model/rules/combat.py; the engine's `_combat`): in every
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
            att_pow = cell_power(att_pers, rq[r, a], mor, neutral, weight, floor)
            def_pers = 0.0
            def_pow = 0.0
            enemy_air = 0.0
            enemy_intel = 0.0
            for b in range(A):
                at_war = st[s, a, b] == war_code
                def_by[b] = F[r, b, h] if at_war else 0.0
                def_pow_by[b] = cell_power(def_by[b], rq[r, b], morale[r, b, h], neutral, weight,
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
            # Adjudication (sim.model.rules.combat.adjudicate).
            log_a = np.log(max(att_pow, 0.0) + 1e-9)
            log_d = np.log(max(def_pow, 0.0) + 1e-9)
            z = (c0 + slope * (log_a - log_d) + posture_effect[posture[r, h]]
                 + terrain_effect[terrain[h]] + river_effect * crossing
                 + air_coef * clip1(air_sup) + surprise_coef * clip1(surprise))
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
            left_att = cell_power(att_pers - a_lost_total, rq[r, a], mor, neutral, weight, floor)
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
            clip_row(morale, r)
            if not advance:
                continue
            for b in range(A):
                if st[s, a, b] == war_code and F[r, b, h] > 0.0:
                    retreat_one(F, morale, losses, control, st, s, ally_code, coop_code, adj,
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
                clip_row(morale, r)
