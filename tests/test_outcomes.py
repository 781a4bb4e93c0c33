"""Declared outcomes (sim/model/outcomes.py) measured on hand-set states of the five-town
front (tests/engine/front.yaml, with a few goals and outcomes added here), and the goal
thresholds pinned: a change to them fails here, not only in the browser and CLI tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim.model import formulas as f
from sim.model.engine import GeoModel
from sim.model.outcomes import goal_met, measure_outcomes, snapshot_days
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Goal, GoalKind

FRONT = Path(__file__).parent / "engine" / "front.yaml"
GOV, REBELS, ALLY = 0, 1, 2
CAPITAL, MID, FORD, NORTH, HILLS = range(5)
EXTRA_OUTCOMES = {
    "rebels_defeat_gov": {"kind": "goal", "actor": "rebels", "goal": 4},
    "rebels_take_capital": {"kind": "goal", "actor": "rebels", "goal": 0},
    "ally_limits_rebels": {"kind": "goal", "actor": "ally", "goal": 0},
    "ally_protects_mid": {"kind": "goal", "actor": "ally", "goal": 1},
}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    spec = yaml.safe_load(FRONT.read_text(encoding="utf-8"))
    spec["actors"]["ally"]["goals"] = [
        {"kind": "limit_influence", "actor": "rebels", "weight": 1},
        {"kind": "protect", "region": "mid", "weight": 1}]
    spec["outcomes"].update(EXTRA_OUTCOMES)
    path = tmp_path_factory.mktemp("outcomes") / "front.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return load_scenario(path)


@pytest.fixture()
def model(scenario):
    """Three replications at day 0 (the outcomes read the state, so nothing runs)."""
    return GeoModel(scenario, [0, 1, 2], seed=3)


def measure(model):
    return {name: values.tolist() for name, values in measure_outcomes(model).items()}


def set_stance(model, r, a, b, code):
    model.state.stance[r, a, b] = model.state.stance[r, b, a] = code
    model.stances_changed()


def test_day_zero_outcomes(model):
    out = measure(model)
    value = model.params["value"][0]  # capital 5, the other towns 1 each
    assert value.tolist() == [5.0, 1.0, 1.0, 1.0, 1.0]
    assert out["capital_falls"] == [0.0] * 3
    assert out["rebel_territory"] == pytest.approx([2 / 9] * 3)  # north and hills
    assert out["rebel_strength"] == model.state.strength()[:, REBELS].tolist()
    assert out["gov_losses"] == [0.0] * 3
    assert out["gov_holds_capital"] == [1.0] * 3
    assert out["ally_protects_mid"] == [1.0] * 3  # gov, the ally's ally, holds it
    assert out["ally_limits_rebels"] == [1.0] * 3  # no more than on day 0
    assert out["rebels_defeat_gov"] == [0.0] * 3


def test_control_territory_strength_and_casualties_on_a_set_state(model):
    s = model.state
    s.control[1, CAPITAL] = REBELS
    s.control[2, CAPITAL] = -1
    s.control[2, MID] = REBELS
    s.F[0, REBELS] = [0.0, 0.0, 0.0, 1234.0, 0.0]
    s.reserve[0, REBELS] = 66.0
    s.losses[:, GOV] = [10.0, 20.0, 30.0]
    out = measure(model)
    assert out["capital_falls"] == [0.0, 1.0, 0.0]
    assert out["rebel_territory"] == pytest.approx([2 / 9, 7 / 9, 3 / 9])
    assert out["rebel_strength"][0] == 1300.0
    assert out["gov_losses"] == [10.0, 20.0, 30.0]
    assert out["mid_day10"] == [1.0, 1.0, 0.0]  # no snapshot yet: measured now


def test_control_ever_counts_any_day(model):
    model.state.ever[2, REBELS, MID] = True  # held it once, gov holds it now
    assert measure(model)["mid_ever"] == [0.0, 0.0, 1.0]


def test_an_outcome_with_a_day_reads_its_snapshot(model):
    assert snapshot_days(model.compiled.outcomes, 40) == {10}
    assert snapshot_days(model.compiled.outcomes, 10) == set()  # the horizon itself
    model.state.control[:, MID] = REBELS
    model.snapshots[10] = model.current_snapshot()
    model.state.control[:, MID] = GOV
    out = measure(model)
    assert out["mid_day10"] == [0.0] * 3
    assert out["mid_ever"] == [0.0] * 3  # ever is the state's, not set by hand here


# ----------------------------------------------------------------- goal thresholds


def gov_strength_to(model, share):
    """Gov's strength set to share x its day-0 strength (all in its reserve)."""
    s = model.state
    s.F[:, GOV] = 0.0
    s.reserve[:, GOV] = share * s.strength0[:, GOV]


