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


def test_default_folder_is_a_fresh_temporary_one():
    ens = api.run_ensemble(REFERENCE, runs=4, seed=1, days=3)
    try:
        assert ens.path.is_dir() and len(ens.runs) == 4
    finally:
        import shutil

        shutil.rmtree(ens.path)
