"""The campaign kernels on small hand-built states (tests/test_phases.world: three actors on a
line of four regions 0 - 1 - 2 - 3, 50 km of road per link): supply and cut-off, panic
spreading, battles through a region's depth, the travel lag on commitment, and the morale
phase's desertion, cut-off drain and routs only under pressure.

Expected numbers come from sim/model/formulas_campaign.py (pinned by
tests/test_formulas_campaign.py) composed the way the kernels' docstrings say.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sim.model import formulas as f
from sim.model import formulas_campaign as fc
from sim.model import phases
from sim.model.constants import kernel_constants
from tests.test_phases import BLUE, COMBAT, GREEN, MODEL, OPEN, RED, A, G, K, fight, world

K3 = kernel_constants(MODEL, COMBAT, 3)


def field(records, actor, name):
    return records.fields[0, actor, phases.REC_FIELDS.index(name)]


# ------------------------------------------------------------------------------ supply


def supply(w, k=K):
    phases.supply_phase(w.state, w.step, w.sampled, w.geo, k)


def cut_world():
    """Blue's base in 0, red holds 1: blue's forces in 2 and 3 are cut off from it."""
    w = world(control=(BLUE, RED, BLUE, BLUE))
    w.geo.bases[BLUE, 0] = True
    w.state.F[0, BLUE, 2] = 1000.0
    w.state.F[0, BLUE, 0] = 1000.0
    w.sampled.supply_days[0, BLUE] = 10.0
    w.state.dirty[0] = True
    return w


def test_a_force_cut_off_runs_down_and_is_refilled_once_reconnected():
    w = cut_world()
    s = w.state
    supply(w)
    assert not s.dirty[0]
    np.testing.assert_array_equal(s.connected[0, BLUE], [True, False, False, False])
    assert s.supply[0, BLUE, 2] == pytest.approx(0.9)  # 1 day / 10 supply days
    assert s.supply[0, BLUE, 0] == 1.0
    supply(w)
    assert s.supply[0, BLUE, 2] == pytest.approx(0.8)
    assert s.supply[0, BLUE, 3] == pytest.approx(0.8)
    # three-day steps run down three times as fast
    supply(w, K3)
    assert s.supply[0, BLUE, 2] == pytest.approx(0.5)
    # blue retakes region 1: the road is open again, stocks refilled in one step
    s.control[0, 1] = BLUE
    s.dirty[0] = True
    supply(w)
    np.testing.assert_array_equal(s.connected[0, BLUE], True)
    assert s.supply[0, BLUE, 2] == 1.0 and s.supply[0, BLUE, 3] == 1.0


def test_supply_never_runs_below_zero():
    w = cut_world()
    w.sampled.supply_days[0, BLUE] = 1.0
    for _ in range(3):
        supply(w, K3)
    assert w.state.supply[0, BLUE, 2] == 0.0


def test_an_allys_ground_carries_supply_but_a_neutrals_does_not():
    w = cut_world()
    w.state.control[0, 1] = GREEN  # blue's ally
    supply(w)
    np.testing.assert_array_equal(w.state.connected[0, BLUE], True)
    assert w.state.supply[0, BLUE, 2] == 1.0
    w2 = cut_world()
    w2.step.stances[0, BLUE, GREEN] = w2.step.stances[0, GREEN, BLUE] = f.NEUTRALITY
    w2.state.control[0, 1] = GREEN
    supply(w2)
    assert not w2.state.connected[0, BLUE, 2]
    assert w2.state.supply[0, BLUE, 2] == pytest.approx(0.9)


def test_a_base_held_by_the_enemy_supplies_nobody():
    w = cut_world()
    w.state.control[0, 0] = RED
    w.state.control[0, 1] = BLUE
    supply(w)
    np.testing.assert_array_equal(w.state.connected[0, BLUE], False)
    assert w.state.supply[0, BLUE, 2] == pytest.approx(0.9)


def test_an_actor_without_bases_is_always_supplied():
    w = cut_world()
    s = w.state
    s.F[0, RED, 1] = 500.0
    s.supply[0, RED] = 0.5
    s.connected[0, RED] = False  # stale: recomputed because dirty
    supply(w)
    np.testing.assert_array_equal(s.connected[0, RED], True)
    np.testing.assert_array_equal(s.supply[0, RED], 1.0)
    np.testing.assert_array_equal(s.connected[0, GREEN], True)


def test_connections_are_recomputed_only_when_dirty():
    w = cut_world()
    s = w.state
    supply(w)
    assert not s.connected[0, BLUE, 2]
    # blue retakes 1, but nothing marks the replication dirty: the old connections stand
    s.control[0, 1] = BLUE
    supply(w)
    assert not s.connected[0, BLUE, 2]
    assert s.supply[0, BLUE, 2] == pytest.approx(0.8)
    s.dirty[0] = True
    supply(w)
    assert s.connected[0, BLUE, 2] and s.supply[0, BLUE, 2] == 1.0


def test_dirty_is_per_replication():
    w = world(R=2, control=(BLUE, RED, BLUE, BLUE))
    s = w.state
    w.geo.bases[BLUE, 0] = True
    s.connected[:] = True
    s.dirty[:] = [False, True]
    supply(w)
    assert s.connected[0, BLUE, 2]  # not searched again
    assert not s.connected[1, BLUE, 2]
    assert not s.dirty.any()


def test_a_change_of_hands_marks_the_replication_dirty():
    w = cut_world()
    supply(w)
    assert not w.state.dirty[0]
    phases.hand_over(w.state, w.sampled, K, np.array([0]), np.array([1]), BLUE, 5.0)
    assert w.state.dirty[0]
    supply(w)
    assert w.state.connected[0, BLUE, 2]


# --------------------------------------------------------------------------- contagion

K_PANIC = kernel_constants(replace(MODEL, rout_contagion=0.5), COMBAT, 1)


def test_panic_lowers_every_force_of_the_actor_by_contagion():
    w = world()
    s = w.state
    s.F[0, BLUE] = [1000.0, 500.0, 0.0, 0.0]
    s.reserve[0, BLUE] = 500.0
    s.morale[0, BLUE] = [0.6, 0.5, 0.4, 0.1]
    s.morale[0, RED] = 0.3
    routed = 1000.0
    phases.spread_panic(s, w.sampled, K_PANIC, np.array([0]), np.array([BLUE]),
                        np.array([routed]))
    shock = 0.5 * 1.0 * 1000.0 / (500.0 + 1000.0 + 500.0 + 1000.0)
    assert shock == pytest.approx(fc.contagion(routed, 3000.0, 1.0, K_PANIC))
    np.testing.assert_allclose(s.morale[0, BLUE], [0.6 - shock, 0.5 - shock, 0.4 - shock,
                                                    0.0])  # 0.1 - 1/6 clipped at 0
    np.testing.assert_array_equal(s.morale[0, RED], 0.3)
    np.testing.assert_array_equal(s.morale[0, GREEN], 0.6)


def test_panic_scales_with_brittleness_and_stays_in_its_replication():
    w = world(R=2)
    s = w.state
    s.F[:, BLUE, 0] = 1000.0
    w.sampled.brittleness[0, BLUE] = 2.0
    phases.spread_panic(s, w.sampled, K_PANIC, np.array([0]), np.array([BLUE]),
                        np.array([1000.0]))
    assert s.morale[0, BLUE, 0] == pytest.approx(0.6 - 0.5 * 2.0 * 1000.0 / 2000.0)
    np.testing.assert_array_equal(s.morale[1], 0.6)


def test_no_contagion_when_the_constant_is_zero():
    w = world()
    w.state.F[0, BLUE, 0] = 1000.0
    phases.spread_panic(w.state, w.sampled, K, np.array([0]), np.array([BLUE]),
                        np.array([1000.0]))
    np.testing.assert_array_equal(w.state.morale[0, BLUE], 0.6)


# ------------------------------------------------------------- battles through a depth


def deep_world(depth=200.0):
    """Blue's 10,000 in 1 against red's 100 in 2 (open ground, hasty defence): each won day
    advances the capped advance_max_km (the power ratio is > 60)."""
    w = world()
    s = w.state
    s.F[0, BLUE, 1], s.F[0, RED, 2] = 10_000.0, 100.0
    w.sampled.depth[0, 2] = depth
    return w


def test_a_won_day_in_a_deep_region_gains_ground_but_does_not_take_it():
    w = deep_world()
    s = w.state
    km = K.advance_max_km
    assert fc.advance_km(f.log_power(6000.0), f.log_power(100.0), 0, OPEN, K) == km
    rec = fight(w, [2, f.HOLD, f.HOLD])
    assert field(rec, BLUE, "won") == 1.0 and field(rec, BLUE, "advance") == 0.0
    assert s.progress[0, 2] == pytest.approx(km / 200.0)
    assert s.control[0, 2] == RED and s.attacked[0, 2]
    assert s.F[0, RED, 2] > 0.0 and s.F[0, BLUE, 2] == 0.0  # nobody moved in


def test_enough_won_days_take_the_deep_region():
    w = deep_world()
    s = w.state
    km = K.advance_max_km
    days_needed = int(np.ceil(200.0 / km))  # 60 km a day: 4 days
    for day in range(1, days_needed):
        w.step.loss_today[:] = 0.0
        rec = fight(w, [2, f.HOLD, f.HOLD])
        assert field(rec, BLUE, "advance") == 0.0
        assert s.progress[0, 2] == pytest.approx(day * km / 200.0)
        assert s.control[0, 2] == RED
    rec = fight(w, [2, f.HOLD, f.HOLD])
    assert field(rec, BLUE, "advance") == 1.0
    assert s.control[0, 2] == BLUE
    assert s.progress[0, 2] == 0.0  # reset on the change of hands
    assert s.F[0, RED, 2] == 0.0 and s.F[0, RED, 3] > 0.0  # the defenders fell back


def test_a_lost_day_gains_no_ground():
    w = deep_world()
    w.state.progress[0, 2] = 0.4
    rec = fight(w, [2, f.HOLD, f.HOLD], u_win=1.0)
    assert field(rec, BLUE, "won") == 0.0
    assert w.state.progress[0, 2] == pytest.approx(0.4)
    assert w.state.control[0, 2] == RED


def test_a_shallow_region_is_taken_in_one_won_day():
    w = deep_world(depth=1e-9)
    fight(w, [2, f.HOLD, f.HOLD])
    assert w.state.control[0, 2] == BLUE


def test_progress_decays_when_the_engagement_pauses():
    k = kernel_constants(replace(MODEL, progress_decay=0.1), COMBAT, 1)
    w = deep_world()
    s = w.state
    s.progress[0, 2] = 0.5
    s.progress[0, 1] = 0.5
    s.attacked[0, 2] = True
    phases.fortify(s, 1, k)
    assert s.progress[0, 2] == pytest.approx(0.5)  # fought over this step
    assert s.progress[0, 1] == pytest.approx(0.45)
    assert not s.attacked.any()


def test_losses_and_advance_scale_with_the_engaged_share():
    full = deep_world()
    rec_full = fight(full, [2, f.HOLD, f.HOLD])
    k_half = kernel_constants(replace(MODEL, engaged_terrain=(1.0, 0.5, 1.0, 1.0, 1.0, 1.0,
                                                              1.0)), COMBAT, 1)
    half = deep_world()
    rec_half = fight(half, [2, f.HOLD, f.HOLD], k=k_half)
    assert field(rec_half, BLUE, "won") == 1.0
    for actor in (BLUE, RED):
        assert half.state.losses[0, actor] == pytest.approx(0.5 * full.state.losses[0, actor])
        assert half.state.losses[0, actor] > 0.0
    assert field(rec_half, BLUE, "att_loss") == pytest.approx(
        0.5 * field(rec_full, BLUE, "att_loss"))
    assert field(rec_half, BLUE, "def_loss") == pytest.approx(
        0.5 * field(rec_full, BLUE, "def_loss"))
    assert half.state.progress[0, 2] == pytest.approx(0.5 * full.state.progress[0, 2])


def test_posture_lowers_the_engaged_share():
    k = kernel_constants(replace(MODEL, engaged_posture=(1.0, 0.8, 0.5)), COMBAT, 1)
    hasty, fortified = deep_world(), deep_world()
    fortified.state.posture[0, 2] = 2
    fight(hasty, [2, f.HOLD, f.HOLD], k=k)
    fight(fortified, [2, f.HOLD, f.HOLD], k=k)
    # the defenders' loss: same shares (the kernel's formula), half the days in contact
    la, ld = f.log_power(6000.0), f.log_power(100.0)
    share = f.defender_loss_share(la, ld, True, 0.0, k)
    assert hasty.state.losses[0, RED] == pytest.approx(f.daily_loss(share, 100.0))
    assert fortified.state.losses[0, RED] == pytest.approx(0.5 * f.daily_loss(share, 100.0))


def test_battle_losses_split_into_killed_and_wounded():
    w = deep_world()
    fight(w, [2, f.HOLD, f.HOLD])
    s = w.state
    for actor in (BLUE, RED):
        kinds = s.loss_kinds[0, actor]
        assert kinds[0] == pytest.approx(K.killed_share * s.losses[0, actor])
        assert kinds[1] == pytest.approx((1 - K.killed_share) * s.losses[0, actor])
        assert kinds.sum() == pytest.approx(s.losses[0, actor])
    assert K.killed_share == pytest.approx(1 / (1 + MODEL.wounded_per_killed))


# ------------------------------------------------------------------------- travel lag


@pytest.mark.parametrize(("speed", "share"), [(1e6, 1.0), (20.0, 0.4), (10.0, 0.2)])
def test_commitment_is_the_share_that_arrives(speed, share):
    w = deep_world()
    w.sampled.speed[0, BLUE] = speed  # the road from 1 to 2 is 50 km
    rec = fight(w, [2, f.HOLD, f.HOLD])
    assert field(rec, BLUE, "att_pers") == pytest.approx(0.6 * 10_000.0 * share)
    # only the committed share takes losses
    assert w.state.losses[0, BLUE] <= 0.6 * 10_000.0 * share


def test_a_long_road_from_one_origin_delays_only_that_origin():
    w = world(control=(BLUE, BLUE, RED, BLUE))
    s = w.state
    s.F[0, BLUE, 1], s.F[0, BLUE, 3], s.F[0, RED, 2] = 1000.0, 1000.0, 100.0
    w.sampled.speed[0, BLUE] = 50.0
    w.geo.travel[3, 2] = 200.0  # a mountain road from 3: a quarter arrives in a day
    rec = fight(w, [2, f.HOLD, f.HOLD])
    assert field(rec, BLUE, "att_pers") == pytest.approx(0.6 * 1000.0 * (1.0 + 0.25))


def test_too_slow_to_arrive_calls_the_attack_off():
    w = deep_world()
    w.state.F[0, BLUE, 1] = 1000.0
    w.sampled.speed[0, BLUE] = 5.0  # 600 x 0.1 = 60 < 0.5 x min_attack_personnel
    rec = fight(w, [2, f.HOLD, f.HOLD])
    assert field(rec, BLUE, "fought") == 0.0
    assert w.state.losses[0].sum() == 0.0 and w.state.F[0, RED, 2] == 100.0


# ------------------------------------------------------------------------------- morale


def morale_step(w, k=K):
    broken = np.empty(w.state.F.size, np.int64)
    n = phases.morale_phase(w.state, w.step, w.sampled, w.geo, k, broken)
    return broken[:n].tolist()


def shaken_world():
    """Blue's 1000 in region 0 with morale 0.05, under its threshold 0.6 x 0.2 / 0.6 = 0.2;
    nobody else anywhere: no enemy near, no loss today, connected."""
    w = world()
    w.state.F[0, BLUE, 0] = 1000.0
    w.state.morale[0, BLUE, 0] = 0.05
    return w


FLAT = (0 * A + BLUE) * G + 0


def test_a_shaken_force_without_pressure_does_not_rout():
    w = shaken_world()
    assert fc.rout_threshold_of(0.5, 0.6, K) == pytest.approx(0.2)
    assert morale_step(w) == []
    m = w.state.morale[0, BLUE, 0]
    assert m == pytest.approx(0.05 + 0.03 * (0.6 - 0.05))
    assert m < 0.2  # still under the threshold


@pytest.mark.parametrize("pressure", ["enemy_near", "loss_today", "cut_off"])
def test_a_shaken_force_under_pressure_routs(pressure):
    w = shaken_world()
    if pressure == "enemy_near":
        w.state.F[0, RED, 1] = 100.0  # region 1 is in region 0's reach
    elif pressure == "loss_today":
        w.step.loss_today[0, BLUE, 0] = 1.0
    else:
        w.state.connected[0, BLUE, 0] = False
    assert morale_step(w) == [FLAT]


def test_a_force_above_its_threshold_under_pressure_holds():
    w = shaken_world()
    w.state.morale[0, BLUE, 0] = 0.5
    w.state.F[0, RED, 1] = 100.0
    assert morale_step(w) == []


def test_a_brittle_force_breaks_earlier():
    k = kernel_constants(replace(MODEL, rout_will_slope=0.3), COMBAT, 1)
    w = shaken_world()
    w.state.morale[0, BLUE, 0] = 0.25
    w.step.loss_today[0, BLUE, 0] = 1e-9  # pressure, a negligible shock
    assert morale_step(w, k) == []  # will 0.5: threshold 0.2
    w2 = shaken_world()
    w2.state.morale[0, BLUE, 0] = 0.25
    w2.step.loss_today[0, BLUE, 0] = 1e-9
    w2.sampled.will[0, BLUE] = 0.0  # threshold 0.6 (1/3 + 0.15) = 0.29
    assert morale_step(w2, k) == [FLAT]


def test_cut_off_drains_morale():
    w = world()
    s = w.state
    s.F[0, BLUE, 0] = s.F[0, BLUE, 1] = 1000.0
    s.connected[0, BLUE, 0] = False
    s.supply[0, BLUE, 0] = 0.25
    w.sampled.brittleness[0, BLUE] = 2.0
    morale_step(w)
    drain = fc.cutoff_drain(0.25, 2.0, K)
    assert drain == pytest.approx(K.cutoff_shock_step * 2.0 * 0.75)
    assert s.morale[0, BLUE, 0] == pytest.approx(0.6 - drain)
    assert s.morale[0, BLUE, 1] == pytest.approx(0.6)  # full stocks: no drain


@pytest.mark.parametrize(("k", "days"), [(K, 1.0), (K3, 3.0)])
def test_desertion_moves_personnel_into_the_deserted_kind(k, days):
    w = world()
    s = w.state
    s.F[0, BLUE] = [1000.0, 2000.0, 0.0, 0.0]
    s.F[0, RED, 3] = 500.0
    w.sampled.desertion[0, BLUE] = 0.01
    morale_step(w, k)
    np.testing.assert_allclose(s.F[0, BLUE], [1000.0 * (1 - 0.01 * days),
                                              2000.0 * (1 - 0.01 * days), 0.0, 0.0])
    gone = 3000.0 * 0.01 * days
    assert s.loss_kinds[0, BLUE, 3] == pytest.approx(gone)
    assert s.losses[0, BLUE] == pytest.approx(gone)
    np.testing.assert_array_equal(s.loss_kinds[0, BLUE, :3], 0.0)
    assert s.F[0, RED, 3] == 500.0 and s.losses[0, RED] == 0.0  # no desertion rate


def test_remnants_count_as_deserted():
    w = world()
    w.state.F[0, BLUE, 0] = 0.5
    morale_step(w)
    assert w.state.F[0, BLUE, 0] == 0.0
    assert w.state.loss_kinds[0, BLUE, 3] == pytest.approx(0.5)
