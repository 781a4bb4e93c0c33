"""sim.experiments.sensitivity and `geosim sensitivity`: fixing facts, tornado, Sobol/rank
indices, PRIM."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.errors import UsageError
from sim.experiments import sensitivity as sens
from sim.model.compile import compile_scenario
from sim.model.engine import simulate
from sim.scenario.loader import load

ROOT = Path(__file__).parent.parent
FRONT = ROOT / "tests" / "engine" / "front.yaml"
REFERENCE = ROOT / "scenarios" / "iraq-2014.yaml"
MORALE = "actors.gov.forces.morale"


@pytest.fixture(scope="module")
def front():
    return load(FRONT).scenario


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> sens.Sensitivity:
    out = tmp_path_factory.mktemp("sens") / "s"
    return sens.run_sensitivity(str(FRONT), runs=300, seed=4, method="spearman", workers=1,
                                oat_reps=60, out=out, backend="serial",
                                outcomes=["capital_falls", "gov_losses"])


def test_rewriting_nothing_reproduces_the_engine(front):
    reps = np.arange(7, 27)
    ref = simulate(front, reps, 5).runs
    got = sens.run_rewritten(front, reps, 5, None, lambda s: s)
    pd.testing.assert_frame_equal(got, ref[got.columns])


def test_fixing_one_fact_keeps_the_other_draws(front):
    facts = compile_scenario(front).uncertain
    j = [f.id for f in facts].index(MORALE)
    reps = np.arange(30)
    ref = simulate(front, reps, 5).runs
    got = sens.OatBatch(30, ((-1, np.nan), (j, 0.3)))(front, reps + 30, 5).runs
    assert (got[f"fact:{MORALE}"] == 0.3).all()
    others = [f"fact:{f.id}" for f in facts if f.id != MORALE]
    np.testing.assert_array_equal(got[others].to_numpy(), ref[others].to_numpy())
    assert got["setting"].eq(1).all() and got["inner"].tolist() == list(range(30))


def test_tornado_has_a_row_per_fact_and_outcome_sorted_by_swing(result):
    t = result.tornado
    assert len(t) == 5 * 2
    for _, d in t.groupby("outcome"):
        swings = d["swing"].abs().to_numpy()
        assert (np.diff(swings) <= 0).all()
        assert set(d["fact"]) == {f.id for f in compile_scenario(load(FRONT).scenario).uncertain}
    assert list(dict.fromkeys(t["outcome"])) == ["capital_falls", "gov_losses"]


def test_higher_government_morale_lowers_the_chance_the_capital_falls(result):
    row = result.tornado.query("outcome == 'capital_falls' and fact == @MORALE").iloc[0]
    assert row["low_value"] == 0.3 and row["high_value"] == 0.7
    assert row["out_high"] < row["out_low"] and row["swing_hi"] < 0
    assert 0 <= row["baseline"] <= 1


def test_tornado_table_from_known_runs():
    facts = compile_scenario(load(FRONT).scenario).uncertain[:2]
    vals = {0: 1.0, 1: 0.0, 2: 4.0, 3: 2.0, 4: 1.0}  # setting -> outcome value
    runs = pd.DataFrame([{"setting": s, "inner": i, "rep": s * 3 + i, "status": "ok",
                          "out:y": v + 0.1 * i} for s, v in vals.items() for i in range(3)])
    t = sens.tornado_table(runs, facts, ["y"])
    assert t["fact"].tolist() == [facts[0].id, facts[1].id]  # swing 4 before swing -1
    assert t["swing"].tolist() == pytest.approx([4.0, -1.0])
    assert t["baseline"].iloc[0] == pytest.approx(1.1)
    assert t["swing_lo"].iloc[0] == pytest.approx(4.0)  # identical paired differences


def test_global_spearman_ranks_the_governments_morale_and_readiness_first_for_the_capital(
        result):
    # The government's morale and readiness enter its combat power alike (formulas.
    # combat_power); at 300 runs their indices agree within the interval (0.28 and 0.29,
    # +-0.10), so either may rank first; both lower the chance the capital falls.
    idx = result.indices[result.indices["outcome"] == "capital_falls"]
    top = idx.iloc[:2]
    assert set(top["fact"]) == {MORALE, "actors.gov.forces.readiness"}
    assert (top["signed"] < 0).all()
    assert (idx["index"].iloc[2:] <= top["index"].min()).all()
    assert ((idx["index"] >= 0) & (idx["index"] <= 1)).all()
    assert result.method == "spearman" and result.evaluations == {"oat": 11 * 60, "global": 300}


def test_outputs_are_results_folders(result):
    m = json.loads((result.folder / "sample" / "manifest.json").read_text())
    assert m["design"] == "lhs" and m["runs_completed"] == 300
    assert (result.folder / "oat" / "manifest.json").is_file()


def test_sobol_toy_case_ranks_the_dominant_input_first():
    d, n = 4, 256
    u = sens.saltelli_unit(n, d, 3)
    assert u.shape == (n * (d + 2), d)
    y = 6 * u[:, 0] + 2 * u[:, 1] ** 2 + 0.5 * u[:, 0] * u[:, 2]
    idx = sens.sobol_indices(y, d, ["a", "b", "c", "dummy"], seed=1)
    assert idx.sort_values("index", ascending=False)["fact"].iloc[0] == "a"
    st = idx.set_index("fact")["index"]
    assert 0.7 < st["a"] < 1.1 and st["dummy"] == pytest.approx(0, abs=0.02)
    assert (idx["s1"] <= idx["index"] + idx["index_conf"]).all()


def test_sobol_of_a_constant_output_is_zero():
    idx = sens.sobol_indices(np.ones(6 * 8), 4, list("abcd"))
    assert (idx["index"] == 0).all()


def test_sobol_end_to_end_counts_n_times_d_plus_2(tmp_path):
    res = sens.run_sensitivity(str(FRONT), runs=60, seed=2, method="sobol", workers=1,
                               oat_reps=0, out=tmp_path / "s", backend="serial",
                               outcomes=["gov_losses"])
    assert res.evaluations == {"global": 8 * 7} and res.tornado.empty
    sample = pd.read_parquet(tmp_path / "s" / "sample" / "runs")
    # Rows of one Saltelli block share the block's random numbers.
    assert sample.groupby("block").size().eq(7).all()
    assert len(res.indices) == 5 and res.indices["method"].eq("sobol ST").all()


@pytest.mark.parametrize("method", ["spearman", "src"])
def test_rank_indices_find_a_monotone_driver(method):
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.uniform(size=(400, 3)), columns=["a", "b", "c"])
    y = np.exp(3 * x["a"]) - x["b"] + rng.normal(0, 0.1, 400)
    idx = sens.rank_indices(x, y, method).set_index("fact")
    assert idx["index"].idxmax() == "a" and idx.loc["a", "signed"] > 0.7
    assert idx.loc["b", "signed"] < 0 and abs(idx.loc["c", "signed"]) < 0.15


def test_choose_method():
    assert sens.choose_method("auto", 1000, 116) == ("spearman", 8)
    assert sens.choose_method("auto", 64 * 7, 5) == ("sobol", 64)
    with pytest.raises(UsageError, match="needs --runs >= 56"):
        sens.choose_method("sobol", 50, 5)


def test_prim_finds_a_known_box():
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.uniform(size=(2000, 4)), columns=["a", "b", "c", "d"])
    y = ((x["a"] > 0.6) & (x["b"] < 0.3)).to_numpy()
    box = sens.prim_box(x, y, "toy")
    assert box is not None and box.density > 0.9 and box.coverage >= 0.5
    lims = {f: (lo, hi) for f, lo, hi in box.limits}
    assert set(lims) == {"a", "b"}
    assert lims["a"][0] == pytest.approx(0.6, abs=0.05) and lims["a"][1] is None
    assert lims["b"][1] == pytest.approx(0.3, abs=0.05) and lims["b"][0] is None
    assert box.text().startswith("toy = 1: ") and "a > 0.6" in box.text()
    assert sens.prim_box(x, np.zeros(2000, bool), "never") is None


def test_prim_target_thresholds_quantities():
    y, target = sens.prim_target(np.array([1.0, 2, 3, 4]), binary=False)
    assert y.tolist() == [False, False, True, True] and "(median)" in target
    y, target = sens.prim_target(np.array([1.0, 2, 3, 4]), binary=False, threshold=3.5)
    assert y.tolist() == [False, False, False, True] and target == "> 3.5"


@pytest.mark.parametrize(("extra", "needle"), [
    (["--runs", "5"], "--runs must be at least 10"),
    (["--method", "magic"], "invalid choice"),
    (["--outcomes", "nope"], "unknown outcome 'nope' (allowed: capital_falls"),
    (["--threshold", "gov_losses"], "--threshold expects ID=VALUE"),
    (["--oat-reps", "-1"], "--oat-reps must be at least 0"),
    (["--method", "sobol", "--runs", "20"], "--method sobol needs --runs >= 56"),
    (["--variant", "nope"], "unknown variant"),
])
def test_bad_flags_exit_2_with_one_line(capsys, tmp_path, extra, needle):
    argv = ["sensitivity", str(FRONT), "--runs", "40", "--out", str(tmp_path / "s"), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1


def test_cli_end_to_end_on_the_reference_scenario(capsys, tmp_path):
    out = tmp_path / "s"
    assert main(["sensitivity", str(REFERENCE), "--runs", "60", "--days", "6", "--seed", "2",
                 "--oat-reps", "2", "--method", "spearman", "--workers", "1",
                 "--backend", "serial", "--outcomes", "isis_territory,isis_strength",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Spearman rank correlations" in text and "PRIM scenario discovery" in text
    assert "isis_territory: ISIS share of strategic value held" in text
    assert f"report: {out / 'report.html'}" in text
    tornado = pd.read_csv(out / "tornado.csv")
    n_facts = len(compile_scenario(load(REFERENCE).scenario).uncertain)
    assert len(tornado) == 2 * n_facts
    html = (out / "report.html").read_text()
    assert "One-at-a-time sweep" in html and "Scenario discovery (PRIM)" in html


def test_discover_peels_only_over_the_screened_facts():
    facts = compile_scenario(load(FRONT).scenario).uncertain
    rng = np.random.default_rng(2)
    runs = pd.DataFrame({f"fact:{f.id}": rng.uniform(size=1500) for f in facts})
    runs["status"] = "ok"
    runs["out:y"] = (runs[f"fact:{facts[0].id}"] > 0.5).astype(float)
    # The screen keeps facts[1] and facts[2] only, so the true driver cannot appear in the box.
    indices = pd.DataFrame({"outcome": "y", "fact": [f.id for f in facts],
                            "index": [0.0, 0.9, 0.8, 0.1, 0.05]})
    spec = {"y": {"binary": True}}
    screened = sens.discover(runs, facts, spec, indices=indices, screen=2)
    assert all(f in {facts[1].id, facts[2].id} for f, _, _ in screened[0].limits)
    full = sens.discover(runs, facts, spec)
    assert [f for f, _, _ in full[0].limits] == [facts[0].id] and full[0].density > 0.95


def _tornado(rows):
    return pd.DataFrame(rows, columns=["outcome", "fact", "swing", "swing_lo", "swing_hi"])


def _indices(rows):
    return pd.DataFrame(rows, columns=["outcome", "fact", "index", "index_conf", "signed",
                                       "s1", "method"])


def test_noise_warning_only_for_outcomes_whose_every_estimate_is_noise():
    from sim.experiments.sensitivity_stats import noise_warnings

    tornado = _tornado([("noisy", "a", -0.05, -0.155, 0.055), ("noisy", "b", 0.01, -0.1, 0.12),
                        ("clear", "a", 0.3, 0.2, 0.4), ("clear", "b", 0.0, -0.1, 0.1)])
    indices = _indices([("noisy", "a", 0.04, 0.044, 0.04, np.nan, "|Spearman rho|"),
                        ("clear", "a", 0.5, 0.05, 0.5, np.nan, "|Spearman rho|")])
    w = noise_warnings(tornado, indices, ["noisy", "clear"])
    assert list(w) == ["noisy"]
    assert w["noisy"].startswith("warning: noisy: every estimate is indistinguishable")
    assert "a, is -0.05 with 95% interval [-0.155, +0.055]" in w["noisy"]
    assert "more --runs" in w["noisy"] and len(w["noisy"].splitlines()) == 1
    # A global index whose interval excludes 0 is a real estimate: no warning.
    real = _indices([("noisy", "a", 0.3, 0.1, 0.3, np.nan, "|Spearman rho|")])
    assert noise_warnings(tornado, real, ["noisy"]) == {}


def test_one_ranking_rank_column_follows_the_row_order():
    from types import SimpleNamespace

    from sim.commands.sensitivity import _rows, ranking_table

    # b has the largest swing but it is noise; a and c are real: c, a (by size), then b.
    tornado = _tornado([("o", "a", 0.1, 0.05, 0.15), ("o", "b", -0.3, -0.7, 0.1),
                        ("o", "c", 0.2, 0.1, 0.3)]).assign(
        low_value=0.0, high_value=1.0, out_low=0.2, out_high=0.4)
    indices = _indices([("o", f, i, 0.01, i, np.nan, "|Spearman rho|")
                        for f, i in (("a", 0.5), ("b", 0.1), ("c", 0.2))])
    res = SimpleNamespace(tornado=tornado, indices=indices, method="spearman",
                          outcomes={"o": {"binary": True, "label": "O"}})
    rows = _rows(res, "o")
    assert [r["fact"] for r in rows] == ["c", "a", "b"]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    table = ranking_table(res, "o")
    cells = {c.header: list(c._cells) for c in table.columns}
    assert cells["fact"] == ["c", "a", "b"] and cells["rank"] == ["1", "2", "3"]
    # Without the sweep the global index alone ranks (a, c, b), still one order.
    res.tornado = tornado.iloc[:0]
    assert [(r["fact"], r["rank"]) for r in _rows(res, "o")] == [("a", 1), ("c", 2), ("b", 3)]


def test_prim_needs_thirty_cases_on_each_side():
    from sim.experiments.discovery import MIN_CASES

    assert MIN_CASES == 30
    rng = np.random.default_rng(2)
    x = pd.DataFrame(rng.uniform(size=(600, 2)), columns=["a", "b"])
    order = np.argsort(-x["a"].to_numpy())  # the runs with the largest a are the cases
    for cases, found in ((MIN_CASES - 1, False), (MIN_CASES, True)):
        y = np.zeros(600, bool)
        y[order[:cases]] = True
        box = sens.prim_box(x, y, "rare")
        assert (box is not None) == found, cases
        # The rule counts the rarer side: 29 runs where it does not happen are as few.
        assert (sens.prim_box(x, ~y, "common") is not None) == found, cases
