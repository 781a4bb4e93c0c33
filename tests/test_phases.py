"""The phase kernels of sim/model/phases/ on small hand-built states: three actors on a line
of four regions, every container built here. Expected numbers come from the formulas of
sim/model/formulas.py (pinned by tests/test_formulas.py) composed the way docs/model.md says;
each test checks what the kernel does with them: who fights, who moves, who loses what, who
holds what. The last tests check that a replication gives the same bits alone or in a batch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.model import formulas as f
from sim.model import phases
from sim.model.constants import ModelConstants, kernel_constants
from tests.test_formulas import COMBAT

BLUE, RED, GREEN = 0, 1, 2
A, G = 3, 4
OPEN = 1
# Regions 0 - 1 - 2 - 3 on a line; the 1-2 link crosses a river.
ADJ = np.zeros((G, G), bool)
for _g, _h in ((0, 1), (1, 2), (2, 3)):
    ADJ[_g, _h] = ADJ[_h, _g] = True
RIVER = np.zeros((G, G), bool)
RIVER[1, 2] = RIVER[2, 1] = True
MODEL = ModelConstants(
    commit_share=0.6, min_attack_personnel=200.0, min_power_ratio=0.8, hold_utility=0.4,
    opportunity_weight=0.1, loss_aversion=2.0, advance_ratio=1.5, redeploy_rate=0.08,
    reserve_rate=0.02, rear_keep=0.3, kills_per_sortie=1.5, air_reference=20.0,
    defeat_shock=0.15, victory_boost=0.05, region_loss_shock=0.08, rout_threshold=0.2,
    fortify_days=14, fortress_days=60, occupy_share=0.1,
    # The campaign rules neutral, so these tests isolate the battle rules; the campaign
    # tests below (CAMPAIGN) switch them on one at a time.
    rout_will_slope=0.0, rout_contagion=0.0, initiative=0.0, day_result_share=1.0,
    engaged_terrain=(1.0,) * 7, engaged_posture=(1.0, 1.0, 1.0))
K = kernel_constants(MODEL, COMBAT, 1)


def stance_matrix(war=((BLUE, RED),), alliance=((BLUE, GREEN),), cooperation=()):
    """(1, A, A) stance codes: the diagonal is alliance, unlisted pairs neutral."""
    st = np.full((A, A), f.NEUTRALITY, np.int8)
    np.fill_diagonal(st, f.ALLIANCE)
    for code, pairs in ((f.WAR, war), (f.ALLIANCE, alliance), (f.COOPERATION, cooperation)):
        for a, b in pairs:
            st[a, b] = st[b, a] = code
    return st[None]


@dataclass
class World:
    state: phases.StateArrays
    step: phases.StepInputs
    sampled: phases.Sampled
    geo: phases.Geometry


def world(R=1, control=(BLUE, BLUE, RED, RED), stances=None, value=(1.0, 1.0, 2.0, 4.0)):
    """Blue holds 0-1 and red 2-3, at war; green is blue's ally. Nobody has forces yet."""
    F = np.zeros((R, A, G))
    ctrl = np.tile(np.asarray(control, np.int8), (R, 1))
    ever = np.zeros((R, A, G), bool)
    for g, holder in enumerate(control):
        if holder >= 0:
            ever[:, holder, g] = True
    state = phases.StateArrays(
        F=F, reserve=np.zeros((R, A)), morale=np.full((R, A, G), 0.6),
        morale0=np.full((R, A), 0.6), control=ctrl, posture=np.zeros((R, G), np.int8),
        held_days=np.zeros((R, G), np.int32), losses=np.zeros((R, A)), recovered=np.zeros((R, A)),
        strength0=np.full((R, A), 10_000.0), momentum=np.zeros((R, A)), ever=ever,
        # Campaign state, neutral: full supply, nothing fought over, every road open.
        supply=np.ones((R, A, G)), progress=np.zeros((R, G)), attacked=np.zeros((R, G), bool),
        engaged_days=np.zeros((R, G)),
        restricted=np.zeros((R, A, G), bool), loss_kinds=np.zeros((R, A, 4)),
        taken_day=np.full((R, A, G), np.inf), connected=np.ones((R, A, G), bool),
        dirty=np.zeros(R, bool))
    step = phases.StepInputs(
        stances=stance_matrix() if stances is None else stances,
        readiness_quality=np.ones((R, A)), air=np.zeros((R, A)), intel=np.zeros((R, A)),
        loss_today=np.zeros((R, A, G)), day=0.0)
    # Campaign parameters, neutral unless a test says otherwise: a region is taken in one
    # won day (depth ~0), will 0.5 (brittleness 1), no desertion, fast roads, long stocks.
    sampled = phases.Sampled(value=np.tile(np.asarray(value, float), (R, 1)),
                             casualty_tolerance=np.full((R, A), 0.5),
                             aggression=np.full((R, A), 0.5), depth=np.full((R, G), 1e-9),
                             will=np.full((R, A), 0.5), brittleness=np.ones((R, A)),
                             desertion=np.zeros((R, A)), speed=np.full((R, A), 1e6),
                             supply_days=np.full((R, A), 30.0))
    nb_ptr, nb_idx = phases.neighbourhoods(phases.reach(ADJ))
    # 50 km of main road per link; on the line the shortest road from g to h is 50 |g - h|.
    travel = 50.0 * np.abs(np.subtract.outer(np.arange(G), np.arange(G))).astype(float)
    geo = phases.Geometry(adj=ADJ, river=RIVER, terrain=np.full(G, OPEN, np.int64),
                          nb_ptr=nb_ptr, nb_idx=nb_idx, goals=np.zeros((A, G)),
                          hostility_goal=np.zeros((A, A)), entry=np.zeros((A, G), bool),
                          travel=travel, bases=np.zeros((A, G), bool),
                          path_decay=np.zeros((G, G)),
                          goal_regions=np.full((A, 1), -1, np.int64))
    return World(state, step, sampled, geo)


def copy_of(arrays):
    return type(arrays)(*(a.copy() for a in arrays))


def assert_same(before, after):
    for name, x, y in zip(before._fields, before, after, strict=True):
        np.testing.assert_array_equal(x, y, err_msg=name)


# ------------------------------------------------------------------------- battles


def fight(w, targets, u_win=0.0, z_att=0.0, z_def=0.0, record=True, k=K):
    R = w.state.F.shape[0]
    draws = phases.CombatDraws(np.full((R, A), u_win), np.full((R, A), z_att),
                               np.full((R, A), z_def))
    n = R if record else 0
    records = phases.BattleRecords(np.zeros((n, A, len(phases.REC_FIELDS))),
                                   np.zeros((n, A, A)))
    phases.battles(w.state, w.step, w.sampled, w.geo, k,
                   np.asarray([targets], np.int64).repeat(R, 0), draws, records)
    return records


def field(records, actor, name):
    return records.fields[0, actor, phases.REC_FIELDS.index(name)]


