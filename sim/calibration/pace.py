"""The pace of battle on CDB90: how far a winning attacker advances per day, and how well the
model's pace and daily losses predict battle durations and casualties (out of sample).

`fit_advance` fits ln(km advanced per day) of winning attackers (KMDA / battle days, KMDA > 0)
on posture and terrain, with the power-ratio slope held at the shipped assumption
(CombatConstants.advance_slope; CDB90's fought battles show no slope, see docs/model.md),
effects bounded <= 0 and a small ridge for the sparse classes. `pace_errors` scores, under
stratified k-fold cross-validation, (1) the predicted duration KMDA / advance rate against the
real days and (2) the predicted median daily loss shares against the real ones: the median
|log2(predicted / real)| and the share within a factor of 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import lsq_linear

from sim.calibration.backtest import stratified_folds
from sim.model.combat_constants import POSTURE_CODES, TERRAIN_CODES, CombatConstants
from sim.model.vectorised import advance_rates, daily_losses

if TYPE_CHECKING:
    import pandas as pd

PACE_RIDGE = 1.0  # pseudo-battles at effect 0 per posture and terrain class (assumption)
_OPEN = TERRAIN_CODES["open"]


def advancing(frame: pd.DataFrame) -> pd.DataFrame:
    """Battles a winning attacker with a known, positive advance and duration."""
    ok = (frame["won"] == 1) & (frame["km_advanced"] > 0) & np.isfinite(frame["days"])
    return frame[ok]


def fit_advance(frame: pd.DataFrame, slope: float) -> dict[str, object]:
    """advance_intercept, advance_posture, advance_terrain fitted on `frame` (see module)."""
    f = advancing(frame)
    y = np.log(f["km_advanced"].to_numpy() / f["days"].to_numpy()) - slope * f["log_ratio"]
    n_post, n_terr = len(POSTURE_CODES), len(TERRAIN_CODES)
    post = [p for p in range(1, n_post)]  # hasty is the reference
    terr = [t for t in range(n_terr) if t != _OPEN]  # open is the reference
    x = np.column_stack([np.ones(len(f))] + [(f["posture"] == p).to_numpy() for p in post]
                        + [(f["terrain"] == t).to_numpy() for t in terr]).astype(np.float64)
    k = x.shape[1]
    prior = np.sqrt(PACE_RIDGE) * np.eye(k)[1:]  # shrink every effect, not the intercept
    x_all = np.vstack([x, prior])
    y_all = np.concatenate([y.to_numpy(), np.zeros(k - 1)])
    res = lsq_linear(x_all, y_all, bounds=([-np.inf] + [-np.inf] * (k - 1), [np.inf] + [0.0] *
                                           (k - 1)))
    b = np.where(np.abs(res.x) < 1e-9, 0.0, res.x)
    posture = [0.0] + [float(v) for v in b[1:n_post]]
    terrain = [0.0] * n_terr
    for i, t in enumerate(terr):
        terrain[t] = float(b[n_post + i])
    return {"advance_intercept": float(b[0]), "advance_posture": tuple(posture),
            "advance_terrain": tuple(terrain), "n_advance": len(f)}


@dataclass(frozen=True)
class PaceErrors:
    """Out-of-sample errors of the model's pace and losses on CDB90."""

    n_durations: int
    duration_median_log2: float  # median |log2(predicted days / real days)|
    duration_within_2x: float
    n_losses: int
    loss_median_log2: float  # median |log2(predicted daily share / real)|, both sides
    loss_within_2x: float


def _median_and_within(ratio: np.ndarray) -> tuple[float, float]:
    err = np.abs(np.log2(ratio))
    return float(np.median(err)), float(np.mean(err <= 1.0))


def pace_errors(frame: pd.DataFrame, consts: CombatConstants, k: int = 10) -> PaceErrors:
    """Cross-validated duration and daily-loss errors (the advance refitted per fold; the
    loss constants are the shipped ones: their own CV is in the backtest)."""
    from dataclasses import replace

    f = advancing(frame).reset_index(drop=True)
    folds = stratified_folds(f["terrain"].to_numpy(), k)
    predicted = np.empty(len(f))
    for fold in range(k):
        test = folds == fold
        fitted = fit_advance(f[~test], consts.advance_slope)
        fitted.pop("n_advance")
        c = replace(consts, **fitted)  # type: ignore[arg-type]
        att = f.loc[test, "att_str"].to_numpy()
        rate = advance_rates(att, f.loc[test, "def_str"].to_numpy(),
                             f.loc[test, "posture"].to_numpy(), f.loc[test, "terrain"].to_numpy(),
                             c)
        predicted[test] = f.loc[test, "km_advanced"].to_numpy() / rate
    d_med, d_within = _median_and_within(predicted / f["days"].to_numpy())
    lf = frame[np.isfinite(frame["days"]) & (frame["att_cas"] > 0) & (frame["def_cas"] > 0)]
    real_a = np.minimum(lf["att_cas"] / lf["att_str"] / lf["days"], 1.0).to_numpy()
    real_d = np.minimum(lf["def_cas"] / lf["def_str"] / lf["days"], 1.0).to_numpy()
    one = np.ones(len(lf))
    loss_a, loss_d = daily_losses(one, one, lf["att_str"].to_numpy(), lf["def_str"].to_numpy(),
                                  lf["won"].to_numpy() == 1, consts, 0.5 * one, 0.5 * one)
    l_med, l_within = _median_and_within(np.concatenate([loss_a / real_a, loss_d / real_d]))
    return PaceErrors(len(f), d_med, d_within, len(lf), l_med, l_within)
