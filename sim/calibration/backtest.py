"""Backtest the combat rule on a file of historical battles against simple baselines.

Models scored (see docs/model.md, "Calibration"):

* ``geosim``: the combat rule with the given (default: shipped) constants, on every battle.
  In-sample when the file is the one the constants were fitted on (same sha256).
* ``geosim_cv`` (with ``fit=True``): the whole fit procedure under stratified 10-fold CV.
* ``base_rate``: always the training folds' share of attacker wins (CV).
* ``log_ratio_logistic``: logistic regression on ln(STRA/STRD) alone (CV).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.calibration import fit as fitmod
from sim.calibration.cdb90 import Battles, read_cdb90
from sim.calibration.metrics import score
from sim.model.combat_constants import CombatConstants, load_constants, save_constants
from sim.model.vectorised import combat_power, win_probability

if TYPE_CHECKING:
    import pandas as pd

K_FOLDS = 10
SEED = 20260101
"""Fixed seed of the fold assignment, so figures are reproducible."""
BASELINE_RIDGE = 1e-3
"""Near-unpenalised ratio-only logistic regression (the penalty only keeps it finite)."""

Predictor = Callable[["pd.DataFrame", "pd.DataFrame"], np.ndarray]


@dataclass(frozen=True)
class BacktestReport:
    """Scores per model and what they were computed on."""

    scores: dict[str, dict[str, float | int]]
    battles: Battles
    geosim_sample: str
    """"in-sample" when the constants were fitted on this very file, else "out-of-sample"."""
    constants_written: Path | None = None
    notes: list[str] = field(default_factory=list)


def stratified_folds(y: np.ndarray, k: int = K_FOLDS, seed: int = SEED) -> np.ndarray:
    """Fold index (0..k-1) of each case, each class spread evenly over the folds."""
    rng = np.random.default_rng(seed)
    folds = np.empty(len(y), dtype=np.int64)
    offset = 0
    for cls in np.unique(y):
        idx = np.flatnonzero(y == cls)
        rng.shuffle(idx)
        # Continue the round-robin across classes so small files still fill every fold.
        folds[idx] = (np.arange(len(idx)) + offset) % k
        offset += len(idx)
    return folds


def cross_val_predict(frame: pd.DataFrame, predictor: Predictor, k: int) -> np.ndarray:
    """Out-of-fold predictions: each battle predicted by a model fitted without its fold."""
    y = frame["won"].to_numpy()
    folds = stratified_folds(y, k)
    p = np.full(len(frame), np.nan)
    for f in range(k):
        test = folds == f
        if test.any():
            p[test] = predictor(frame[~test], frame[test])
    return p


def base_rate(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    return np.full(len(test), float(train["won"].mean()))


def log_ratio_logistic(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    def design(f: pd.DataFrame) -> np.ndarray:
        return np.column_stack([np.ones(len(f)), f["log_ratio"].to_numpy()])

    w = fitmod.fit_logistic(design(train), train["won"].to_numpy(), BASELINE_RIDGE)
    return fitmod.predict_logistic(design(test), w)


def geosim_predict(frame: pd.DataFrame, consts: CombatConstants) -> np.ndarray:
    """The combat rule's P(attacker wins); readiness, quality and morale are unknown: neutral."""
    att = combat_power(frame["att_str"].to_numpy(), 1.0, 1.0, consts.morale_neutral, consts)
    dfd = combat_power(frame["def_str"].to_numpy(), 1.0, 1.0, consts.morale_neutral, consts)
    return win_probability(
        att,
        dfd,
        frame["posture"].to_numpy(),
        frame["terrain"].to_numpy(),
        frame["river"].to_numpy(),
        frame["air"].to_numpy(),
        frame["surprise"].to_numpy(),
        consts,
    )


def geosim_refit(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    consts = dataclasses.replace(CombatConstants(), **fitmod.fit_win(train))
    return geosim_predict(test, consts)


def run_backtest(
    csv: str | Path,
    fit: bool = False,
    constants: str | Path | None = None,
    constants_out: str | Path | None = None,
) -> BacktestReport:
    """Score geosim and the baselines on ``csv``; with ``fit``, refit and save the constants.

    Raises:
        DataError: the file is missing, unreadable, lacks columns or has no usable battle.
    """
    battles = read_cdb90(csv)
    frame = battles.frame
    y = frame["won"].to_numpy()
    k = min(K_FOLDS, len(frame))
    scores: dict[str, dict[str, Any]] = {}
    notes = [f"{battles.n} battles used of {battles.n_rows} rows; dropped {battles.dropped}"]
    if k < 2:
        notes.append("fewer than 2 battles: cross-validated figures use the battle itself")
    written: Path | None = None
    if fit:
        p_cv = cross_val_predict(frame, geosim_refit, k) if k >= 2 else np.full(len(y), 0.5)
        scores["geosim_cv"] = score(y, p_cv)
        consts = fitmod.fit_constants(
            battles,
            # Constants a fit does not estimate keep their shipped (or given) values.
            base=load_constants(constants),
            source=Path(csv).name,
            extra={"cv_10fold": scores["geosim_cv"], "cv_seed": SEED},
        )
        written = save_constants(consts, constants_out)
        sample = "in-sample"
    else:
        consts = load_constants(constants)
        fitted_on = consts.provenance.get("data_sha256")
        sample = "in-sample" if fitted_on == battles.sha256 else "out-of-sample"
    scores["geosim"] = score(y, geosim_predict(frame, consts))
    cv: dict[str, Predictor] = {"base_rate": base_rate, "log_ratio_logistic": log_ratio_logistic}
    for name, predictor in cv.items():
        p = cross_val_predict(frame, predictor, k) if k >= 2 else predictor(frame, frame)
        scores[name] = score(y, p)
    order = ("geosim", "geosim_cv", "base_rate", "log_ratio_logistic")
    ordered = {m: scores[m] for m in order if m in scores}
    return BacktestReport(ordered, battles, sample, written, notes)