def test_overwhelming_attacker_wins_takes_the_region_and_defenders_fall_back():
    w = world()
    s = w.state
    s.F[0, BLUE, 1], s.F[0, RED, 2], s.F[0, RED, 3] = 10_000.0, 100.0, 50.0
    s.posture[0, 2], s.held_days[0, 2] = 2, 100  # fortified, held long
    rec = fight(w, [2, f.HOLD, f.HOLD])
    # 0.6 x 10,000 committed from region 1 (the only origin, across the river)
    la, ld = f.log_power(6000.0), f.log_power(100.0)
    p = f.attacker_win_probability(la, ld, 2, OPEN, True, 0.0, 0.0, K)
    att_loss = f.daily_loss(f.attacker_loss_share(la, ld, True, 0.0, K), 6000.0)
    def_loss = f.daily_loss(f.defender_loss_share(la, ld, True, 0.0, K), 100.0)
    assert def_loss == pytest.approx(30.0)  # 0.03 x 60^0.5 x 2 > 0.3: capped, 70 survive
    assert field(rec, BLUE, "p_win") == p and field(rec, BLUE, "won") == 1.0
    assert field(rec, BLUE, "advance") == 1.0 and field(rec, BLUE, "old_holder") == RED
    assert s.control[0, 2] == BLUE and s.posture[0, 2] == 0 and s.held_days[0, 2] == 0
    assert s.ever[0, BLUE, 2]
    # survivors of the committed move in, the rest stay; the 70 defenders fall back to 3
    assert s.F[0, BLUE, 1] == pytest.approx(4000.0)
    assert s.F[0, BLUE, 2] == pytest.approx(6000.0 - att_loss)
    assert s.F[0, RED, 2] == 0.0 and s.F[0, RED, 3] == pytest.approx(120.0)
    np.testing.assert_allclose(s.losses[0], [att_loss, def_loss, 0.0])
    np.testing.assert_allclose(w.step.loss_today[0, :, 1], [att_loss, 0.0, 0.0])
    np.testing.assert_allclose(w.step.loss_today[0, :, 2], [0.0, def_loss, 0.0])
    # momentum: 0.7 x 0 +- 0.3; morale: +victory_boost at the origin, the beaten defenders
    # -defeat_shock, mixed into region 3 by headcount, then red's shock for losing region 2
    np.testing.assert_allclose(s.momentum[0], [0.3, -0.3, 0.0])
    shock = 0.08 * 2.0 / 8.0  # region_loss_shock x value share
    assert s.morale[0, BLUE, 1] == pytest.approx(0.65)
    assert s.morale[0, RED, 0] == pytest.approx(0.6 - shock)
    mixed = (0.6 * 50.0 + 0.45 * 70.0) / 120.0
    assert s.morale[0, RED, 3] == pytest.approx(mixed - shock)
    np.testing.assert_array_equal(s.morale[0, GREEN], 0.6)  # the ally is not in the fight


@pytest.mark.parametrize("friend_holds_3", [True, False])
def test_beaten_defenders_retreat_to_a_friend_or_are_lost(friend_holds_3):
    # Region 3 held by green: red's cooperation partner in one case, neutral in the other.
    coop = ((RED, GREEN),) if friend_holds_3 else ()
    w = world(control=(BLUE, BLUE, RED, GREEN), stances=stance_matrix(cooperation=coop))
    s = w.state
    s.F[0, BLUE, 1], s.F[0, RED, 2] = 10_000.0, 100.0
    fight(w, [2, f.HOLD, f.HOLD])
    assert s.control[0, 2] == BLUE and s.F[0, RED, 2] == 0.0
    if friend_holds_3:
        assert s.F[0, RED, 3] == pytest.approx(70.0) and s.losses[0, RED] == pytest.approx(30.0)
    else:  # blue holds 1, green is neutral to red: nowhere to go, all 100 are lost
        assert s.F[0, RED, 3] == 0.0 and s.losses[0, RED] == pytest.approx(100.0)


def test_a_win_without_enough_power_left_does_not_advance():
    w = world()
    s = w.state
    s.F[0, BLUE, 1], s.F[0, RED, 2] = 1000.0, 1000.0
    before = s.control.copy()
    rec = fight(w, [2, f.HOLD, f.HOLD])  # u 0: it wins, but 600 attackers vs 1000
    assert field(rec, BLUE, "won") == 1.0 and field(rec, BLUE, "advance") == 0.0
    assert field(rec, BLUE, "old_holder") == -2.0
    np.testing.assert_array_equal(s.control, before)
    assert s.F[0, RED, 2] < 1000.0 and s.morale[0, RED, 2] == 0.6  # no defeat shock
    np.testing.assert_allclose(s.momentum[0], [0.3, -0.3, 0.0])


@pytest.mark.parametrize(("personnel", "fought"), [(166.0, False), (167.0, True)])
def test_attack_under_call_off_share_of_min_personnel_does_nothing(personnel, fought):
    # committed 0.6 x 166 = 99.6 < CALL_OFF_SHARE 0.5 x 200 = 100; 0.6 x 167 = 100.2 fights
    w = world()
    w.state.F[0, BLUE, 1], w.state.F[0, RED, 2] = personnel, 50.0
    before, today = copy_of(w.state), w.step.loss_today.copy()
    rec = fight(w, [2, f.HOLD, f.HOLD], u_win=1.0)
    assert field(rec, BLUE, "fought") == (1.0 if fought else 0.0)
    if fought:
        assert w.state.losses[0, BLUE] > 0.0 and w.state.momentum[0, BLUE] == -0.3
    else:
        assert_same(before, w.state)
        np.testing.assert_array_equal(today, w.step.loss_today)


@pytest.mark.parametrize(("holder", "fought"), [(RED, True), (GREEN, False), (-1, False)])
def test_no_battle_without_defenders_unless_an_enemy_holds_the_region(holder, fought):
    # e.g. an ally took the target earlier in the step: nobody is left to fight
    w = world(control=(BLUE, BLUE, holder, RED))
    w.state.F[0, BLUE, 1] = 1000.0
    before = copy_of(w.state)
    rec = fight(w, [2, f.HOLD, f.HOLD])
    assert field(rec, BLUE, "fought") == float(fought)
    if fought:  # an empty enemy region is taken
        assert w.state.control[0, 2] == BLUE and field(rec, BLUE, "advance") == 1.0
    else:
        assert_same(before, w.state)


def test_losses_are_spread_over_the_origins_by_what_each_committed():
    w = world()
    s = w.state
    s.F[0, BLUE, 1], s.F[0, BLUE, 3], s.F[0, BLUE, 0] = 3000.0, 1000.0, 500.0
    s.F[0, RED, 2] = 5000.0
    rec = fight(w, [2, f.HOLD, f.HOLD], u_win=1.0)  # it loses
    att_loss = field(rec, BLUE, "att_loss")
    la, ld = f.log_power(2400.0), f.log_power(5000.0)
    assert field(rec, BLUE, "att_pers") == pytest.approx(2400.0)  # 0.6 x (3000 + 1000)
    assert att_loss == pytest.approx(
        f.daily_loss(f.attacker_loss_share(la, ld, False, 0.0, K), 2400.0))
    np.testing.assert_allclose(s.F[0, BLUE], [500.0, 3000.0 - 0.75 * att_loss, 0.0,
                                              1000.0 - 0.25 * att_loss])
    np.testing.assert_allclose(w.step.loss_today[0, BLUE], [0.0, 0.75 * att_loss, 0.0,
                                                            0.25 * att_loss])
    assert s.losses[0, BLUE] == pytest.approx(att_loss)
    assert s.control[0, 2] == RED and s.F[0, RED, 2] == 5000.0 - s.losses[0, RED]
    # a beaten attacker: defeat_shock at its origins, not where it did not commit
    np.testing.assert_allclose(s.morale[0, BLUE], [0.6, 0.45, 0.6, 0.45])


