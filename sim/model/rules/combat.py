"""Combat adjudication: who wins an engagement and how many each side loses per day.

A Lanchester-family rule with factors in the manner of Dupuy's Quantified Judgment Model
(QJM) and Tactical Numerical Deterministic Model (TNDM), calibrated on the CAA Database of
Battles (CDB90; see :mod:`sim.calibration` and docs/model.md, "Combat adjudication"):

* combat power ``P = personnel x readiness x quality x m(morale)`` (Dupuy 1979, ch. 4);
* the attacker wins with probability ``sigmoid(c0 + b ln(Pa/Pd) + posture + terrain + river
  + air + surprise)`` -- a logistic model of the combat power ratio in which each situational
  factor is an additive term on the log-odds, i.e. a multiplier ``exp(term / b)`` on the
  power ratio as in the QJM;
* each side loses a share of its personnel per day that grows with the enemy's power and
  shrinks with its own, ``base x (P_enemy / P_own)^e`` (Lanchester 1916; Helmbold 1964), with a
  loser multiplier and lognormal noise.

Every function is pure and vectorised: arguments are numpy arrays of any broadcastable shape
and the random numbers are passed in as uniforms in (0, 1), so element i gives the same result
whether computed alone or inside a large array.

References:
    T. N. Dupuy, *Numbers, Predictions and War* (1979) and *Attrition* (1990).
    F. W. Lanchester, *Aircraft in Warfare* (1916).
    R. L. Helmbold, "A modification of Lanchester's equations", Operations Research 13 (1965).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtri

# Integer codes in sim.scenario.schema.Posture / sim.scenario.schema.Terrain order (the engine
# passes these).
POSTURE_CODES: dict[str, int] = {"hasty": 0, "prepared": 1, "fortified": 2}
TERRAIN_CODES: dict[str, int] = {
    "urban": 0,
    "open": 1,
    "desert": 2,
    "rough": 3,
    "mountain": 4,
    "marsh": 5,
    "forest": 6,
}

# Keeps log(power) finite when a side has no power left; far below one person.
_TINY = 1e-9
# Keeps the inverse normal CDF finite for uniforms of exactly 0 or 1.
_U_EPS = 1e-12

CONSTANTS_FILE = "combat_constants.json"


@dataclass(frozen=True)
class CombatConstants:
    """Every free constant of the combat rule (see docs/model.md for units and sources).

    Win-probability terms are on the attacker's log-odds scale (logits). The defaults are the
    CDB90 fit rounded (see ``sim/data/combat_constants.json`` for the shipped values and their
    provenance); the morale constants and the daily cap are assumptions, not fitted.
    """

    win_intercept: float = 0.09
    """c0: attacker's log-odds at equal power, hasty defence, open terrain, no modifiers."""
    ratio_slope: float = 0.55
    """b: log-odds per unit of ln(attacker power / defender power); >= 0."""
    posture_effect: tuple[float, float, float] = (0.0, 0.0, -0.70)
    """Log-odds added for a hasty, prepared, fortified defence (<= 0, non-increasing)."""
    terrain_effect: tuple[float, float, float, float, float, float, float] = (
        -0.32,
        0.0,
        -0.08,
        0.0,
        0.0,
        0.0,
        0.0,
    )
    """Log-odds added per terrain class (urban, open, desert, rough, mountain, marsh, forest)."""
    river_effect: float = -0.06
    """Log-odds added when the attack crosses a river (<= 0)."""
    air_coef: float = 0.93
    """Log-odds per unit of air superiority in [-1, 1] (attacker's view; >= 0)."""
    surprise_coef: float = 1.91
    """Log-odds per unit of surprise in [-1, 1] (attacker's view; >= 0)."""
    morale_neutral: float = 0.6
    """Morale at which the morale factor is 1 (the scenario default morale)."""
    morale_weight: float = 0.5
    """Change of the morale factor per unit of morale above/below neutral."""
    morale_floor: float = 0.2
    """Smallest morale factor: a broken force still fights a little."""
    att_loss_base: float = 0.038
    """Median daily loss share of a winning attacker at power parity (1/day)."""
    att_loss_exp: float = 0.69
    """Exponent of (defender power / attacker power) in the attacker's loss rate (>= 0)."""
    att_loser_mult: float = 1.8
    """Multiplier on the attacker's loss rate when the attacker loses (>= 1)."""
    def_loss_base: float = 0.033
    """Median daily loss share of a winning defender at power parity (1/day)."""
    def_loss_exp: float = 0.0
    """Exponent of (attacker power / defender power) in the defender's loss rate (>= 0)."""
    def_loser_mult: float = 2.56
    """Multiplier on the defender's loss rate when the defender loses (>= 1)."""
    att_loss_sigma: float = 1.25
    """Standard deviation of ln(attacker daily loss share) around its median."""
    def_loss_sigma: float = 1.32
    """Standard deviation of ln(defender daily loss share) around its median."""
    loss_noise_corr: float = 0.57
    """Correlation of the two sides' log loss noise (a common intensity of fighting)."""
    max_daily_loss_share: float = 1.0
    """Largest share of its personnel a side can lose in one day."""
    provenance: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """Where the fitted values come from: fit date, data file sha256, n, figures."""


