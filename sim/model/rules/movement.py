"""Phase 4: movement along links: redeployment towards threatened fronts, reserves entering,
and retreats of beaten or broken forces.

Redeployment (per actor a, per day):
  threat[a,g] = enemy power in g and its neighbours                    (front pressure)
  front[a,g]  = g is held by a or a friend (alliance, cooperation) and threat > 0
  rear[a,g]   = a has forces in g and threat[a,g] == 0
  pool        = redeploy_rate * (1 - rear_keep) * forces in rear regions
                + reserve_rate * reserve   (only while an entry region is friendly ground)
  the pool is shared among front regions in proportion to threat x (1 + goal weight).
Moving between rear and front through the actor's own road network is assumed to fit in one
step (a limit stated in docs/model.md).
"""

from __future__ import annotations

import numpy as np


def redeploy(
    F: np.ndarray,
    reserve: np.ndarray,
    threat: np.ndarray,
    friendly_ground: np.ndarray,
    can_enter: np.ndarray,
    goals: np.ndarray,
    redeploy_rate: float,
    reserve_rate: float,
    rear_keep: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (new F, new reserve). Personnel is conserved exactly.

    F, threat, friendly_ground: (R, A, G); reserve: (R, A); goals: (A, G).
    friendly_ground: where the actor may reinforce (its own or an ally's regions).
    can_enter: (R, A) bool, whether reserves can enter (an entry region is friendly ground).
    """
    rear = (threat <= 0) & (F > 0)
    front = (threat > 0) & friendly_ground
    weight = np.where(front, threat * (1.0 + goals[None]), 0.0)
    total_w = weight.sum(axis=2, keepdims=True)
    has_front = total_w[..., 0] > 0
    out_rear = np.where(rear & has_front[..., None], F * redeploy_rate * (1 - rear_keep), 0.0)
    from_reserve = np.where(has_front & can_enter, reserve * reserve_rate, 0.0)
    pool = out_rear.sum(axis=2) + from_reserve
    share = np.divide(weight, total_w, out=np.zeros_like(weight), where=total_w > 0)
    return F - out_rear + pool[..., None] * share, reserve - from_reserve


def retreat_destination(
    adj: np.ndarray, region: np.ndarray, friendly: np.ndarray, own_forces: np.ndarray
) -> np.ndarray:
    """(n,) destination of forces leaving `region` (n,), or -1 when there is nowhere to go.

    Candidates are the neighbours held by the actor or an ally (`friendly`, (n, G) bool);
    among them the one with most of the actor's own forces (`own_forces`, (n, G)).
    """
    cand = adj[region] & friendly
    score = np.where(cand, own_forces + 1.0, -1.0)
    best = score.argmax(axis=1)
    return np.where(cand.any(axis=1), best, -1)
