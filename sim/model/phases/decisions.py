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
    inline,
    kernel,
    log_power,
    logit_pick,
    surprise,
    take_chance,
    target_value,
    tolerance_left,
)
from sim.model.formulas_campaign import (
    engaged_share,
    felt_loss_share,
    goal_path_value,
    resistance,
    sustain,
    travel_share,
)
from sim.model.phases.common import BLOCK, partners, stance_row


class _Scratch(NamedTuple):
    """Working arrays for a block of BLOCK replications, reused block after block."""

    enemy_power: np.ndarray  # (BLOCK, A, G) power of each actor's enemies in each region
    enemy_pers: np.ndarray  # their personnel
    enemy_resist: np.ndarray  # their power x resistance(will): how strong they look
    reach_power: np.ndarray  # each actor's power in each region's reach
    reach_pers: np.ndarray  # its personnel
    strength: np.ndarray  # (BLOCK, A) each actor's strength (regions + reserve)
    mean_value: np.ndarray  # (BLOCK,) mean strategic value of the regions
    possible: np.ndarray  # (BLOCK, A) bool: the actor can attack somewhere
    air_sup: np.ndarray  # (BLOCK, A) its air superiority
    edge: np.ndarray  # (BLOCK, A) its surprise
    tol_left: np.ndarray  # (BLOCK, A) its casualty tolerance left
    enemies: np.ndarray  # (A, A) enemies[b, :n_enemies[b]]: the actors at war with b
    n_enemies: np.ndarray  # (A,)


@kernel
def options(state, step, sampled, geo, k, out):  # pragma: no cover
    """Phase 3, per replication: for actor a and region g, enemy power E (power of a's
    enemies in g), threat (E summed over g's reach), and for every legal attack its P(win)
    and utility (formulas.attacker_win_probability, take_chance, target_value,
    attack_utility; no river term at decision time).

    Legal: enemies in g or an enemy holds it, commit x a's personnel in g's reach >=
    min_attack_personnel, attack power >= min_power_ratio x E, a's losses within its
    tolerance. Writes `out` (DecisionArrays); the detail arrays only when they have R rows.
    Replications go in blocks of BLOCK whose working arrays stay in cache.
    """
    R, A, G = state.F.shape
    n = min(BLOCK, R)
    scratch = _Scratch(np.empty((n, A, G)), np.empty((n, A, G)), np.empty((n, A, G)),
                       np.empty((n, A, G)), np.empty((n, A, G)), np.empty((n, A)), np.empty(n),
                       np.empty((n, A), np.bool_), np.empty((n, A)), np.empty((n, A)),
                       np.empty((n, A)), np.empty((A, A), np.int64), np.empty(A, np.int64))
    if step.stances.shape[0] == 1:
        partners(step.stances, 0, False, scratch.enemies, scratch.n_enemies)
    for start in range(0, R, BLOCK):
        stop = min(start + BLOCK, R)
        _forces(state, step, sampled, geo, k, start, stop, scratch)
        _evaluate(state, step, sampled, geo, k, out, start, stop, scratch)
        _attacks(state, step, sampled, geo, k, out, start, stop, scratch)


@kernel
def _forces(state, step, sampled, geo, k, start, stop, scratch):  # pragma: no cover
    """Per replication of the block: enemy power and personnel in each region, own power
    and personnel in each reach, strengths, the mean region value."""
    A, G = state.F.shape[1], state.F.shape[2]
    enemies, n_enemies = scratch.enemies, scratch.n_enemies
    for r in range(start, stop):
        i = r - start
        if step.stances.shape[0] > 1:
            partners(step.stances, r, False, enemies, n_enemies)
        enemy_power, enemy_pers = scratch.enemy_power[i], scratch.enemy_pers[i]
        reach_power, reach_pers = scratch.reach_power[i], scratch.reach_pers[i]
        enemy_resist = scratch.enemy_resist[i]
        enemy_power[:] = 0.0
        enemy_pers[:] = 0.0
        enemy_resist[:] = 0.0
        reach_power[:] = 0.0
        reach_pers[:] = 0.0
        for b in range(A):
            total = 0.0
            for h in range(G):
                f = state.F[r, b, h]
                total += f
                if f > 0.0:
                    p = combat_power(f, step.readiness_quality[r, b], state.morale[r, b, h],
                                     sustain(state.supply[r, b, h], k), k)
                    looks = p * resistance(sampled.will[r, b])
                    for e in range(n_enemies[b]):
                        enemy_power[enemies[b, e], h] += p
                        enemy_pers[enemies[b, e], h] += f
                        enemy_resist[enemies[b, e], h] += looks
                    # An offensive counts the force that is in contact by the end of this
                    # step of the engagement (as battles commit it: the approach).
                    for j in range(geo.nb_ptr[h], geo.nb_ptr[h + 1]):
                        g = geo.nb_idx[j]
                        near = travel_share(sampled.speed[r, b], geo.travel[h, g],
                                            k.loss_days + state.engaged_days[r, g])
                        reach_power[b, g] += p * near
                        reach_pers[b, g] += f * near
            scratch.strength[i, b] = total + state.reserve[r, b]
        mean_value = 0.0
        for g in range(G):
            mean_value += sampled.value[r, g]
        scratch.mean_value[i] = mean_value / G