@pytest.mark.parametrize(("share", "met"), [(0.49, 1.0), (0.5, 0.0), (0.51, 0.0),
                                            (0.0, 1.0), (1.0, 0.0)])
def test_defeat_is_met_exactly_below_half_of_day_zero_strength(model, share, met):
    gov_strength_to(model, share)
    assert measure(model)["rebels_defeat_gov"] == [met] * 3


def test_defeat_compares_with_each_replications_own_day_zero_strength(model):
    s = model.state
    s.strength0[:, GOV] = [1000.0, 2000.0, 4000.0]
    s.F[:, GOV] = 0.0
    s.reserve[:, GOV] = 990.0  # 0.99, 0.495 and 0.2475 of day 0
    assert measure(model)["rebels_defeat_gov"] == [0.0, 1.0, 1.0]


def test_limit_influence_is_met_while_territory_is_no_larger_than_on_day_zero(model):
    s = model.state
    s.control[1, HILLS] = GOV  # rebels hold less (1/9)
    s.control[2, FORD] = REBELS  # rebels hold more (3/9)
    assert measure(model)["ally_limits_rebels"] == [1.0, 1.0, 0.0]
    # the day-0 share is each replication's own
    model.territory0[2, REBELS] = 3 / 9
    assert measure(model)["ally_limits_rebels"] == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(("holder", "stance", "met"), [
    (GOV, None, True),  # the actor itself
    (ALLY, f.ALLIANCE, True),
    (ALLY, f.COOPERATION, True),
    (ALLY, f.NEUTRALITY, False),
    (ALLY, f.RIVALRY, False),
    (REBELS, None, False),  # an enemy
    (-1, None, False),  # nobody
])
def test_hold_is_met_when_the_actor_or_a_friend_holds_the_region(model, holder, stance, met):
    model.state.control[1, CAPITAL] = holder
    if stance is not None:
        set_stance(model, 1, GOV, ALLY, stance)
    assert measure(model)["gov_holds_capital"] == [1.0, float(met), 1.0]


def test_take_and_protect_use_the_same_friend_test(model):
    s = model.state
    s.control[0, CAPITAL] = REBELS
    s.control[1, CAPITAL] = ALLY  # at war with the rebels: not theirs
    out = measure(model)
    assert out["rebels_take_capital"] == [1.0, 0.0, 0.0]
    s.control[:, MID] = [ALLY, REBELS, GOV]
    set_stance(model, 2, GOV, ALLY, f.NEUTRALITY)
    assert measure(model)["ally_protects_mid"] == [1.0, 0.0, 0.0]


def test_goal_met_reads_goals_given_directly(model):
    snap = model.current_snapshot()
    take_north = Goal(kind=GoalKind.take, region="north", weight=1)
    assert goal_met(model, GOV, take_north, snap).tolist() == [False] * 3
    assert goal_met(model, REBELS, take_north, snap).tolist() == [True] * 3
    defeat_rebels = Goal(kind=GoalKind.defeat, actor="rebels", weight=1)
    snap["strength"][1, REBELS] = 0.499 * model.state.strength0[1, REBELS]
    assert goal_met(model, GOV, defeat_rebels, snap).tolist() == [False, True, False]
