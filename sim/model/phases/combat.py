"""Phase 5 kernel: ground combat (adjudication, losses, advance, retreat, change of hands)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.model.formulas import (
    CALL_OFF_SHARE,
    REMNANT,
    WAR,
    advances,
    air_superiority,
    attacker_loss_share,
    attacker_win_probability,
    combat_power,
    daily_loss,
    defender_loss_share,
    defender_noise,
    inline,
    kernel,
    log_power,
    mixed_morale,
    momentum_after,
    surprise,
)
from sim.model.formulas_campaign import (
    advance_km,
    engaged_share,
    progress_after,
    sustain,
    travel_share,
)
from sim.model.phases.common import (
    BATTLE_LOSS,
    add_loss,
    clip_morale_row,
    retreat_one,
    stance_row,
)
from sim.model.phases.control import change_hands


class _Battle(NamedTuple):
    """One battle's working arrays, reused for every battle of a call."""

    committed: np.ndarray  # (G,) attacking personnel from each origin (survivors after)
    def_by: np.ndarray  # (A,) defending personnel of each actor
    sums: np.ndarray  # [2] the attack's morale, [3] its supply factor (see _sides)


@kernel
def battles(state, step, sampled, geo, k, targets, draws, records):  # pragma: no cover
    """Phase 5, ground combat: in every replication, each actor with a target
    (targets[r, a] >= 0), in actor order, attacks it with commit_share of its forces in the
    target's reach (no battle under CALL_OFF_SHARE x min_attack_personnel).

    formulas.attacker_win_probability decides the day (the attacker wins if u_win < p);
    the losses (_day_losses) are spread over the origins and defenders by headcount;
    formulas.advances decides whether the winner takes the region (beaten defenders retreat,
    the committed survivors move in, the region changes hands). Momentum and morale move
    with the result. When records have R rows each battle is recorded (arrays.REC_FIELDS).
    A battle is written in the loop, not in a helper taking the containers: numba copies
    every array of the containers an inlined helper takes (more work than the battle).
    """
    R, A, G = state.F.shape
    work = _Battle(np.empty(G), np.empty(A), np.empty(7))
    for r in range(R):
        for a in range(A):
            h = targets[r, a]
            if h < 0:
                continue
            att_pers = _commit(state, sampled, geo, k, r, a, h, work)
            if not att_pers >= k.min_attack_personnel * CALL_OFF_SHARE:
                continue
            att_pow, def_pers, def_pow, air, intel = _sides(state, step, k, r, a, h, work)
            holder = state.control[r, h]
            if not def_pers > 0.0 and not (holder >= 0 and step.stances[
                    stance_row(step.stances, r), a, holder] == WAR):
                continue  # nobody to fight: e.g. an ally took the target earlier this step
            air_sup = air_superiority(step.air[r, a], air, k.air_reference)
            edge = surprise(step.intel[r, a], intel)
            crossing = _river_crossing(state, geo, r, a, h)
            log_a, log_d = log_power(att_pow), log_power(def_pow)
            posture, terrain = state.posture[r, h], geo.terrain[h]
            p = attacker_win_probability(log_a, log_d, posture, terrain, crossing, air_sup, edge, k)
            won = draws.u_win[r, a] < p
            engaged = engaged_share(terrain, posture, k)
            days = k.loss_days * engaged
            att_loss, def_loss = _day_losses((log_a, log_d, won), (att_pers, def_pers), days,
                                             (draws.z_att[r, a], draws.z_def[r, a]), k)
            att_lost = _attacker_losses(state, r, a, att_pers, att_loss, work.committed,
                                        step.loss_today, k)
            def_lost = _defender_losses(state, r, h, def_pers, def_loss, work.def_by,
                                        step.loss_today, k)
            state.attacked[r, h] = True
            if won:  # the attacker gains ground through the region's depth
                state.progress[r, h] = progress_after(state.progress[r, h], days * advance_km(
                    log_a, log_d, posture, terrain, k), sampled.depth[r, h])
            power_left = combat_power(att_pers - att_lost, step.readiness_quality[r, a],
                                      work.sums[2], work.sums[3], k)
            advance = _takes(won, power_left, (def_pow, def_pers, def_lost),
                             state.progress[r, h], k)
            if records.fields.shape[0] == R:
                _record(records, (r, a, h), (att_pers, def_pers, att_pow, def_pow, posture),
                        (air_sup, edge, crossing, draws.u_win[r, a], p, won),
                        (att_loss, def_loss, advance), work.def_by)
            _morale_after_battle(state.momentum, state.morale, state.F, step.stances,
                                 sampled.brittleness, k, (r, a, h), (won, advance, engaged),
                                 work.committed)
            if advance:
                _advance(state, step, sampled, geo, k, records, r, a, h, work.committed)


