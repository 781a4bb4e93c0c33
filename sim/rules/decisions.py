"""Phase 3: decisions. Each actor weighs attacking each legal target against holding.

For actor a and region h (vectorised over replications):
  att[a,h]   = commit * sum of a's combat power in h and its neighbours
  def[a,h]   = combat power in h of actors at war with a
  p[a,h]     = win_probability(att, def, posture_h, terrain_h, river, air, surprise)
  V[a,h]     = goals[a,h] + value_h / mean(value) * 0.5 + hostility goal against h's holder
  U_attack   = p * V - loss_aversion * expected_loss_share / remaining casualty tolerance
  U_hold     = hold_utility * (1 - aggression)
The actor picks one option with logit (softmax) probabilities of sharpness beta (rationality):
bounded rationality as in McFadden's conditional logit. Illegal options have probability 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HOLD = -1


@dataclass(frozen=True)
class Options:
    """Attack options of every actor against every region, per replication."""

    att_power: np.ndarray  # (R, A, G)
    att_personnel: np.ndarray  # (R, A, G)
    def_power: np.ndarray  # (R, A, G)
    legal: np.ndarray  # (R, A, G) bool
    utility: np.ndarray  # (R, A, G)
    hold_utility: np.ndarray  # (R, A)
    p_win: np.ndarray  # (R, A, G)


def reach(adj: np.ndarray) -> np.ndarray:
    """(G, G) float: a region and its neighbours (adjacency plus identity)."""
    return (adj | np.eye(adj.shape[0], dtype=bool)).astype(np.float64)


def enemy_power(power: np.ndarray, war: np.ndarray) -> np.ndarray:
    """(R, A, G): power in each region of the actors at war with each actor."""
    return np.einsum("rab,rbg->rag", war.astype(power.dtype), power)


def logit_choice(utility: np.ndarray, legal: np.ndarray, hold: np.ndarray, beta: np.ndarray,
                 u: np.ndarray) -> np.ndarray:
    """Choose per replication among G targets and holding.

    utility, legal: (R, G); hold, beta, u: (R,). Returns (R,) target index, or HOLD (-1).
    """
    scores = np.concatenate([utility, hold[:, None]], axis=1) * beta[:, None]
    ok = np.concatenate([legal, np.ones((legal.shape[0], 1), bool)], axis=1)
    scores = np.where(ok, scores, -np.inf)
    scores -= scores.max(axis=1, keepdims=True)
    w = np.exp(scores)
    cdf = np.cumsum(w, axis=1)
    pick = (cdf < (u * cdf[:, -1])[:, None]).sum(axis=1)
    pick = np.minimum(pick, utility.shape[1])
    return np.where(pick == utility.shape[1], HOLD, pick)
