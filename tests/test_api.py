"""sim.api: the notebook entry points, on the real engine."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from sim import api
from sim.errors import ScenarioError, UsageError
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
# GEOSIM_TEST_SCENARIO points the end-to-end tests at another scenario file (development aid).
REFERENCE = Path(os.environ.get("GEOSIM_TEST_SCENARIO", ROOT / "scenarios" / "iraq-2014.yaml"))


def test_load_scenario_returns_a_validated_scenario():
    sc = api.load_scenario(REFERENCE)
    assert isinstance(sc, Scenario) and sc.outcomes
    with pytest.raises(ScenarioError, match="unknown variant"):
        api.load_scenario(REFERENCE, variant="no-such-variant")


def test_run_ensemble_from_a_file_gives_tables_summary_and_folder(tmp_path):
    ens = api.run_ensemble(REFERENCE, runs=16, seed=3, days=8, out=tmp_path / "o")
    assert ens.path == tmp_path / "o" and (ens.path / "manifest.json").is_file()
    assert ens.runs["rep"].tolist() == list(range(16))
    assert set(ens.series) == {"strength", "territory", "control"}
    assert ens.series["control"]["day"].max() == 8
    table = ens.summary()
    sc = api.load_scenario(REFERENCE)
    assert table["outcome"].tolist() == list(sc.outcomes)
    assert (table["n"] == 16).all()
    binary = table[table["binary"]]
    assert ((binary["p_lo"] <= binary["p"]) & (binary["p"] <= binary["p_hi"])).all()
    again = api.Ensemble.open(ens.path)
    pd.testing.assert_frame_equal(again.runs, ens.runs)


def test_a_scenario_object_gives_the_same_numbers_as_its_file(tmp_path):
    sc = api.load_scenario(REFERENCE)
    from_file = api.run_ensemble(REFERENCE, runs=10, seed=5, days=6, out=tmp_path / "f")
    from_obj = api.run_ensemble(sc, runs=10, seed=5, days=6, out=tmp_path / "o")
    pd.testing.assert_frame_equal(from_file.runs, from_obj.runs)
    assert from_obj.manifest["scenario_file"] is None and from_obj.manifest["scenario_sha256"]
    with pytest.raises(UsageError, match="variant applies to a scenario file"):
        api.run_ensemble(sc, runs=2, variant="x")


def test_run_options_are_keywords_and_a_misspelt_one_is_refused(tmp_path):
    assert api.RunOptions(workers=2).backend == "local"
    with pytest.raises(TypeError, match="worker"):
        api.run_ensemble(REFERENCE, runs=2, worker=2, out=tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_default_folder_is_under_results_like_the_cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ens = api.run_ensemble(REFERENCE, runs=4, seed=1, days=3, backend="serial")
    assert ens.path.parent == Path("results") / "iraq-2014" and len(ens.runs) == 4
    assert ens.manifest["workers"] >= 1


def test_control_series_holds_actor_ids_and_plots_are_the_reports(tmp_path):
    ens = api.run_ensemble(REFERENCE, runs=6, seed=2, days=4, out=tmp_path / "o",
                           backend="serial")
    sc = api.load_scenario(REFERENCE)
    control = ens.series["control"]
    held = set(control[list(sc.regions)].stack().dropna().unique())
    assert held and held <= set(sc.actors)  # ids, not integer codes
    from sim.analysis.report import write_report

    page = write_report(ens.path).read_text(encoding="utf-8")
    fig = ens.plot.outcomes()
    assert fig.to_plotly_json()["data"][0]["x"] is not None
    assert 'data-chart="outcomes"' in page and "control-map" in ens.plot.names()
    assert ens.plot.control_map().layout.geo.projection.type == "mercator"


def test_run_ensemble_uses_every_core_by_default(monkeypatch, tmp_path):
    from sim.experiments import ensemble

    seen = {}

    def backend(name, workers, scheduler=None):
        seen.update(name=name, workers=workers)
        return object()

    monkeypatch.setattr(os, "cpu_count", lambda: 7)
    monkeypatch.setattr(ensemble, "make_backend", backend)
    monkeypatch.setattr(ensemble, "run", lambda *a, **k: None)
    monkeypatch.setattr(api.Ensemble, "open", classmethod(lambda cls, folder: folder))
    assert api.run_ensemble(REFERENCE, runs=2, out=tmp_path / "o") == tmp_path / "o"
    assert seen == {"name": "local", "workers": 7}  # os.cpu_count(), not one
    api.run_ensemble(REFERENCE, runs=2, out=tmp_path / "o", workers=3)
    assert seen["workers"] == 3