def heavy_losses():
    """Three-day steps and a daily cap of 1: a loss can exceed what was committed."""
    return kernel_constants(MODEL, replace(COMBAT, max_daily_loss_share=1.0), 3)


def test_losses_never_exceed_the_personnel_present():
    w = world()
    s = w.state
    s.F[0, BLUE, 1], s.F[0, BLUE, 3], s.F[0, RED, 2] = 400.0, 200.0, 5000.0
    rec = fight(w, [2, f.HOLD, f.HOLD], u_win=1.0, z_att=8.0, z_def=-8.0, k=heavy_losses())
    assert field(rec, BLUE, "att_loss") == pytest.approx(3 * 360.0)  # 3 days x all committed
    # capped at the 360 committed (0.6 of each origin); the 240 left behind never fought
    np.testing.assert_allclose(s.F[0, BLUE], [0.0, 160.0, 0.0, 80.0])
    assert s.losses[0, BLUE] == pytest.approx(360.0)


def test_an_advance_never_leaves_negative_personnel():
    """(Failed before the fix: a loss was capped at the origin's personnel, not at what it
    committed, so survivors went negative and the advance moved them.)"""
    w = world()
    s = w.state
    s.F[0, BLUE, 1], s.F[0, RED, 2] = 1000.0, 100.0
    # a bloody 3-day battle: blue loses 3 x 0.89 x 600 > the 600 it committed (capped),
    # red loses all 100, so blue wins and advances with no power left against none left
    rec = fight(w, [2, f.HOLD, f.HOLD], z_att=4.0, k=heavy_losses())
    assert field(rec, BLUE, "advance") == 1.0 and s.losses[0, BLUE] == pytest.approx(600.0)
    assert (s.F >= 0.0).all(), s.F[0, BLUE]


def test_advancing_survivors_bring_their_morale():
    w = world()
    s = w.state
    s.F[0, BLUE, 1], s.F[0, RED, 2] = 10_000.0, 100.0
    s.morale[0, BLUE, 2] = 0.1  # left in the empty cell, e.g. by an earlier rout there
    fight(w, [2, f.HOLD, f.HOLD])
    assert s.F[0, BLUE, 2] > 5000.0
    # every blue soldier in region 2 came from region 1, at 0.6 + victory_boost 0.05
    assert s.morale[0, BLUE, 2] == pytest.approx(0.65)  # 0.1 < rout_threshold: it would rout


@pytest.mark.parametrize(("origins", "crossing"), [
    ({1: 1000.0}, True),  # only across the river
    ({1: 1000.0, 3: 500.0}, False),  # a dry origin too
    ({1: 1000.0, 2: 100.0}, False),  # already inside
])
def test_river_crossing_only_when_every_origin_is_across_a_river(origins, crossing):
    w = world()
    for g, n in origins.items():
        w.state.F[0, BLUE, g] = n
    w.state.F[0, RED, 2] = 800.0
    att = 0.6 * sum(origins.values())
    rec = fight(w, [2, f.HOLD, f.HOLD], u_win=1.0)
    assert field(rec, BLUE, "river") == (1.0 if crossing else 0.0)
    assert field(rec, BLUE, "p_win") == f.attacker_win_probability(
        f.log_power(att), f.log_power(800.0), 0, OPEN, crossing, 0.0, 0.0, K)


def test_records_are_written_only_when_asked_and_change_nothing():
    a, b = world(), world()
    for w in (a, b):
        w.state.F[0, BLUE, 1], w.state.F[0, RED, 2], w.state.F[0, RED, 1] = 5000.0, 300.0, 1000.0
        w.step.air[0] = [30.0, 10.0, 0.0]
        w.step.intel[0] = [0.9, 0.3, 0.0]
    rec = fight(a, [2, 1, f.HOLD], z_att=0.5, z_def=-0.2)
    none = fight(b, [2, 1, f.HOLD], z_att=0.5, z_def=-0.2, record=False)
    assert none.fields.shape[0] == 0
    assert_same(a.state, b.state)
    # blue's battle: air (30 - 10) / (30 + 10 + 20), surprise (0.9 - 0.3) / 2
    assert field(rec, BLUE, "fought") == 1.0 and field(rec, BLUE, "region") == 2.0
    assert field(rec, BLUE, "air") == pytest.approx(1 / 3)
    assert field(rec, BLUE, "surprise") == pytest.approx(0.3)
    assert field(rec, BLUE, "def_pers") == 300.0 and field(rec, BLUE, "roll") == 0.0
    np.testing.assert_array_equal(rec.defenders[0, BLUE], [0.0, 300.0, 0.0])
    # red then attacks region 1 (blue's, where red has 1000): its own battle, its own row
    assert field(rec, RED, "fought") == 1.0 and field(rec, RED, "region") == 1.0
    assert field(rec, GREEN, "fought") == 0.0


# --------------------------------------------------------------------- air strikes


def strike(w, enemy_power, ground):
    phases.air_strikes(w.state, w.step, w.geo, K, np.asarray(enemy_power, float)[None],
                       np.asarray(ground, bool)[None], w.step.loss_today)


def no_ground():
    return np.zeros((A, G), bool)


def test_strike_hits_most_enemy_power_within_reach_split_by_headcount():
    w = world(stances=stance_matrix(war=((BLUE, RED), (BLUE, GREEN)), alliance=()))
    s = w.state
    s.F[0, RED, 2], s.F[0, GREEN, 2], s.F[0, RED, 3] = 200.0, 100.0, 1000.0
    w.step.air[0, BLUE], w.step.intel[0, BLUE] = 10.0, 0.5
    ground = no_ground()
    ground[BLUE, :2] = True  # blue's ground 0-1 reaches 0-2: region 3 is out of reach
    power = np.zeros((A, G))
    power[BLUE] = [0.0, 0.0, 300.0, 1000.0]
    strike(w, power, ground)
    kills = f.strike_kills(10.0, 0.5, K.kills_per_sortie_step)
    assert kills == pytest.approx(15.0)  # 10 x 1.5 x (0.5 + 0.5)
    assert s.F[0, RED, 2] == pytest.approx(200.0 - 10.0)
    assert s.F[0, GREEN, 2] == pytest.approx(100.0 - 5.0)
    assert s.F[0, RED, 3] == 1000.0
    np.testing.assert_allclose(s.losses[0], [0.0, 10.0, 5.0])
    np.testing.assert_allclose(w.step.loss_today[0, :, 2], [0.0, 10.0, 5.0])


