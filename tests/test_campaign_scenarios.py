"""The campaign features end to end: small YAML scenarios written to tmp_path (modelled on
tests/engine/front.yaml) run through sim.model.engine.GeoModel and sim.model.batch.runs_table
with 50 replications: fall_day (+inf when the region never fell), control_all, event_fired
and the `event:<id>` column, a `restrict` effect, a dated `set_stance`, casualties by
category.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from sim.model.batch import runs_table
from sim.model.engine import GeoModel
from sim.scenario.loader import load_scenario

REPS = 50
HEADER = """\
scenario: {{id: camp, title: Campaign test, as_of: 2020-03-01, horizon_days: {horizon}}}
"""


def load(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_scenario(path)


def run(scenario, days=None, seed=7):
    model = GeoModel(scenario, np.arange(REPS), seed, days)
    model.run()
    return model, runs_table(model)


# --------------------------------------------- a handover that happens half the time

HANDOVER = """\
actors:
  blue: {name: Blue, kind: state, forces: {morale: 0.6, reserve: 0}}
  red:
    name: Red
    kind: state
    forces: {morale: 0.6, reserve: 0}
    # red never sends forces into mid: once handed over, blue keeps it
    restricted_regions: {regions: [mid], assumption: true, note: Kept out for the test.}
regions:
  home: {name: Home, lat: 33, lon: 44, terrain: open, controller: blue, garrisons: {blue: 100}}
  mid: {name: Mid, lat: 34, lon: 44, terrain: open, controller: red}
  far: {name: Far, lat: 35, lon: 44, terrain: open, controller: red, garrisons: {red: 100}}
links:
  - {between: [home, mid], km: 40}
  - {between: [mid, far], km: 40}
relations:
  war: {between: [blue, red], stance: war}
events:
  give:
    description: Mid is handed over to Blue
    on_day: 5
    probability: 0.5
    effects:
      - handover: {region: mid, actor: blue}
  never:
    description: Never due
    on_day: 500
    effects:
      - morale: {actor: red, delta: -0.1}
outcomes:
  mid_falls: {kind: fall_day, region: mid, by: [blue]}
  home_falls: {kind: fall_day, region: home, by: [red]}
  home_retaken: {kind: fall_day, region: home, by: [blue]}
  given: {kind: event_fired, event: give}
  given_by_3: {kind: event_fired, event: give, day: 3}
  never_fired: {kind: event_fired, event: never}
  blue_both: {kind: control_all, regions: [home, mid], by: [blue]}
  blue_all: {kind: control_all, regions: [home, mid, far], by: [blue]}
  blue_both_ever: {kind: control_all, regions: [home, mid], by: [blue], ever: true}
"""


def handover_text(horizon):
    return HEADER.format(horizon=horizon) + HANDOVER


@pytest.fixture(scope="module")
def handover_run(tmp_path_factory):
    sc = load(tmp_path_factory.mktemp("handover"), handover_text(20))
    return run(sc)


def test_event_column_is_the_day_fired_or_inf(handover_run):
    model, runs = handover_run
    day = runs["event:give"].to_numpy()
    fired = np.isfinite(day)
    assert 0 < fired.sum() < REPS  # probability 0.5 over 50 replications
    np.testing.assert_array_equal(day[fired], 5.0)
    np.testing.assert_array_equal(runs["event:never"].to_numpy(), np.inf)


def test_event_fired_outcome_matches_the_event_column(handover_run):
    _, runs = handover_run
    fired = np.isfinite(runs["event:give"].to_numpy())
    np.testing.assert_array_equal(runs["out:given"].to_numpy(), fired.astype(float))
    np.testing.assert_array_equal(runs["out:given_by_3"].to_numpy(), 0.0)  # not yet on day 3
    np.testing.assert_array_equal(runs["out:never_fired"].to_numpy(), 0.0)


def test_fall_day_is_the_day_taken_or_inf(handover_run):
    model, runs = handover_run
    fired = np.isfinite(runs["event:give"].to_numpy())
    fall = runs["out:mid_falls"].to_numpy()
    # handed over in the step of day 5: held from then (day 5, or day 6 once the step ends)
    assert len(set(fall[fired])) == 1 and fall[fired][0] in (5.0, 6.0)
    assert np.isposinf(fall[~fired]).all()
    # a region blue held on day 0 and never lost has no fall day either way
    assert np.isposinf(runs["out:home_falls"].to_numpy()).all()
    assert np.isposinf(runs["out:home_retaken"].to_numpy()).all()
    # the final control agrees
    mid = model.compiled.region_ids.index("mid")
    blue = model.compiled.actor_ids.index("blue")
    np.testing.assert_array_equal(model.state.control[:, mid] == blue, fired)


def test_control_all_needs_every_region(handover_run):
    _, runs = handover_run
    fired = np.isfinite(runs["event:give"].to_numpy()).astype(float)
    np.testing.assert_array_equal(runs["out:blue_both"].to_numpy(), fired)
    np.testing.assert_array_equal(runs["out:blue_both_ever"].to_numpy(), fired)
    np.testing.assert_array_equal(runs["out:blue_all"].to_numpy(), 0.0)  # red keeps far


def test_fall_day_is_censored_before_the_event_day(tmp_path):
    sc = load(tmp_path, handover_text(20))
    _, runs = run(sc, days=4)
    assert np.isposinf(runs["out:mid_falls"].to_numpy()).all()
    assert np.isposinf(runs["event:give"].to_numpy()).all()
    np.testing.assert_array_equal(runs["out:given"].to_numpy(), 0.0)


# -------------------------------------------- a strong attacker, a weak defender

ATTACK = HEADER + """\
actors:
  blue:
    name: Blue
    kind: state
    forces:
      morale: 0.7
      reserve: 0
      {blue_extra}
    aggression: 0.9
    goals:
      - {{kind: take, region: mid, weight: 3}}
      - {{kind: take, region: far, weight: 1}}
  red:
    name: Red
    kind: state
    forces:
      morale: 0.5
      reserve: 0
      cohesion: {{desertion_per_day: 0.01, pay: 0.2, commitment: 0.2}}
    goals:
      - {{kind: hold, region: mid, weight: 1}}
