"""Each rule of sim/model/formulas.py on its own: known values worked out by hand, edge cases
and invariants (hypothesis); its array form in sim/model/vectorised.py equals the scalar
function element by element; the integer codes agree with the scenario schema.

The constants below are round numbers chosen for the arithmetic, not the fitted ones: a test
pins the formula, so a refit of sim/data/combat_constants.json must not move it.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import formulas as f
from sim.model import vectorised as vec
from sim.model.combat_constants import POSTURE_CODES, TERRAIN_CODES, CombatConstants
from sim.model.compile import STANCE_CODES
from sim.model.compile import WAR as COMPILE_WAR
from sim.model.constants import ModelConstants, kernel_constants
from sim.scenario.schema import Posture, Stance, Terrain

COMBAT = CombatConstants(
    win_intercept=0.1, ratio_slope=0.5, posture_effect=(0.0, -0.2, -0.7),
    terrain_effect=(-0.3, 0.0, -0.1, -0.05, -0.4, -0.2, -0.15), river_effect=-0.25,
    air_coef=1.0, surprise_coef=2.0, morale_neutral=0.6, morale_weight=0.5, morale_floor=0.2,
    att_loss_base=0.04, att_loss_exp=0.5, att_loser_mult=1.5, def_loss_base=0.03,
    def_loss_exp=0.5, def_loser_mult=2.0, att_loss_sigma=1.0, def_loss_sigma=0.5,
    loss_noise_corr=0.6, max_daily_loss_share=0.3)
MODEL = ModelConstants(
    hold_utility=0.4, opportunity_weight=0.1, loss_aversion=2.0, advance_ratio=1.5,
    region_loss_shock=0.08, rout_threshold=0.2, fortify_days=14, fortress_days=60,
    morale_recovery=0.03, loss_shock=1.0, isolation_shock=0.01, kills_per_sortie=1.5,
    redeploy_rate=0.08)
K = kernel_constants(MODEL, COMBAT, 1)  # one-day steps
URBAN, OPEN = TERRAIN_CODES["urban"], TERRAIN_CODES["open"]
HASTY, PREPARED, FORTIFIED = (POSTURE_CODES[p] for p in ("hasty", "prepared", "fortified"))
LN = math.log
FAST = settings(max_examples=80, deadline=None)
unit = st.floats(0.0, 1.0)
power = st.floats(0.0, 1e7)


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


# ------------------------------------------------------------------- codes and constants


def test_stance_codes_are_the_schema_order():
    codes = [f.ALLIANCE, f.COOPERATION, f.NEUTRALITY, f.RIVALRY, f.WAR]
    assert [STANCE_CODES[s] for s in Stance] == codes
    assert [s.value for s in Stance] == ["alliance", "cooperation", "neutrality", "rivalry",
                                         "war"]
    assert COMPILE_WAR == f.WAR


def test_posture_and_terrain_codes_are_the_schema_order():
    assert list(POSTURE_CODES.items()) == [(p.value, i) for i, p in enumerate(Posture)]
    assert list(TERRAIN_CODES.items()) == [(t.value, i) for i, t in enumerate(Terrain)]
    # posture_after returns these codes: 0 hasty, 1 prepared, 2 fortified.
    assert (HASTY, PREPARED, FORTIFIED) == (0, 1, 2)


def test_kernel_constants_derive_per_step_rates_and_logs():
    week = kernel_constants(MODEL, COMBAT, 7)
    assert week.loss_days == 3.0 and K.loss_days == 1.0  # min(step_days, MAX_LOSS_DAYS = 3)
    assert week.morale_recovery_step == pytest.approx(0.21)  # 0.03/day x 7
    assert week.isolation_shock_step == pytest.approx(0.07)
    assert week.kills_per_sortie_step == pytest.approx(10.5)  # 1.5 x 7
    assert week.redeploy_share_step == pytest.approx(0.56)  # 0.08 x 7
    assert kernel_constants(MODEL, COMBAT, 20).redeploy_share_step == 1.0  # capped at 1
    assert K.loss_noise_complement == pytest.approx(0.8)  # sqrt(1 - 0.6^2)
    assert K.log_failed_attack_loss == pytest.approx(LN(0.04 * 1.5))
    assert K.loss_mean_factor == pytest.approx(math.exp(0.5))  # exp(sigma_a^2 / 2), sigma 1
    assert K.log_max_daily_loss_share == pytest.approx(LN(0.3))


def test_friendly_is_alliance_or_cooperation_only():
    assert [f.friendly(code) for code in range(5)] == [True, True, False, False, False]
    codes = np.arange(5, dtype=np.int8)
    np.testing.assert_array_equal(vec.friendly_relation(codes),
                                  [f.friendly(int(c)) for c in codes])


def test_clip_unit():
    assert [f.clip_unit(x) for x in (-3.0, -1.0, 0.25, 1.0, 7.0)] == [-1.0, -1.0, 0.25, 1.0,
                                                                       1.0]


# ------------------------------------------------------------------------ combat power


def test_combat_power_known_values():
    # m(0.8) = 1 + 0.5 x (0.8 - 0.6) = 1.1 -> 1000 x 0.5 x 1.1 = 550
    assert f.combat_power(1000.0, 0.5, 0.8, 1.0, K) == pytest.approx(550.0)
    # m(0.2) = 1 + 0.5 x (0.2 - 0.6) = 0.8 -> 1000 x 0.5 x 0.8 = 400
    assert f.combat_power(1000.0, 0.5, 0.2, 1.0, K) == pytest.approx(400.0)
    # at the neutral morale the factor is 1
    assert f.combat_power(2000.0, 0.75, 0.6, 1.0, K) == pytest.approx(1500.0)


def test_combat_power_scales_with_the_supply_factor():
    # P = N r q m(M) s: at s = 0.3 (stocks exhausted, supply_floor 0.3) 550 -> 165
    assert f.combat_power(1000.0, 0.5, 0.8, 0.3, K) == pytest.approx(165.0)


def test_combat_power_morale_floor_and_zero():
    steep = kernel_constants(MODEL, dataclasses.replace(COMBAT, morale_weight=2.0), 1)
    # m(0.1) = 1 + 2 x (0.1 - 0.6) = 0 < floor 0.2 -> 1000 x 1 x 0.2 = 200
    assert f.combat_power(1000.0, 1.0, 0.1, 1.0, steep) == pytest.approx(200.0)
    assert f.combat_power(1000.0, 1.0, 0.0, 1.0, steep) == pytest.approx(200.0)
    # m(0.4) = 1 + 2 x (-0.2) = 0.6 is above the floor
    assert f.combat_power(1000.0, 1.0, 0.4, 1.0, steep) == pytest.approx(600.0)
    assert f.combat_power(0.0, 1.0, 0.8, 1.0, K) == 0.0
    assert f.combat_power(-50.0, 1.0, 0.8, 1.0, K) == 0.0  # never negative


@FAST
@given(n1=power, n2=power, rq=st.floats(0.0, 3.0), morale=unit)
def test_combat_power_non_negative_and_monotone_in_personnel(n1, n2, rq, morale):
    lo, hi = sorted((n1, n2))
    p_lo, p_hi = f.combat_power(lo, rq, morale, 1.0, K), f.combat_power(hi, rq, morale, 1.0, K)
    assert 0.0 <= p_lo <= p_hi


def test_combat_power_array_form_equals_scalar():
    rng = np.random.default_rng(1)
    n, r, q, m = (rng.uniform(0, 1e5, 500), rng.random(500), rng.uniform(0, 2, 500),
                  rng.random(500))
    n[:5] = 0.0
    out = vec.combat_power(n, r, q, m, COMBAT)
    expected = [f.combat_power(n[i], r[i] * q[i], m[i], 1.0, K) for i in range(500)]
    np.testing.assert_array_equal(out, expected)


def test_log_power_is_finite_for_no_power():
    assert f.log_power(0.0) == pytest.approx(LN(1e-9))
    assert f.log_power(-10.0) == f.log_power(0.0)
    assert f.log_power(1000.0) == pytest.approx(LN(1000.0))


# ------------------------------------------------------------- air superiority, surprise


def test_air_superiority_and_surprise_known_values():
    # (30 - 10) / (30 + 10 + 20) = 1/3
    assert f.air_superiority(30.0, 10.0, 20.0) == pytest.approx(1 / 3)
    # 20 sorties against none with reference 20: 20 / 40 = 0.5 (the documented meaning)
    assert f.air_superiority(20.0, 0.0, 20.0) == pytest.approx(0.5)
    assert f.air_superiority(0.0, 0.0, 20.0) == 0.0
    # S = (0.8 - 0.2) / 2
    assert f.surprise(0.8, 0.2) == pytest.approx(0.3)
    assert f.surprise(0.0, 1.0) == pytest.approx(-0.5)


@FAST
@given(own=st.floats(0, 1e5), enemy=st.floats(0, 1e5), ref=st.floats(1e-3, 1e3))
def test_air_superiority_bounded_and_antisymmetric(own, enemy, ref):
    s = f.air_superiority(own, enemy, ref)
    assert -1.0 <= s <= 1.0
    assert s == -f.air_superiority(enemy, own, ref)
    assert f.air_superiority(own + 1.0, enemy, ref) >= s  # more own sorties never lower it


# -------------------------------------------------------------------- win probability


def test_win_probability_known_values():
    # equal power, hasty, open, no river, air or surprise: z = c0 = 0.1
    assert f.attacker_win_probability(LN(1000), LN(1000), HASTY, OPEN, False, 0.0, 0.0,
                                      K) == pytest.approx(sigmoid(0.1))
    # 4:1, prepared, urban, across a river, air 0.5, surprise 0.1:
    # z = 0.1 + 0.5 ln 4 - 0.2 - 0.3 - 0.25 + 1.0 x 0.5 + 2.0 x 0.1
    z = 0.1 + 0.5 * LN(4) - 0.2 - 0.3 - 0.25 + 0.5 + 0.2
    assert f.attacker_win_probability(LN(4000), LN(1000), PREPARED, URBAN, True, 0.5, 0.1,
                                      K) == pytest.approx(sigmoid(z), rel=1e-12)
    # fortified mountain at equal power: z = 0.1 - 0.7 - 0.4 = -1.0
    assert f.attacker_win_probability(LN(10), LN(10), FORTIFIED, TERRAIN_CODES["mountain"],
                                      False, 0.0, 0.0, K) == pytest.approx(sigmoid(-1.0))


def test_win_probability_clips_air_and_surprise_to_unit():
    args = (LN(1000), LN(1000), HASTY, OPEN, False)
    assert (f.attacker_win_probability(*args, 5.0, -3.0, K)
            == f.attacker_win_probability(*args, 1.0, -1.0, K))
    # z = 0.1 + 1.0 - 2.0
    assert f.attacker_win_probability(*args, 5.0, -3.0, K) == pytest.approx(sigmoid(-0.9))


def test_win_probability_of_a_side_without_power():
    nobody = f.log_power(0.0)
    p_none = f.attacker_win_probability(nobody, LN(1e6), HASTY, OPEN, False, 0.0, 0.0, K)
    # z = 0.1 + 0.5 ln(1e-9 / 1e6) ~ -17.2: almost surely lost, but finite and positive
    assert 0.0 < p_none == pytest.approx(sigmoid(0.1 + 0.5 * LN(1e-15)), rel=1e-9)
    p_all = f.attacker_win_probability(LN(1e6), nobody, HASTY, OPEN, False, 0.0, 0.0, K)
    assert p_all < 1.0 and p_all == pytest.approx(1.0, abs=1e-7)


situations = st.tuples(st.integers(0, 2), st.integers(0, 6), st.booleans(),
                       st.floats(-2, 2), st.floats(-2, 2))


@FAST
@given(a=power, d=power, sit=situations)
def test_win_probability_is_a_probability(a, d, sit):
    p = f.attacker_win_probability(f.log_power(a), f.log_power(d), *sit, K)
    assert 0.0 <= p <= 1.0


@FAST
@given(r1=st.floats(-40, 40), r2=st.floats(-40, 40), d=st.floats(-20, 20), sit=situations)
def test_win_probability_monotone_in_power_ratio(r1, r2, d, sit):
    lo, hi = sorted((r1, r2))
    p_lo = f.attacker_win_probability(d + lo, d, *sit, K)
    p_hi = f.attacker_win_probability(d + hi, d, *sit, K)
    assert p_lo <= p_hi


def test_win_probability_array_form_equals_scalar():
    rng = np.random.default_rng(2)
    n = 400
    att, dfn = rng.uniform(0, 1e5, n), rng.uniform(0, 1e5, n)
    att[:3] = 0.0
    posture, terrain = rng.integers(0, 3, n), rng.integers(0, 7, n)
    river, air, sur = rng.random(n) < 0.3, rng.uniform(-1.5, 1.5, n), rng.uniform(-1, 1, n)
    out = vec.win_probability(att, dfn, posture, terrain, river, air, sur, COMBAT)
    expected = [f.attacker_win_probability(f.log_power(att[i]), f.log_power(dfn[i]),
                                           int(posture[i]), int(terrain[i]), bool(river[i]),
                                           air[i], sur[i], K) for i in range(n)]
    np.testing.assert_array_equal(out, expected)


# ---------------------------------------------------------------------------- losses


def test_attacker_loss_share_known_values():
    la, ld = LN(1000), LN(4000)  # defender 4x stronger: (Pd/Pa)^0.5 = 2
    assert f.attacker_loss_share(la, ld, True, 0.0, K) == pytest.approx(0.04 * 2)
    assert f.attacker_loss_share(la, ld, False, 0.0, K) == pytest.approx(0.04 * 2 * 1.5)
    # noise z = ln 2 with sigma 1 doubles it: 0.08 x 2 = 0.16
    assert f.attacker_loss_share(la, ld, True, LN(2), K) == pytest.approx(0.16)
    # 0.04 x 2 x 1.5 x 4 = 0.48 > cap 0.3
    assert f.attacker_loss_share(la, ld, False, LN(4), K) == pytest.approx(0.3)


def test_defender_loss_share_known_values():
    la, ld = LN(4000), LN(1000)  # attacker 4x stronger: (Pa/Pd)^0.5 = 2
    assert f.defender_loss_share(la, ld, False, 0.0, K) == pytest.approx(0.03 * 2)
    assert f.defender_loss_share(la, ld, True, 0.0, K) == pytest.approx(0.03 * 2 * 2.0)
    # z_d = 2 ln 2 with sigma 0.5 doubles it
    assert f.defender_loss_share(la, ld, False, 2 * LN(2), K) == pytest.approx(0.12)
    assert f.defender_loss_share(la, ld, True, 10.0, K) == pytest.approx(0.3)  # capped


def test_defender_noise_mixes_with_the_fitted_correlation():
    # 0.6 x 1 + 0.8 x 2 = 2.2
    assert f.defender_noise(1.0, 2.0, K) == pytest.approx(2.2)
    assert f.defender_noise(1.0, 0.0, K) == pytest.approx(0.6)


def test_daily_loss_never_more_than_present():
    assert f.daily_loss(0.1, 1000.0) == pytest.approx(100.0)
    assert f.daily_loss(1.5, 1000.0) == 1000.0
    assert f.daily_loss(0.1, -5.0) == 0.0
    assert f.daily_loss(0.0, 1000.0) == 0.0


@FAST
@given(a=power, d=power, won=st.booleans(), z=st.floats(-8, 8), n=st.floats(0, 1e6))
def test_loss_shares_within_cap_and_losses_within_personnel(a, d, won, z, n):
    la, ld = f.log_power(a), f.log_power(d)
    for share in (f.attacker_loss_share(la, ld, won, z, K),
                  f.defender_loss_share(la, ld, won, z, K)):
        assert 0.0 < share <= 0.3 * (1 + 1e-12)
        assert 0.0 <= f.daily_loss(share, n) <= n


def test_daily_losses_array_form_equals_scalar():
    rng = np.random.default_rng(3)
    n = 300
    ap, dp = rng.uniform(0, 1e4, n), rng.uniform(0, 1e4, n)
    apow, dpow, won = rng.uniform(0, 1e4, n), rng.uniform(0, 1e4, n), rng.random(n) < 0.5
    u, u_def = rng.random(n), rng.random(n)
    att, dfn = vec.daily_losses(ap, dp, apow, dpow, won, COMBAT, u, u_def)
    same_att, same_dfn = vec.daily_losses(ap, dp, apow, dpow, won, COMBAT, u)
    z, z_own = vec.normal_score(u), vec.normal_score(u_def)
    for i in range(n):
        la, ld = f.log_power(apow[i]), f.log_power(dpow[i])
        assert att[i] == f.daily_loss(f.attacker_loss_share(la, ld, won[i], z[i], K), ap[i])
        z_def = f.defender_noise(z[i], z_own[i], K)
        assert dfn[i] == f.daily_loss(f.defender_loss_share(la, ld, won[i], z_def, K), dp[i])
        # without the defender's own uniform it shares the attacker's noise
        assert same_dfn[i] == f.daily_loss(f.defender_loss_share(la, ld, won[i], z[i], K),
                                           dp[i])
    np.testing.assert_array_equal(same_att, att)


def test_adjudicate_wins_where_the_uniform_is_under_p():
    rng = np.random.default_rng(4)
    n = 200
    ap, apow, dpow = rng.uniform(100, 1e4, n), rng.uniform(0, 1e4, n), rng.uniform(0, 1e4, n)
    situation = {"posture": rng.integers(0, 3, n), "terrain": rng.integers(0, 7, n),
                 "river": rng.random(n) < 0.5, "air": rng.uniform(-1, 1, n),
                 "surprise": rng.uniform(-1, 1, n)}
    u_win, u_noise = rng.random(n), rng.random(n)
    res = vec.adjudicate(ap, ap, apow, dpow, situation, COMBAT, u_win, u_noise)
    np.testing.assert_array_equal(res.attacker_wins, u_win < res.p_win)
    att, _ = vec.daily_losses(ap, ap, apow, dpow, res.attacker_wins, COMBAT, u_noise)
    np.testing.assert_array_equal(res.att_loss, att)


def test_normal_score_is_the_inverse_normal_cdf_and_finite():
    assert vec.normal_score(0.5) == 0.0
    assert vec.normal_score(0.8413447460685429) == pytest.approx(1.0)
    assert np.isfinite(vec.normal_score(np.array([0.0, 1.0]))).all()


def test_failed_attack_loss_known_values():
    # 0.04 x 1.5 x (4000/1000)^0.5 = 0.12 of the force, times the lognormal mean e^(1/2)
    assert f.failed_attack_loss(LN(1000), LN(4000), 1000.0, K) == pytest.approx(
        0.12 * math.exp(0.5))
    # 0.04 x 1.5 x 100^0.5 = 0.6 -> capped at 0.3
    assert f.failed_attack_loss(LN(1), LN(100), 500.0, K) == pytest.approx(
        0.3 * math.exp(0.5))
    # the same as the median loss share of a beaten attacker times the mean factor
    la, ld = LN(2500), LN(1700)
    assert f.failed_attack_loss(la, ld, 800.0, K) == pytest.approx(
        f.attacker_loss_share(la, ld, False, 0.0, K) * K.loss_mean_factor)


# ------------------------------------------------------------- advance and momentum


def test_advances_needs_a_win_and_enough_power_left():
    # advance_ratio 1.5: 150 left against 100 is enough, 149.9 is not
    assert f.advances(True, 150.0, 100.0, K)
    assert not f.advances(True, 149.9, 100.0, K)
    assert not f.advances(False, 1e9, 0.0, K)
    assert f.advances(True, 0.0, 0.0, K)  # nobody left to stop it


def test_momentum_known_values_and_bounds():
    assert f.momentum_after(0.5, 1.0) == pytest.approx(0.35 + 0.3)
    assert f.momentum_after(0.5, -1.0) == pytest.approx(0.35 - 0.3)
    m = 0.0
    for _ in range(200):
        m = f.momentum_after(m, 1.0)
        assert m <= 1.0
    assert m == pytest.approx(1.0)


# ------------------------------------------------------------------------ decisions


def test_take_chance_known_values():
    # advance_ratio 1.5: min(1, 500 / 1500)^2 = 1/9
    assert f.take_chance(0.8, 500.0, 1000.0, K) == pytest.approx(0.8 / 9)
    assert f.take_chance(0.8, 3000.0, 1000.0, K) == pytest.approx(0.8)
    assert f.take_chance(0.8, 500.0, 0.0, K) == 0.8  # nobody there: p


@FAST
@given(p=unit, a=power, e=power)
def test_take_chance_between_zero_and_p(p, a, e):
    assert 0.0 <= f.take_chance(p, a, e, K) <= p


def test_target_value_tolerance_and_utilities_known_values():
    # V = 2 + 0.1 x 10 / 5 + 0.3
    assert f.target_value(2.0, 10.0, 5.0, 0.3, K) == pytest.approx(2.5)
    assert f.tolerance_left(0.3, 0.1) == pytest.approx(0.2)
    assert f.tolerance_left(0.3, 0.29) == f.MIN_TOLERANCE_LEFT == 0.02
    assert f.tolerance_left(0.3, 0.5) == 0.02
    # U = 0.5 x 2.5 - 2.0 x 0.1 / 0.2 = 1.25 - 1.0
    assert f.attack_utility(0.5, 2.5, 0.1, 0.2, K) == pytest.approx(0.25)
    # U_hold = 0.4 x (1 - 0.8)
    assert f.hold_utility(0.8, K) == pytest.approx(0.08)
    assert f.hold_utility(1.0, K) == 0.0


def _pick(utility, legal, hold, beta, u):
    """logit_pick of one choice (row 0 of one-row arrays)."""
    return f.logit_pick(np.asarray([utility], np.float64), np.asarray([legal], np.bool_), 0,
                        hold, beta, u)


def test_logit_pick_holds_when_nothing_is_legal():
    for u in (0.001, 0.5, 0.999):
        assert _pick([100.0, 50.0, 9.0], [False] * 3, -100.0, 10.0, u) == f.HOLD == -1


def test_logit_pick_inverts_the_cumulative_weights():
    # beta 0: four equal weights (legal 0, 2, 3 and HOLD); total 4, cut = 4u.
    utility, legal = [3.0, -2.0, 9.0, 0.5], [True, False, True, True]
    picks = {u: _pick(utility, legal, 1.0, 0.0, u) for u in (0.2, 0.26, 0.6, 0.74, 0.76)}
    # cut 0.8 -> 0 (cum 1); 1.04 -> 2 (cum 2; 1 is illegal); 2.4 -> 3; 2.96 -> 3; 3.04 -> HOLD
    assert picks == {0.2: 0, 0.26: 2, 0.6: 3, 0.74: 3, 0.76: f.HOLD}


def _frequencies(utility, legal, hold, beta, n=20_000):
    u = (np.arange(n) + 0.5) / n  # evenly spread uniforms: frequencies without noise
    picks = [_pick(utility, legal, hold, beta, x) for x in u]
    g = len(utility)
    return np.bincount([g if p == f.HOLD else p for p in picks], minlength=g + 1) / n


def test_logit_pick_uniform_at_beta_zero():
    freq = _frequencies([3.0, -2.0, 9.0, 0.5], [True, False, True, True], 1.0, 0.0)
    assert freq[1] == 0.0
    np.testing.assert_allclose(freq[[0, 2, 3, 4]], 0.25, atol=1e-3)


def test_logit_pick_follows_the_softmax_and_argmax_at_large_beta():
    utility, legal, hold = [0.2, 0.5, 0.1], [True, True, True], 0.3
    for beta in (2.0, 5.0):
        w = np.exp(beta * np.array([0.2, 0.5, 0.1, 0.3]))
        np.testing.assert_allclose(_frequencies(utility, legal, hold, beta), w / w.sum(),
                                   atol=1e-3)
    for u in (1e-6, 0.5, 1 - 1e-6):
        assert _pick(utility, legal, hold, 1000.0, u) == 1
        assert _pick(utility, legal, 0.9, 1000.0, u) == f.HOLD  # HOLD is best
        assert _pick(utility, [True, False, True], hold, 1000.0, u) == f.HOLD


@FAST
@given(data=st.data())
def test_logit_pick_only_legal_targets_or_hold(data):
    g = data.draw(st.integers(1, 6))
    utility = data.draw(st.lists(st.floats(-50, 50), min_size=g, max_size=g))
    legal = data.draw(st.lists(st.booleans(), min_size=g, max_size=g))
    hold = data.draw(st.floats(-50, 50))
    beta = data.draw(st.floats(0, 100))
    u = data.draw(st.floats(1e-12, 1 - 1e-12))
    pick = _pick(utility, legal, hold, beta, u)
    assert pick == f.HOLD or (0 <= pick < g and legal[pick])


# --------------------------------------------------------------------------- morale


def test_mixed_morale_by_headcount():
    # (0.5 x 1000 + 0.8 x 500) / 1500 = 0.6
    assert f.mixed_morale(0.5, 1000.0, 0.8 * 500.0, 500.0) == pytest.approx(0.6)
    assert f.mixed_morale(0.3, 0.0, 0.9 * 20.0, 20.0) == pytest.approx(0.9)  # empty: theirs


@FAST
@given(m1=unit, n1=st.floats(0, 1e6), m2=unit, n2=st.floats(1e-3, 1e6))
def test_mixed_morale_lies_between_the_two(m1, n1, m2, n2):
    mixed = f.mixed_morale(m1, n1, m2 * n2, n2)
    assert min(m1, m2) - 1e-12 <= mixed <= max(m1, m2) + 1e-12


def _morale(m, m0=0.6, lost=0.0, present=1000.0, enemy=0.0, own=100.0, momentum=0.0, k=K,
            brittle=1.0, drain=0.0):
    return f.morale_update(m, m0, lost, present, enemy, own, momentum, brittle, drain, k)


def test_morale_update_known_values():
    # 0.5 + 0.03 x (0.6 - 0.5) - 1.0 x 250 / (750 + 250) = 0.253
    assert _morale(0.5, lost=250.0, present=750.0) == pytest.approx(0.253)
    # isolation: H/O = e^2 -> 0.6 - 0.01 x 2 x (1 - 0.6) = 0.592
    assert _morale(0.6, enemy=100.0 * math.e**2, own=100.0) == pytest.approx(0.592)
    # scaled by 1 - baseline, not 1 - morale: 0.3 + 0.03 x 0.5 - 0.01 x 2 x (1 - 0.8) = 0.311
    assert _morale(0.3, m0=0.8, enemy=100.0 * math.e**2, own=100.0) == pytest.approx(0.311)
    # momentum 0.5 -> + 0.01 x 0.5
    assert _morale(0.6, momentum=0.5) == pytest.approx(0.605)
    # a seven-day step relaxes 0.21 of the way: 0.2 + 0.21 x 0.4 = 0.284
    assert _morale(0.2, k=kernel_constants(MODEL, COMBAT, 7)) == pytest.approx(0.284)


def test_morale_update_brittleness_scales_the_shocks_and_drain_is_subtracted():
    # a brittle force (b = 2) loses twice the share: 0.5 + 0.003 - 2 x 0.25 = 0.003
    assert _morale(0.5, lost=250.0, present=750.0, brittle=2.0) == pytest.approx(0.003)
    # a force that never wavers (b = 0) keeps only the relaxation: 0.5 + 0.003
    assert _morale(0.5, lost=250.0, present=750.0, brittle=0.0) == pytest.approx(0.503)
    # isolation x b: 0.6 - 0.5 x 0.01 x 2 x 0.4 = 0.596
    assert _morale(0.6, enemy=100.0 * math.e**2, own=100.0, brittle=0.5) == pytest.approx(0.596)
    # the cut-off drain comes off as it is: 0.6 - 0.05
    assert _morale(0.6, drain=0.05) == pytest.approx(0.55)


def test_morale_update_edge_cases():
    assert _morale(0.6, enemy=50.0, own=100.0) == pytest.approx(0.6)  # weaker enemy: none
    assert _morale(0.6, enemy=1e6, own=0.0) == pytest.approx(0.6)  # no own power: no ratio
    assert _morale(1.0, enemy=1e6, own=100.0, m0=1.0) == 1.0  # committed: unshaken
    assert _morale(0.05, lost=900.0, present=100.0) == 0.0  # clipped at 0
    assert _morale(1.0, m0=1.0, momentum=1.0) == 1.0  # clipped at 1
    assert _morale(0.6, enemy=1e300, own=1e-300) >= 0.0  # the ratio cannot overflow


@FAST
@given(m=unit, m0=unit, lost=st.floats(0, 1e6), present=st.floats(0, 1e6),
       enemy=st.floats(0, 1e12), own=st.floats(0, 1e12), mom=st.floats(-1, 1),
       days=st.integers(1, 30))
def test_morale_update_stays_in_unit_interval(m, m0, lost, present, enemy, own, mom, days):
    k = K if days == 1 else kernel_constants(MODEL, COMBAT, days)
    assert 0.0 <= f.morale_update(m, m0, lost, present, enemy, own, mom, 1.0, 0.0, k) <= 1.0


@FAST
@given(m=unit, m0=unit, days=st.integers(1, 30))
def test_morale_recovery_moves_towards_the_baseline(m, m0, days):
    k = kernel_constants(MODEL, COMBAT, days)  # steps up to 30 days (the schema's limit)
    new = _morale(m, m0=m0, own=100.0, k=k)
    assert abs(new - m0) <= abs(m - m0) + 1e-12
    assert (new - m) * (m0 - m) >= 0.0  # never away from it


def test_routs_only_under_threshold_and_with_forces():
    assert f.routs(0.19, 10.0, 0.2)
    assert not f.routs(0.2, 10.0, 0.2)  # strictly below
    assert not f.routs(0.0, 0.0, 0.2)  # nobody to rout


def test_region_loss_shock_by_value_share():
    # 0.08 x 5 / 20, x brittleness
    assert f.region_loss_shock(5.0, 20.0, 1.0, K) == pytest.approx(0.02)
    assert f.region_loss_shock(5.0, 20.0, 2.0, K) == pytest.approx(0.04)


# ------------------------------------------------------------- air, economy, support


def test_strike_kills_known_values_and_array_form():
    assert f.strike_kills(10.0, 0.5, 1.5) == pytest.approx(15.0)  # 10 x 1.5 x (0.5 + 0.5)
    assert f.strike_kills(10.0, 0.0, 1.5) == pytest.approx(7.5)
    assert f.strike_kills(0.0, 1.0, 1.5) == 0.0
    s, i = np.array([0.0, 10.0, 33.0]), np.array([0.2, 0.5, 1.0])
    np.testing.assert_array_equal(vec.strike_kills(s, i, 1.5),
                                  [f.strike_kills(s[j], i[j], 1.5) for j in range(3)])


def test_funds_and_recruits_known_values():
    # 10,000 soldiers at 100 USD/day cost 1 USD million a day: 5 + 2 x (0 - 1) = 3
    assert f.funds_after(5.0, 0.0, 100.0, 10_000.0, 2.0) == pytest.approx(3.0)
    assert f.funds_after(5.0, 0.5, 100.0, 10_000.0, 2.0) == pytest.approx(4.0)
    assert f.funds_after(1.5, 0.0, 100.0, 10_000.0, 2.0) == pytest.approx(-0.5)
    assert f.recruits(3.0, 30.0, 2.0) == 60.0
    assert f.recruits(-0.5, 30.0, 2.0) == 0.0
    assert f.recruits(0.0, 30.0, 2.0) == 0.0  # no money, no fighters


def test_troops_arriving_ramp_evenly_and_stop():
    # 1000 over 4 days: 250 a day, then nothing
    sent, arrivals = 0.0, []
    for _ in range(6):
        arrive = f.troops_arriving(1000.0, sent, 4.0, 1.0)
        arrivals.append(arrive)
        sent += arrive
    assert arrivals == [250.0] * 4 + [0.0, 0.0]
    assert f.troops_arriving(1000.0, 900.0, 4.0, 1.0) == pytest.approx(100.0)
    assert f.troops_arriving(1000.0, 0.0, 4.0, 7.0) == 1000.0  # a week covers the ramp
    assert f.troops_arriving(1000.0, 1100.0, 4.0, 1.0) == 0.0  # never negative


@FAST
@given(amount=st.floats(0, 1e5), ramp=st.integers(1, 30), days=st.integers(1, 30),
       steps=st.integers(1, 40))
def test_troops_arriving_never_beyond_amount(amount, ramp, days, steps):
    sent = 0.0
    for _ in range(steps):
        arrive = f.troops_arriving(amount, sent, float(ramp), float(days))
        assert arrive >= 0.0
        sent += arrive
        assert sent <= amount * (1 + 1e-12)


def test_troops_arriving_array_form_equals_scalar():
    rng = np.random.default_rng(5)
    amount, sent = rng.uniform(0, 1e4, 200), rng.uniform(0, 1.2e4, 200)
    ramp, days = rng.integers(1, 30, 200).astype(float), rng.integers(1, 8, 200).astype(float)
    np.testing.assert_array_equal(
        vec.troops_arriving(amount, sent, ramp, days),
        [f.troops_arriving(amount[i], sent[i], ramp[i], days[i]) for i in range(200)])


def test_posture_after_thresholds_and_never_falls():
    assert f.posture_after(HASTY, 13.0, K) == HASTY
    assert f.posture_after(HASTY, 14.0, K) == PREPARED  # fortify_days
    assert f.posture_after(HASTY, 59.0, K) == PREPARED
    assert f.posture_after(HASTY, 60.0, K) == FORTIFIED  # fortress_days
    assert f.posture_after(PREPARED, 0.0, K) == PREPARED  # never falls while held
    assert f.posture_after(FORTIFIED, 20.0, K) == FORTIFIED
