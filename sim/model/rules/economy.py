"""Phase 1: income, upkeep and recruitment (vectorised over replications and actors)."""

from __future__ import annotations

import numpy as np


def economy_step(
    funds: np.ndarray,
    income: np.ndarray,
    upkeep: np.ndarray,
    strength: np.ndarray,
    recruit: np.ndarray,
    days: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (new funds, recruits this step).

    funds' = funds + days * (income - upkeep * strength / 1e6)   [USD million; upkeep in USD]
    recruits = days * recruitment_per_day while funds' > 0, else 0 (no money, no new fighters).
    Funds never go below zero: an actor that cannot pay simply stops recruiting.
    """
    new_funds = funds + days * (income - upkeep * strength / 1e6)
    recruits = np.where(new_funds > 0, days * recruit, 0.0)
    return np.maximum(new_funds, 0.0), recruits
