"""sim.analysis.collect.survival: the share of runs whose day-0 controller still holds a
region, with "never" censored at the horizon."""

from __future__ import annotations

import numpy as np

from sim.analysis import collect
from tests.analysis import synthetic as syn


def test_first_change_counts_each_run_once_and_keeps_never_apart():
    agg = syn.aggregate_of(syn.timed_runs(), {"control": syn.control_series()})
    assert agg.control is not None and agg.control[0] == ["r", "s"]
    # columns: first changed on day 0, 5, 10, never
    np.testing.assert_array_equal(agg.first_change, [[0, 2, 1, 1], [0, 0, 0, 4]])


def test_survival_curve_values_and_censoring():
    agg = syn.aggregate_of(syn.timed_runs(), {"control": syn.control_series()})
    surv = collect.survival(agg.first_change, agg.days)
    assert surv.shape == (2, 3)
    # r: 4 of 4 held on day 0, 2 of 4 on day 5, 1 of 4 on day 10; the run where it never
    # changes hands keeps the curve at 25% at the horizon instead of dropping to 0.
    np.testing.assert_allclose(surv[0], [1.0, 0.5, 0.25])
    np.testing.assert_allclose(surv[1], [1.0, 1.0, 1.0])


def test_survival_of_no_runs_is_one_not_a_division_by_zero():
    surv = collect.survival(np.zeros((1, 4), np.int64), np.array([0, 5, 10]))
    np.testing.assert_allclose(surv, [[1.0, 1.0, 1.0]])
