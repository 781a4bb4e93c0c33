"""Declarative conditions (sim.model.conditions) evaluated on a model's state."""

from pathlib import Path

import numpy as np
import pytest

from sim.model.conditions import holds, within_links
from sim.model.engine import GeoModel
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Condition

FRONT = Path(__file__).parent / "engine" / "front.yaml"
LINE_ADJ = np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]], bool)


@pytest.fixture(scope="module")
def front():
    return load_scenario(FRONT)


@pytest.fixture()
def model(front):
    return GeoModel(front, [0, 1, 2], seed=1)


def _c(spec: dict) -> Condition:
    return Condition.model_validate(spec)


def _idx(m, region=None, actor=None):
    return (m.compiled.region_ids.index(region) if region else m.compiled.actor_ids.index(actor))


def test_within_links_counts_links():
    assert within_links(LINE_ADJ, 0, 0).tolist() == [True, False, False, False]
    assert within_links(LINE_ADJ, 0, 2).tolist() == [True, True, True, False]
    assert within_links(LINE_ADJ, 1, 1).tolist() == [True, True, True, False]


def test_condition_enemy_within(model):
    m, s = model, model.state
    far = _c({"enemy_within": {"region": "capital", "links": 2, "of": "gov"}})
    near = _c({"enemy_within": {"region": "capital", "links": 1, "of": "gov"}})
    assert holds(far, s, m.compiled).tolist() == [True] * 3  # rebels in north, 2 links away
    assert holds(near, s, m.compiled).tolist() == [False] * 3
    s.F[1, _idx(m, actor="rebels"), _idx(m, "ford")] = 10.0
    assert holds(near, s, m.compiled).tolist() == [False, True, False]
    # The ally is not at war with gov: its forces next to the capital do not count.
    s.F[2, _idx(m, actor="ally"), _idx(m, "mid")] = 500.0
    assert holds(near, s, m.compiled).tolist() == [False, True, False]


def test_condition_controls_and_lost(model):
    m, s = model, model.state
    controls = _c({"controls": {"actor": "gov", "region": "mid"}})
    lost = _c({"lost": {"actor": "gov", "region": "mid"}})
    never_had = _c({"lost": {"actor": "rebels", "region": "mid"}})
    assert holds(controls, s, m.compiled).tolist() == [True] * 3
    assert holds(lost, s, m.compiled).tolist() == [False] * 3
    s.control[1, _idx(m, "mid")] = _idx(m, actor="rebels")
    s.control[2, _idx(m, "mid")] = -1
    assert holds(controls, s, m.compiled).tolist() == [True, False, False]
    assert holds(lost, s, m.compiled).tolist() == [False, True, True]
    assert holds(never_had, s, m.compiled).tolist() == [False] * 3


def test_condition_strength_below_and_day(model):
    m, s = model, model.state
    weak = _c({"strength_below": {"actor": "gov", "share": 0.5}})
    assert holds(weak, s, m.compiled).tolist() == [False] * 3
    gov = _idx(m, actor="gov")
    s.F[0, gov] *= 0.1
    s.reserve[0, gov] = 0
    assert holds(weak, s, m.compiled).tolist() == [True, False, False]
    day = _c({"day_at_least": 5})
    assert holds(day, s, m.compiled).tolist() == [False] * 3
    s.day = 5
    assert holds(day, s, m.compiled).tolist() == [True] * 3


def test_condition_all_any_not(model):
    m, s = model, model.state
    s.control[1, _idx(m, "mid")] = _idx(m, actor="rebels")
    lost = {"lost": {"actor": "gov", "region": "mid"}}
    late = {"day_at_least": 3}
    s.day = 0
    assert holds(_c({"all": [lost, late]}), s, m.compiled).tolist() == [False] * 3
    assert holds(_c({"any": [lost, late]}), s, m.compiled).tolist() == [False, True, False]
    assert holds(_c({"not": lost}), s, m.compiled).tolist() == [True, False, True]
    s.day = 3
    assert holds(_c({"all": [lost, late]}), s, m.compiled).tolist() == [False, True, False]
    assert holds(_c({"any": [lost, late]}), s, m.compiled).tolist() == [True] * 3
    assert holds(_c({"not": {"all": [lost, late]}}), s, m.compiled).tolist() == [True, False, True]


def test_conditions_give_a_replication_the_same_result_alone_or_in_a_batch(front):
    big = GeoModel(front, np.arange(500), seed=4)
    rng = np.random.default_rng(3)
    big.state.F *= rng.random(big.state.F.shape) > 0.5
    big.state.control[:] = rng.integers(-1, 3, big.state.control.shape)
    cond = _c({"any": [{"enemy_within": {"region": "capital", "links": 1, "of": "gov"}},
                       {"all": [{"lost": {"actor": "gov", "region": "mid"}},
                                {"not": {"strength_below": {"actor": "gov", "share": 0.5}}}]}]})
    batch = holds(cond, big.state, big.compiled)
    assert 0 < batch.sum() < 500  # the test data exercise both answers
    for i in (0, 250, 499):
        one = GeoModel(front, [i], seed=4)
        for name in ("F", "control", "reserve", "strength0"):
            setattr(one.state, name, getattr(big.state, name)[i:i + 1].copy())
        assert holds(cond, one.state, one.compiled)[0] == batch[i]
