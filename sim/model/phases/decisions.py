"""Phase 3 kernels: every actor's attack options and their value, and the logit choice."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.model.formulas import (
    WAR,
    air_superiority,
    attack_utility,
    attacker_win_probability,
    combat_power,
    failed_attack_loss,
    hold_utility,
    kernel,
    log_power,
    logit_pick,
    surprise,
    take_chance,
    target_value,
    tolerance_left,
)
from sim.model.phases.common import partners, stance_row


class _Scratch(NamedTuple):
    """One replication's working arrays (A, G) / (A,) / (A, A), reused for every r."""

    enemy_power: np.ndarray  # power of each actor's enemies in each region
    enemy_pers: np.ndarray  # their personnel
    reach_power: np.ndarray  # each actor's power in each region's reach
    reach_pers: np.ndarray  # its personnel
    strength: np.ndarray  # each actor's strength (regions + reserve)
    enemies: np.ndarray  # enemies[b, :n_enemies[b]]: the actors at war with b
    n_enemies: np.ndarray


@kernel
def options(state, step, sampled, geo, k, out):  # pragma: no cover
    """Phase 3, per replication: for actor a and region g, enemy power E (power of a's
    enemies in g), threat (E summed over g's reach), and for every legal attack its P(win)
    and utility (formulas.attacker_win_probability, take_chance, target_value,
    attack_utility; no river term at decision time).

    Legal: enemies in g or an enemy holds it, commit x a's personnel in g's reach >=
    min_attack_personnel, attack power >= min_power_ratio x E, a's losses within its
    tolerance. Writes `out` (DecisionArrays); the detail arrays only when they have R rows.
    Per replication, work stays in (A, G) scratch arrays (memory bandwidth is the limit).
    """
    R, A, G = state.F.shape
    scratch = _Scratch(np.empty((A, G)), np.empty((A, G)), np.empty((A, G)),
                       np.empty((A, G)), np.empty(A), np.empty((A, A), np.int64),
                       np.empty(A, np.int64))
    if step.stances.shape[0] == 1:
        partners(step.stances, 0, False, scratch.enemies, scratch.n_enemies)
    for r in range(R):
        if step.stances.shape[0] > 1:
            partners(step.stances, r, False, scratch.enemies, scratch.n_enemies)
        _forces(state, step, geo, k, r, scratch)
        mean_value = 0.0
        for g in range(G):
            mean_value += sampled.value[r, g]
        mean_value /= G
        for a in range(A):
            _actor_options(state, step, sampled, geo, k, out, r, a, scratch, mean_value)


@kernel
def _forces(state, step, geo, k, r, scratch):  # pragma: no cover
    """Enemy power and personnel in each region, own power and personnel in each reach."""
    A, G = state.F.shape[1], state.F.shape[2]
    enemy_power, enemy_pers = scratch.enemy_power, scratch.enemy_pers
    reach_power, reach_pers = scratch.reach_power, scratch.reach_pers
    enemies, n_enemies, strength = scratch.enemies, scratch.n_enemies, scratch.strength
    enemy_power[:] = 0.0
    enemy_pers[:] = 0.0
    reach_power[:] = 0.0
    reach_pers[:] = 0.0
    for b in range(A):
        total = 0.0
        for h in range(G):
            f = state.F[r, b, h]
            total += f
            if f > 0.0:
                p = combat_power(f, step.readiness_quality[r, b], state.morale[r, b, h], k)
                for i in range(n_enemies[b]):
                    enemy_power[enemies[b, i], h] += p
                    enemy_pers[enemies[b, i], h] += f
                for j in range(geo.nb_ptr[h], geo.nb_ptr[h + 1]):
                    reach_power[b, geo.nb_idx[j]] += p
                    reach_pers[b, geo.nb_idx[j]] += f
        strength[b] = total + state.reserve[r, b]