def test_strike_reaches_from_own_forces_and_spares_the_neutral():
    w = world(stances=stance_matrix(alliance=()))  # green neutral
    s = w.state
    s.F[0, BLUE, 3], s.F[0, RED, 3], s.F[0, GREEN, 3] = 50.0, 400.0, 400.0
    w.step.air[0, BLUE] = 10.0  # intel 0: kills 10 x 1.5 x 0.5 = 7.5
    power = np.zeros((A, G))
    power[BLUE, 3] = 400.0
    strike(w, power, no_ground())  # no ground at all, but blue's force in 3 sees it
    assert s.F[0, RED, 3] == pytest.approx(400.0 - 7.5) and s.F[0, GREEN, 3] == 400.0


def test_strike_kills_are_capped_by_personnel_and_need_enemies():
    w = world()
    s = w.state
    s.F[0, RED, 2] = 100.0
    w.step.air[0, BLUE], w.step.intel[0, BLUE] = 1000.0, 1.0  # 2250 kills for 100 present
    ground = no_ground()
    ground[BLUE, :2] = True
    power = np.zeros((A, G))
    before = copy_of(s)
    strike(w, power, ground)  # no enemy power assessed anywhere: no strike
    assert_same(before, s)
    power[BLUE, 2] = 100.0
    strike(w, power, ground)
    assert s.F[0, RED, 2] == 0.0 and s.losses[0, RED] == 100.0


def test_strike_on_enemies_gone_since_the_assessment_hits_nobody():
    w = world(stances=stance_matrix(alliance=()))  # green neutral, in the target region
    s = w.state
    s.F[0, GREEN, 2] = 300.0
    w.step.air[0, BLUE] = 10.0
    ground = no_ground()
    ground[BLUE, :2] = True
    power = np.zeros((A, G))
    power[BLUE, 2] = 500.0  # red was there at decision time; it has left since
    before = copy_of(s)
    strike(w, power, ground)
    assert_same(before, s)


def test_directed_strikes_hit_the_region_given_and_report_what_they_disabled():
    w = world(stances=stance_matrix(war=((BLUE, RED), (BLUE, GREEN)), alliance=()))
    s = w.state
    s.F[0, RED, 3], s.F[0, GREEN, 3], s.F[0, BLUE, 3] = 200.0, 100.0, 50.0
    w.step.intel[0, BLUE] = 0.5
    directed, disabled = np.zeros((1, A, G)), np.full((1, A, G), -1.0)
    directed[0, BLUE, 3] = 10.0  # far from blue's ground: a directed strike needs no reach
    phases.directed_strikes(s, w.step, K, directed, disabled)
    # 15 kills (10 x 1.5 x (0.5 + 0.5)) split 2 : 1 over the enemies; blue's own spared
    np.testing.assert_allclose(s.F[0, :, 3], [50.0, 190.0, 95.0])
    assert disabled[0, BLUE, 3] == pytest.approx(15.0)
    assert (disabled[0].sum() - disabled[0, BLUE, 3]) == 0.0  # reset elsewhere
    directed[0, BLUE, 3] = 1000.0
    phases.directed_strikes(s, w.step, K, directed, disabled)
    assert disabled[0, BLUE, 3] == pytest.approx(285.0)  # capped at those present
    np.testing.assert_allclose(s.losses[0], [0.0, 200.0, 100.0])


# ---------------------------------------------------------------- control (phase 7)


def changes(w):
    R = w.state.F.shape[0]
    new, walk = np.empty((R, G), np.int64), np.empty((R, G), bool)
    phases.control_changes(w.state, w.step, w.geo, new, walk)
    return new[0], walk[0]


def test_undefended_region_passes_to_the_enemy_inside():
    w = world(stances=stance_matrix(war=((BLUE, RED), (GREEN, RED)), alliance=()))
    w.state.F[0, BLUE, 2], w.state.F[0, GREEN, 2] = 300.0, 500.0  # red left region 2
    new, walk = changes(w)
    assert new.tolist() == [-1, -1, GREEN, -1] and not walk.any()  # most personnel inside
    w.state.F[0, BLUE, 2] = 500.0
    assert changes(w)[0][2] == BLUE  # first actor on ties


def test_walk_in_needs_a_goal_and_moves_occupy_share():
    w = world()
    w.state.F[0, BLUE, 1], w.state.F[0, BLUE, 3] = 1000.0, 0.0
    assert changes(w)[0].tolist() == [-1, -1, -1, -1]  # no goal on 2: red keeps it
    w.geo.goals[BLUE, 2] = 1.0
    new, walk = changes(w)
    assert new.tolist() == [-1, -1, BLUE, -1] and walk.tolist() == [False, False, True, False]
    w.state.F[0, BLUE, 3] = 1500.0  # walks in from the neighbour with most: region 3
    w.state.morale[0, BLUE, 2:] = [0.1, 0.7]  # stale morale in the empty region 2
    phases.walk_in(w.state.F, w.state.morale, ADJ, np.array([0]), np.array([2]),
                   np.array([BLUE]), 0.1)
    np.testing.assert_allclose(w.state.F[0, BLUE], [0.0, 1000.0, 150.0, 1350.0])
    assert w.state.morale[0, BLUE, 2] == pytest.approx(0.7)  # the detachment's own


@pytest.mark.parametrize(("stance", "kept"), [(f.COOPERATION, True), (f.ALLIANCE, True),
                                              (f.NEUTRALITY, False)])
def test_a_friends_presence_keeps_the_region(stance, kept):
    st = stance_matrix(alliance=())
    st[0, RED, GREEN] = st[0, GREEN, RED] = stance
    w = world(stances=st)
    w.state.F[0, GREEN, 2], w.state.F[0, BLUE, 1] = 10.0, 1000.0
    w.geo.goals[BLUE, 2] = 1.0
    assert changes(w)[0][2] == (-1 if kept else BLUE)


def test_unheld_regions_never_change_hands():
    w = world(control=(BLUE, BLUE, -1, RED))
    w.state.F[0, RED, 2] = 1000.0
    assert changes(w)[0][2] == -1


def test_hand_over_resets_the_region_and_shocks_the_previous_holder_only():
    w = world()
    s = w.state
    s.posture[0, 3], s.held_days[0, 3] = 1, 30
    phases.hand_over(s, w.sampled, K, np.array([0]), np.array([3]), BLUE, 0.0)
    assert s.control[0, 3] == BLUE and s.posture[0, 3] == 0 and s.held_days[0, 3] == 0
    assert s.ever[0, BLUE, 3] and s.ever[0, RED, 3]  # ever keeps the earlier holder too
    np.testing.assert_allclose(s.morale[0, RED], 0.6 - 0.08 * 4.0 / 8.0)
    np.testing.assert_array_equal(s.morale[0, BLUE], 0.6)
    before = copy_of(s)
    phases.hand_over(s, w.sampled, K, np.array([0]), np.array([3]), BLUE, 0.0)  # already blue's
    assert_same(before, s)
    s.morale[0, RED] = 0.01
    phases.hand_over(s, w.sampled, K, np.array([0]), np.array([2]), BLUE, 0.0)
    np.testing.assert_array_equal(s.morale[0, RED], 0.0)  # clipped at 0


