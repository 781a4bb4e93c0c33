"""geosim history: the scores against hand-computed values, the force-ratio baseline, the split,
the JSON document, and one case end to end (sim/experiments/history*.py)."""

from __future__ import annotations

import json
import math
import random
import shutil

import numpy as np
import pytest

from sim.cli import main
from sim.experiments import history
from sim.experiments import history_metrics as hm
from sim.model.combat_constants import load_constants
from sim.model.vectorised import combat_power
from sim.scenario.loader import load_scenario

# --------------------------------------------------------------------------------------------
# Scores, worked by hand
# --------------------------------------------------------------------------------------------


def test_brier_log_loss_and_hits_by_hand():
    p = [0.9, 0.2, 0.5]
    assert hm.brier(p) == pytest.approx((0.01 + 0.64 + 0.25) / 3)  # 0.3
    assert hm.log_loss(p, [100, 100, 100]) == pytest.approx(
        (-math.log(0.9) - math.log(0.2) - math.log(0.5)) / 3)  # 0.8026
    assert hm.hits(p) == 2  # 0.5 counts as a hit


def test_log_loss_clips_at_half_a_replication():
    assert hm.clipped(0.0, 200) == 0.0025 and hm.clipped(1.0, 200) == 0.9975
    assert hm.log_loss([0.0], [200]) == pytest.approx(-math.log(0.0025))  # 5.99, not 34.5
    assert hm.clipped(0.4, 200) == 0.4


@pytest.mark.parametrize(("model", "observed", "within"), [
    (9, 18, True), (8, 18, False), (36, 18, True), (37, 18, False),
    (math.inf, 18, False), (0, 1, True), (3, math.nan, False),
])
def test_within_a_factor_of_two(model, observed, within):
    assert hm.within_factor(model, observed) is within


def test_share_within_and_the_summary_of_three_cases():
    scores = hm.score([0.9, 0.2, 0.5], [100, 100, 100], [10, math.inf, 70], [9, 30, 30],
                      [1, 0, 0])
    assert scores.n == 3 and scores.hits == 2
    assert scores.within_2x == pytest.approx(1 / 3)  # 10 vs 9 only; 70 > 2 x 30
    assert scores.baseline_brier == pytest.approx(2 / 3) and scores.baseline_hits == 1
    assert scores.baseline_log_loss == pytest.approx(
        (-math.log(0.995) - 2 * math.log(0.005)) / 3)  # 0/1 clipped to 0.005/0.995
    assert scores.mean_p_observed == pytest.approx(1.6 / 3)
    assert math.isnan(scores.mean_p_within_2x)  # not given
    assert hm.score([0.5], [10], [3], [3], [1], [0.25]).mean_p_within_2x == 0.25
    assert hm.score([], [], [], [], []).n == 0


def test_share_of_runs_within_a_factor_of_two():
    days = np.array([1.0, 5.0, 10.0, 20.0, 21.0, math.inf])
    assert hm.share_of_runs_within(days, 10) == pytest.approx(3 / 6)  # 5, 10 and 20


def test_fall_days_are_the_first_change_into_the_side_s_hands():
    held = np.array([[0, 0, 1, 1], [1, 0, 0, 1], [1, 1, 1, 1], [0, 0, 0, 0]], bool)
    assert hm.fall_days(held).tolist() == [2, 3, math.inf, math.inf]
    assert hm.median_day(np.array([1.0, 2.0, math.inf])) == 2
    assert hm.median_day(np.array([1.0, math.inf, math.inf])) == math.inf


# --------------------------------------------------------------------------------------------
# The force-ratio baseline
# --------------------------------------------------------------------------------------------


def test_side_power_sums_personnel_times_readiness_quality_and_morale(tiny_path):
    """tiny.yaml: red (1,500 garrisoned + 2,000 reserve, readiness 0.7, quality 1.1, morale
    0.6) is at war with blue (800 + 500, morale 0.8); green cooperates with red only, so it is
    on neither of blue's sides."""
    sc = load_scenario(tiny_path)
    consts = load_constants()

    def factor(morale: float) -> float:
        return float(combat_power(1.0, 1.0, 1.0, morale, consts))

    blue, red = history.side_power(sc, ("blue",))
    assert blue == pytest.approx(1300 * factor(0.8))
    assert red == pytest.approx(3500 * 0.7 * 1.1 * factor(0.6))
    assert history.side_power(sc, ("red",)) == pytest.approx((red, blue))


