"""sim.experiments.compare and `geosim compare`: common random numbers, paired differences,
layout, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.errors import UsageError
from sim.experiments import compare as cmp

ROOT = Path(__file__).parent.parent
FRONT = ROOT / "tests" / "engine" / "front.yaml"
REFERENCE = ROOT / "scenarios" / "iraq-2014.yaml"

# Variants keep the uncertain facts' ranges (so the pairing of fact draws stays exact).
VARIANTS = """
variants:
  same:
    title: Same funds as the base
    set: {actors.gov.economy.funds: 100}
  weak-gov:
    title: Government morale at the low end
    set:
      actors.gov.forces.morale: {value: 0.32, low: 0.3, high: 0.34, assumption: true}
  strong-ally:
    title: Ally flies many more strikes
    set:
      relations.help.support.strikes.amount: {value: 60, low: 50, high: 70, assumption: true}
"""


@pytest.fixture(scope="module")
def front_variants(tmp_path_factory) -> Path:
    """A copy of tests/engine/front.yaml with three variants (the original is not edited)."""
    text = FRONT.read_text(encoding="utf-8").replace("\noutcomes:", VARIANTS + "outcomes:", 1)
    path = tmp_path_factory.mktemp("cmp") / "front.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def comparison(front_variants, tmp_path_factory) -> cmp.Comparison:
    out = tmp_path_factory.mktemp("cmp-out") / "c"
    return cmp.compare_variants(front_variants, ["same", "weak-gov", "strong-ally"], runs=300,
                                seed=11, workers=1, backend="serial", out=out)


def _diff(c: cmp.Comparison, variant: str, outcome: str) -> pd.Series:
    d = c.diffs
    return d[(d["variant"] == variant) & (d["outcome"] == outcome)].iloc[0]


def test_identical_variant_gives_exactly_zero_difference(comparison):
    d = comparison.diffs[comparison.diffs["variant"] == "same"]
    assert len(d) == 7 and (d["method"] == "paired").all()
    assert (d["diff"] == 0).all() and (d["lo"] == 0).all() and (d["hi"] == 0).all()
    assert not d["excludes_zero"].any()


def test_influential_variants_move_outcomes_the_expected_way(comparison):
    weak = _diff(comparison, "weak-gov", "capital_falls")
    assert weak["diff"] > 0 and weak["excludes_zero"] and weak["lo"] > 0
    ally = _diff(comparison, "strong-ally", "rebel_strength")
    assert ally["diff"] < 0 and ally["hi"] < 0


def test_paired_interval_is_tighter_than_the_arms_own(comparison):
    # Common random numbers: the difference's interval is narrower than either arm's interval.
    s = comparison.summaries["baseline"].set_index("outcome").loc["rebel_strength"]
    d = _diff(comparison, "strong-ally", "rebel_strength")
    arm_half = 1.96 * s["mcse"]
    assert (d["hi"] - d["lo"]) / 2 < arm_half


def test_folder_holds_one_results_folder_per_arm_and_a_manifest(comparison):
    folder = comparison.folder
    data = json.loads((folder / cmp.COMPARISON).read_text())
    assert [a["name"] for a in data["arms"]] == ["baseline", "same", "weak-gov", "strong-ally"]
    assert data["reference"] == "baseline" and data["runs"] == 300 and data["seed"] == 11
    assert len(data["differences"]) == 3 * 7
    for arm in data["arms"]:
        m = json.loads((folder / arm["folder"] / "manifest.json").read_text())
        assert m["variant"] == arm["variant"] and m["runs_completed"] == 300
    again = cmp.open_comparison(folder)
    pd.testing.assert_frame_equal(again.diffs, comparison.diffs)


def test_differences_are_paired_by_replication():
    a = pd.DataFrame({"rep": np.arange(5), "status": "ok", "out:x": [1.0, 5, 2, 8, 3]})
    b = a.assign(**{"out:x": a["out:x"] + 2})
    d = cmp.differences({"a": a, "b": b}, {"x": {"label": "X", "binary": False}}).iloc[0]
    assert d["method"] == "paired" and d["diff"] == pytest.approx(2)
    assert d["lo"] == pytest.approx(2) and d["hi"] == pytest.approx(2)  # no spread in pairs


def test_compare_files_runs_both_files(front_variants, tmp_path):
    other = tmp_path / "front-weak.yaml"
    other.write_text(f"extends: {front_variants}\nactors:\n  gov:\n    forces:\n"
                     "      morale: {value: 0.32, low: 0.3, high: 0.34}\n", encoding="utf-8")
    c = cmp.compare_files(front_variants, other, runs=100, seed=2, workers=1,
                          backend="serial", out=tmp_path / "c")
    assert [a.name for a in c.arms] == ["front", "front-weak"]
    assert _diff(c, "front-weak", "capital_falls")["diff"] > 0


def test_unknown_variant_names_the_allowed_ones(front_variants):
    with pytest.raises(UsageError, match=r"unknown variant 'nope' \(allowed: same, "
                                         r"strong-ally, weak-gov\)"):
        cmp.check_variants(front_variants, ["same", "nope"])


@pytest.mark.parametrize(("extra", "needle"), [
    (["--variants", "nope"], "allowed: same, strong-ally, weak-gov"),
    (["--variants", "same", "--runs", "1"], "--runs must be at least 2"),
    ([], "nothing to compare"),
    (["--variants", "same,,weak-gov"], "empty name"),
    (["--variants", "same", "--workers", "0"], "--workers must be at least 1"),
    (["--frobnicate"], "unrecognized arguments"),
])
def test_bad_flags_exit_2_with_one_line(capsys, front_variants, extra, needle):
    assert main(["compare", str(front_variants), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1


def test_file2_and_variants_together_is_an_error(capsys, front_variants):
    assert main(["compare", str(front_variants), str(FRONT), "--variants", "same"]) == 2
    assert "either FILE2 or --variants" in capsys.readouterr().err


def test_cli_end_to_end_on_the_reference_scenario(capsys, tmp_path):
    out = tmp_path / "cmp"
    assert main(["compare", str(REFERENCE), "--variants", "isis-strength-high",
                 "--runs", "20", "--days", "8", "--seed", "3", "--workers", "1",
                 "--backend", "serial", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "isis-strength-high vs baseline" in text and "ISIS holds Mosul" in text
    assert " pp [" in text  # the paired difference of a binary outcome, in points
    assert f"report: {out / 'report.html'}" in text
    html = (out / "report.html").read_text()
    assert "Variants against baseline" in html and "isis-strength-high" in html
    # What each variant is: its title and the values it changes; fans over time per variant.
    variants = html.split('<section id="variants">')[1].split("</section>")[0]
    assert "ISIS at the CIA&#x27;s September estimate" in variants
    assert "actors.isis.forces.reserve = " in variants and "the scenario as written" in variants
    over_time = html.split('<section id="over-time">')[1].split("</section>")[0]
    assert 'data-chart="fan-isis"' in over_time and "strength by variant" in over_time
    assert (out / "baseline" / "manifest.json").is_file()