@inline
def _day_losses(odds, personnel, days, noise, k):  # pragma: no cover
    """(attacker's, defenders' loss) of a day's fighting: formulas.attacker_loss_share /
    defender_loss_share of each side's personnel x days (loss_days x the share in contact);
    odds = (log attack power, log defence power, won), noise = (z_att, z_def own)."""
    log_a, log_d, won = odds
    z_att = noise[0]
    z_def = defender_noise(z_att, noise[1], k)
    att_loss = daily_loss(attacker_loss_share(log_a, log_d, won, z_att, k), personnel[0]) * days
    def_loss = daily_loss(defender_loss_share(log_a, log_d, won, z_def, k), personnel[1]) * days
    return att_loss, def_loss


@inline
def _takes(won, power_left, defence, progress, k):  # pragma: no cover
    """The winner takes the region (formulas.advances) once through its depth (progress 1)
    or when no defender is left to hold it; defence = (power, personnel, personnel lost)."""
    def_pow, def_pers, def_lost = defence
    return (advances(won, power_left, def_pow * max(1 - def_lost / max(def_pers, 1e-9), 0), k)
            and (progress >= 1.0 or def_pers - def_lost < REMNANT))


@inline
def _record(records, who, sides, odds, result, def_by):  # pragma: no cover
    """Write a battle's fields (arrays.REC_FIELDS) and its defenders by actor."""
    r, a, h = who
    att_pers, def_pers, att_pow, def_pow, posture = sides
    air_sup, edge, crossing, u_win, p, won = odds
    att_loss, def_loss, advance = result
    values = (1.0, float(h), att_pers, def_pers, att_pow / max(def_pow, 1e-9), float(posture),
              air_sup, edge, 1.0 if crossing else 0.0, u_win, p, 1.0 if won else 0.0,
              att_loss, def_loss, 1.0 if advance else 0.0, -2.0)
    for i in range(16):
        records.fields[r, a, i] = values[i]
    for b in range(def_by.shape[0]):
        records.defenders[r, a, b] = def_by[b]


@inline
def _commit(state, sampled, geo, k, r, a, h, work):  # pragma: no cover
    """committed[g] = commit_share x a's personnel in each g of h's reach that has got there
    by the end of this step of the engagement (formulas_campaign.travel_share of the road
    from g over the engagement's days so far plus this step: the approach to contact);
    returns the sum."""
    committed = work.committed
    G = state.F.shape[2]
    for g in range(G):
        committed[g] = 0.0
    for j in range(geo.nb_ptr[h], geo.nb_ptr[h + 1]):
        g = geo.nb_idx[j]
        committed[g] = k.commit_share * state.F[r, a, g] * travel_share(
            sampled.speed[r, a], geo.travel[g, h], k.loss_days + state.engaged_days[r, h])
    att_pers = 0.0
    for g in range(G):
        att_pers += committed[g]
    return att_pers


@inline
def _sides(state, step, k, r, a, h, work):  # pragma: no cover
    """(attack power, defending personnel, defending power, enemy sorties, best enemy
    intelligence); the attack's morale is the headcount mean of its origins' (sums[2])."""
    att_pers = 0.0
    morale = 0.0
    for g in range(state.F.shape[2]):
        att_pers += work.committed[g]
        morale += state.morale[r, a, g] * work.committed[g]
    morale /= max(att_pers, 1e-9)
    supply = 0.0
    for g in range(state.F.shape[2]):
        supply += state.supply[r, a, g] * work.committed[g]
    supply /= max(att_pers, 1e-9)
    work.sums[2] = morale
    work.sums[3] = sustain(supply, k)
    att_pow = combat_power(att_pers, step.readiness_quality[r, a], morale, work.sums[3], k)
    row = stance_row(step.stances, r)
    def_pers = 0.0
    def_pow = 0.0
    enemy_air = 0.0
    enemy_intel = 0.0
    for b in range(state.F.shape[1]):
        at_war = step.stances[row, a, b] == WAR
        work.def_by[b] = state.F[r, b, h] if at_war else 0.0
        def_pers += work.def_by[b]
        def_pow += combat_power(work.def_by[b], step.readiness_quality[r, b],
                                state.morale[r, b, h], sustain(state.supply[r, b, h], k), k)
        if at_war:
            enemy_air += step.air[r, b]
            enemy_intel = max(enemy_intel, step.intel[r, b])
    return att_pow, def_pers, def_pow, enemy_air, enemy_intel


