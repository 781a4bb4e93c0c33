"""Array forms of the formulas, for NumPy code (calibration, backtests, charts, tests).

Each function here loops over the same scalar function of sim/model/formulas.py that the
kernels call (numba.vectorize for scalar-only formulas, a thin compiled loop where a formula
reads the constants container), so a rule is never written twice. Arguments broadcast like
NumPy's; random numbers are passed in as uniforms in (0, 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numba import vectorize
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtri

from sim.model import formulas as f
from sim.model import formulas_campaign as fc
from sim.model.combat_constants import CombatConstants
from sim.model.constants import DEFAULT, KernelConstants, kernel_constants

_U_EPS = 1e-12  # keeps the inverse normal CDF finite for uniforms of exactly 0 or 1
_F8 = "float64(float64, float64, float64, float64)"

troops_arriving = vectorize([_F8], cache=True)(f.troops_arriving.py_func)
strike_kills = vectorize(["float64(float64, float64, float64)"], cache=True)(
    f.strike_kills.py_func)
friendly_relation = vectorize(["boolean(int8)"], cache=True)(f.friendly.py_func)


def held_by_friend(actor: ArrayLike, holder: np.ndarray, stance: np.ndarray) -> NDArray[np.bool_]:
    """Where a region is held (`holder` >= 0, an actor index) by `actor` or a friend of it
    (formulas.friendly); `stance`: `actor`'s stance (int8 code) towards each holder, read at
    any actor where nobody holds. Arguments broadcast."""
    holder = np.asarray(holder)
    return (holder >= 0) & ((holder == actor) | friendly_relation(stance))
mixed_morale = vectorize([_F8], cache=True)(f.mixed_morale.py_func)
will_to_fight = vectorize([_F8], cache=True)(fc.will_to_fight.py_func)
brittleness = vectorize(["float64(float64)"], cache=True)(fc.brittleness.py_func)
felt_loss_share = vectorize(["float64(float64, float64, float64)"], cache=True)(
    fc.felt_loss_share.py_func)


@lru_cache(maxsize=8)
def _constants(combat: CombatConstants) -> KernelConstants:
    return kernel_constants(DEFAULT, combat, 1)


def _flat(*arrays: ArrayLike) -> tuple[tuple[int, ...], list[np.ndarray]]:
    arrs = np.broadcast_arrays(*[np.asarray(a) for a in arrays])
    return arrs[0].shape, [np.ascontiguousarray(a).ravel() for a in arrs]


@f.kernel
def _power_loop(personnel, readiness_quality, morale, k, out):  # pragma: no cover
    for i in range(out.shape[0]):
        out[i] = f.combat_power(personnel[i], readiness_quality[i], morale[i], 1.0, k)


def combat_power(personnel: ArrayLike, readiness: ArrayLike, quality: ArrayLike,
                 morale: ArrayLike, consts: CombatConstants) -> NDArray[np.float64]:
    """formulas.combat_power over arrays (readiness x quality taken first, as the engine),
    fully supplied."""
    rq = np.asarray(readiness, np.float64) * np.asarray(quality, np.float64)
    shape, (n, q, m) = _flat(np.asarray(personnel, np.float64), rq,
                             np.asarray(morale, np.float64))
    out = np.empty(n.shape[0])
    _power_loop(n, q, m, _constants(consts), out)
    return out.reshape(shape)


@f.kernel
def _win_loop(att, dfn, posture, terrain, river, air, surprise, k, out):  # pragma: no cover
    for i in range(out.shape[0]):
        out[i] = f.attacker_win_probability(f.log_power(att[i]), f.log_power(dfn[i]),
                                            posture[i], terrain[i], river[i], air[i],
                                            surprise[i], k)


def win_probability(att_power: ArrayLike, def_power: ArrayLike, posture: ArrayLike,
                    terrain: ArrayLike, river: ArrayLike, air: ArrayLike, surprise: ArrayLike,
                    consts: CombatConstants) -> NDArray[np.float64]:
    """formulas.attacker_win_probability of combat powers over arrays (posture and terrain
    as codes, river as bool, air and surprise in [-1, 1])."""
    shape, (a, d, p, t, r, s_air, s_sur) = _flat(
        np.asarray(att_power, np.float64), np.asarray(def_power, np.float64),
        np.asarray(posture, np.int64), np.asarray(terrain, np.int64),
        np.asarray(river, np.bool_), np.asarray(air, np.float64),
        np.asarray(surprise, np.float64))
    out = np.empty(a.shape[0])
    _win_loop(a, d, p, t, r, s_air, s_sur, _constants(consts), out)
    return out.reshape(shape)


def normal_score(u: ArrayLike) -> NDArray[np.float64]:
    """Phi^-1(u), with u clipped to [1e-12, 1 - 1e-12]: the loss noise of a uniform draw."""
    return np.asarray(ndtri(np.clip(np.asarray(u, np.float64), _U_EPS, 1.0 - _U_EPS)),
                      dtype=np.float64)


@f.kernel
def _loss_loop(att_pers, def_pers, att_pow, def_pow, won, z_att, z_own, correlated, k,
               out):  # pragma: no cover
    for i in range(out.shape[1]):
        log_a, log_d = f.log_power(att_pow[i]), f.log_power(def_pow[i])
        z_def = f.defender_noise(z_att[i], z_own[i], k) if correlated else z_att[i]
        out[0, i] = f.daily_loss(f.attacker_loss_share(log_a, log_d, won[i], z_att[i], k),
                                 att_pers[i])
        out[1, i] = f.daily_loss(f.defender_loss_share(log_a, log_d, won[i], z_def, k),
                                 def_pers[i])


def daily_losses(att_personnel: ArrayLike, def_personnel: ArrayLike, att_power: ArrayLike,
                 def_power: ArrayLike, attacker_won: ArrayLike, consts: CombatConstants,
                 noise_u: ArrayLike, noise_u_def: ArrayLike | None = None,
                 ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Persons each side loses in one day of battle (formulas.attacker_loss_share,
    defender_loss_share, daily_loss). The attacker's noise is Phi^-1(noise_u); with
    noise_u_def the defender's is formulas.defender_noise of both, else the attacker's."""
    z_att = normal_score(noise_u)
    z_own = z_att if noise_u_def is None else normal_score(noise_u_def)
    shape, (ap, dp, apow, dpow, won, za, zo) = _flat(
        np.asarray(att_personnel, np.float64), np.asarray(def_personnel, np.float64),
        np.asarray(att_power, np.float64), np.asarray(def_power, np.float64),
        np.asarray(attacker_won, np.bool_), z_att, z_own)
    out = np.empty((2, ap.shape[0]))
    _loss_loop(ap, dp, apow, dpow, won, za, zo, noise_u_def is not None, _constants(consts),
               out)
    return out[0].reshape(shape), out[1].reshape(shape)


