"""Phase 2: support between actors according to their commitments, and air power.

A commitment flows while its day window is open and its condition holds:
- troops: `amount` persons in all, delivered evenly over `ramp_days`, as the giver's own forces
  in the commitment's region (or the receiver's most threatened region);
- air_strikes: `amount` sorties per day flown on the receiver's behalf;
- intelligence: `amount` added to the receiver's intelligence (capped at 1);
- money: `amount` USD million per day added to the receiver's funds.
"""

from __future__ import annotations

import numpy as np


def troop_delivery(
    amount: np.ndarray, sent: np.ndarray, ramp: int, active: np.ndarray, days: int = 1
) -> np.ndarray:
    """(R,) persons arriving in a step of `days`: amount/ramp per day while active, never
    beyond amount."""
    due = np.where(active, amount / ramp * days, 0.0)
    return np.clip(np.minimum(due, amount - sent), 0.0, None)


def air_strike_losses(
    sorties: np.ndarray, intel: np.ndarray, enemy_present: np.ndarray, kills_per_sortie: float
) -> np.ndarray:
    """Personnel disabled by strikes in one region, split over the enemies present.

    kills = sorties x kills_per_sortie x (0.5 + intelligence): good intelligence finds targets
    (assumption; kills_per_sortie from the Pentagon's 2014-15 claim, see docs/model.md).
    sorties, intel: (R,); enemy_present: (R, A) personnel of each struck actor in the region.
    Returns (R, A) losses, each at most the personnel present.
    """
    kills = sorties * kills_per_sortie * (0.5 + intel)
    total = enemy_present.sum(axis=1)
    share = np.divide(enemy_present, total[:, None], out=np.zeros_like(enemy_present),
                      where=total[:, None] > 0)
    return np.minimum(kills[:, None] * share, enemy_present)


def air_superiority(own: np.ndarray, enemy: np.ndarray, reference: float) -> np.ndarray:
    """Air superiority in [-1, 1] from one side's view: (own - enemy) / (own + enemy + ref)."""
    return (own - enemy) / (own + enemy + reference)
