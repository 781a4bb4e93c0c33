"""Phase 3: decisions. Each actor weighs attacking each legal target against holding.

For actor a and region h (vectorised over replications):
  att[a,h]   = commit * sum of a's combat power in h and its neighbours
  def[a,h]   = combat power in h of actors at war with a
  p[a,h]     = win_probability(att, def, posture_h, terrain_h, river, air, surprise)
  take[a,h]  = p * min(1, att / (advance_ratio * def))^2    (winning is not yet advancing)
  V[a,h]     = goals[a,h] + opportunity * value_h / mean(value)
               + sum_X defeat/limit weight(a, X) * share of X's strength in h
  U_attack   = take * V - loss_aversion * E[loss share of the attacking force] / tolerance left
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

    att_power: np.ndarray  # (R, A, G); (0, A, G) unless asked for in detail
    att_personnel: np.ndarray  # (R, A, G); (0, A, G) unless asked for in detail
    def_power: np.ndarray  # (R, A, G)
    legal: np.ndarray  # (R, A, G) bool
    utility: np.ndarray  # (R, A, G)
    hold_utility: np.ndarray  # (R, A)
    p_win: np.ndarray  # (R, A, G)
    def_personnel: np.ndarray  # (R, A, G); (0, A, G) unless asked for in detail


def reach(adj: np.ndarray) -> np.ndarray:
    """(G, G) float: a region and its neighbours (adjacency plus identity)."""
    return (adj | np.eye(adj.shape[0], dtype=bool)).astype(np.float64)


def enemy_power(power: np.ndarray, war: np.ndarray) -> np.ndarray:
    """(R, A, G): sum over b of war[a, b] * power[b, g], i.e. the power of a's enemies.

    `war` is (A, A) (the same relations in every replication) or (R, A, A). Works for any
    pairwise relation (e.g. friendship) and any per-actor quantity (power, personnel).
    """
    w = war.astype(power.dtype)
    if w.ndim == 2:
        # One (A, A) x (A, R*G) product instead of R small ones.
        r, a, g = power.shape
        flat = power.transpose(1, 0, 2).reshape(a, r * g)
        return (w @ flat).reshape(a, r, g).transpose(1, 0, 2)
    return np.einsum("rab,rbg->rag", w, power)


def target_value(goal: np.ndarray, value: np.ndarray, mean_value: np.ndarray,
                 enemy_share: np.ndarray, opportunity: float) -> np.ndarray:
    """What taking a region is worth to an actor (see the module docstring); elementwise.

    goal: the actor's goal weight on the region; value, mean_value: the region's strategic
    value and the scenario's mean; enemy_share: hostility-weighted share of the actor's
    enemies' strength present in the region.
    """
    return goal + opportunity * value / mean_value + enemy_share


def attack_utility(p_win: np.ndarray, att_power: np.ndarray, def_power: np.ndarray,
                   value: np.ndarray, loss_frac: np.ndarray, tol_left: np.ndarray,
                   loss_aversion: float, advance_ratio: float) -> np.ndarray:
    """Utility of attacking (elementwise): chance to take x value - weighted expected losses."""
    superiority = np.divide(att_power, advance_ratio * def_power,
                            out=np.ones_like(att_power), where=def_power > 0)
    take = p_win * np.minimum(superiority, 1.0) ** 2
    return take * value - loss_aversion * loss_frac / tol_left


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
