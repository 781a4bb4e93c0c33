"""Each rule of sim/model/formulas_campaign.py on its own: known values worked out by hand from
the docstring equations, edge cases, and monotonicity / bound properties (hypothesis).

The constants are round numbers chosen for the arithmetic, not the fitted ones: a refit of
the combat constants must not move these tests.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import formulas_campaign as fc
from sim.model.constants import ModelConstants, kernel_constants
from tests.test_formulas import COMBAT as BATTLE

# The battle constants of tests/test_formulas.py, with round advance constants of our own.
COMBAT = replace(
    BATTLE, advance_intercept=0.5, advance_slope=1.0, advance_posture=(0.0, -0.1, -0.3),
    advance_terrain=(-1.0, 0.0, 0.0, -0.5, -0.6, -0.2, -0.3), advance_max_km=20.0)
MODEL = ModelConstants(
    rout_threshold=0.2, rout_will_slope=0.3, rout_contagion=0.5, supply_floor=0.3,
    cutoff_shock=0.01, engaged_terrain=(0.15, 1.0, 0.9, 0.6, 0.5, 0.4, 0.7),
    engaged_posture=(1.0, 0.8, 0.6))
K = kernel_constants(MODEL, COMBAT, 1)  # one-day steps
K3 = kernel_constants(MODEL, COMBAT, 3)  # three-day steps
URBAN, OPEN, DESERT, ROUGH = 0, 1, 2, 3
HASTY, PREPARED, FORTIFIED = 0, 1, 2
FAST = settings(max_examples=80, deadline=None)
unit = st.floats(0.0, 1.0)


# ------------------------------------------------------------------------ will to fight


def test_will_to_fight_weights():
    # 0.2 pay + 0.2 training + 0.25 leadership + 0.35 commitment
    assert fc.will_to_fight(0.0, 0.0, 0.0, 1.0) == pytest.approx(0.35)
    assert fc.will_to_fight(0.0, 0.0, 1.0, 0.0) == pytest.approx(0.25)
    assert fc.will_to_fight(0.0, 1.0, 0.0, 0.0) == pytest.approx(0.2)
    assert fc.will_to_fight(1.0, 0.0, 0.0, 0.0) == pytest.approx(0.2)
    assert fc.will_to_fight(0.5, 0.5, 0.5, 0.5) == pytest.approx(0.5)
    assert fc.will_to_fight(1.0, 1.0, 1.0, 1.0) == pytest.approx(1.0)
    assert fc.will_to_fight(0.2, 0.4, 0.6, 0.8) == pytest.approx(
        0.2 * 0.2 + 0.2 * 0.4 + 0.25 * 0.6 + 0.35 * 0.8)


@FAST
@given(unit, unit, unit, unit)
def test_will_to_fight_stays_in_unit_interval(pay, training, leadership, commitment):
    w = fc.will_to_fight(pay, training, leadership, commitment)
    assert -1e-12 <= w <= 1.0 + 1e-12


def test_brittleness_known_values():
    assert fc.brittleness(0.5) == pytest.approx(1.0)
    assert fc.brittleness(1.0) == pytest.approx(0.0)
    assert fc.brittleness(0.0) == pytest.approx(2.0)
    assert fc.brittleness(0.8) == pytest.approx(0.4)


def test_resistance_known_values():
    assert fc.resistance(0.0) == pytest.approx(0.5)
    assert fc.resistance(0.5) == pytest.approx(1.0)
    assert fc.resistance(1.0) == pytest.approx(1.5)


# ----------------------------------------------------------------------- rout threshold


def test_rout_threshold_known_values():
    # t = 0.2 / 0.6 = 1/3, s = 0.3: theta = M0 (1/3 + 0.3 (0.5 - W))
    assert fc.rout_threshold_of(0.5, 0.6, K) == pytest.approx(0.2)
    assert fc.rout_threshold_of(0.0, 0.6, K) == pytest.approx(0.6 * (1 / 3 + 0.15))
    assert fc.rout_threshold_of(1.0, 0.6, K) == pytest.approx(0.6 * (1 / 3 - 0.15))
    assert fc.rout_threshold_of(0.5, 0.9, K) == pytest.approx(0.9 / 3)


@pytest.mark.parametrize(("will", "share"), [(0.0, 0.95), (1.0, 0.05)])
def test_rout_threshold_clipped_to_a_share_of_the_baseline(will, share):
    k = kernel_constants(ModelConstants(rout_threshold=0.2, rout_will_slope=10.0), COMBAT, 1)
    assert fc.rout_threshold_of(will, 0.7, k) == pytest.approx(share * 0.7)


@FAST
@given(unit, unit, st.floats(0.0, 1.0))
def test_rout_threshold_bounds_and_falls_with_will(w1, w2, baseline):
    lo, hi = min(w1, w2), max(w1, w2)
    t_lo, t_hi = fc.rout_threshold_of(lo, baseline, K), fc.rout_threshold_of(hi, baseline, K)
    assert t_hi <= t_lo + 1e-12  # more will, lower threshold
    for t in (t_lo, t_hi):
        assert 0.05 * baseline - 1e-12 <= t <= 0.95 * baseline + 1e-12


# ----------------------------------------------------------------------- reconstitution


def test_felt_loss_share_known_values():
    assert fc.felt_loss_share(300.0, 100.0, 1000.0) == pytest.approx(0.2)
    assert fc.felt_loss_share(300.0, 0.0, 1000.0) == pytest.approx(0.3)
    assert fc.felt_loss_share(300.0, 300.0, 1000.0) == 0.0
    assert fc.felt_loss_share(300.0, 0.0, 0.0) == 0.0  # no day-0 strength, nothing to feel


def test_reconstitution_step_is_one_minus_exp_of_step_over_time_constant():
    assert K.reconstitution_step == pytest.approx(1.0 - math.exp(-1.0 / 240.0))
    assert K3.reconstitution_step == pytest.approx(1.0 - math.exp(-3.0 / 240.0))
    never = kernel_constants(replace(MODEL, reconstitution_days=math.inf), COMBAT, 1)
    assert never.reconstitution_step == 0.0


def test_reconstitute_known_values():
    recovered, losses = np.zeros(2), np.array([100.0, 0.0])
    fc.reconstitute(recovered, losses, 0.5)
    np.testing.assert_allclose(recovered, [50.0, 0.0])
    fc.reconstitute(recovered, losses, 0.5)
    np.testing.assert_allclose(recovered, [75.0, 0.0])


@FAST
@given(st.floats(0.0, 1e6), st.integers(0, 400), st.floats(1.0, 1000.0))
def test_a_past_loss_is_felt_with_weight_exp_minus_t_over_T(loss, days, T):
    """One loss, then d one-day steps: L - L_rec = L exp(-d / T), never below 0."""
    k = kernel_constants(replace(MODEL, reconstitution_days=T), COMBAT, 1)
    recovered, losses = np.zeros(1), np.array([loss])
    for _ in range(days):
        fc.reconstitute(recovered, losses, k.reconstitution_step)
    assert 0.0 <= recovered[0] <= loss * (1 + 1e-12)
    assert losses[0] - recovered[0] == pytest.approx(loss * math.exp(-days / T), rel=1e-9,
                                                     abs=1e-6)


# ------------------------------------------------------------------------------ supply


def test_sustain_known_values():
    assert fc.sustain(1.0, K) == pytest.approx(1.0)
    assert fc.sustain(0.0, K) == pytest.approx(0.3)
    assert fc.sustain(0.5, K) == pytest.approx(0.3 + 0.7 * 0.5)


@FAST
@given(unit, unit)
def test_sustain_grows_with_supply(s1, s2):
    lo, hi = min(s1, s2), max(s1, s2)
    assert fc.sustain(lo, K) <= fc.sustain(hi, K)
    assert 0.3 - 1e-12 <= fc.sustain(lo, K) <= 1.0 + 1e-12


def test_supply_after_refills_when_connected_and_runs_down_otherwise():
    assert fc.supply_after(0.1, True, 1.0, 30.0) == 1.0
    assert fc.supply_after(0.0, True, 3.0, 10.0) == 1.0
    assert fc.supply_after(1.0, False, 1.0, 10.0) == pytest.approx(0.9)
    assert fc.supply_after(0.5, False, 3.0, 30.0) == pytest.approx(0.4)


def test_supply_never_below_zero():
    assert fc.supply_after(0.05, False, 1.0, 10.0) == 0.0
    assert fc.supply_after(0.0, False, 3.0, 1.0) == 0.0


@FAST
@given(unit, st.floats(0.0, 30.0), st.floats(0.1, 365.0))
def test_supply_after_bounded(supply, days, supply_days):
    cut = fc.supply_after(supply, False, days, supply_days)
    assert 0.0 <= cut <= supply
    assert fc.supply_after(supply, True, days, supply_days) == 1.0


def test_cutoff_drain_known_values():
    # cutoff_shock x d x b x (1 - supply); d = 1 then 3 (cutoff_shock_step)
    assert fc.cutoff_drain(0.0, 1.0, K) == pytest.approx(0.01)
    assert fc.cutoff_drain(0.5, 2.0, K) == pytest.approx(0.01 * 2.0 * 0.5)
    assert fc.cutoff_drain(0.25, 1.0, K3) == pytest.approx(0.03 * 0.75)
    assert fc.cutoff_drain(1.0, 2.0, K) == 0.0  # full stocks: no drain
    assert fc.cutoff_drain(0.0, 0.0, K) == 0.0  # a force that never wavers


# --------------------------------------------------------------------------- desertion


def test_desertion_known_values():
    assert fc.desertion(1000.0, 0.01, 1.0) == pytest.approx(10.0)
    assert fc.desertion(1000.0, 0.01, 3.0) == pytest.approx(30.0)
    assert fc.desertion(1000.0, 0.0, 3.0) == 0.0
    assert fc.desertion(1000.0, 0.5, 3.0) == pytest.approx(1000.0)  # min(1, 1.5)


@FAST
@given(st.floats(0.0, 1e7), unit, st.floats(0.0, 30.0))
def test_desertion_never_exceeds_personnel(personnel, rate, days):
    gone = fc.desertion(personnel, rate, days)
    assert 0.0 <= gone <= personnel


# ------------------------------------------------------------------- movement and pace


def test_travel_share_known_values():
    assert fc.travel_share(20.0, 100.0, 1.0) == pytest.approx(0.2)
    assert fc.travel_share(20.0, 100.0, 3.0) == pytest.approx(0.6)
    assert fc.travel_share(50.0, 100.0, 3.0) == 1.0  # arrives within the step
    assert fc.travel_share(20.0, 20.0, 1.0) == 1.0


@pytest.mark.parametrize("road", [0.0, -5.0, math.nan])
def test_travel_share_without_distance_is_one(road):
    assert fc.travel_share(0.0, road, 1.0) == 1.0
    assert fc.travel_share(10.0, road, 1.0) == 1.0


@FAST
@given(st.floats(0.0, 1e3), st.floats(1e-3, 1e4), st.floats(0.0, 30.0))
def test_travel_share_in_unit_interval(speed, road, days):
    assert 0.0 <= fc.travel_share(speed, road, days) <= 1.0


def test_advance_km_known_values():
    # exp(0.5 + 1.0 ln(Pa/Pd) + a_posture + a_terrain), at most 20
    assert fc.advance_km(0.0, 0.0, HASTY, OPEN, K) == pytest.approx(math.exp(0.5))
    assert fc.advance_km(math.log(2.0), 0.0, HASTY, OPEN, K) == pytest.approx(
        2.0 * math.exp(0.5))
    assert fc.advance_km(0.0, 0.0, FORTIFIED, URBAN, K) == pytest.approx(
        math.exp(0.5 - 0.3 - 1.0))
    assert fc.advance_km(0.0, 0.0, PREPARED, ROUGH, K) == pytest.approx(
        math.exp(0.5 - 0.1 - 0.5))


def test_advance_km_capped_at_advance_max_km():
    assert fc.advance_km(math.log(1000.0), 0.0, HASTY, OPEN, K) == pytest.approx(20.0)
    assert fc.advance_km(50.0, 0.0, HASTY, OPEN, K) == pytest.approx(20.0)


@FAST
@given(st.floats(-10.0, 10.0), st.floats(-10.0, 10.0), st.integers(0, 2),
       st.integers(0, 6))
def test_advance_km_grows_with_power_ratio(x1, x2, posture, terrain):
    lo, hi = min(x1, x2), max(x1, x2)
    a_lo = fc.advance_km(lo, 0.0, posture, terrain, K)
    a_hi = fc.advance_km(hi, 0.0, posture, terrain, K)
    assert a_lo <= a_hi <= 20.0
    assert a_lo > 0.0
    if hi > lo + 1e-6 and a_lo < 20.0 - 1e-9:
        assert a_hi > a_lo  # strictly, below the cap (advance_slope > 0)


def test_engaged_share_known_values():
    assert fc.engaged_share(OPEN, HASTY, K) == pytest.approx(1.0)
    assert fc.engaged_share(URBAN, HASTY, K) == pytest.approx(0.15)
    assert fc.engaged_share(URBAN, FORTIFIED, K) == pytest.approx(0.15 * 0.6)
    assert fc.engaged_share(DESERT, PREPARED, K) == pytest.approx(0.9 * 0.8)


def test_progress_after_known_values_and_cap():
    assert fc.progress_after(0.0, 5.0, 20.0) == pytest.approx(0.25)
    assert fc.progress_after(0.5, 5.0, 20.0) == pytest.approx(0.75)
    assert fc.progress_after(0.9, 5.0, 20.0) == 1.0
    assert fc.progress_after(0.0, 100.0, 1e-9) == 1.0


@FAST
@given(unit, st.floats(0.0, 100.0), st.floats(1e-6, 1e3))
def test_progress_after_never_decreases_never_exceeds_one(progress, km, depth):
    p = fc.progress_after(progress, km, depth)
    assert progress - 1e-12 <= p <= 1.0


# --------------------------------------------------------------------------- contagion


def test_contagion_known_values():
    # c x b x routed / strength, c = 0.5
    assert fc.contagion(100.0, 1000.0, 1.0, K) == pytest.approx(0.05)
    assert fc.contagion(500.0, 1000.0, 2.0, K) == pytest.approx(0.5)
    assert fc.contagion(100.0, 1000.0, 0.0, K) == 0.0
    # strength floored at one person
    assert fc.contagion(0.5, 0.0, 1.0, K) == pytest.approx(0.25)


@FAST
@given(st.floats(0.0, 1e5), st.floats(0.0, 1e5), st.floats(0.0, 2.0))
def test_contagion_grows_with_the_share_that_broke(r1, extra, brittle):
    strength = r1 + extra + 1.0
    assert fc.contagion(r1, strength, brittle, K) <= fc.contagion(
        r1 + extra, strength, brittle, K) + 1e-12


# A line of regions 0 - 1 - 2 - 3; the actor (0) has goals on regions 0 (weight 2) and 3 (4).
_GOALS = np.array([[2.0, 0.0, 0.0, 4.0]])
_GOAL_REGIONS = np.array([[0, 3, -1]])  # padded, as compile_campaign.goal_lists pads
_DECAY = 0.5 ** np.abs(np.subtract.outer(np.arange(4), np.arange(4))).astype(float)


def _path(control, h):
    return fc.goal_path_value(_GOALS, _GOAL_REGIONS, _DECAY, np.array([control]), 0, 0, h)


def test_goal_path_value_counts_only_goals_the_actor_does_not_hold():
    nobody = [-1, -1, -1, -1]
    assert _path(nobody, 1) == pytest.approx(max(2 * 0.5, 4 * 0.25))
    assert _path(nobody, 2) == pytest.approx(4 * 0.5)
    held_0 = [0, -1, -1, 5]  # the actor holds goal 0; actor 5 holds goal 3
    assert _path(held_0, 1) == pytest.approx(4 * 0.25)
    both = [0, -1, -1, 0]  # both goals held: the ground between is worth nothing
    assert _path(both, 1) == 0.0 and _path(both, 2) == 0.0


def test_goal_path_value_is_zero_on_a_goal_region_itself():
    assert _path([-1, -1, -1, -1], 0) == 0.0
    assert _path([1, 1, 1, 1], 3) == 0.0


def test_goal_lists_pad_each_actors_goal_regions():
    from sim.model.compile_campaign import goal_lists
    goals = np.array([[2.0, 0.0, 0.0, 4.0], [0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
    assert goal_lists(goals).tolist() == [[0, 3], [-1, -1], [1, -1]]
    assert goal_lists(np.zeros((2, 3))).tolist() == [[-1], [-1]]


@given(st.lists(st.integers(-1, 2), min_size=4, max_size=4), st.integers(0, 3))
def test_goal_path_value_never_exceeds_the_largest_goal_and_losing_a_goal_never_lowers_it(
        control, h):
    value = _path(control, h)
    assert 0.0 <= value <= _GOALS.max()
    lost = [1 if c == 0 else c for c in control]  # every goal the actor held is now an enemy's
    assert _path(lost, h) >= value
