"""Every rule of the model, each stated once as a small scalar function (numba-compiled).

The phase kernels (sim/model/phases/) call these inside their loops over replications,
actors and regions; NumPy code that needs an array form (calibration, charts, tests) gets it
from sim/model/vectorised.py, which loops over the same functions. Nothing here reads the
model: every input is an argument, so each function is tested with known values
(tests/test_formulas.py). `k` is the kernel constants container (sim/model/constants.py,
`KernelConstants`); the docstring of each function gives its equation and reference, and
docs/model.md lists them all.

This module is the leaf of the model: it imports nothing from sim.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# cache: compiled code is kept beside the module, so worker processes load rather than
# compile it; nogil: a kernel does not hold up other threads (dask's worker threads);
# error_model="numpy": no zero-division checks inside loops (every division is guarded).
kernel = njit(cache=True, nogil=True, error_model="numpy")
# Formulas and the kernels' helpers are inlined into their callers at numba's IR level: a call
# per cell would otherwise copy the constants and count references to every array passed.
inline = njit(cache=True, nogil=True, error_model="numpy", inline="always")

# Stance codes, in sim.scenario.schema.Stance order (checked in sim/model/compile.py).
ALLIANCE, COOPERATION, NEUTRALITY, RIVALRY, WAR = 0, 1, 2, 3, 4
HOLD = -1  # the "no attack" choice of an actor
TINY_POWER = 1e-9  # keeps log(power) finite when a side has no power left (far below 1 person)
LARGEST_FLOAT = 1.7976931348623157e308


@inline
def friendly(stance: int) -> bool:
    """Friendly relation: the same actor (stored as alliance), alliance or cooperation."""
    return stance in (ALLIANCE, COOPERATION)


@inline
def clip_unit(x: float) -> float:
    """x clipped to [-1, 1] (the range of air superiority and surprise)."""
    return min(max(x, -1.0), 1.0)


@inline
def combat_power(personnel: float, readiness_quality: float, morale: float,
                 sustain_factor: float, k) -> float:
    """P = N r q m(M) s, m(M) = max(m_min, 1 + w_M (M - M_0)); never negative.

    Dupuy's QJM: strength times multipliers (Numbers, Predictions and War, 1979, ch. 4). The
    morale factor is an assumption (CDB90 has no pre-battle morale); s is the supply factor
    (formulas_campaign.sustain, 1 when supplied).
    """
    factor = (morale - k.morale_neutral) * k.morale_weight + 1.0
    if factor < k.morale_floor:
        factor = k.morale_floor
    power = factor * readiness_quality * personnel * sustain_factor
    return power if power > 0.0 else 0.0


@inline
def log_power(power: float) -> float:
    """ln(max(P, 0) + 1e-9): a side with no power left loses almost surely, finitely."""
    return np.log(max(power, 0.0) + TINY_POWER)


@inline
def air_superiority(own_sorties: float, enemy_sorties: float, reference: float) -> float:
    """S_air = (s_own - s_enemy) / (s_own + s_enemy + s_ref), in [-1, 1] (assumption)."""
    return (own_sorties - enemy_sorties) / (own_sorties + enemy_sorties + reference)


@inline
def surprise(own_intel: float, best_enemy_intel: float) -> float:
    """S = (iota_own - max(0, max_enemy iota)) / 2: an intelligence edge buys surprise."""
    return 0.5 * (own_intel - best_enemy_intel)


@inline
def attacker_win_probability(log_att: float, log_def: float, posture: int, terrain: int,
                             river_crossing: bool, air: float, surprise_term: float,
                             k) -> float:
    """p = sigmoid(c0 + b ln(Pa/Pd) + pi_posture + tau_terrain + rho [river] + alpha A + s S).

    A logistic model of the combat-power ratio (Lanchester family, QJM-style factors as
    additive log-odds), every coefficient fitted on CDB90 (docs/model.md, Calibration).
    Computed as (1 + tanh(z/2)) / 2, stable for any z and monotone in floating point.
    """
    z = (k.win_intercept + k.ratio_slope * (log_att - log_def) + k.posture_effect[posture]
         + k.terrain_effect[terrain] + k.river_effect * river_crossing
         + k.air_coef * clip_unit(air) + k.surprise_coef * clip_unit(surprise_term))
    return 0.5 * (1.0 + np.tanh(0.5 * z))


@inline
def attacker_loss_share(log_att: float, log_def: float, attacker_won: bool, noise: float,
                        k) -> float:
    """s_a = min(s_max, beta_a (Pd/Pa)^e_a L_a^[lost] exp(sigma_a z)): share lost per day.

    Helmbold/Lanchester-type attrition with a loser multiplier and lognormal noise, fitted on
    CDB90 daily loss shares; computed on the log scale so extreme ratios cannot overflow.
    """
    return np.exp(min(k.log_att_loss_base + k.att_loss_exp * (log_def - log_att)
                      + (0.0 if attacker_won else k.log_att_loser_mult)
                      + k.att_loss_sigma * noise, k.log_max_daily_loss_share))


@inline
def defender_loss_share(log_att: float, log_def: float, attacker_won: bool, noise: float,
                        k) -> float:
    """s_d = min(s_max, beta_d (Pa/Pd)^e_d L_d^[won] exp(sigma_d z_d)) (see attacker's)."""
    return np.exp(min(k.log_def_loss_base + k.def_loss_exp * (log_att - log_def)
                      + (k.log_def_loser_mult if attacker_won else 0.0)
                      + k.def_loss_sigma * noise, k.log_max_daily_loss_share))


@inline
def defender_noise(attacker_noise: float, own_noise: float, k) -> float:
    """z_d = rho z_a + sqrt(1 - rho^2) z: the fitted correlation of the two sides' losses."""
    return k.loss_noise_corr * attacker_noise + k.loss_noise_complement * own_noise


@inline
def daily_loss(share: float, personnel: float) -> float:
    """loss = min(s N, N): persons lost in one day of battle, never more than are there."""
    present = max(personnel, 0.0)
    return min(share * present, present)


@inline
def advances(attacker_won: bool, power_left: float, defender_power_left: float, k) -> bool:
    """A winner takes the region only if P_att_left >= advance_ratio x P_def_left.

    CDB90's "winner" is mission accomplishment, not always ground taken (assumption).
    """
    return attacker_won and power_left >= k.advance_ratio * defender_power_left


@inline
def momentum_after(momentum: float, result: float) -> float:
    """mu' = 0.7 mu + 0.3 x result (+1 a victory, -1 a defeat): recent battles (assumption)."""
    return MOMENTUM_KEEP * momentum + MOMENTUM_WEIGHT * result


MOMENTUM_KEEP = 0.7
MOMENTUM_WEIGHT = 0.3
MOMENTUM_MORALE = 0.01  # daily morale drift per unit of momentum


@inline
def failed_attack_loss(log_att: float, log_def: float, personnel: float, k) -> float:
    """E[share of the attacking force lost in one failed day] = s_a(z = 0) exp(sigma_a^2 / 2).

    The median daily loss of a beaten attacker (attacker_loss_share at zero noise, as persons
    out of `personnel`) times the lognormal mean factor, as a share of the force.
    """
    share = np.exp(min(k.log_failed_attack_loss + k.att_loss_exp * (log_def - log_att),
                       k.log_max_daily_loss_share))
    return daily_loss(share, personnel) * k.loss_mean_factor / personnel


@inline
def take_chance(p_win: float, attack_power: float, enemy_power: float, k) -> float:
    """take = p min(1, A / (advance_ratio E))^2 (p where E = 0): winning is not advancing."""
    superiority = attack_power / (k.advance_ratio * enemy_power) if enemy_power > 0.0 else 1.0
    return p_win * min(superiority, 1.0) ** 2


@inline
def target_value(goal: float, value: float, mean_value: float, enemy_share: float,
                 k) -> float:
    """V = goal + w_opp value / mean value + sum_X hostility_X share of X present."""
    return goal + k.opportunity_weight * value / mean_value + enemy_share


@inline
def tolerance_left(tolerance: float, lost_share: float) -> float:
    """max(tol - l, 0.02): how much more loss the actor accepts, l its felt loss share
    (formulas_campaign.felt_loss_share)."""
    return max(tolerance - lost_share, MIN_TOLERANCE_LEFT)


MIN_TOLERANCE_LEFT = 0.02


@inline
def attack_utility(take: float, value: float, expected_loss: float, tol_left: float,
                   k) -> float:
    """U_attack = take V - lambda E[loss share] / tolerance left (bounded rationality)."""
    return take * value - k.loss_aversion * expected_loss / tol_left


@inline
def hold_utility(aggression: float, k) -> float:
    """U_hold = u_hold (1 - aggression)."""
    return k.hold_utility * (1.0 - aggression)


@inline
def logit_pick(utility, legal, r: int, hold: float, beta: float, u: float) -> int:
    """One draw of McFadden's conditional logit over the legal targets and holding.

    P(i) = exp(beta U_i) / sum_j exp(beta U_j) over legal i and HOLD; the pick inverts the
    cumulative weights at the uniform u (the first option whose cumulative weight reaches
    u x total). utility, legal: (R, G), row r is this choice's. Returns the region or HOLD.
    """
    regions = utility.shape[1]
    top = hold * beta
    options = False
    for g in range(regions):
        if legal[r, g]:
            options = True
            if utility[r, g] * beta > top:
                top = utility[r, g] * beta
    if not options:  # nothing legal: holding is the only choice (as the sums below give)
        return HOLD
    total = 0.0
    for g in range(regions):
        if legal[r, g]:
            total += np.exp(utility[r, g] * beta - top)
    cut = u * (total + np.exp(hold * beta - top))
    cumulative = 0.0
    for g in range(regions):
        if legal[r, g]:
            cumulative += np.exp(utility[r, g] * beta - top)
            if not cumulative < cut:
                return g
    return HOLD


@inline
def mixed_morale(morale: float, personnel: float, incoming_morale_mass: float,
                 incoming: float) -> float:
    """M' = (M F + sum_i M_i f_i) / (F + sum_i f_i): morale mixes by headcount."""
    return (morale * personnel + incoming_morale_mass) / (personnel + incoming)


@inline
def morale_update(morale: float, baseline: float, lost_today: float, present: float,
                  enemy_near: float, own_near: float, momentum: float, brittle: float,
                  drain: float, k) -> float:
    """M' = clip(M + rho_d (M0 - M) - b lambda L/(F + L) - b kappa_d (1 - M0) ln max(1, H/O)
    - drain + 0.01 mu, 0, 1).

    Relaxation to the baseline, shock of the day's losses, isolation when the aggression-
    weighted enemy power near (H) exceeds own and friends' power near (O), the drain of being
    cut off (formulas_campaign.cutoff_drain), momentum; shocks scaled by the force's
    brittleness b (formulas_campaign.brittleness: 1 for an average force). After Dupuy's
    breakpoints and RAND's will to fight; constants are assumptions (docs/model.md, Phase 6).
    """
    m = (baseline - morale) * k.morale_recovery_step + morale
    if lost_today > 0.0:
        m -= brittle * k.loss_shock * lost_today / (present + lost_today)
    if enemy_near > own_near and own_near > 0.0:
        m -= (brittle * k.isolation_shock_step
              * np.log(min(enemy_near / own_near, LARGEST_FLOAT)) * (1.0 - baseline))
    m -= drain
    m += MOMENTUM_MORALE * momentum
    return min(max(m, 0.0), 1.0)


@inline
def routs(morale: float, present: float, threshold: float) -> bool:
    """A force breaks when M < its rout threshold (formulas_campaign.rout_threshold_of) and
    it has personnel."""
    return morale < threshold and present > 0.0


ROUT_COMPOSURE = 0.5  # a broken force's morale is reset to this x its baseline
REMNANT = 1.0  # forces under one person are gone (killed, captured or dispersed)
CALL_OFF_SHARE = 0.5  # an attack under this x min_attack_personnel is called off
MAX_LOSS_DAYS = 3  # battle losses scale with min(step_days, 3)


@inline
def region_loss_shock(value: float, total_value: float, brittle: float, k) -> float:
    """Morale the previous holder loses everywhere: b x shock x value_g / sum of values."""
    return brittle * k.region_loss_shock * (value / total_value)


@inline
def strike_kills(sorties: float, intel: float, kills_per_sortie: float) -> float:
    """kills = s x kills_per_sortie x (0.5 + iota): personnel disabled by a strike.

    Good intelligence finds targets (assumption); kills_per_sortie from the Pentagon's
    2014-15 claim, halved (docs/model.md).
    """
    return sorties * kills_per_sortie * (0.5 + intel)


@inline
def funds_after(funds: float, income: float, upkeep: float, strength: float,
                days: float) -> float:
    """funds' = funds + d (income - upkeep strength / 10^6) [USD million; upkeep in USD]."""
    return funds + days * (income - upkeep * strength / 1e6)


@inline
def recruits(funds: float, per_day: float, days: float) -> float:
    """d x recruitment_per_day while funds' > 0, else 0: no money, no new fighters."""
    return days * per_day if funds > 0 else 0.0


@inline
def troops_arriving(amount: float, sent: float, ramp_days: float, days: float) -> float:
    """clip(min(amount / ramp x d, amount - sent), 0): a commitment delivered evenly."""
    return max(min(amount / ramp_days * days, amount - sent), 0.0)


@inline
def posture_after(posture: int, held_days: float, k) -> int:
    """Holders fortify: prepared after fortify_days, fortified after fortress_days, never
    falling while held."""
    earned = 2 if held_days >= k.fortress_days else (1 if held_days >= k.fortify_days else 0)
    return max(posture, earned)