@kernel
def _actor_options(state, step, sampled, geo, k, out, r, a, scratch,
                   mean_value):  # pragma: no cover
    """Actor a's threat, legal attacks, their P(win) and utility in replication r."""
    G = state.F.shape[2]
    enemy_power, enemy_pers = scratch.enemy_power, scratch.enemy_pers
    reach_power, reach_pers, strength = scratch.reach_power, scratch.reach_pers, \
        scratch.strength
    threat, legal = out.threat[r, a], out.legal[r, a]
    p_win, utility = out.p_win[r, a], out.utility[r, a]
    out.hold_utility[r, a] = hold_utility(sampled.aggression[r, a], k)
    most = 0.0
    for g in range(G):
        threat[g] = 0.0
        most = max(most, reach_pers[a, g])
    for h in range(G):
        e = enemy_power[a, h]
        out.enemy_power[r, a, h] = e
        if e > 0.0:
            for j in range(geo.nb_ptr[h], geo.nb_ptr[h + 1]):
                threat[geo.nb_idx[j]] += e
    if out.att_power.shape[0] == state.F.shape[0]:
        for g in range(G):
            out.att_power[r, a, g] = reach_power[a, g] * k.commit_share
            out.att_personnel[r, a, g] = reach_pers[a, g] * k.commit_share
            out.def_personnel[r, a, g] = enemy_pers[a, g]
    lost_share = (state.losses[r, a] / state.strength0[r, a] if state.strength0[r, a] > 0
                  else 0.0)
    tolerance = sampled.casualty_tolerance[r, a]
    if not (lost_share < tolerance and most * k.commit_share >= k.min_attack_personnel):
        for g in range(G):  # no attack possible anywhere
            legal[g] = False
            p_win[g] = 0.0
            utility[g] = 0.0
        return
    enemy_air, edge = _enemy_air_and_surprise(step, r, a)
    air_sup = air_superiority(step.air[r, a], enemy_air, k.air_reference)
    tol_left = tolerance_left(tolerance, lost_share)
    row = stance_row(step.stances, r)
    for g in range(G):
        ap = reach_power[a, g] * k.commit_share
        af = reach_pers[a, g] * k.commit_share
        e = enemy_power[a, g]
        ok = af >= k.min_attack_personnel and ap >= k.min_power_ratio * e
        if ok and not e > 0.0:
            holder = state.control[r, g]
            ok = holder >= 0 and step.stances[row, holder, a] == WAR  # held by an enemy
        legal[g] = ok
        if not ok:
            p_win[g] = 0.0
            utility[g] = 0.0
            continue
        enemy_share = 0.0
        for b in range(state.F.shape[1]):
            w = geo.hostility_goal[a, b]
            if w != 0.0:
                enemy_share += w * (state.F[r, b, g] / max(strength[b], 1.0))
        val = target_value(geo.goals[a, g], sampled.value[r, g], mean_value, enemy_share, k)
        log_ap, log_e = log_power(ap), log_power(e)
        p = attacker_win_probability(log_ap, log_e, state.posture[r, g], geo.terrain[g], False,
                                     air_sup, edge, k)
        p_win[g] = p
        utility[g] = attack_utility(take_chance(p, ap, e, k), val,
                                    failed_attack_loss(log_ap, log_e, af, k), tol_left, k)


@kernel
def _enemy_air_and_surprise(step, r, a):  # pragma: no cover
    """(enemy sorties, surprise) of actor a: the sum of its enemies' air and its
    intelligence edge over the best-informed enemy (formulas.surprise)."""
    row = stance_row(step.stances, r)
    enemy_air = 0.0
    enemy_intel = 0.0
    for b in range(step.stances.shape[1]):
        if step.stances[row, a, b] == WAR:
            enemy_air += step.air[r, b]
            enemy_intel = max(enemy_intel, step.intel[r, b])
    return enemy_air, surprise(step.intel[r, a], enemy_intel)


@kernel
def choose(utility, legal, hold, beta, u, out):  # pragma: no cover
    """One actor's logit choice in every replication (formulas.logit_pick): utility, legal
    (R, G); hold, beta, u, out (R,). Writes the chosen region, or HOLD."""
    for r in range(utility.shape[0]):
        out[r] = logit_pick(utility[r], legal[r], hold[r], beta[r], u[r])