def _default_path() -> Path:
    return Path(str(resources.files("sim").joinpath("data", CONSTANTS_FILE)))


def load_constants(path: str | Path | None = None) -> CombatConstants:
    """Read the constants from JSON (default: the shipped ``sim/data/combat_constants.json``).

    Keys missing from the file keep their dataclass defaults; unknown keys raise ``TypeError``.
    """
    p = Path(path) if path is not None else _default_path()
    raw = json.loads(p.read_text(encoding="utf-8"))
    for name in ("posture_effect", "terrain_effect"):
        if name in raw:
            raw[name] = tuple(float(v) for v in raw[name])
    return CombatConstants(**raw)


def save_constants(consts: CombatConstants, path: str | Path | None = None) -> Path:
    """Write the constants (and their provenance) as indented JSON; return the path."""
    p = Path(path) if path is not None else _default_path()
    data = asdict(consts)
    ordered = {f.name: data[f.name] for f in fields(consts)}
    p.write_text(json.dumps(ordered, indent=2) + "\n", encoding="utf-8")
    return p


def _f(x: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(x, dtype=np.float64)


def morale_factor(morale: ArrayLike, consts: CombatConstants) -> NDArray[np.float64]:
    """QJM-style morale multiplier on combat power: 1 at neutral morale, linear, floored.

    Not fitted: CDB90 has no pre-battle morale measure (its MORALA is judged after the fact).
    """
    m = np.array(morale, dtype=np.float64)  # a copy, worked on in place
    m -= consts.morale_neutral
    m *= consts.morale_weight
    m += 1.0
    return np.maximum(m, consts.morale_floor, out=m)


def combat_power(
    personnel: ArrayLike,
    readiness: ArrayLike,
    quality: ArrayLike,
    morale: ArrayLike,
    consts: CombatConstants,
) -> NDArray[np.float64]:
    """Combat power P = personnel x readiness x quality x morale factor (never negative)."""
    # Hot path of the engine: multiply the small (readiness x quality) arrays first and work in
    # place on the one full-size temporary.
    mf = morale_factor(morale, consts)
    rq = _f(readiness) * _f(quality)
    shape = np.broadcast_shapes(mf.shape, rq.shape, np.shape(personnel))
    p = mf if mf.shape == shape else np.broadcast_to(mf, shape).copy()
    p *= rq
    p *= _f(personnel)
    return np.maximum(p, 0.0, out=p)


def win_logit(
    att_power: ArrayLike,
    def_power: ArrayLike,
    posture: ArrayLike,
    terrain: ArrayLike,
    river: ArrayLike,
    air: ArrayLike,
    surprise: ArrayLike,
    consts: CombatConstants,
) -> NDArray[np.float64]:
    """The attacker's log-odds of winning (see :func:`win_probability`)."""
    log_ratio = np.log(np.maximum(_f(att_power), 0.0) + _TINY) - np.log(
        np.maximum(_f(def_power), 0.0) + _TINY
    )
    posture_term = np.asarray(consts.posture_effect)[np.asarray(posture, dtype=np.intp)]
    terrain_term = np.asarray(consts.terrain_effect)[np.asarray(terrain, dtype=np.intp)]
    return (
        consts.win_intercept
        + consts.ratio_slope * log_ratio
        + posture_term
        + terrain_term
        + consts.river_effect * np.asarray(river, dtype=bool)
        + consts.air_coef * np.clip(_f(air), -1.0, 1.0)
        + consts.surprise_coef * np.clip(_f(surprise), -1.0, 1.0)
    )


def win_probability(
    att_power: ArrayLike,
    def_power: ArrayLike,
    posture: ArrayLike,
    terrain: ArrayLike,
    river: ArrayLike,
    air: ArrayLike,
    surprise: ArrayLike,
    consts: CombatConstants,
) -> NDArray[np.float64]:
    """P(attacker wins) = sigmoid(c0 + b ln(Pa/Pd) + posture + terrain + river + air + surprise).

    Args:
        att_power, def_power: combat power of each side (>= 0; see :func:`combat_power`).
        posture: defender posture codes (:data:`POSTURE_CODES`).
        terrain: terrain codes (:data:`TERRAIN_CODES`).
        river: True where the attack crosses a river.
        air: air superiority in [-1, 1] from the attacker's view (+1: the attacker has it).
        surprise: surprise in [-1, 1] from the attacker's view (+1: complete, by the attacker).
        consts: the constants.

    Returns:
        Probabilities in [0, 1], broadcast over all arguments; non-decreasing in att_power and
        non-increasing in def_power because ``ratio_slope >= 0``.
    """
    z = win_logit(att_power, def_power, posture, terrain, river, air, surprise, consts)
    # tanh form: stable for any z and exactly monotone in floating point.
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def normal_score(u: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(ndtri(np.clip(_f(u), _U_EPS, 1.0 - _U_EPS)), dtype=np.float64)


def daily_losses(
    att_personnel: ArrayLike,
    def_personnel: ArrayLike,
    att_power: ArrayLike,
    def_power: ArrayLike,
    attacker_won: ArrayLike,
    consts: CombatConstants,
    noise_u: ArrayLike,
    noise_u_def: ArrayLike | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Personnel each side loses in one day of battle (Lanchester/Helmbold-style attrition).

    ``share_att = base_att x (Pd/Pa)^e_att x [loser_mult_att if the attacker lost] x exp(s_att
    z_att)`` and symmetrically for the defender; each share is capped at
    ``max_daily_loss_share`` and each loss at the personnel present, so forces never go
    negative.

    Args:
        att_personnel, def_personnel: personnel present (persons).
        att_power, def_power: combat power of each side.
        attacker_won: bool, the outcome of the engagement.
        consts: the constants.
        noise_u: uniforms in (0, 1) for the attacker's noise ``z_att = Phi^-1(noise_u)``.
        noise_u_def: optional second uniforms; the defender's noise is then
            ``rho z_att + sqrt(1 - rho^2) Phi^-1(noise_u_def)`` (rho = ``loss_noise_corr``).
            Without it both sides share ``z_att`` (a common intensity of fighting).

    Returns:
        (att_loss, def_loss): persons lost per day, in [0, personnel].
    """
    a_pers = np.maximum(_f(att_personnel), 0.0)
    d_pers = np.maximum(_f(def_personnel), 0.0)
    a_pow = np.maximum(_f(att_power), 0.0) + _TINY
    d_pow = np.maximum(_f(def_power), 0.0) + _TINY
    won = np.asarray(attacker_won, dtype=bool)
    z_att = normal_score(noise_u)
    if noise_u_def is None:
        z_def = z_att
    else:
        rho = consts.loss_noise_corr
        z_def = rho * z_att + np.sqrt(1.0 - rho**2) * normal_score(noise_u_def)
    # Powers enter as logs so that extreme ratios cannot overflow before the cap.
    log_share_att = (
        np.log(consts.att_loss_base)
        + consts.att_loss_exp * (np.log(d_pow) - np.log(a_pow))
        + np.where(won, 0.0, np.log(consts.att_loser_mult))
        + consts.att_loss_sigma * z_att
    )
    log_share_def = (
        np.log(consts.def_loss_base)
        + consts.def_loss_exp * (np.log(a_pow) - np.log(d_pow))
        + np.where(won, np.log(consts.def_loser_mult), 0.0)
        + consts.def_loss_sigma * z_def
    )
    cap = np.log(consts.max_daily_loss_share)
    share_att = np.exp(np.minimum(log_share_att, cap))
    share_def = np.exp(np.minimum(log_share_def, cap))
    return np.minimum(share_att * a_pers, a_pers), np.minimum(share_def * d_pers, d_pers)


@dataclass(frozen=True)
class CombatResult:
    """Outcome of :func:`adjudicate`, one value per engagement (arrays broadcast together)."""

    p_win: NDArray[np.float64]
    attacker_wins: NDArray[np.bool_]
    att_loss: NDArray[np.float64]
    def_loss: NDArray[np.float64]


def adjudicate(
    att_personnel: ArrayLike,
    def_personnel: ArrayLike,
    att_power: ArrayLike,
    def_power: ArrayLike,
    posture: ArrayLike,
    terrain: ArrayLike,
    river: ArrayLike,
    air: ArrayLike,
    surprise: ArrayLike,
    consts: CombatConstants,
    u_win: ArrayLike,
    noise_u: ArrayLike,
    noise_u_def: ArrayLike | None = None,
) -> CombatResult:
    """Decide one day of engagements: the attacker wins where ``u_win < p_win``.

    Losses are those of :func:`daily_losses` given that outcome.
    """
    p = win_probability(att_power, def_power, posture, terrain, river, air, surprise, consts)
    wins = _f(u_win) < p
    att_loss, def_loss = daily_losses(
        att_personnel, def_personnel, att_power, def_power, wins, consts, noise_u, noise_u_def
    )
    return CombatResult(p_win=p, attacker_wins=wins, att_loss=att_loss, def_loss=def_loss)