@kernel
def _evaluate(state, step, sampled, geo, k, out, start, stop, scratch):  # pragma: no cover
    """Per replication of the block and actor: threat, hold utility, the detail arrays, and
    whether it can attack at all (then its air superiority, surprise and tolerance left go to
    scratch for _attacks); actors that cannot attack get no legal option."""
    G = state.F.shape[2]
    for r in range(start, stop):
        i = r - start
        enemy_power, reach_pers = scratch.enemy_power[i], scratch.reach_pers[i]
        for a in range(state.F.shape[1]):
            threat = out.threat[r, a]
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
                    out.att_power[r, a, g] = scratch.reach_power[i, a, g] * k.commit_share
                    out.att_personnel[r, a, g] = reach_pers[a, g] * k.commit_share
                    out.def_personnel[r, a, g] = scratch.enemy_pers[i, a, g]
            lost = felt_loss_share(state.losses[r, a], state.recovered[r, a],
                                   state.strength0[r, a])
            tolerance = sampled.casualty_tolerance[r, a]
            possible = lost < tolerance and most * k.commit_share >= k.min_attack_personnel
            scratch.possible[i, a] = possible
            if not possible:
                for g in range(G):
                    out.legal[r, a, g] = False
                    out.p_win[r, a, g] = 0.0
                    out.utility[r, a, g] = 0.0
                continue
            enemy_air, edge = _enemy_air_and_surprise(step.stances, step.air, step.intel, r, a)
            scratch.air_sup[i, a] = air_superiority(step.air[r, a], enemy_air, k.air_reference)
            scratch.edge[i, a] = edge
            scratch.tol_left[i, a] = tolerance_left(tolerance, lost)


@kernel
def _attacks(state, step, sampled, geo, k, out, start, stop, scratch):  # pragma: no cover
    """Legality, P(win) and utility of every attack of the actors that can attack, against
    the enemy's power as it looks to the attacker (x formulas_campaign.resistance)."""
    G = state.F.shape[2]
    for r in range(start, stop):
        i = r - start
        row = stance_row(step.stances, r)
        for a in range(state.F.shape[1]):
            if not scratch.possible[i, a]:
                continue
            needed = k.min_power_ratio * (1.0 - k.initiative * sampled.aggression[r, a])
            for g in range(G):
                ap = scratch.reach_power[i, a, g] * k.commit_share
                af = scratch.reach_pers[i, a, g] * k.commit_share
                e = scratch.enemy_resist[i, a, g]
                ok = (not state.restricted[r, a, g] and af >= k.min_attack_personnel
                      and ap >= needed * e)
                if ok and not e > 0.0:
                    holder = state.control[r, g]
                    ok = holder >= 0 and step.stances[row, holder, a] == WAR  # held by an enemy
                out.legal[r, a, g] = ok
                if not ok:
                    out.p_win[r, a, g] = 0.0
                    out.utility[r, a, g] = 0.0
                    continue
                enemy_share = 0.0
                for b in range(state.F.shape[1]):
                    w = geo.hostility_goal[a, b]
                    if w != 0.0:
                        enemy_share += w * (state.F[r, b, g] / max(scratch.strength[i, b], 1.0))
                path = goal_path_value(geo.goals, geo.goal_regions, geo.path_decay,
                                       state.control, r, a, g)
                val = target_value(geo.goals[a, g] + path, sampled.value[r, g],
                                   scratch.mean_value[i], enemy_share, k)
                log_ap, log_e = log_power(ap), log_power(e)
                posture, terrain = state.posture[r, g], geo.terrain[g]
                p = attacker_win_probability(log_ap, log_e, posture, terrain, False,
                                             scratch.air_sup[i, a], scratch.edge[i, a], k)
                out.p_win[r, a, g] = p
                # A day of a sustained engagement costs the share in contact (engaged_share).
                loss = failed_attack_loss(log_ap, log_e, af, k) * engaged_share(terrain,
                                                                                posture, k)
                take = take_chance(p, ap, e, k)
                out.utility[r, a, g] = attack_utility(take, val, loss, scratch.tol_left[i, a],
                                                      k)


@inline
def _enemy_air_and_surprise(stances, air, intel, r, a):  # pragma: no cover
    """(enemy sorties, surprise) of actor a: the sum of its enemies' air and its
    intelligence edge over the best-informed enemy (formulas.surprise). Takes arrays, not
    containers: it runs per (replication, actor)."""
    row = stance_row(stances, r)
    enemy_air = 0.0
    enemy_intel = 0.0
    for b in range(stances.shape[1]):
        if stances[row, a, b] == WAR:
            enemy_air += air[r, b]
            enemy_intel = max(enemy_intel, intel[r, b])
    return enemy_air, surprise(intel[r, a], enemy_intel)


@kernel
def choose(utility, legal, hold, beta, u, out):  # pragma: no cover
    """One actor's logit choice in every replication (formulas.logit_pick): utility, legal
    (R, G); hold, beta, u, out (R,). Writes the chosen region, or HOLD."""
    for r in range(utility.shape[0]):
        out[r] = logit_pick(utility, legal, r, hold[r], beta[r], u[r])
