"""Calibration: metrics, CDB90 reading, fitting, and `geosim backtest` end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration import metrics
from sim.calibration.backtest import run_backtest, stratified_folds
from sim.calibration.cdb90 import DataError, file_sha256, read_cdb90, terrain_class
from sim.calibration.fit import fit_losses, fit_win
from sim.cli import main
from sim.model.combat_constants import POSTURE_CODES, TERRAIN_CODES, load_constants

CDB90_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cdb90"
CDB90_CSV = CDB90_DIR / "CDB90-patched.csv"
needs_cdb90 = pytest.mark.skipif(
    not CDB90_CSV.is_file(), reason=f"CDB90 data not found at {CDB90_CSV}"
)
MODELS = {"geosim", "base_rate", "log_ratio_logistic"}
SCORES = {"accuracy", "brier", "log_loss", "auc", "n"}


# ----------------------------------------------------------------------------- metrics


def test_metrics_against_hand_computed_values():
    y = [1, 0, 1, 0]
    p = [0.9, 0.2, 0.6, 0.7]
    assert metrics.accuracy(y, p) == pytest.approx(0.75)
    assert metrics.brier(y, p) == pytest.approx((0.01 + 0.04 + 0.16 + 0.49) / 4)
    expected_ll = -(math.log(0.9) + math.log(0.8) + math.log(0.6) + math.log(0.3)) / 4
    assert metrics.log_loss(y, p) == pytest.approx(expected_ll)
    # Pairs (positive, negative): (.9,.2) (.9,.7) (.6,.2) ranked right, (.6,.7) wrong.
    assert metrics.roc_auc(y, p) == pytest.approx(0.75)


def test_auc_ties_and_degenerate_cases():
    assert metrics.roc_auc([1, 0], [0.5, 0.5]) == pytest.approx(0.5)
    # One tie among four pairs: (1 + 1 + 1 + 0.5) / 4.
    assert metrics.roc_auc([1, 1, 0, 0], [0.8, 0.4, 0.4, 0.1]) == pytest.approx(0.875)
    assert math.isnan(metrics.roc_auc([1, 1], [0.2, 0.3]))
    assert metrics.log_loss([1], [0.0]) < 40  # clipped, finite
    with pytest.raises(ValueError, match="one length"):
        metrics.brier([1, 0], [0.5])


def test_stratified_folds_balance_classes():
    y = np.array([1] * 63 + [0] * 37)
    folds = stratified_folds(y, 10, seed=1)
    for f in range(10):
        assert abs((y[folds == f] == 1).sum() - 6.3) <= 1
    assert np.array_equal(folds, stratified_folds(y, 10, seed=1))


# ----------------------------------------------------------------------------- reading


def test_terrain_code_mapping():
    assert terrain_class("RM0") == "open"
    assert terrain_class("FB0") == "open"
    assert terrain_class("GM0") == "rough"
    assert terrain_class("GW0") == "forest"
    assert terrain_class("FD0") == "desert"
    assert terrain_class("RBD") == "desert"  # dunes
    assert terrain_class("00U") == "urban"
    assert terrain_class("FWM") == "marsh"
    assert terrain_class("000") is None


def synthetic_battles(n: int, seed: int = 0) -> pd.DataFrame:
    """Battles in CDB90 column format drawn from a known model (surprise and ratio matter)."""
    rng = np.random.default_rng(seed)
    stra = rng.integers(1000, 50000, n)
    strd = rng.integers(1000, 50000, n)
    surpa = rng.integers(-3, 4, n)
    post = rng.choice(["HD", "PD", "FD"], n)
    z = 0.8 * np.log(stra / strd) + 0.7 * surpa - 1.0 * (post == "FD")
    wina = np.where(rng.random(n) < 1 / (1 + np.exp(-z)), 1, -1)
    day = rng.integers(1, 20, n)
    return pd.DataFrame(
        {
            "ISQNO": np.arange(1, n + 1),
            "POST1": post,
            "POST2": "OO",
            "TERRA1": rng.choice(["RM0", "GM0", "GW0", "00U"], n),
            "TERRA2": "000",
            "SURPA": surpa,
            "AEROA": rng.choice([-1, 0, 1, 9], n),
            "STRA": stra,
            "CASA": (stra * rng.uniform(0.01, 0.2, n)).astype(int),
            "STRD": strd,
            "CASD": (strd * rng.uniform(0.01, 0.3, n)).astype(int),
            "WINA": wina,
            "PRIA1": rng.choice(["FF", "RC", "EE"], n),
            "ATPBYR1": 1944,
            "ATPBMN1": 6,
            "ATPBDA1": day,
            "ATPEYR1": 1944,
            "ATPEMN1": 6,
            "ATPEDA1": day + rng.integers(0, 5, n),
            "CEA": 9,  # an after-the-fact rating: present but must be ignored
        }
    )


def test_read_maps_codes_and_drops_draws(tmp_path):
    df = synthetic_battles(40)
    df.loc[0, "WINA"] = 0
    df.loc[1, "WINA"] = -9
    df.loc[2, "STRD"] = -1
    df.loc[3, ["POST1", "POST2", "TERRA1", "PRIA1", "SURPA", "AEROA"]] = [
        "WD",
        "FD",
        "GW0",
        "RC",
        -2,
        9,
    ]
    df.loc[3, ["ATPBDA1", "ATPEDA1"]] = [5, 7]
    path = tmp_path / "b.csv"
    df.to_csv(path, index=False)
    b = read_cdb90(path)
    assert b.n == 37 and b.n_rows == 40
    assert b.dropped == {"draw": 1, "outcome unknown": 1, "strength missing": 1}
    row = b.frame.iloc[0]  # the old row 3
    assert row["posture"] == POSTURE_CODES["fortified"]  # WD is no defence: POST2 is used
    assert row["terrain"] == TERRAIN_CODES["forest"]
    assert bool(row["river"]) and row["air"] == 0.0
    assert row["surprise"] == pytest.approx(-2 / 3)
    assert row["days"] == 3
    assert row["log_ratio"] == pytest.approx(np.log(df.loc[3, "STRA"] / df.loc[3, "STRD"]))
    assert "CEA" not in b.frame.columns
    assert b.sha256 == file_sha256(path)


def test_fit_recovers_signs_of_a_known_model():
    df = synthetic_battles(3000, seed=3)
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.csv"
        df.to_csv(path, index=False)
        frame = read_cdb90(path).frame
    win = fit_win(frame)
    assert win["ratio_slope"] == pytest.approx(0.8, abs=0.15)
    assert win["surprise_coef"] == pytest.approx(0.7 * 3, abs=0.4)
    assert win["posture_effect"][2] == pytest.approx(-1.0, abs=0.3)
    assert abs(win["air_coef"]) < 0.3  # air did not matter in the generating model
    losses, n = fit_losses(frame)
    assert n == 3000 and losses["att_loss_sigma"] > 0


@needs_cdb90
def test_reads_cdb90_and_drops_draws():
    raw = pd.read_csv(CDB90_CSV, low_memory=False)
    b = read_cdb90(CDB90_CSV)
    assert b.n_rows == len(raw)
    assert b.dropped["draw"] == int((raw["WINA"] == 0).sum())
    assert b.n == int(((raw["WINA"].abs() == 1) & (raw["STRA"] > 0) & (raw["STRD"] > 0)).sum())
    assert b.frame["won"].mean() == pytest.approx((raw["WINA"] == 1).sum() / b.n, abs=0.01)
    assert b.frame["days"].min() >= 1 and b.frame["river"].any()


@needs_cdb90
def test_shipped_constants_were_fitted_on_cdb90_and_beat_chance():
    consts = load_constants()
    assert consts.provenance["data_sha256"] == file_sha256(CDB90_CSV)
    report = run_backtest(CDB90_CSV)
    assert report.geosim_sample == "in-sample"
    assert report.scores["geosim"]["auc"] > 0.5


# ----------------------------------------------------------------------------- CLI


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["backtest", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_backtest_json_on_an_unseen_file(tmp_path, capsys):
    path = tmp_path / "unseen.csv"
    synthetic_battles(80, seed=5).to_csv(path, index=False)
    code, out, err = run_cli(capsys, path, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert set(result) == MODELS
    for s in result.values():
        assert set(s) == SCORES and s["n"] == 80
        assert 0 <= s["accuracy"] <= 1 and 0 <= s["brier"] <= 1


def test_backtest_fit_writes_constants_with_provenance(tmp_path, capsys):
    path = tmp_path / "unseen.csv"
    synthetic_battles(120, seed=6).to_csv(path, index=False)
    out_json = tmp_path / "consts.json"
    code, out, err = run_cli(capsys, path, "--json", "--fit", "--constants-out", out_json)
    assert code == 0, err
    assert set(json.loads(out)) == MODELS | {"geosim_cv"}
    consts = load_constants(out_json)
    assert consts.provenance["data_sha256"] == file_sha256(path)
    assert consts.provenance["n"] == 120 and "fitted" in consts.provenance
    assert run_backtest(path, constants=out_json).geosim_sample == "in-sample"
    other = tmp_path / "other.csv"
    synthetic_battles(30, seed=7).to_csv(other, index=False)
    assert run_backtest(other, constants=out_json).geosim_sample == "out-of-sample"


def test_backtest_table_says_in_or_out_of_sample(tmp_path, capsys):
    path = tmp_path / "unseen.csv"
    synthetic_battles(40, seed=8).to_csv(path, index=False)
    code, out, _ = run_cli(capsys, path)
    assert code == 0
    assert "geosim (out-of-sample)" in out and "base rate" in out


@needs_cdb90
def test_backtest_on_a_cdb90_subset(tmp_path, capsys):
    raw = pd.read_csv(CDB90_CSV, low_memory=False)
    path = tmp_path / "subset.csv"
    raw.iloc[::3].to_csv(path, index=False)
    code, out, err = run_cli(capsys, path, "--json")
    assert code == 0, err
    assert set(json.loads(out)) == MODELS


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such file"),
        ("STRA,STRD\n1,2\n", "missing CDB90 columns: WINA"),
        ("", "not a readable CSV"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_text(content)
    code, out, err = run_cli(capsys, path)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_file_without_usable_battles_exits_2(tmp_path, capsys):
    df = synthetic_battles(10)
    df["WINA"] = 0
    path = tmp_path / "draws.csv"
    df.to_csv(path, index=False)
    code, _, err = run_cli(capsys, path, "--json")
    assert code == 2 and "no usable battle" in err
    with pytest.raises(DataError):
        read_cdb90(path)


def test_constants_out_without_fit_is_a_usage_error(tmp_path, capsys):
    path = tmp_path / "b.csv"
    synthetic_battles(20).to_csv(path, index=False)
    code, _, err = run_cli(capsys, path, "--constants-out", tmp_path / "c.json")
    assert code == 2 and "--fit" in err