regions:
  home: {{name: Home, lat: 33, lon: 44, terrain: open, controller: blue,
          garrisons: {{blue: 20000}}}}
  mid: {{name: Mid, lat: 34, lon: 44, terrain: open, controller: red, garrisons: {{red: 600}}}}
  far: {{name: Far, lat: 35, lon: 44, terrain: open, controller: red, garrisons: {{red: 300}}}}
links:
  - {{between: [home, mid], km: 30}}
  - {{between: [mid, far], km: 30}}
relations:
  rel: {{between: [blue, red], stance: {stance}}}
{events}
outcomes:
  mid_falls: {{kind: fall_day, region: mid, by: [blue]}}
  blue_mid: {{kind: control, region: mid, by: [blue]}}
  blue_all: {{kind: control_all, regions: [home, mid, far], by: [blue]}}
  red_all: {{kind: casualties, actor: red}}
  red_killed: {{kind: casualties, actor: red, category: killed}}
  red_wounded: {{kind: casualties, actor: red, category: wounded}}
  red_captured: {{kind: casualties, actor: red, category: captured}}
  red_deserted: {{kind: casualties, actor: red, category: deserted}}
  blue_all_losses: {{kind: casualties, actor: blue}}
  blue_killed: {{kind: casualties, actor: blue, category: killed}}
  blue_wounded: {{kind: casualties, actor: blue, category: wounded}}
  blue_captured: {{kind: casualties, actor: blue, category: captured}}
  blue_deserted: {{kind: casualties, actor: blue, category: deserted}}
"""


def attack(tmp_path, stance="war", events="", blue_extra="", horizon=30, name="a.yaml"):
    return load(tmp_path, ATTACK.format(horizon=horizon, stance=stance, events=events,
                                        blue_extra=blue_extra), name)


@pytest.fixture(scope="module")
def attack_run(tmp_path_factory):
    return run(attack(tmp_path_factory.mktemp("attack")))


def test_the_unrestricted_attacker_takes_mid(attack_run):
    _, runs = attack_run
    fall = runs["out:mid_falls"].to_numpy()
    taken = np.isfinite(fall)
    assert taken.mean() > 0.5  # 20,000 against 600 on open ground
    assert ((fall[taken] >= 0) & (fall[taken] <= 30)).all()
    assert (fall[taken] == np.floor(fall[taken])).all()  # a day number
    # held at the horizon implies it fell at some day
    assert (taken | (runs["out:blue_mid"].to_numpy() == 0)).all()


def test_fall_day_is_a_day_after_day_0(attack_run):
    _, runs = attack_run
    fall = runs["out:mid_falls"].to_numpy()
    taken = np.isfinite(fall)
    assert taken.any()
    assert (fall[taken] >= 1).all()


@pytest.mark.parametrize("actor", ["red", "blue"])
def test_casualties_by_category_sum_to_the_total(attack_run, actor):
    model, runs = attack_run
    total = runs[f"out:{actor}_all" if actor == "red" else "out:blue_all_losses"].to_numpy()
    parts = sum(runs[f"out:{actor}_{c}"].to_numpy()
                for c in ("killed", "wounded", "captured", "deserted"))
    np.testing.assert_allclose(parts, total, rtol=1e-9, atol=1e-6)
    a = model.compiled.actor_ids.index(actor)
    np.testing.assert_allclose(total, model.state.losses[:, a], rtol=1e-12)
    assert (total > 0).any()
    for c in ("killed", "wounded", "captured", "deserted"):
        assert (runs[f"out:{actor}_{c}"].to_numpy() >= 0).all()


def test_battle_casualties_split_killed_to_wounded(attack_run):
    _, runs = attack_run
    # blue neither deserts (no rate) nor is captured here: its losses are battle losses,
    # split 1 : wounded_per_killed (3 by default)
    killed, wounded = runs["out:blue_killed"].to_numpy(), runs["out:blue_wounded"].to_numpy()
    assert (killed > 0).any()
    np.testing.assert_allclose(wounded, 3.0 * killed, rtol=1e-9, atol=1e-6)


def test_red_deserts_at_its_rate(attack_run):
    _, runs = attack_run
    assert (runs["out:red_deserted"].to_numpy() > 0).all()


RESTRICT = """\
events:
  cordon:
    description: Blue may not enter Mid
    on_day: 0
    effects:
      - restrict: {actor: blue, regions: [mid]}
