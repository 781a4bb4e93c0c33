"""Reported casualties beside the model's (sim/experiments/history_casualties.py)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from sim.cli import main
from sim.experiments import history
from sim.experiments import history_casualties as hc


def _result(reported, model, low=None, high=None, mlow=None, mhigh=None):
    return hc.CasualtyResult("observed-x", "red", "killed", 10, reported,
                             reported if low is None else low, reported if high is None else high,
                             model, model if mlow is None else mlow,
                             model if mhigh is None else mhigh)


@pytest.mark.parametrize(("reported", "model", "within"), [
    (100, 100, True), (100, 50, True), (100, 200, True), (100, 49, False), (100, 201, False),
    (0, 0, True), (0, 5, False)])
def test_within_a_factor_of_two_of_the_report(reported, model, within):
    assert _result(reported, model).within_2x is within


def test_ratio_and_range_overlap():
    r = _result(1000, 300, low=800, high=1200, mlow=100, mhigh=700)
    assert r.ratio == pytest.approx(0.3) and not r.covers_report
    assert _result(1000, 300, low=800, high=1200, mlow=100, mhigh=800).covers_report
    assert math.isinf(_result(0, 5).ratio)


def test_scores_over_figures_by_hand():
    rs = [_result(100, 100), _result(100, 25), _result(100, 400, mlow=90, mhigh=500)]
    s = hc.score(rs)
    assert (s.n, s.within_2x, s.covered) == (3, pytest.approx(1 / 3), pytest.approx(2 / 3))
    assert s.median_ratio == 1.0 and s.median_abs_log2 == 2.0  # |log2| of 1, 1/4, 4
    assert hc.score([]).n == 0 and math.isnan(hc.score([]).within_2x)


def test_compare_reads_the_reported_outcomes_of_a_case():
    case = history.load_case(history.LIBRARY / "05-fallujah.yaml")
    reported = hc.casualty_outcomes(case.scenario)
    assert "observed-killed-insurgents" in reported and "observed" not in reported
    values = {oid: np.arange(101, dtype=float) for oid in reported}  # 0..100: median 50
    [killed] = [c for c in hc.compare(case.scenario, values)
                if c.outcome == "observed-killed-insurgents"]
    assert (killed.actor, killed.category, killed.day) == ("insurgents", "killed", 18)
    assert (killed.reported, killed.reported_low, killed.reported_high) == (1350, 1200, 2000)
    assert (killed.model_low, killed.model_median, killed.model_high) == (5, 50, 95)


def test_history_prints_and_exports_the_casualties(capsys):
    assert main(["history", "--runs", "10", "--seed", "2", "--cases", "05", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = doc["cases"][0]["casualties"]
    assert {r["outcome"] for r in rows} == {"observed-killed-us", "observed-wounded-us",
                                           "observed-killed-insurgents",
                                           "observed-captured-insurgents"}
    for r in rows:
        assert r["model_low"] <= r["model_median"] <= r["model_high"]
        assert r["within_2x"] == (0.5 <= r["ratio"] <= 2)
    assert doc["casualty_scores"]["all"]["n"] == 4 == doc["casualty_scores"]["fit"]["n"]
    assert doc["casualty_scores"]["holdout"]["n"] == 0
    assert main(["history", "--runs", "10", "--seed", "2", "--cases", "05"]) == 0
    out = capsys.readouterr().out
    assert "Casualties on the reported day" in out and "Casualty scores" in out