def test_fortify_raises_posture_after_fortify_and_fortress_days():
    w = world()
    s = w.state
    s.held_days[0] = [0, 12, 58, 100]
    s.posture[0] = [0, 0, 0, 1]
    phases.fortify(s, 2, K)
    assert s.held_days[0].tolist() == [2, 14, 60, 102]
    assert s.posture[0].tolist() == [0, 1, 2, 2]


def test_territory_is_the_share_of_value_held():
    control = np.array([[BLUE, BLUE, RED, -1]], np.int8)
    out = np.empty((1, A))
    phases.territory(control, np.array([[1.0, 1.0, 2.0, 4.0]]), out)
    np.testing.assert_allclose(out[0], [2 / 8, 2 / 8, 0.0])


# ------------------------------------------------------------------ movement (phase 4)


def move(w, threat, attacking=(False, False, False)):
    R = w.state.F.shape[0]
    ground = np.empty((R, A, G), bool)
    phases.movement(w.state, w.step, w.sampled, w.geo, K, np.asarray(threat, float)[None],
                    np.asarray(attacking, bool)[None], ground)
    return ground[0]


def test_movement_sends_the_rear_share_and_reserve_to_the_front():
    w = world(control=(BLUE, BLUE, BLUE, RED))
    s = w.state
    s.F[0, BLUE] = [1000.0, 100.0, 0.0, 0.0]
    s.morale[0, BLUE, 1] = 0.3
    s.reserve[0, BLUE] = 1000.0
    w.geo.entry[BLUE, 0] = True
    w.geo.goals[BLUE, 2] = 1.0
    threat = np.zeros((A, G))
    threat[BLUE] = [0.0, 10.0, 30.0, 50.0]  # region 3 is red's: threatened, not reinforced
    ground = move(w, threat)
    # rear 1000 x 0.08 x (1 - 0.3) = 56, reserve 1000 x 0.02 = 20: pool 76 shared 10 : 60
    pool = 76.0
    np.testing.assert_allclose(s.F[0, BLUE], [944.0, 100.0 + pool * 10 / 70, pool * 60 / 70,
                                              0.0])
    assert s.reserve[0, BLUE] == pytest.approx(980.0)
    # arrivals bring the baseline morale 0.6, mixed by headcount
    incoming = pool * 10 / 70
    assert s.morale[0, BLUE, 1] == pytest.approx((0.3 * 100 + 0.6 * incoming)
                                                 / (100 + incoming))
    assert ground[BLUE].tolist() == [True, True, True, False]
    assert ground[GREEN].tolist() == [True, True, True, False]  # the ally's ground too


def test_reserve_waits_without_a_friendly_entry_region_and_attackers_stay():
    w = world()
    s = w.state
    s.F[0, BLUE, 0], s.reserve[0, BLUE] = 1000.0, 1000.0
    w.geo.entry[BLUE, 3] = True  # red holds it
    threat = np.zeros((A, G))
    threat[BLUE, 1] = 10.0
    move(w, threat)
    assert s.reserve[0, BLUE] == 1000.0 and s.F[0, BLUE, 1] == pytest.approx(56.0)
    before = copy_of(s)
    ground = move(w, threat, attacking=(True, False, False))
    assert_same(before, s)
    assert ground[BLUE].tolist() == [True, True, False, False]  # written for attackers too


@pytest.mark.parametrize(("stance", "goal", "receives"), [
    (f.ALLIANCE, 0.0, True), (f.COOPERATION, 0.0, False), (f.COOPERATION, 1.0, True),
    (f.NEUTRALITY, 1.0, False)])
def test_movement_reinforces_a_partner_only_when_allowed(stance, goal, receives):
    st = stance_matrix(alliance=())
    st[0, BLUE, GREEN] = st[0, GREEN, BLUE] = stance
    w = world(control=(BLUE, GREEN, RED, RED), stances=st)
    w.state.F[0, BLUE, 0] = 1000.0
    w.geo.goals[BLUE, 1] = goal
    threat = np.zeros((A, G))
    threat[BLUE, 1] = 10.0
    move(w, threat)
    assert (w.state.F[0, BLUE, 1] > 0.0) == receives
    assert w.state.F[0, BLUE].sum() == pytest.approx(1000.0)


def test_movement_conserves_personnel_and_only_fronts_receive():
    rng = np.random.default_rng(11)
    for _ in range(30):
        w = world(control=tuple(rng.integers(-1, A, G)),
                  stances=stance_matrix(cooperation=((RED, GREEN),)))
        s = w.state
        s.F[0] = rng.uniform(0, 5000, (A, G)) * (rng.random((A, G)) < 0.7)
        s.reserve[0] = rng.uniform(0, 3000, A)
        w.geo.entry[:] = rng.random((A, G)) < 0.5
        w.geo.goals[:] = rng.random((A, G)) * (rng.random((A, G)) < 0.5)
        threat = rng.uniform(0, 100, (A, G)) * (rng.random((A, G)) < 0.5)
        attacking = rng.random(A) < 0.3
        F0, reserve0 = s.F.copy(), s.reserve.copy()
        ground = move(w, threat, attacking)
        np.testing.assert_allclose(s.F[0].sum(1) + s.reserve[0], F0[0].sum(1) + reserve0[0],
                                   rtol=1e-13)
        gained = s.F[0] > F0[0]
        assert not (gained & ((threat <= 0) | ~ground)).any()
        assert (s.F >= 0).all() and (s.reserve <= reserve0).all()
        np.testing.assert_array_equal(s.F[0, attacking], F0[0, attacking])


def test_retreat_kernel_mixes_morale_and_loses_the_cut_off():
    w = world(R=2, control=(BLUE, RED, RED, RED))
    s = w.state
    s.F[:, RED, 1], s.F[:, RED, 2], s.morale[:, RED, 1] = 100.0, 300.0, 0.2
    s.control[1] = [BLUE, RED, BLUE, BLUE]  # replication 1: no friendly neighbour
    phases.retreat(s, w.step.stances, ADJ, RED, np.array([0, 1]), np.array([1, 1]))
    assert s.F[0, RED].tolist() == [0.0, 0.0, 400.0, 0.0]
    assert s.morale[0, RED, 2] == pytest.approx((0.6 * 300 + 0.2 * 100) / 400)
    assert s.F[1, RED, 1] == 0.0 and s.losses[1].tolist() == [0.0, 100.0, 0.0]


# -------------------------------------------------------------------- morale (phase 6)


def morale_step(w):
    broken = np.empty(w.state.F.size, np.int64)
    n = phases.morale_phase(w.state, w.step, w.sampled, w.geo, K, broken)
    return broken[:n].tolist()


