"""NumPy reference for the phases sim/model/kernels/ fuses, for tests/test_kernels.py.

Each function is the engine's NumPy phase as it was before the kernels (sim/model/engine.py at
commit
2928b15: `_options`, `_evaluate`, `_movement`, `friendly_ground`, `_reinforceable`,
`_morale_and_rout`), composed from the rule functions in sim/model/rules/ the same way, but reading
plain arrays instead of a model. Stances come as codes `st` of shape (1, A, A) or (R, A, A),
like the kernels take them; (1, A, A) takes the engine's old uniform-stance (A, A) path.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.model.compile import STANCE_CODES, WAR
from sim.model.rules import combat as cb
from sim.model.rules.decisions import attack_utility, enemy_power, target_value
from sim.model.rules.morale import morale_update, routs
from sim.model.rules.movement import redeploy
from sim.model.rules.support import air_superiority
from sim.scenario.schema import Stance

ALLY = STANCE_CODES[Stance.alliance]
COOP = STANCE_CODES[Stance.cooperation]


def _codes(st: np.ndarray) -> np.ndarray:
    """(A, A) when every replication has the same stances (engine's fast path), else (R, A, A)."""
    return st[0] if st.shape[0] == 1 else st


def war(st: np.ndarray) -> np.ndarray:
    """GeoModel.war."""
    return _codes(st) == WAR


def friendly(st: np.ndarray) -> np.ndarray:
    """GeoModel.friendly: same actor, alliance or cooperation."""
    c = _codes(st)
    return (c == ALLY) | (c == COOP)


def power(F: np.ndarray, readiness: np.ndarray, quality: np.ndarray, morale: np.ndarray,
          cc: cb.CombatConstants) -> np.ndarray:
    """GeoModel.power."""
    return cb.combat_power(F, readiness[:, :, None], quality[:, :, None], morale, cc)


def _holder_relation(rel: np.ndarray, control: np.ndarray) -> np.ndarray:
    """GeoModel._holder_relation: (R, G, A) `rel` between each region's holder and every
    actor."""
    holder = np.clip(control, 0, None)
    if rel.ndim == 2:
        return rel[holder]
    return rel[np.arange(len(holder))[:, None], holder]


def friendly_ground(control: np.ndarray, st: np.ndarray) -> np.ndarray:
    """GeoModel.friendly_ground: (R, A, G) regions held by the actor or a friend."""
    holder = np.clip(control, 0, None)
    fr = friendly(st)
    A = st.shape[1]
    if fr.ndim == 2:
        ground = np.moveaxis(fr[:, holder], 0, 1)
    else:
        ground = np.take_along_axis(fr, holder[:, None, :].repeat(A, 1), axis=2)
    return ground & (control >= 0)[:, None, :]


def reinforceable(ground: np.ndarray, control: np.ndarray, st: np.ndarray,
                  goals: np.ndarray) -> np.ndarray:
    """GeoModel._reinforceable: own regions, allies', a cooperating partner's where a goal."""
    A = st.shape[1]
    own = control[:, None, :] == np.arange(A)[None, :, None]
    allied = _codes(st) == ALLY
    holder = np.clip(control, 0, None)
    if allied.ndim == 2:
        by_ally = np.moveaxis(allied[:, holder], 0, 1)
    else:
        by_ally = np.take_along_axis(allied, holder[:, None, :].repeat(A, 1), axis=2)
    return ground & (own | by_ally | (goals > 0)[None])


def options(F: np.ndarray, morale: np.ndarray, readiness: np.ndarray, quality: np.ndarray,
            st: np.ndarray, control: np.ndarray, reach: np.ndarray, commit: float,
            min_pers: float, min_ratio: float, lost_share: np.ndarray, cas_tol: np.ndarray,
            cc: cb.CombatConstants) -> dict[str, np.ndarray]:
    """GeoModel._options, dense part: ep, def_pers, threat, att_power, att_pers, legal."""
    P = power(F, readiness, quality, morale, cc)
    w = war(st)
    ep = enemy_power(P, w)
    threat = ep @ reach
    att_power = commit * (P @ reach)
    att_pers = commit * (F @ reach)
    enemy_held = _holder_relation(w, control).transpose(0, 2, 1) & (control >= 0)[:, None, :]
    legal = ((ep > 0) | enemy_held) & (att_pers >= min_pers)
    legal &= att_power >= min_ratio * ep
    legal &= (lost_share < cas_tol)[:, :, None]
    # _evaluate: the enemies' personnel in each region.
    def_pers = enemy_power(F, w)
    return {"ep": ep, "def_pers": def_pers, "threat": threat, "att_power": att_power,
            "att_pers": att_pers, "legal": legal}


def evaluate(legal: np.ndarray, att_power: np.ndarray, att_pers: np.ndarray, ep: np.ndarray,
             F: np.ndarray, strength: np.ndarray, posture: np.ndarray, terrain: np.ndarray,
             air: np.ndarray, intel: np.ndarray, st: np.ndarray, cas_tol: np.ndarray,
             lost_share: np.ndarray, hostility_goal: np.ndarray, goals: np.ndarray,
             value: np.ndarray, cc: cb.CombatConstants, k: Any) -> tuple[np.ndarray, np.ndarray]:
    """GeoModel._options + _evaluate: (p_win, utility), 0 where not legal.

    air: the air pool (own + support); intel: already capped at 1; k: ModelConstants.
    """
    p_win = np.zeros_like(att_power)
    utility = np.zeros_like(att_power)
    idx = np.nonzero(legal)
    if not idx[0].size:
        return p_win, utility
    r, a, g = idx
    ap, af, e = att_power[idx], att_pers[idx], ep[idx]
    w = war(st)
    enemy_air = enemy_power(air[:, :, None], w)[:, :, 0]
    air_sup = air_superiority(air[r, a], enemy_air[r, a], k.air_reference)
    wars = w[None] if w.ndim == 2 else w
    enemy_intel = np.where(wars, intel[:, None, :], 0.0).max(axis=2)
    surprise = 0.5 * (intel[r, a] - enemy_intel[r, a])
    p = cb.win_probability(ap, e, posture[r, g], terrain[g], False, air_sup, surprise, cc)
    def_pers = enemy_power(F, w)[r, a, g]
    att_loss, _ = cb.daily_losses(af, def_pers, ap, e, False, cc, 0.5)
    loss_frac = att_loss * np.exp(0.5 * cc.att_loss_sigma**2) / af
    tol_left = np.maximum(cas_tol[r, a] - lost_share[r, a], 0.02)
    share = F / np.maximum(strength, 1.0)[:, :, None]
    enemy_share = enemy_power(share, hostility_goal)[r, a, g]
    val = target_value(goals[a, g], value[r, g], value.mean(1)[r], enemy_share,
                       k.opportunity_weight)
    p_win[idx] = p
    utility[idx] = attack_utility(p, ap, e, val, loss_frac, tol_left, k.loss_aversion,
                                  k.advance_ratio)
    return p_win, utility


def movement(F: np.ndarray, reserve: np.ndarray, morale: np.ndarray, morale0: np.ndarray,
             threat: np.ndarray, attacking: np.ndarray, control: np.ndarray, st: np.ndarray,
             goals: np.ndarray, entry: np.ndarray, redeploy_rate: float, reserve_rate: float,
             rear_keep: float) -> dict[str, np.ndarray]:
    """GeoModel._movement: new F, reserve, morale and the friendly ground it records."""
    ground = friendly_ground(control, st)
    can_enter = (ground & entry[None]).any(axis=2)
    F_new, reserve_new = redeploy(F, reserve, threat, reinforceable(ground, control, st, goals),
                                  can_enter, goals, redeploy_rate, reserve_rate, rear_keep)
    keep = attacking[:, :, None]
    F_new = np.where(keep, F, F_new)
    incoming = np.maximum(F_new - F, 0.0)
    total = F + incoming
    morale_new = np.divide(morale * F + morale0[:, :, None] * incoming, total,
                           out=morale.copy(), where=total > 0)
    return {"F": F_new, "reserve": np.where(attacking, reserve, reserve_new),
            "morale": morale_new, "ground": ground}


def morale_phase(F: np.ndarray, morale: np.ndarray, morale0: np.ndarray, loss_today: np.ndarray,
                 momentum: np.ndarray, losses: np.ndarray, readiness: np.ndarray,
                 quality: np.ndarray, aggression: np.ndarray, st: np.ndarray, reach: np.ndarray,
                 cc: cb.CombatConstants, recovery: float, loss_shock: float,
                 isolation_shock: float, rout_threshold: float) -> dict[str, np.ndarray]:
    """GeoModel._morale_and_rout up to `routs`: new F, morale, losses and the broken cells."""
    F = F.copy()
    losses = losses.copy()
    crumbs = F < 1.0
    losses += (F * crumbs).sum(axis=2)
    F[crumbs] = 0.0
    P = power(F, readiness, quality, morale, cc)
    near = enemy_power(P * aggression[:, :, None], war(st)) @ reach
    own = enemy_power(P, friendly(st)) @ reach
    m = morale_update(morale, morale0, loss_today, F, own, near, momentum, recovery, loss_shock,
                      isolation_shock)
    return {"F": F, "morale": m, "losses": losses, "broken": routs(m, F, rout_threshold)}
