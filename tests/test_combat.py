"""Invariants of the combat rule (the formulas through their array forms in
sim.model.vectorised): probabilities, monotonicity, losses; the constants file."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.combat_constants import (
    POSTURE_CODES,
    TERRAIN_CODES,
    CombatConstants,
    load_constants,
    save_constants,
)
from sim.model.vectorised import adjudicate, combat_power, daily_losses, win_probability
from sim.scenario.schema import Posture, Terrain

SHIPPED = load_constants()

powers = st.floats(min_value=0.0, max_value=1e7, allow_nan=False)
unit = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)
uniform = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
situation = st.tuples(st.integers(0, 2), st.integers(0, 6), st.booleans(), unit, unit)


def p_win(att, dfd, sit, consts=SHIPPED):
    return win_probability(att, dfd, *sit, consts)


def test_codes_follow_schema_order():
    assert list(POSTURE_CODES) == [p.value for p in Posture]
    assert list(TERRAIN_CODES) == [t.value for t in Terrain]
    assert list(POSTURE_CODES.values()) == list(range(len(Posture)))
    assert list(TERRAIN_CODES.values()) == list(range(len(Terrain)))


@settings(max_examples=200, deadline=None)
@given(powers, powers, powers, situation)
def test_monotone_in_attacker_power(a1, a2, d, sit):
    lo, hi = sorted((a1, a2))
    assert p_win(lo, d, sit) <= p_win(hi, d, sit)


@settings(max_examples=200, deadline=None)
@given(powers, powers, powers, situation)
def test_monotone_in_defender_power(a, d1, d2, sit):
    lo, hi = sorted((d1, d2))
    assert p_win(a, lo, sit) >= p_win(a, hi, sit)


@settings(max_examples=200, deadline=None)
@given(powers, powers, situation)
def test_probability_in_unit_interval(a, d, sit):
    p = p_win(a, d, sit)
    assert 0.0 <= p <= 1.0


def test_more_attacker_power_raises_probability_strictly():
    # The fitted slope is positive, so doubling the attacker must change the answer.
    sit = (0, 1, False, 0.0, 0.0)
    assert p_win(2000.0, 1000.0, sit) > p_win(1000.0, 1000.0, sit) > p_win(500.0, 1000.0, sit)


def test_posture_favours_the_defender_in_order():
    p = [p_win(1000.0, 1000.0, (code, 1, False, 0.0, 0.0)) for code in range(3)]
    assert p[0] >= p[1] >= p[2]
    assert p[2] < p[0]  # a fortified defence must matter


def test_terrain_never_favours_the_attacker_over_open_ground():
    open_p = p_win(1000.0, 1000.0, (0, TERRAIN_CODES["open"], False, 0.0, 0.0))
    for name, code in TERRAIN_CODES.items():
        p = p_win(1000.0, 1000.0, (0, code, False, 0.0, 0.0))
        assert p <= open_p, name
    assert p_win(1000.0, 1000.0, (0, TERRAIN_CODES["urban"], False, 0.0, 0.0)) < open_p


def test_river_air_and_surprise_directions():
    base = p_win(1000.0, 1000.0, (0, 1, False, 0.0, 0.0))
    assert p_win(1000.0, 1000.0, (0, 1, True, 0.0, 0.0)) <= base
    assert p_win(1000.0, 1000.0, (0, 1, False, 1.0, 0.0)) > base
    assert p_win(1000.0, 1000.0, (0, 1, False, -1.0, 0.0)) < base
    assert p_win(1000.0, 1000.0, (0, 1, False, 0.0, 1.0)) > base
    assert p_win(1000.0, 1000.0, (0, 1, False, 0.0, -1.0)) < base


def test_combat_power_and_morale():
    c = SHIPPED
    assert combat_power(1000, 1.0, 1.0, c.morale_neutral, c) == pytest.approx(1000.0)
    assert combat_power(1000, 0.5, 2.0, c.morale_neutral, c) == pytest.approx(1000.0)
    morale = np.linspace(0, 1, 11)
    power = combat_power(1000, 1.0, 1.0, morale, c)
    assert np.all(np.diff(power) >= 0) and power[-1] > power[0]
    assert np.all(power >= c.morale_floor * 1000 - 1e-9)
    assert combat_power(-5, 1.0, 1.0, 0.5, c) == 0.0


@settings(max_examples=200, deadline=None)
@given(powers, powers, powers, powers, st.booleans(), uniform, st.none() | uniform)
def test_losses_bounded_by_personnel(ap, dp, apow, dpow, won, u, u2):
    a_loss, d_loss = daily_losses(ap, dp, apow, dpow, won, SHIPPED, u, u2)
    assert 0.0 <= a_loss <= ap
    assert 0.0 <= d_loss <= dp


def test_losses_grow_with_enemy_power_and_defeat():
    c = SHIPPED
    u = 0.5
    a_weak, _ = daily_losses(1000, 1000, 1000, 500, True, c, u)
    a_strong, _ = daily_losses(1000, 1000, 1000, 2000, True, c, u)
    assert a_strong > a_weak
    a_won, d_lost = daily_losses(1000, 1000, 1000, 1000, True, c, u)
    a_lost, d_won = daily_losses(1000, 1000, 1000, 1000, False, c, u)
    assert a_lost > a_won and d_lost > d_won
    # With the median uniform the share is the fitted median rate.
    assert a_won == pytest.approx(1000 * c.att_loss_base)


def test_loss_noise_is_monotone_and_correlated():
    c = SHIPPED
    u = np.array([0.1, 0.5, 0.9])
    a, d = daily_losses(1e5, 1e5, 1e5, 1e5, False, c, u)
    assert np.all(np.diff(a) > 0) and np.all(np.diff(d) > 0)
    _, d_indep = daily_losses(1e5, 1e5, 1e5, 1e5, False, c, u, noise_u_def=np.full(3, 0.5))
    # With its own median uniform the defender keeps only rho of the attacker's shock.
    assert d_indep[2] < d[2] and d_indep[0] > d[0]


def test_cap_on_daily_share():
    c = dataclasses.replace(SHIPPED, max_daily_loss_share=0.3)
    a, d = daily_losses(100.0, 100.0, 1.0, 1e9, False, c, 0.999999)
    assert a == pytest.approx(30.0)


def test_element_alone_equals_element_in_array():
    rng = np.random.default_rng(7)
    n = 2000
    args = dict(
        att_personnel=rng.uniform(0, 1e5, n),
        def_personnel=rng.uniform(0, 1e5, n),
        att_power=rng.uniform(0, 1e5, n),
        def_power=rng.uniform(0, 1e5, n),
        posture=rng.integers(0, 3, n),
        terrain=rng.integers(0, 7, n),
        river=rng.random(n) < 0.2,
        air=rng.uniform(-1, 1, n),
        surprise=rng.uniform(-1, 1, n),
        u_win=rng.random(n),
        noise_u=rng.random(n),
        noise_u_def=rng.random(n),
    )
    situation = ("posture", "terrain", "river", "air", "surprise")

    def call(values):
        return adjudicate(consts=SHIPPED, situation={k: values[k] for k in situation},
                          **{k: v for k, v in values.items() if k not in situation})

    big = call(args)
    for i in (0, 17, 999, n - 1):
        one = call({k: v[i] for k, v in args.items()})
        assert one.p_win == big.p_win[i]
        assert bool(one.attacker_wins) == bool(big.attacker_wins[i])
        assert one.att_loss == big.att_loss[i] and one.def_loss == big.def_loss[i]
    assert np.array_equal(big.attacker_wins, args["u_win"] < big.p_win)


def test_broadcasting_over_a_grid():
    # (R, 1) replications against (1, E) engagements gives an (R, E) answer.
    p = win_probability(
        np.array([[1000.0], [3000.0]]),
        np.array([[1000.0, 2000.0, 4000.0]]),
        1,
        3,
        False,
        0.0,
        0.0,
        SHIPPED,
    )
    assert p.shape == (2, 3)
    assert np.all(p[1] > p[0]) and np.all(np.diff(p, axis=1) < 0)


def test_constants_round_trip(tmp_path):
    c = dataclasses.replace(
        CombatConstants(), surprise_coef=1.234, provenance={"n": 3, "data_sha256": "ab"}
    )
    path = save_constants(c, tmp_path / "c.json")
    back = load_constants(path)
    assert back == c
    assert back.provenance == {"n": 3, "data_sha256": "ab"}
    assert isinstance(back.terrain_effect, tuple) and len(back.terrain_effect) == 7


def test_shipped_constants_are_fitted_and_signed():
    c = SHIPPED
    assert c.provenance.get("data_sha256"), "shipped constants must record their fit"
    assert c.ratio_slope > 0 and c.air_coef >= 0 and c.surprise_coef >= 0
    assert c.river_effect <= 0 and max(c.terrain_effect) <= 0
    assert c.posture_effect[0] >= c.posture_effect[1] >= c.posture_effect[2]
    assert c.att_loss_exp >= 0 and c.def_loss_exp >= 0
    assert c.att_loser_mult >= 1 and c.def_loser_mult >= 1