def test_morale_phase_follows_the_formula_with_power_near():
    w = world()
    s = w.state
    s.F[0, BLUE] = [1000.0, 0.5, 0.0, 0.0]  # 0.5 in region 1 is a remnant
    s.F[0, GREEN, 1], s.F[0, RED, 2] = 200.0, 5000.0
    w.step.loss_today[0, BLUE, 0] = 250.0
    s.momentum[0, BLUE] = 0.5
    assert morale_step(w) == []
    assert s.F[0, BLUE, 1] == 0.0 and s.losses[0, BLUE] == 0.5
    # region 0 sees blue's 1000 and green's 200 in 0-1 (O = 1200) and no enemy
    assert s.morale[0, BLUE, 0] == f.morale_update(0.6, 0.6, 250.0, 1000.0, 0.0, 1200.0, 0.5,
                                                   1.0, 0.0, K)
    assert s.morale[0, BLUE, 0] == pytest.approx(0.6 - MODEL.loss_shock * 250 / 1250 + 0.005)
    # region 1 is empty once the remnant is gone: its morale is left alone (never read, as
    # arrivals mix morale by headcount)
    assert s.morale[0, BLUE, 1] == 0.6
    # green's 200 in region 1 see red's 5000 in region 2, weighted by its aggression 0.5
    # (H = 2500), against blue's 1000 and their own 200 (O = 1200), if at war with red
    h = 2500.0 if w.step.stances[0, GREEN, RED] == f.WAR else 0.0
    assert s.morale[0, GREEN, 1] == f.morale_update(0.6, 0.6, 0.0, 200.0, h, 1200.0,
                                                    s.momentum[0, GREEN], 1.0, 0.0, K)
    # red in 2 sees blue's 1000 (x 0.5) against its own 5000: no isolation
    assert s.morale[0, RED, 2] == pytest.approx(0.6)


def test_morale_phase_lists_broken_forces_in_c_order():
    w = world(R=2)
    s = w.state
    for r, a, g in ((1, RED, 3), (0, BLUE, 2), (1, BLUE, 0), (0, GREEN, 1), (0, RED, 0),
                    (1, GREEN, 2)):
        s.morale[r, a, g] = 0.05
        s.F[r, a, g] = 100.0
        w.step.loss_today[r, a, g] = 1.0  # under pressure: a force breaks only then
    s.F[0, RED, 0] = 0.9  # a remnant: removed, not routed
    s.F[1, GREEN, 2] = 0.0  # nobody there
    # flat index (r A + a) G + g
    assert morale_step(w) == [(0 * A + BLUE) * G + 2, (0 * A + GREEN) * G + 1,
                              (1 * A + BLUE) * G + 0, (1 * A + RED) * G + 3]
    assert s.losses[0, RED] == pytest.approx(0.9)


# ----------------------------------------------------------------- options (phase 3)


def decide(w, detail=True):
    out = phases.decision_arrays(w.state.F.shape, detail)
    phases.options(w.state, w.step, w.sampled, w.geo, K, out)
    return out


def test_options_legal_attack_with_its_p_win_and_utility():
    w = world()
    s = w.state
    s.F[0, BLUE, 1], s.F[0, RED, 2], s.reserve[0, RED] = 1000.0, 200.0, 800.0
    w.step.air[0] = [30.0, 10.0, 0.0]
    w.step.intel[0] = [0.9, 0.3, 0.0]
    w.geo.goals[BLUE, 2], w.geo.hostility_goal[BLUE, RED] = 2.0, 1.0
    s.losses[0, BLUE] = 1000.0  # 0.1 of its day-0 strength
    out = decide(w)
    np.testing.assert_array_equal(out.enemy_power[0, BLUE], [0.0, 0.0, 200.0, 0.0])
    np.testing.assert_array_equal(out.threat[0, BLUE], [0.0, 200.0, 200.0, 200.0])
    np.testing.assert_array_equal(out.enemy_power[0, RED], [0.0, 1000.0, 0.0, 0.0])
    assert out.legal[0, BLUE].tolist() == [False, False, True, False]
    assert not out.legal[0, RED].any()  # 0.6 x 200 = 120 < 200 personnel
    assert not out.legal[0, GREEN].any()
    la, ld = f.log_power(600.0), f.log_power(200.0)  # 0.6 x 1000 committed
    p = f.attacker_win_probability(la, ld, 0, OPEN, False, 1 / 3, 0.3, K)
    assert out.p_win[0, BLUE, 2] == pytest.approx(p, rel=1e-15)
    # V = goal 2 + 0.1 x value 2 / mean value 2 + hostility 1 x 200 / red's strength 1000
    value = f.target_value(2.0, 2.0, 2.0, 0.2, K)
    assert value == pytest.approx(2.3)
    utility = f.attack_utility(f.take_chance(p, 600.0, 200.0, K), value,
                               f.failed_attack_loss(la, ld, 600.0, K),
                               f.tolerance_left(0.5, 0.1), K)
    assert out.utility[0, BLUE, 2] == pytest.approx(utility, rel=1e-14)
    np.testing.assert_allclose(out.hold_utility[0], 0.4 * 0.5)
    assert (out.att_power[0, BLUE, 2], out.att_personnel[0, BLUE, 2],
            out.def_personnel[0, BLUE, 2]) == (600.0, 600.0, 200.0)
    assert (out.p_win[0, ~out.legal[0]] == 0.0).all()
    assert (out.utility[0, ~out.legal[0]] == 0.0).all()


def test_a_goal_the_attacker_holds_lends_no_value_to_the_ground_on_the_way_to_it():
    """Blue's only goal is region 0 (weight 2), two links from red's region 2. While blue holds
    region 0, attacking 2 from region 1 is worth the opportunity value only; once an enemy
    holds region 0, region 2 is on a way to it and worth 2 x 0.5^2 more
    (formulas_campaign.goal_path_value, wired into the decision kernel)."""
    def attack_on_2(holder_of_0):
        w = world(control=(holder_of_0, BLUE, RED, RED))
        w.state.F[0, BLUE, 1], w.state.F[0, RED, 2] = 1000.0, 200.0
        w.geo.goals[BLUE, 0] = 2.0
        w.geo.goal_regions[:] = -1
        w.geo.goal_regions[BLUE, 0] = 0
        w.geo.path_decay[:] = 0.5 ** np.abs(np.subtract.outer(np.arange(G), np.arange(G)))
        out = decide(w)
        assert out.legal[0, BLUE, 2]
        return out.utility[0, BLUE, 2], out.p_win[0, BLUE, 2]

    held, p_held = attack_on_2(BLUE)
    lost, p_lost = attack_on_2(RED)
    assert p_held == p_lost
    take = f.take_chance(p_held, 600.0, 200.0, K)
    assert lost - held == pytest.approx(take * 2.0 * 0.25, rel=1e-12)


