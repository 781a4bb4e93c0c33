"""Named model invariants: more attackers never lowers the attacker's chance, forces never go
negative over a run, and a routed force loses the region it held."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import phases
from sim.model.combat_constants import load_constants
from sim.model.engine import GeoModel
from sim.model.formulas import HOLD
from sim.model.vectorised import win_probability
from sim.scenario.loader import load_scenario

FRONT = Path(__file__).parent / "engine" / "front.yaml"
CC = load_constants()


def _recruits(m: GeoModel) -> np.ndarray:
    """(R, A) recruits the coming step's economy phase adds (run on copies of the state)."""
    s, p = m.state, m.params
    funds, reserve = s.funds.copy(), s.reserve.copy()
    phases.economy(funds, reserve, s.strength(), p["income"], p["upkeep"], p["recruit"],
                   float(m.step_days))
    return reserve - s.reserve


@pytest.fixture(scope="module")
def front():
    return load_scenario(FRONT)


@settings(max_examples=200, deadline=None)
@given(att=st.floats(0, 1e6), extra=st.floats(0, 1e6), dfn=st.floats(0, 1e6),
       posture=st.integers(0, 2), terrain=st.integers(0, 6), river=st.booleans(),
       air=st.floats(-1, 1), surprise=st.floats(-1, 1))
def test_more_attackers_never_lower_win_probability(att, extra, dfn, posture, terrain, river,
                                                    air, surprise):
    p = win_probability(att, dfn, posture, terrain, river, air, surprise, CC)
    more = win_probability(att + extra, dfn, posture, terrain, river, air, surprise, CC)
    assert 0.0 <= p <= 1.0
    assert more >= p


def test_engine_p_win_grows_when_attacker_forces_are_scaled_up(front):
    """The options' p_win of an attack rises with the attacker's forces in the attack's reach."""
    reps = np.arange(32)
    rebels = front_index(front, "rebels")
    mid, ford = (list(front.regions).index(g) for g in ("mid", "ford"))
    previous = None
    for factor in (1.0, 1.5, 3.0, 10.0):
        m = GeoModel(front, reps, seed=9)
        m.state.F[:, rebels, :] *= factor
        opt = m.options(m.step_inputs())
        p = opt.p_win[:, rebels, [mid, ford]]
        assert opt.legal[:, rebels, [mid, ford]].all(), "the attacks must be evaluated"
        assert ((p >= 0) & (p <= 1)).all()
        if previous is not None:
            assert (p >= previous).all()
            assert (p > previous).any()
        previous = p


def front_index(sc, actor: str) -> int:
    return list(sc.actors).index(actor)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_forces_never_negative_over_a_run(front, seed):
    m = GeoModel(front, np.arange(16), seed=seed, days=20)
    losses = m.state.losses.copy()
    while m.state.day < m.horizon:
        m.step()
        s = m.state
        assert (s.F >= 0).all(), f"negative forces on day {s.day}"
        assert (s.reserve >= 0).all()
        assert (s.funds >= 0).all()
        assert ((s.morale >= 0) & (s.morale <= 1)).all()
        assert (s.losses >= losses - 1e-9).all(), "cumulative losses never shrink"
        losses = s.losses.copy()


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_personnel_is_only_created_by_recruits_and_deliveries(front, seed):
    """Each step: change in strength + change in losses = recruits + troops delivered.

    Battles, strikes, routs, retreats, walk-ins and remnant clean-up only move personnel
    between regions or into losses. (Events are removed: their reinforcements are the one
    other source.)
    """
    sc = front.model_copy(update={"events": {}})
    m = GeoModel(sc, np.arange(16), seed=seed, days=20)
    while m.state.day < m.horizon:
        s = m.state
        recruits = _recruits(m)
        before, sent = s.strength() + s.losses, s.sent.copy()
        m.step()
        delivered = np.zeros_like(before)
        for j, sup in enumerate(m.compiled.supports):
            delivered[:, sup.giver] += m.state.sent[:, j] - sent[:, j]
        after = m.state.strength() + m.state.losses
        np.testing.assert_allclose(after, before + recruits + delivered, rtol=1e-12, atol=1e-6)


def test_routed_force_loses_control(front):
    """Break the garrison of a town with an enemy next door: it leaves and the town falls."""
    m = GeoModel(front, np.arange(16), seed=2)
    s = m.state
    gov, rebels = front_index(front, "gov"), front_index(front, "rebels")
    mid, north = (list(front.regions).index(g) for g in ("mid", "north"))
    assert (s.control[:, mid] == gov).all() and (s.F[:, rebels, north] > 0).all()
    # Nobody attacks, so the town changes hands through the rout (phase 6) and the walk-in of
    # the adjacent enemy (phase 7), not through a battle.
    m.actors[gov].orders = HOLD
    m.actors[rebels].orders = HOLD
    s.morale[:, gov, mid] = 0.0
    garrison = s.F[:, gov, mid].copy()
    m.step()
    assert (m.state.control[:, mid] != gov).all()
    assert (m.state.control[:, mid] == rebels).all()
    assert (m.state.F[:, rebels, mid] > 0).all()  # a detachment walked in
    # Half the garrison deserted or was captured (rout_desertion).
    assert (m.state.losses[:, gov] >= m.constants.rout_desertion * garrison * 0.99).all()


def test_steady_garrison_keeps_control_as_a_contrast(front):
    """The same step without the broken morale leaves the town to its holder."""
    m = GeoModel(front, np.arange(16), seed=2)
    gov = front_index(front, "gov")
    mid = list(front.regions).index("mid")
    m.actors[gov].orders = HOLD
    m.actors[front_index(front, "rebels")].orders = HOLD
    m.step()
    assert (m.state.control[:, mid] == gov).all()


def test_surrounded_routed_force_is_counted_as_lost(front):
    """A broken force with no friendly neighbour is dispersed or captured: it counts in losses."""
    sc = front.model_copy(update={"events": {}})
    m = GeoModel(sc, np.arange(8), seed=3)
    s = m.state
    gov, rebels = front_index(sc, "gov"), front_index(sc, "rebels")
    north, hills = (list(sc.regions).index(g) for g in ("north", "hills"))
    s.control[:, hills] = gov  # every neighbour of the north is now government ground
    s.F[:, rebels, hills] = 0.0
    s.morale[:, rebels, north] = 0.0
    m.actors[gov].orders = HOLD
    m.actors[rebels].orders = HOLD
    recruits = _recruits(m)
    before = s.strength()[:, rebels] + s.losses[:, rebels]
    m.step()
    assert (m.state.F[:, rebels, :] == 0).all()  # nowhere to retreat to
    after = m.state.strength()[:, rebels] + m.state.losses[:, rebels]
    np.testing.assert_allclose(after, before + recruits[:, rebels], rtol=1e-12)
