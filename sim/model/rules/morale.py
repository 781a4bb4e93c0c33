"""Phase 6: morale, cohesion and rout.

Per actor a and region g (vectorised over replications):
  m' = m + recovery * (m0 - m)                       relaxation to the actor's baseline
         - loss_shock * losses_today / forces         heavy losses
         - isolation_shock * (1 - m0) * max(0, ln(enemy_near / own))   bad local ratio
           (enemy_near weighs each enemy's power by its aggression: a passive enemy
           threatens less; (1 - m0): committed forces are less shaken by being outnumbered)
         - shocks from battles lost and regions lost (applied where they happen)
         + momentum bonus
  a force breaks (routs) when m' < rout_threshold: a share deserts or is captured, the rest
  retreats, abandoning the region.
This is how a paper superiority of 15 to 1 can lose a city: low readiness (absent "ghost"
soldiers) makes the real power ratio bad, the bad ratio drains morale, and a broken garrison
leaves without a fight (Dupuy's breakpoints; Clausewitz's "moral forces").
"""

from __future__ import annotations

import numpy as np


def morale_update(
    morale: np.ndarray,
    morale0: np.ndarray,
    loss_today: np.ndarray,
    forces: np.ndarray,
    own_power: np.ndarray,
    enemy_near: np.ndarray,
    momentum: np.ndarray,
    recovery: float,
    loss_shock: float,
    isolation_shock: float,
) -> np.ndarray:
    """Return new morale (R, A, G) clipped to [0, 1]; see the module docstring.

    Losses and isolation touch few cells on a given day, so they are applied only where they
    occur (the hot path of the engine: this runs on every cell of every replication daily).
    """
    m = morale0[..., None] - morale
    m *= recovery
    m += morale
    hit = np.nonzero(loss_today > 0)
    if hit[0].size:
        lost = loss_today[hit]
        m[hit] -= loss_shock * lost / (forces[hit] + lost)
    # Outnumbered where enemy power near exceeds own; a vanishing own power would overflow the
    # ratio, so it is capped (a baseline of 1 then gives 0 x large, not inf x 0 = NaN).
    iso = np.nonzero((enemy_near > own_power) & (own_power > 0))
    if iso[0].size:
        with np.errstate(over="ignore"):
            ratio = np.minimum(enemy_near[iso] / own_power[iso], np.finfo(np.float64).max)
        m[iso] -= isolation_shock * np.log(ratio) * (1.0 - morale0[iso[0], iso[1]])
    m += (0.01 * momentum)[..., None]
    return np.clip(m, 0.0, 1.0, out=m)


def routs(morale: np.ndarray, forces: np.ndarray, threshold: float) -> np.ndarray:
    """(R, A, G) bool: forces that break this step."""
    return (morale < threshold) & (forces > 0)
