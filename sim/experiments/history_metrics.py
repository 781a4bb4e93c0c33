"""Scores for the validation library: the model's forecasts and the force-ratio baseline.

Pure functions over numbers (no files, no engine runs), so each is tested against values
worked out by hand (tests/test_history.py). Definitions (docs/validation.md):

- P(observed): the share of replications in which the observed outcome happened, with a
  Wilson 95% interval;
- a *hit*: P(observed) >= 0.5;
- Brier score: mean of (1 - P(observed))^2 over the cases (the outcome that happened is 1);
- log loss: mean of -ln P(observed), each P first clipped to [0.5/N, 1 - 0.5/N] for N
  replications (a count of 0 of N is read as half a replication, so one case cannot dominate);
- within 2x: the model's median day of the decisive change is within a factor of 2 of the
  real one (a change that never happens, +inf, is not within); per case, P(within 2x) is the
  share of replications whose own decisive day is within a factor of 2;
- the force-ratio baseline forecasts 1 when the side of the observed outcome has more day-0
  combat power (sim.model.formulas.combat_power summed per side), else 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.calibration import metrics


def clipped(p: float, runs: int) -> float:
    """P clipped to [0.5/runs, 1 - 0.5/runs]: the Monte Carlo resolution of `runs` draws."""
    eps = 0.5 / max(runs, 1)
    return min(max(p, eps), 1.0 - eps)


def brier(p_observed: Sequence[float]) -> float:
    """Brier score of forecasts of outcomes that all happened: mean (1 - p)^2."""
    p = np.asarray(p_observed, dtype=np.float64)
    return metrics.brier(np.ones_like(p), p)


def log_loss(p_observed: Sequence[float], runs: Sequence[int]) -> float:
    """Mean -ln p over the cases, each p clipped to its Monte Carlo resolution (see above)."""
    p = np.asarray([clipped(x, n) for x, n in zip(p_observed, runs, strict=True)])
    return metrics.log_loss(np.ones_like(p), p)


def hits(p_observed: Sequence[float]) -> int:
    """Cases where the observed outcome got P >= 0.5."""
    return int(sum(1 for p in p_observed if p >= 0.5))


def within_factor(model_day: float, observed_day: float, factor: float = 2.0) -> bool:
    """Whether model_day is in [observed_day / factor, observed_day x factor] (inf: never).

    A decisive change on day 0 is compared as day 1 (the first day the model can show one).
    """
    if not math.isfinite(model_day) or not math.isfinite(observed_day):
        return False
    m, o = max(model_day, 1.0), max(observed_day, 1.0)
    return o / factor <= m <= o * factor


def share_within(model_days: Sequence[float], observed_days: Sequence[float],
                 factor: float = 2.0) -> float:
    """Share of the cases with a model day within `factor` of the real one."""
    pairs = list(zip(model_days, observed_days, strict=True))
    if not pairs:
        return math.nan
    return sum(within_factor(m, o, factor) for m, o in pairs) / len(pairs)


def share_of_runs_within(days: np.ndarray, observed_day: float, factor: float = 2.0) -> float:
    """Share of replications whose decisive day is within `factor` of the real one: the
    probability of the observed change at about the observed tempo."""
    if days.size == 0:
        return math.nan
    return float(np.mean([within_factor(float(d), observed_day, factor) for d in days]))


def fall_days(held: np.ndarray) -> np.ndarray:
    """(R,) first day d >= 1 on which `held[:, d]` is true and `held[:, d-1]` false, else inf.

    Args:
        held: (R, D+1) bool, whether the outcome's side holds the region on days 0..D.
    """
    changes = held[:, 1:] & ~held[:, :-1]
    first = np.argmax(changes, axis=1) + 1.0
    return np.where(changes.any(axis=1), first, np.inf)


def median_day(days: np.ndarray) -> float:
    """The median over replications, inf when at least half never see the change."""
    if days.size == 0:
        return math.nan
    return float(np.median(days))


@dataclass(frozen=True)
class Scores:
    """The summary over a set of cases (the keys of `geosim history --json`'s summary)."""

    n: int
    hits: int
    brier: float
    log_loss: float
    within_2x: float
    baseline_brier: float
    baseline_hits: int
    baseline_log_loss: float
    mean_p_observed: float
    mean_p_within_2x: float


def score(p_observed: Sequence[float], runs: Sequence[int], model_days: Sequence[float],
          observed_days: Sequence[float], baseline: Sequence[float],
          p_within_2x: Sequence[float] = ()) -> Scores:
    """The summary of a set of cases (all lists in case order; baseline forecasts 0 or 1;
    p_within_2x: per case, the share of runs whose decisive day is within 2x, if known)."""
    if not p_observed:
        nan = math.nan
        return Scores(0, 0, nan, nan, nan, nan, 0, nan, nan, nan)
    return Scores(
        n=len(p_observed),
        hits=hits(p_observed),
        brier=brier(p_observed),
        log_loss=log_loss(p_observed, runs),
        within_2x=share_within(model_days, observed_days),
        baseline_brier=brier(baseline),
        baseline_hits=hits(baseline),
        baseline_log_loss=log_loss(baseline, runs),
        mean_p_observed=float(np.mean(p_observed)),
        mean_p_within_2x=float(np.mean(p_within_2x)) if len(p_within_2x) else math.nan,
    )