@inline
def _river_crossing(state, geo, r, a, h):  # pragma: no cover
    """Every origin where a has forces reaches h across a river (forces in h: no)."""
    any_origin = False
    any_dry = False
    for g in range(state.F.shape[2]):
        if state.F[r, a, g] > 0.0 and (geo.adj[h, g] or g == h):
            any_origin = True
            any_dry = any_dry or not geo.river[h, g]
    return any_origin and not any_dry


@inline
def _attacker_losses(state, r, a, att_pers, att_loss, committed, loss_today,
                     k):  # pragma: no cover
    """Spread the attacker's loss over its origins by what each committed; returns the
    total lost (committed keeps the survivors)."""
    lost_total = 0.0
    for g in range(state.F.shape[2]):
        if committed[g] > 0.0:
            # At most what it committed (the rest of the origin was not in the fight).
            lost = min(att_loss * (committed[g] / max(att_pers, 1e-9)), committed[g])
            state.F[r, a, g] -= lost
            add_loss(state.losses, state.loss_kinds, r, a, lost, BATTLE_LOSS, k.killed_share)
            loss_today[r, a, g] += lost
            committed[g] -= lost
            lost_total += lost
    return lost_total


@inline
def _defender_losses(state, r, h, def_pers, def_loss, def_by, loss_today,
                     k):  # pragma: no cover
    """Spread the defenders' loss over them by headcount; returns the total lost."""
    lost_total = 0.0
    for b in range(state.F.shape[1]):
        if def_by[b] > 0.0:
            lost = min(def_loss * (def_by[b] / max(def_pers, 1e-9)), state.F[r, b, h])
            state.F[r, b, h] -= lost
            add_loss(state.losses, state.loss_kinds, r, b, lost, BATTLE_LOSS, k.killed_share)
            loss_today[r, b, h] += lost
            lost_total += lost
    return lost_total


@inline
def _morale_after_battle(momentum, morale, F, stances, brittleness, k, who, result,
                         committed):  # pragma: no cover
    """Momentum (formulas.momentum_after) for the attacker, and for its enemies when it won;
    victory_boost / defeat_shock (x brittleness) on the attacker's origins, x the day's
    engaged share x day_result_share (a day of a long engagement is a small part of a
    battle); defeat_shock (x brittleness) on defenders driven out. who = (r, a, h), result =
    (won, advance, the engaged share); takes arrays, not containers (see battles)."""
    r, a, h = who
    won, advance, engaged = result
    row = stance_row(stances, r)
    momentum[r, a] = momentum_after(momentum[r, a], 1.0 if won else -1.0)
    part = engaged * k.day_result_share
    shift = part * (k.victory_boost if won else -k.defeat_shock * brittleness[r, a])
    for g in range(F.shape[2]):
        if committed[g] > 0.0:
            morale[r, a, g] += shift
    for b in range(F.shape[1]):
        if stances[row, a, b] == WAR:
            if won:
                momentum[r, b] = momentum_after(momentum[r, b], -1.0)
            if advance and F[r, b, h] > 0.0:
                morale[r, b, h] -= k.defeat_shock * brittleness[r, b]
    clip_morale_row(morale, r)


@inline
def _advance(state, step, sampled, geo, k, records, r, a, h, committed):  # pragma: no cover
    """The winner takes h: enemies there retreat, the committed survivors from the other
    origins move in, and h changes hands."""
    row = stance_row(step.stances, r)
    for b in range(state.F.shape[1]):
        if step.stances[row, a, b] == WAR and state.F[r, b, h] > 0.0:
            retreat_one(state, step.stances, geo.adj, b, r, h)
    moved = 0.0
    morale_mass = 0.0
    for g in range(state.F.shape[2]):
        if g != h:
            state.F[r, a, g] -= committed[g]
            moved += committed[g]
            morale_mass += committed[g] * state.morale[r, a, g]
    if moved > 0.0:
        state.morale[r, a, h] = mixed_morale(state.morale[r, a, h], state.F[r, a, h],
                                             morale_mass, moved)
    state.F[r, a, h] += moved
    old = state.control[r, h]
    if old != a and records.fields.shape[0] == state.F.shape[0]:
        records.fields[r, a, 15] = old
    change_hands(state, sampled, k, (r, h, a), step.day)