@pytest.mark.parametrize(("blue", "red", "losses", "legal"), [
    (333.0, 100.0, 0.0, False),  # 0.6 x 333 = 199.8 < min_attack_personnel 200
    (334.0, 100.0, 0.0, True),
    (1000.0, 760.0, 0.0, False),  # 600 < min_power_ratio 0.8 x 760 = 608
    (1000.0, 740.0, 0.0, True),  # 600 >= 592
    (1000.0, 100.0, 5000.0, False),  # losses 0.5 of strength0: tolerance 0.5 reached
    (1000.0, 100.0, 4999.0, True),
])
def test_options_thresholds(blue, red, losses, legal):
    w = world()
    w.state.F[0, BLUE, 1], w.state.F[0, RED, 2] = blue, red
    w.state.losses[0, BLUE] = losses
    out = decide(w, detail=False)
    assert out.legal[0, BLUE, 2] == legal
    assert out.att_power.shape[0] == 0


@pytest.mark.parametrize(("recovered", "legal"), [(0.0, False), (1.0, True), (5000.0, True)])
def test_options_count_only_losses_not_yet_made_good(recovered, legal):
    """Losses 0.5 of day-0 strength reach the tolerance 0.5; each one made good frees it."""
    w = world()
    w.state.F[0, BLUE, 1], w.state.F[0, RED, 2] = 1000.0, 100.0
    w.state.losses[0, BLUE], w.state.recovered[0, BLUE] = 5000.0, recovered
    assert decide(w, detail=False).legal[0, BLUE, 2] == legal


def test_options_tolerance_left_grows_as_losses_are_made_good():
    """U_attack's loss term divides by tolerance left = tol - felt share: the more is made good,
    the higher the utility of the same attack (a 1000 : 760 attack, with a real loss risk)."""
    utility = []
    for recovered in (0.0, 2000.0, 4000.0):
        w = world()
        w.state.F[0, BLUE, 1], w.state.F[0, RED, 2] = 2000.0, 1000.0
        w.state.losses[0, BLUE], w.state.recovered[0, BLUE] = 4000.0, recovered
        utility.append(float(decide(w).utility[0, BLUE, 2]))
    assert utility[0] < utility[1] < utility[2]


@pytest.mark.parametrize(("holder", "legal"), [(RED, True), (GREEN, False), (-1, False)])
def test_options_attack_on_an_empty_region_only_if_an_enemy_holds_it(holder, legal):
    w = world(control=(BLUE, BLUE, holder, RED))
    w.state.F[0, BLUE, 1] = 1000.0
    out = decide(w)
    assert out.legal[0, BLUE, 2] == legal
    if legal:  # nobody to fight: p_win of 600 against no power at all
        assert out.p_win[0, BLUE, 2] == f.attacker_win_probability(
            f.log_power(600.0), f.log_power(0.0), 0, OPEN, False, 0.0, 0.0, K)


def test_choose_is_logit_pick_per_replication():
    rng = np.random.default_rng(8)
    R = 200
    utility, legal = rng.normal(size=(R, G)), rng.random((R, G)) < 0.5
    hold, beta, u = rng.normal(size=R), rng.uniform(0, 20, R), rng.random(R)
    legal[:20] = False
    out = np.empty(R, np.int64)
    phases.choose(utility, legal, hold, beta, u, out)
    assert out.tolist() == [f.logit_pick(utility, legal, r, hold[r], beta[r], u[r])
                            for r in range(R)]
    assert (out[:20] == f.HOLD).all()
    chosen = out >= 0
    assert legal[chosen, out[chosen]].all()


# ------------------------------------------------------------------ economy (phase 1)


def test_economy_floors_funds_and_stops_recruiting_when_broke():
    funds, reserve = np.array([[5.0, 1.5, 0.0]]), np.zeros((1, 3))
    strength = np.full((1, 3), 10_000.0)
    phases.economy(funds, reserve, strength, np.zeros((1, 3)), np.full((1, 3), 100.0),
                   np.full((1, 3), 30.0), 2.0)
    # 10,000 x 100 USD a day = 1 USD million a day: 5 - 2 = 3, 1.5 - 2 < 0 -> 0
    np.testing.assert_allclose(funds, [[3.0, 0.0, 0.0]])
    np.testing.assert_allclose(reserve, [[60.0, 0.0, 0.0]])


@settings(max_examples=60, deadline=None)
@given(funds=arrays(np.float64, (4, 3), elements=st.floats(0, 1e3)),
       income=arrays(np.float64, (4, 3), elements=st.floats(0, 10)),
       upkeep=arrays(np.float64, (4, 3), elements=st.floats(0, 500)),
       strength=arrays(np.float64, (4, 3), elements=st.floats(0, 1e5)),
       days=st.integers(1, 30))
def test_economy_funds_never_negative(funds, income, upkeep, strength, days):
    reserve, new_funds = np.zeros((4, 3)), funds.copy()
    phases.economy(new_funds, reserve, strength, income, upkeep, np.full((4, 3), 7.0),
                   float(days))
    raw = funds + days * (income - upkeep * strength / 1e6)
    assert (new_funds >= 0.0).all()
    np.testing.assert_array_equal(reserve, np.where(raw > 0, 7.0 * days, 0.0))


# ------------------------------------------------------ alone or among 500 replications

BATCH = 500


def random_stances(rng, R):
    st = rng.integers(0, 5, (R, A, A)).astype(np.int8)
    st = np.triu(st, 1) + np.transpose(np.triu(st, 1), (0, 2, 1))  # symmetric
    st[:, np.arange(A), np.arange(A)] = f.ALLIANCE
    return st


