"""Counter-based randomness and fact sampling."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.sampling import Purpose, UncertainFact, quantile, rep_keys, sample_facts, uniforms
from sim.scenario.schema import Dist, Fact


def test_draws_depend_only_on_seed_rep_day_purpose():
    keys_all = rep_keys(7, np.arange(1000))
    keys_one = rep_keys(7, [4711 % 1000])
    u_all = uniforms(keys_all, 12, Purpose.COMBAT_WIN, 5)
    u_one = uniforms(keys_one, 12, Purpose.COMBAT_WIN, 5)
    assert np.array_equal(u_all[4711 % 1000], u_one[0])


def test_streams_differ_by_seed_day_and_purpose():
    k = rep_keys(1, np.arange(200))
    a = uniforms(k, 3, Purpose.DECISION, 1)
    assert not np.array_equal(a, uniforms(k, 4, Purpose.DECISION, 1))
    assert not np.array_equal(a, uniforms(k, 3, Purpose.EVENT, 1))
    assert not np.array_equal(a, uniforms(rep_keys(2, np.arange(200)), 3, Purpose.DECISION, 1))


def test_uniforms_look_uniform():
    u = uniforms(rep_keys(3, np.arange(20000)), 0, Purpose.FACT, 1).ravel()
    assert u.min() > 0 and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.01
    counts, _ = np.histogram(u, bins=10, range=(0, 1))
    assert counts.min() > 1800 and counts.max() < 2200


@pytest.mark.parametrize("dist", list(Dist))
def test_quantiles_stay_in_range_for_bounded_dists(dist):
    f = Fact(value=4, low=2, high=10, dist=dist)
    x = quantile(f, np.linspace(0.001, 0.999, 999))
    assert np.all(np.diff(x) >= -1e-9)  # inverse CDFs are monotone
    if dist in (Dist.uniform, Dist.triangular, Dist.pert):
        assert x.min() >= 2 and x.max() <= 10
    else:  # low and high are the 5th and 95th percentiles
        assert np.isclose(quantile(f, np.array([0.05]))[0], 2, rtol=1e-6)
        assert np.isclose(quantile(f, np.array([0.95]))[0], 10, rtol=1e-6)


def test_triangular_mode_is_the_value():
    f = Fact(value=3, low=0, high=10, dist=Dist.triangular)
    x = quantile(f, uniforms(rep_keys(0, np.arange(50000)), 0, Purpose.FACT, 1).ravel())
    hist, edges = np.histogram(x, bins=20, range=(0, 10))
    assert 2.5 <= edges[hist.argmax()] <= 3.0


def test_lhs_covers_every_stratum_once():
    facts = [UncertainFact("a", Fact(value=5, low=0, high=10, dist=Dist.uniform))]
    n = 100
    reps = np.arange(n)
    x = sample_facts(facts, 5, reps, rep_keys(5, reps), design="lhs", n_total=n)[:, 0]
    strata = np.floor(x / 10 * n).astype(int)
    assert sorted(strata.tolist()) == list(range(n))
    # A batch gives the same draws as the whole run.
    part = sample_facts(facts, 5, reps[30:40], rep_keys(5, reps[30:40]), "lhs", n)[:, 0]
    assert np.array_equal(part, x[30:40])


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32), st.lists(st.integers(0, 10**6), min_size=1, max_size=20))
def test_replication_draws_independent_of_batch(seed, reps):
    keys = rep_keys(seed, reps)
    full = uniforms(keys, 9, Purpose.MORALE, 3)
    for i, r in enumerate(reps):
        assert np.array_equal(full[i], uniforms(rep_keys(seed, [r]), 9, Purpose.MORALE, 3)[0])


def test_a_facts_draws_do_not_depend_on_the_other_facts():
    a = UncertainFact("actors.x.forces.reserve", Fact(value=5, low=0, high=10))
    b = UncertainFact("actors.y.forces.reserve", Fact(value=5, low=0, high=10))
    reps = np.arange(50)
    keys = rep_keys(4, reps)
    both = sample_facts([a, b], 4, reps, keys)
    only_b = sample_facts([b], 4, reps, keys)
    assert np.array_equal(both[:, 1], only_b[:, 0])
    assert not np.array_equal(both[:, 0], both[:, 1])
