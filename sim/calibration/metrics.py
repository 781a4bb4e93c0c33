"""Scores of probabilistic binary predictions, written with numpy (no scikit-learn).

``y`` holds outcomes (0/1), ``p`` predicted probabilities of outcome 1.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

# Probabilities are clipped this far from 0 and 1 so that log loss stays finite.
LOG_LOSS_EPS = 1e-15


def _yp(y: ArrayLike, p: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    ya = np.asarray(y, dtype=np.float64).ravel()
    pa = np.asarray(p, dtype=np.float64).ravel()
    if ya.shape != pa.shape or ya.size == 0:
        raise ValueError(f"y and p must be non-empty and of one length (got {ya.size}, {pa.size})")
    return ya, pa


def accuracy(y: ArrayLike, p: ArrayLike, threshold: float = 0.5) -> float:
    """Share of cases where ``p >= threshold`` predicts the outcome (ties go to outcome 1)."""
    ya, pa = _yp(y, p)
    return float(np.mean((pa >= threshold) == (ya == 1)))


def brier(y: ArrayLike, p: ArrayLike) -> float:
    """Mean squared error of the probabilities (Brier 1950); 0.25 for a constant 0.5."""
    ya, pa = _yp(y, p)
    return float(np.mean((pa - ya) ** 2))


def log_loss(y: ArrayLike, p: ArrayLike) -> float:
    """Mean negative log-likelihood (natural log); ln 2 = 0.693 for a constant 0.5."""
    ya, pa = _yp(y, p)
    pc = np.clip(pa, LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS)
    return float(-np.mean(ya * np.log(pc) + (1.0 - ya) * np.log1p(-pc)))


def roc_auc(y: ArrayLike, p: ArrayLike) -> float:
    """Area under the ROC curve: P(p of a random 1 > p of a random 0), ties counting 1/2.

    Mann-Whitney form with average ranks. NaN when only one class is present.
    """
    ya, pa = _yp(y, p)
    pos = ya == 1
    n1, n0 = int(pos.sum()), int((~pos).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    order = np.argsort(pa, kind="mergesort")
    sorted_p = pa[order]
    ranks = np.empty(pa.size, dtype=np.float64)
    # Average rank of each run of tied values (1-based).
    _, start, counts = np.unique(sorted_p, return_index=True, return_counts=True)
    avg = start + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def score(y: ArrayLike, p: ArrayLike) -> dict[str, float | int]:
    """All four scores plus n, as the backtest reports them."""
    ya, pa = _yp(y, p)
    return {
        "accuracy": accuracy(ya, pa),
        "brier": brier(ya, pa),
        "log_loss": log_loss(ya, pa),
        "auc": roc_auc(ya, pa),
        "n": int(ya.size),
    }