def random_world(per_replication_stances):
    """A batch of 500 replications of everything the kernels read, drawn at random."""
    rng = np.random.default_rng(2024)
    R = BATCH
    w = world(R=R, stances=random_stances(rng, R) if per_replication_stances else None)
    s = w.state
    s.F[:] = rng.uniform(0, 3000, (R, A, G)) * (rng.random((R, A, G)) < 0.6)
    s.F[rng.random((R, A, G)) < 0.05] = 0.5  # remnants
    s.reserve[:] = rng.uniform(0, 2000, (R, A))
    s.morale[:] = rng.uniform(0.05, 1.0, (R, A, G))
    s.morale0[:] = rng.uniform(0.3, 0.9, (R, A))
    s.control[:] = rng.integers(-1, A, (R, G))
    s.posture[:] = rng.integers(0, 3, (R, G))
    s.held_days[:] = rng.integers(0, 80, (R, G))
    s.losses[:] = rng.uniform(0, 3000, (R, A))
    s.strength0[:] = s.F.sum(2) + s.reserve + s.losses
    s.momentum[:] = rng.uniform(-1, 1, (R, A))
    s.ever[:] = rng.random((R, A, G)) < 0.5
    s.supply[:] = rng.random((R, A, G))
    s.progress[:] = rng.random((R, G)) * (rng.random((R, G)) < 0.5)
    s.connected[:] = rng.random((R, A, G)) < 0.7
    s.dirty[:] = rng.random(R) < 0.5
    w.sampled.depth[:] = rng.uniform(1, 20, (R, G))
    w.sampled.will[:] = rng.random((R, A))
    w.sampled.brittleness[:] = 2 * (1 - w.sampled.will)
    w.sampled.desertion[:] = rng.uniform(0, 0.01, (R, A))
    w.sampled.speed[:] = rng.uniform(5, 60, (R, A))
    w.sampled.supply_days[:] = rng.uniform(5, 60, (R, A))
    w.step.readiness_quality[:] = rng.uniform(0.3, 1.5, (R, A))
    w.step.air[:] = rng.uniform(0, 40, (R, A)) * (rng.random((R, A)) < 0.5)
    w.step.intel[:] = rng.random((R, A))
    w.step.loss_today[:] = rng.uniform(0, 200, (R, A, G)) * (rng.random((R, A, G)) < 0.3)
    w.sampled.value[:] = rng.uniform(0.5, 5, (R, G))
    w.sampled.casualty_tolerance[:] = rng.uniform(0.1, 0.9, (R, A))
    w.sampled.aggression[:] = rng.random((R, A))
    w.geo.goals[:] = rng.random((A, G)) * (rng.random((A, G)) < 0.5)
    w.geo.hostility_goal[:] = rng.random((A, A)) * (rng.random((A, A)) < 0.5)
    w.geo.entry[:] = rng.random((A, G)) < 0.5
    extra = {
        "targets": rng.integers(-1, G, (R, A)),
        "draws": phases.CombatDraws(rng.random((R, A)), rng.normal(size=(R, A)),
                                    rng.normal(size=(R, A))),
        "threat": rng.uniform(0, 3000, (R, A, G)) * (rng.random((R, A, G)) < 0.5),
        "attacking": rng.random((R, A)) < 0.3,
        "ground": rng.random((R, A, G)) < 0.5,
        "enemy_power": rng.uniform(0, 3000, (R, A, G)) * (rng.random((R, A, G)) < 0.5),
        "utility": rng.normal(size=(R, G)), "legal": rng.random((R, G)) < 0.5,
        "hold": rng.normal(size=R), "beta": rng.uniform(0, 20, R), "u": rng.random(R),
    }
    return w, extra


def one_replication(w, extra, i):
    """Replication i of a batch on its own: every (R, ...) array cut to row i."""
    def cut(arrays):
        return type(arrays)(*(a[i:i + 1].copy() if isinstance(a, np.ndarray) else a
                              for a in arrays))
    stances = w.step.stances
    step = cut(w.step)._replace(stances=stances if stances.shape[0] == 1
                                else stances[i:i + 1].copy())
    alone = {k: (cut(v) if isinstance(v, tuple) else v[i:i + 1].copy())
             for k, v in extra.items()}
    return World(cut(w.state), step, cut(w.sampled), w.geo), alone


def run_options(w, x):
    return tuple(decide(w))


def run_choose(w, x):
    out = np.empty(x["u"].shape[0], np.int64)
    phases.choose(x["utility"], x["legal"], x["hold"], x["beta"], x["u"], out)
    return (out,)


def run_movement(w, x):
    ground = np.empty(w.state.F.shape, bool)
    phases.movement(w.state, w.step, w.sampled, w.geo, K, x["threat"], x["attacking"], ground)
    return (ground,)


def run_air(w, x):
    phases.air_strikes(w.state, w.step, w.geo, K, x["enemy_power"], x["ground"],
                       w.step.loss_today)
    return ()


def run_directed(w, x):
    disabled = np.empty(w.state.F.shape)
    phases.directed_strikes(w.state, w.step, K, x["enemy_power"] / 100.0, disabled)
    return (disabled,)


def run_battles(w, x):
    R = w.state.F.shape[0]
    records = phases.BattleRecords(np.zeros((R, A, len(phases.REC_FIELDS))),
                                   np.zeros((R, A, A)))
    phases.battles(w.state, w.step, w.sampled, w.geo, K, x["targets"], x["draws"], records)
    return tuple(records)


def run_morale(w, x):
    broken = np.empty(w.state.F.size, np.int64)
    n = phases.morale_phase(w.state, w.step, w.sampled, w.geo, K, broken)
    return np.unravel_index(broken[:n], w.state.F.shape)


def run_control(w, x):
    R = w.state.F.shape[0]
    new, walk = np.empty((R, G), np.int64), np.empty((R, G), bool)
    phases.control_changes(w.state, w.step, w.geo, new, walk)
    phases.fortify(w.state, 3, K)
    return new, walk


def run_economy(w, x):
    s = w.state  # funds and the economy's inputs borrowed from arrays of the right shapes
    funds, strength = s.losses / 100.0, s.strength0
    phases.economy(funds, s.reserve, strength, w.step.intel, s.morale0 * 500.0,
                   w.step.readiness_quality * 30.0, 7.0)
    out = np.empty(s.reserve.shape)
    phases.territory(s.control, w.sampled.value, out)
    return funds, out


KERNELS = {"options": run_options, "choose": run_choose, "movement": run_movement,
           "air_strikes": run_air, "directed_strikes": run_directed, "battles": run_battles,
           "control+fortify": run_control, "economy+territory": run_economy}


@pytest.mark.parametrize("per_replication_stances", [False, True])
@pytest.mark.parametrize("kernel", list(KERNELS))
def test_a_replication_gives_the_same_bits_alone_or_in_a_batch(kernel, per_replication_stances):
    w, extra = random_world(per_replication_stances)
    batch_out = KERNELS[kernel](w, extra)
    for i in (0, 137, BATCH - 1):
        fresh, fresh_extra = random_world(per_replication_stances)
        alone, alone_extra = one_replication(fresh, fresh_extra, i)
        alone_out = KERNELS[kernel](alone, alone_extra)
        for name, x, y in zip(w.state._fields, w.state, alone.state, strict=True):
            assert np.array_equal(x[i:i + 1], y), (kernel, i, name)
        assert np.array_equal(w.step.loss_today[i:i + 1], alone.step.loss_today)
        for x, y in zip(batch_out, alone_out, strict=True):
            assert np.array_equal(x[i:i + 1], y), (kernel, i)


@pytest.mark.parametrize("per_replication_stances", [False, True])
def test_morale_phase_alone_or_in_a_batch(per_replication_stances):
    w, extra = random_world(per_replication_stances)
    r, a, g = run_morale(w, extra)
    assert 0 < len(r) < BATCH * A * G  # the data exercise routs
    for i in (0, 137, BATCH - 1):
        alone, x = one_replication(*random_world(per_replication_stances), i)
        r1, a1, g1 = run_morale(alone, x)
        assert (r1 == 0).all()
        assert a1.tolist() == a[r == i].tolist() and g1.tolist() == g[r == i].tolist()
        for name, x_b, y in zip(w.state._fields, w.state, alone.state, strict=True):
            assert np.array_equal(x_b[i:i + 1], y), (i, name)


def test_shared_stances_equal_the_same_stances_per_replication():
    shared, extra = random_world(False)
    repeated, extra2 = random_world(False)
    repeated.step = repeated.step._replace(
        stances=np.repeat(repeated.step.stances, BATCH, axis=0))
    for run in (*KERNELS.values(), run_morale):
        run(shared, extra)
        run(repeated, extra2)
    assert_same(shared.state, repeated.state)