def test_the_baseline_forecasts_the_stronger_side():
    case = history.load_case(history.LIBRARY / "05-fallujah.yaml")
    forecast, ratio = history.baseline_forecast(case)
    assert ratio > 1 and forecast == 1  # 13,350 coalition against ~3,000 insurgents


# --------------------------------------------------------------------------------------------
# The library and its split
# --------------------------------------------------------------------------------------------


def test_the_holdout_is_the_documented_seeded_draw():
    ids = sorted(f.stem for f in history.case_files())
    assert len(ids) == 10
    assert tuple(sorted(random.Random(history.SPLIT_SEED).sample(ids, 3))) == history.HOLDOUT


def test_cases_are_chosen_by_name_number_or_file_stem():
    files = history.case_files()
    assert [f.stem for f in history.select(files, ["kyiv", "03", "05-fallujah", "01"])] == [
        "01-kyiv", "03-kharkiv", "05-fallujah"]
    with pytest.raises(history.UsageError, match=r"--cases: no case 'nowhere' \(allowed: "
                                                 r"01-kyiv, 02-mariupol,"):
        history.select(files, ["nowhere"])


def test_load_case_reads_the_observed_outcome_and_day():
    case = history.load_case(history.LIBRARY / "02-mariupol.yaml")
    assert (case.outcome_id, case.observed, case.region, case.by) == (
        "observed", 1, "azovstal", ("russia",))
    assert case.observed_day == 79 and case.split == "fit"


# --------------------------------------------------------------------------------------------
# End to end through the CLI, on one small case with few runs
# --------------------------------------------------------------------------------------------


def test_json_document_for_one_case(capsys):
    assert main(["history", "--runs", "20", "--seed", "3", "--cases", "05", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc)[:2] == ["cases", "summary"]
    [case] = doc["cases"]
    assert list(case)[:4] == ["id", "p_observed", "days_model", "days_observed"]
    assert list(doc["summary"])[:6] == ["n", "hits", "brier", "log_loss", "within_2x",
                                        "baseline_brier"]
    p = case["p_observed"]
    assert case["id"] == "05-fallujah" and case["days_observed"] == 9 and case["runs"] == 20
    assert 0 <= p <= 1 and p * 20 == pytest.approx(round(p * 20))  # a count out of 20
    assert case["p_low"] <= p <= case["p_high"]
    assert case["days_model"] is None or case["days_model"] >= 1
    assert 0 <= case["p_within_2x"] <= 1
    s = doc["summary"]
    assert s["n"] == 1 and s["hits"] == int(p >= 0.5)
    assert s["brier"] == pytest.approx((1 - p) ** 2)
    assert s["baseline_brier"] == (1 - case["baseline"]) ** 2
    assert doc["splits"]["fit"]["n"] == 1 and doc["splits"]["holdout"]["n"] == 0
    # Same seed, same answer.
    assert main(["history", "--runs", "20", "--seed", "3", "--cases", "05", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cases"] == doc["cases"]


def test_table_output(capsys):
    assert main(["history", "--runs", "10", "--cases", "fallujah"]) == 0
    out = capsys.readouterr().out
    assert "05-fallujah" in out and "fit" in out and "Scores" in out and "baseline" in out


def test_bad_flags_and_bad_cases_give_one_line(tmp_path, tiny_path, capsys):
    assert main(["history", "--runs", "0"]) == 2
    assert "--runs must be at least 1 (got 0)" in capsys.readouterr().err
    assert main(["history", "--cases", "atlantis"]) == 2
    assert "--cases: no case 'atlantis'" in capsys.readouterr().err
    shutil.copy(tiny_path, tmp_path / "01-tiny.yaml")
    assert main(["history", "--dir", str(tmp_path), "--runs", "5"]) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith("outcomes: a history case needs exactly one outcome of kind "
                                "control whose id starts with 'observed' and that gives "
                                "`observed` (got 0 binary ones)")
    assert main(["history", "--dir", str(tmp_path / "none")]) == 2
    assert "no such folder of history scenarios" in capsys.readouterr().err


def test_every_option_of_the_command_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "validation.md").read_text()
    assert "geosim history [--runs N] [--seed S] [--json] [--cases CASE...] [--dir DIR]" in doc
    for key in ("p_observed", "days_model", "days_observed", "within_2x", "baseline_brier",
                "08-grozny", "09-debaltseve", "10-mali", "random.Random(11)"):
        assert key in doc, key
