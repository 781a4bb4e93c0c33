"""Fit the combat constants (:mod:`sim.model.combat_constants`) on battles read by
:mod:`sim.calibration.cdb90`.

Win probability: penalised maximum likelihood of a logistic model (L-BFGS-B, small L2 ridge on
everything but the intercept), with sign constraints that encode the direction every combat
model assumes (a stronger attacker, air superiority and surprise help the attacker; prepared
and fortified positions, difficult terrain and rivers help the defender). Daily losses: least
squares on log daily loss shares (a lognormal model) with bounded exponents and multipliers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.optimize import lsq_linear, minimize

from sim.model.combat_constants import POSTURE_CODES, TERRAIN_CODES, CombatConstants

if TYPE_CHECKING:
    import pandas as pd

    from sim.calibration.cdb90 import Battles

RIDGE = 1.0
"""L2 penalty (on the summed log-likelihood) of every win coefficient but the intercept."""

# Terrain classes that get their own coefficient; "open" is the reference and "mountain",
# absent from CDB90, takes the value fitted for "rough" (see docs/model.md).
FITTED_TERRAIN = ("urban", "desert", "rough", "marsh", "forest")
WIN_COLUMNS = (
    "intercept",
    "log_ratio",
    "prepared_or_fortified",
    "fortified",
    *(f"terrain_{t}" for t in FITTED_TERRAIN),
    "river",
    "air",
    "surprise",
)


def win_design(frame: pd.DataFrame) -> np.ndarray:
    """Design matrix in WIN_COLUMNS order; defender-favouring columns enter negated.

    Negation lets every coefficient but the intercept be bounded at >= 0, which is the
    documented direction of each effect.
    """
    post = frame["posture"].to_numpy()
    terr = frame["terrain"].to_numpy()
    cols = [
        np.ones(len(frame)),
        frame["log_ratio"].to_numpy(dtype=np.float64),
        -(post >= POSTURE_CODES["prepared"]).astype(np.float64),
        -(post >= POSTURE_CODES["fortified"]).astype(np.float64),
        *(-(terr == TERRAIN_CODES[t]).astype(np.float64) for t in FITTED_TERRAIN),
        -frame["river"].to_numpy(dtype=np.float64),
        frame["air"].to_numpy(dtype=np.float64),
        frame["surprise"].to_numpy(dtype=np.float64),
    ]
    return np.column_stack(cols)


def fit_logistic(
    x: np.ndarray, y: np.ndarray, ridge: float = RIDGE, nonneg: bool = False
) -> np.ndarray:
    """Coefficients of a ridge-penalised logistic regression (column 0 is the intercept).

    Args:
        x: design matrix, first column all ones.
        y: outcomes 0/1.
        ridge: L2 penalty on the summed log-likelihood, not applied to the intercept.
        nonneg: bound every coefficient but the intercept at >= 0.
    """
    yv = np.asarray(y, dtype=np.float64)

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ w
        nll = np.sum(np.logaddexp(0.0, z) - yv * z) + 0.5 * ridge * np.sum(w[1:] ** 2)
        grad = x.T @ (0.5 * (1.0 + np.tanh(0.5 * z)) - yv)
        grad[1:] += ridge * w[1:]
        return float(nll), grad

    bounds = [(None, None)] + [(0.0, None) if nonneg else (None, None)] * (x.shape[1] - 1)
    res = minimize(objective, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B", bounds=bounds)
    return np.asarray(res.x)


def predict_logistic(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * (x @ w))))


def fit_win(frame: pd.DataFrame, ridge: float = RIDGE) -> dict[str, Any]:
    """Fit the win-probability constants; returns CombatConstants field values."""
    w = dict(
        zip(
            WIN_COLUMNS,
            fit_logistic(win_design(frame), frame["won"].to_numpy(), ridge, nonneg=True),
            strict=True,
        )
    )
    # "+ 0.0" turns the -0.0 of a coefficient at its bound into 0.0.
    terrain = {t: -float(w[f"terrain_{t}"]) + 0.0 for t in FITTED_TERRAIN}
    terrain["open"] = 0.0
    terrain["mountain"] = terrain["rough"]
    return {
        "win_intercept": float(w["intercept"]),
        "ratio_slope": float(w["log_ratio"]),
        "posture_effect": (
            0.0,
            -float(w["prepared_or_fortified"]) + 0.0,
            -float(w["prepared_or_fortified"] + w["fortified"]) + 0.0,
        ),
        "terrain_effect": tuple(terrain[t] for t in TERRAIN_CODES),
        "river_effect": -float(w["river"]) + 0.0,
        "air_coef": float(w["air"]),
        "surprise_coef": float(w["surprise"]),
    }


def _log_share_fit(
    log_share: np.ndarray, log_ratio: np.ndarray, lost: np.ndarray
) -> tuple[float, float, float, np.ndarray]:
    """ln share = ln base + e ln(enemy/own) + ln(mult) [lost] : (base, e, mult, residuals)."""
    x = np.column_stack([np.ones_like(log_share), log_ratio, lost.astype(np.float64)])
    res = lsq_linear(x, log_share, bounds=([-np.inf, 0.0, 0.0], [np.inf, np.inf, np.inf]))
    # Bounds are met to round-off: snap coefficients at a bound (e.g. 3e-15) to exactly 0.
    b = np.where(np.abs(res.x) < 1e-9, 0.0, res.x)
    return float(np.exp(b[0])), float(b[1]), float(np.exp(b[2])), log_share - x @ b


def fit_losses(frame: pd.DataFrame) -> tuple[dict[str, Any], int]:
    """Fit the daily-loss constants on battles with casualties and dates.

    Daily loss share = casualties / strength / calendar days of battle (capped at 1).

    Returns:
        (CombatConstants field values, number of battles used).
    """
    f = frame[np.isfinite(frame["days"]) & (frame["att_cas"] > 0) & (frame["def_cas"] > 0)]
    if len(f) < 10:
        return {}, len(f)
    days = f["days"].to_numpy()
    share_a = np.minimum(f["att_cas"].to_numpy() / f["att_str"].to_numpy() / days, 1.0)
    share_d = np.minimum(f["def_cas"].to_numpy() / f["def_str"].to_numpy() / days, 1.0)
    lr = f["log_ratio"].to_numpy()
    won = f["won"].to_numpy() == 1
    base_a, exp_a, mult_a, res_a = _log_share_fit(np.log(share_a), -lr, ~won)
    base_d, exp_d, mult_d, res_d = _log_share_fit(np.log(share_d), lr, won)
    dof = max(len(f) - 3, 1)
    values = {
        "att_loss_base": base_a,
        "att_loss_exp": exp_a,
        "att_loser_mult": mult_a,
        "def_loss_base": base_d,
        "def_loss_exp": exp_d,
        "def_loser_mult": mult_d,
        "att_loss_sigma": float(np.sqrt(np.sum(res_a**2) / dof)),
        "def_loss_sigma": float(np.sqrt(np.sum(res_d**2) / dof)),
        "loss_noise_corr": float(np.corrcoef(res_a, res_d)[0, 1]),
    }
    return values, len(f)


def fit_constants(
    battles: Battles,
    base: CombatConstants | None = None,
    ridge: float = RIDGE,
    source: str = "",
    extra: dict[str, Any] | None = None,
) -> CombatConstants:
    """Fit win and loss constants on ``battles``; other constants come from ``base``.

    The provenance records the fit date, the data file's sha256 and name, n and ``extra``
    (e.g. cross-validated figures).
    """
    base = base or CombatConstants()
    win = fit_win(battles.frame, ridge)
    losses, n_losses = fit_losses(battles.frame)
    provenance = {
        "fitted": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "data_file": source,
        "data_sha256": battles.sha256,
        "n_rows": battles.n_rows,
        "n": battles.n,
        "n_losses": n_losses,
        "dropped": battles.dropped,
        "ridge": ridge,
        "not_fitted": ["morale_neutral", "morale_weight", "morale_floor", "max_daily_loss_share"]
        + ([] if losses else ["losses (too few battles with casualties and dates)"]),
        **(extra or {}),
    }
    from sim.calibration.pace import fit_advance  # here: pace imports the backtest folds

    pace = fit_advance(battles.frame, base.advance_slope)
    provenance["n_advance"] = pace.pop("n_advance")
    provenance["not_fitted"].append("advance_slope (an assumption, see docs/model.md)")
    terrain = list(pace["advance_terrain"])  # type: ignore[call-overload]
    terrain[TERRAIN_CODES["mountain"]] = terrain[TERRAIN_CODES["rough"]]  # as for winning
    pace["advance_terrain"] = tuple(terrain)
    return dataclasses.replace(base, **win, **losses, **pace,  # type: ignore[arg-type]
                               provenance=provenance)
