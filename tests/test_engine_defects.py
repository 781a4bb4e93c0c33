"""Regression tests for the engine defects found in review (issue 14, "Engine defects").

Each test failed on the engine before its fix:
- allies took regions from each other (an attack on a region an ally took earlier the step);
- forces moving into a region took the region's stale morale (a won battle, then a rout);
- single runs and wargames used replication 0's draws instead of each fact's value;
- the `region` of an air_strikes support was ignored;
- an outcome with `ever: true` ignored its `day`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.model.batch import run_single
from sim.model.engine import GeoModel, Sampling
from sim.model.outcomes import measure_outcomes
from sim.scenario.loader import load_scenario
from sim.wargame.game import Game

FRONT = Path(__file__).parent / "engine" / "front.yaml"

ALLIES = """
scenario: {id: allies, title: Two allies and a town, as_of: 2020-01-01, horizon_days: 5}
actors:
  first: {name: First, kind: state, forces: {reserve: 0, morale: 0.8},
          goals: [{kind: take, region: town, weight: 1}]}
  second: {name: Second, kind: state, forces: {reserve: 0, morale: 0.8},
           goals: [{kind: take, region: town, weight: 1}]}
  foe: {name: Foe, kind: armed_group, forces: {reserve: 0}}
regions:
  town: {name: Town, lat: 0, lon: 0, terrain: open, controller: foe, garrisons: {foe: 5}}
  west: {name: West, lat: 0, lon: -1, terrain: open, controller: first,
         garrisons: {first: 20000}}
  east: {name: East, lat: 0, lon: 1, terrain: open, controller: second,
         garrisons: {second: 20000}}
links:
  - {between: [town, west], km: 20}
  - {between: [town, east], km: 20}
relations:
  friends: {between: [first, second], stance: alliance}
  war1: {between: [first, foe], stance: war}
  war2: {between: [second, foe], stance: war}
"""


def _load(tmp_path: Path, text: str, name: str = "s.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


def test_an_ally_does_not_attack_a_region_its_ally_took_the_same_step(tmp_path):
    sc = _load(tmp_path, ALLIES)
    m = GeoModel(sc, np.arange(8), seed=1)
    first, second = 0, 1
    town = m.compiled.region_ids.index("town")
    m.actors[first].orders = town
    m.actors[second].orders = town
    morale_before = m.state.morale[:, first, :].copy()
    m.step()
    # The second ally's attack is called off where its ally took the town: no change of
    # hands between allies, and the first ally's morale takes no region-loss shock.
    assert (m.state.control[:, town] != second).all(), "an ally took the town from its ally"
    took = m.state.control[:, town] == first
    assert took.any(), "the test needs the first ally to take the town in some replications"
    assert not (m.state.morale[took, first, :] < morale_before[took] - 0.05).any()


def test_forces_moving_into_a_won_region_bring_their_morale(tmp_path):
    sc = _load(tmp_path, ALLIES)
    m = GeoModel(sc, np.arange(8), seed=2)
    first, town = 0, m.compiled.region_ids.index("town")
    m.state.morale[:, first, town] = 0.0  # a stale value in a cell where it had no forces
    m.actors[first].orders = town
    m.actors[1].orders = -1
    m.step()
    won = m.state.control[:, town] == first
    assert won.any()
    # 20,000 x 0.6 committed against 5: the survivors arrive with their own morale and do
    # not break in the town they just took (before the fix: morale 0, half of them deserted).
    assert (m.state.F[won, first, town] > 0.5 * 12000).all()
    assert (m.state.morale[won, first, town] > 0.5).all()


def test_single_runs_and_wargames_use_each_facts_value():
    from sim.model.batch import central_samples  # the facts at their values (the fix)

    sc = load_scenario(FRONT)
    values = central_samples(sc)[0]
    assert len(values) > 0, "front.yaml has uncertain facts"
    game = Game(sc, seed=3, teams=["gov"], turn_days=5, turns=2)
    np.testing.assert_array_equal(game.model.samples[0], values)
    at_values = GeoModel(sc, [0], 3, 10, Sampling(samples=central_samples(sc)))
    at_values.run()
    single = run_single(sc, seed=3, days=10)
    assert single.strength == pytest.approx(
        dict(zip(at_values.compiled.actor_ids, at_values.state.strength()[0], strict=True)))
    drawn = run_single(sc, seed=3, days=10, draw=0)  # replication 0's sampled facts
    assert drawn.strength != single.strength


AIR_SUPPORT = """
  help:
    between: [first, second]
    stance: alliance
    support:
      air: {from: second, to: first, kind: air_strikes, amount: 40, region: east_town}
"""
EAST_TOWN = """  east_town: {name: East town, lat: 1, lon: 1, terrain: open, controller: foe,
              garrisons: {foe: 300}}
"""


def test_an_air_support_with_a_region_strikes_that_region(tmp_path):
    text = ALLIES.replace("  friends: {between: [first, second], stance: alliance}\n", "")
    text = text.rstrip("\n") + AIR_SUPPORT
    text = text.replace("  east: {name: East", EAST_TOWN + "  east: {name: East")
    text = text.replace("  - {between: [town, east], km: 20}",
                        "  - {between: [town, east], km: 20}\n"
                        "  - {between: [east, east_town], km: 20}")
    text = text.replace("garrisons: {foe: 5}", "garrisons: {foe: 3000}")
    sc = _load(tmp_path, text)
    m = GeoModel(sc, np.arange(4), seed=1)
    foe = 2
    town, east_town = (m.compiled.region_ids.index(g) for g in ("town", "east_town"))
    for agent in m.actors:
        agent.orders = -1
    m.step()
    # The first ally's own strikes would go for the bigger enemy force in `town`; the
    # supported sorties go where the commitment says.
    assert (m.state.F[:, foe, east_town] < 300).all()
    lost_town = 3000 - m.state.F[:, foe, town]
    assert (lost_town < 1e-9).all()


def test_an_ever_outcome_with_a_day_counts_only_days_up_to_it(tmp_path):
    text = (FRONT.read_text(encoding="utf-8")
            .replace("events:\n", """events:
  giveaway:
    description: The town is handed over on day 8
    on_day: 8
    effects:
      - handover: {region: mid, actor: rebels}
""", 1)
            .replace("outcomes:\n", """outcomes:
  mid_ever_by_5: {kind: control, region: mid, by: [rebels], ever: true, day: 5}
  mid_ever_by_12: {kind: control, region: mid, by: [rebels], ever: true, day: 12}
""", 1))
    sc = _load(tmp_path, text)
    m = GeoModel(sc, np.arange(6), seed=4, days=15)
    for agent in m.actors:
        agent.orders = -1
    m.run()
    out = measure_outcomes(m)
    assert (out["mid_ever_by_12"] == 1).all()
    assert (out["mid_ever_by_5"] == 0).all()
