"""The constants of the combat rule, fitted on CDB90 (sim/data/combat_constants.json).

`CombatConstants` holds every free constant of the combat formulas (sim/model/formulas.py:
win probability, daily loss shares, the morale factor); `load_constants` reads the shipped
fit, `save_constants` writes a refit (geosim backtest --fit). See docs/model.md, "Combat
adjudication" and "Calibration".
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

# Integer codes in sim.scenario.schema.Posture / sim.scenario.schema.Terrain order (the
# engine passes these).
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
    advance_intercept: float = 0.89
    """a0: ln(km a winning attacker advances per day) at parity, hasty defence, open ground."""
    advance_slope: float = 1.0
    """a1: per unit of ln(attacker power / defender power) (>= 0; an assumption: CDB90's
    fought battles show no slope, their selection again, while Dupuy's opposed advance rates
    grow with the power ratio)."""
    advance_posture: tuple[float, float, float] = (0.0, 0.0, -0.24)
    """Added to ln(km/day) against a hasty, prepared, fortified defence (<= 0)."""
    advance_terrain: tuple[float, float, float, float, float, float, float] = (
        -0.9, 0.0, 0.0, -0.64, -0.64, 0.0, -0.34)
    """Added to ln(km/day) per terrain class (urban, open, desert, rough, mountain, marsh,
    forest; <= 0)."""
    advance_max_km: float = 60.0
    """Largest advance in one day (km): a pursuit on roads."""
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
    for name in ("posture_effect", "terrain_effect", "advance_posture", "advance_terrain"):
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