"""


def blue_mid(model):
    """(actor, region) index of Blue and Mid in the model's arrays."""
    return (model.compiled.actor_ids.index("blue"), model.compiled.region_ids.index("mid"))


def assert_blue_stays_out_of_mid(model, runs):
    """Mid never falls and no Blue soldier is in it at the end, in any replication."""
    assert np.isposinf(runs["out:mid_falls"].to_numpy()).all()
    blue, mid = blue_mid(model)
    np.testing.assert_array_equal(model.state.F[:, blue, mid], 0.0)


def test_a_restrict_effect_keeps_the_actor_out(tmp_path):
    model, runs = run(attack(tmp_path, events=RESTRICT))
    np.testing.assert_array_equal(runs["event:cordon"].to_numpy(), 0.0)
    np.testing.assert_array_equal(runs["out:blue_mid"].to_numpy(), 0.0)
    assert_blue_stays_out_of_mid(model, runs)
    blue, mid = blue_mid(model)
    assert model.state.restricted[:, blue, mid].all()


def test_restricted_regions_of_the_actor_keep_it_out(tmp_path):
    extra = ""  # restricted_regions is an actor field, placed next to aggression
    text = ATTACK.replace(
        "    aggression: 0.9\n",
        "    aggression: 0.9\n    restricted_regions: {{regions: [mid], assumption: true,\n"
        "                         note: A political limit.}}\n", 1)
    sc = load(tmp_path, text.format(horizon=30, stance="war", events="", blue_extra=extra))
    model, runs = run(sc)
    assert_blue_stays_out_of_mid(model, runs)


LIFT = RESTRICT + """\
  lifted:
    description: The cordon is lifted
    on_day: 10
    effects:
      - restrict: {actor: blue, regions: [mid], allow: true}
"""


def test_lifting_a_restriction_lets_the_actor_in_from_that_day(tmp_path):
    model, runs = run(attack(tmp_path, events=LIFT))
    fall = runs["out:mid_falls"].to_numpy()
    taken = np.isfinite(fall)
    assert taken.any()
    assert (fall[taken] >= 10).all()
    np.testing.assert_array_equal(runs["event:lifted"].to_numpy(), 10.0)


STANCE = """\
events:
  declare:
    description: Blue declares war on Red
    on_day: 10
    effects:
      - set_stance: {between: [blue, red], stance: war}
"""


def test_a_dated_stance_change_starts_the_war_that_day(tmp_path):
    sc = attack(tmp_path, stance="neutrality", events=STANCE)
    model, runs = run(sc)
    np.testing.assert_array_equal(runs["event:declare"].to_numpy(), 10.0)
    fall = runs["out:mid_falls"].to_numpy()
    taken = np.isfinite(fall)
    assert taken.mean() > 0.5
    assert (fall[taken] >= 10).all()
    assert (runs["out:blue_all_losses"].to_numpy() > 0).any()
    # before the declaration: no fighting at all (red's losses are desertion only)
    early_model, early = run(attack(tmp_path, stance="neutrality", events=STANCE,
                                    name="b.yaml"), days=9)
    np.testing.assert_array_equal(early["out:blue_all_losses"].to_numpy(), 0.0)
    np.testing.assert_array_equal(early["out:red_killed"].to_numpy(), 0.0)
    assert np.isposinf(early["out:mid_falls"].to_numpy()).all()
    assert np.isposinf(early["event:declare"].to_numpy()).all()


def test_same_seed_same_runs_table(tmp_path):
    sc = attack(tmp_path)
    _, a = run(sc, seed=3)
    _, b = run(sc, seed=3)
    cols = [c for c in a.columns if c.startswith(("out:", "event:"))]
    np.testing.assert_array_equal(a[cols].to_numpy(), b[cols].to_numpy())