@dataclass(frozen=True)
class CombatResult:
    """Outcome of :func:`adjudicate`, one value per engagement (arrays broadcast together)."""

    p_win: NDArray[np.float64]
    attacker_wins: NDArray[np.bool_]
    att_loss: NDArray[np.float64]
    def_loss: NDArray[np.float64]


def adjudicate(att_personnel: ArrayLike, def_personnel: ArrayLike, att_power: ArrayLike,
               def_power: ArrayLike, situation: dict[str, ArrayLike], consts: CombatConstants,
               u_win: ArrayLike, noise_u: ArrayLike,
               noise_u_def: ArrayLike | None = None) -> CombatResult:
    """One day of engagements: the attacker wins where u_win < p_win; losses given that.

    situation: posture, terrain, river, air, surprise (see :func:`win_probability`).
    """
    p = win_probability(att_power, def_power, situation["posture"], situation["terrain"],
                        situation["river"], situation["air"], situation["surprise"], consts)
    wins = np.asarray(u_win, np.float64) < p
    att_loss, def_loss = daily_losses(att_personnel, def_personnel, att_power, def_power,
                                      wins, consts, noise_u, noise_u_def)
    return CombatResult(p, wins, att_loss, def_loss)


@f.kernel
def _advance_loop(att, dfn, posture, terrain, k, out):  # pragma: no cover
    for i in range(out.shape[0]):
        out[i] = fc.advance_km(f.log_power(att[i]), f.log_power(dfn[i]), posture[i],
                               terrain[i], k)


def advance_rates(att_power: ArrayLike, def_power: ArrayLike, posture: ArrayLike,
                  terrain: ArrayLike, consts: CombatConstants) -> NDArray[np.float64]:
    """formulas_campaign.advance_km (km a winning attacker advances per day) over arrays."""
    shape, (a, d, p, t) = _flat(np.asarray(att_power, np.float64),
                                np.asarray(def_power, np.float64),
                                np.asarray(posture, np.int64), np.asarray(terrain, np.int64))
    out = np.empty(a.shape[0])
    _advance_loop(a, d, p, t, _constants(consts), out)
    return out.reshape(shape)
