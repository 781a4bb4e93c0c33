"""sim.analysis.stats against values computed by hand and published examples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from sim.analysis import stats

OUTCOMES = {"falls": {"label": "City falls", "binary": True},
            "men": {"label": "Strength", "binary": False}}


def test_wilson_matches_hand_computation_for_3_of_10():
    # p = .3, z = 1.96: centre = (.3 + z²/20) / (1 + z²/10) = .35550,
    # half = z / (1 + z²/10) * sqrt(.021 + z²/400) = .24772.
    lo, hi = stats.wilson(3, 10)
    assert lo == pytest.approx(0.10779, abs=1e-4)
    assert hi == pytest.approx(0.60322, abs=1e-4)


def test_wilson_stays_inside_unit_interval_at_the_edges():
    lo, hi = stats.wilson(0, 20)
    assert lo == 0.0 and 0.1 < hi < 0.2  # rule of three gives ~.15
    lo, hi = stats.wilson(20, 20)
    assert hi == 1.0 and 0.8 < lo < 0.9
    assert all(math.isnan(v) for v in stats.wilson(0, 0))


def test_mcse_binary_and_mean():
    assert stats.mcse_binary(0.3, 10) == pytest.approx(math.sqrt(0.021))
    x = [1.0, 2.0, 3.0, 4.0]  # sd = sqrt(5/3)
    assert stats.mcse_mean(x) == pytest.approx(math.sqrt(5 / 3) / 2)
    assert math.isnan(stats.mcse_mean([1.0]))


def test_quantiles_ignore_nan_and_interpolate():
    assert stats.quantiles([0, 10, np.nan, 20], (0.25, 0.5)) == [5.0, 10.0]
    assert all(math.isnan(v) for v in stats.quantiles([np.nan]))


def test_newcombe_reproduces_the_published_example():
    # Newcombe (1998), table II example (a): 56/70 vs 48/80 -> 0.2000 (0.0524, 0.3339).
    d, lo, hi = stats.newcombe(56, 70, 48, 80)
    assert d == pytest.approx(0.2)
    assert lo == pytest.approx(0.0524, abs=1e-4)
    assert hi == pytest.approx(0.3339, abs=1e-4)


def test_welch_matches_scipy():
    x1, x2 = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 4.0, 6.0])
    d, lo, hi = stats.welch(x1, x2)
    ci = sps.ttest_ind(x1, x2, equal_var=False).confidence_interval()
    assert d == pytest.approx(-1.5)
    assert (lo, hi) == pytest.approx((ci.low, ci.high))


def _runs(falls, men, status=None, reps=None):
    n = len(falls)
    return pd.DataFrame({
        "rep": np.arange(n) if reps is None else reps,
        "status": status or ["ok"] * n,
        "error": [""] * n,
        "out:falls": np.asarray(falls, float),
        "out:men": np.asarray(men, float),
    })


def test_summarise_excludes_error_rows_and_fills_the_contract_columns():
    runs = _runs([1, 0, 1, 0, np.nan], [10, 20, 30, 40, np.nan],
                 status=["ok", "ok", "ok", "ok", "error"])
    t = stats.summarise(runs, OUTCOMES).set_index("outcome")
    assert list(t.reset_index().columns) == stats.SUMMARY_COLUMNS
    f, m = t.loc["falls"], t.loc["men"]
    assert f["n"] == 4 and f["p"] == 0.5 and bool(f["binary"])
    assert (f["p_lo"], f["p_hi"]) == pytest.approx(stats.wilson(2, 4))
    assert f["mcse"] == pytest.approx(0.25)
    assert math.isnan(f["mean"]) and math.isnan(m["p"])
    assert m["mean"] == 25 and m["q50"] == 25
    assert m["q05"] == pytest.approx(11.5) and m["q95"] == pytest.approx(38.5)
    assert f["label"] == "City falls"


def test_summarise_accepts_schema_outcomes():
    from sim.scenario.schema import Outcome

    outs = {"falls": Outcome(kind="control", region="r", by=["a"]),
            "men": Outcome(kind="strength", actor="a", label="Men")}
    t = stats.summarise(_runs([1, 1, 0], [1, 2, 3]), outs).set_index("outcome")
    assert bool(t.loc["falls", "binary"]) and t.loc["falls", "label"] == "falls"
    assert not bool(t.loc["men", "binary"]) and t.loc["men", "label"] == "Men"


def test_compare_pairs_by_rep_and_is_tighter_than_independent():
    rng = np.random.default_rng(0)
    base = rng.normal(100, 30, 200)
    a = _runs(rng.random(200) < 0.3, base)
    b = _runs(rng.random(200) < 0.3, base + 5 + rng.normal(0, 1, 200))
    paired = stats.compare(a, b, OUTCOMES).set_index("outcome").loc["men"]
    assert paired["method"] == "paired"
    assert paired["diff"] == pytest.approx((b["out:men"] - a["out:men"]).mean())
    assert paired["lo"] < 5 < paired["hi"] and paired["hi"] - paired["lo"] < 1
    b_shifted = b.assign(rep=b["rep"] + 1000)  # different reps: independent samples
    indep = stats.compare(a, b_shifted, OUTCOMES).set_index("outcome")
    assert indep.loc["men", "method"] == "welch"
    assert indep.loc["men", "hi"] - indep.loc["men", "lo"] > 5
    assert indep.loc["falls", "method"] == "newcombe"
    k_a, k_b = a["out:falls"].sum(), b["out:falls"].sum()
    assert indep.loc["falls", "lo"] == pytest.approx(stats.newcombe(k_b, 200, k_a, 200)[1])


def test_compare_paired_ignores_error_rows_of_either_side():
    a = _runs([0, 0, 0, 1], [1, 2, 3, 4])
    b = _runs([1, 1, 0, 1], [3, 4, 5, 100], status=["ok", "ok", "ok", "error"])
    t = stats.compare(a, b, OUTCOMES).set_index("outcome")
    assert t.loc["men", "method"] == "welch"  # rep 3 missing on one side: not the same reps
    assert t.loc["men", "n_b"] == 3 and t.loc["men", "b"] == 4
