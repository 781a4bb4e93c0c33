"""Fog of war: what a team knows of the enemy.

Who holds each region is public. Enemy strength is seen only in regions the team or an ally
holds or has forces in, in their neighbours, and, with good intelligence (0.6 or more, own plus
shared), one link further. What is seen is a rounded range whose width shrinks as
intelligence improves: ±(25% + 50% x (1 - intelligence)), rounded outwards to round
numbers (3,400 reads "1,000-7,000" with intelligence 0.3, "2,000-5,000" with 0.9). No random
noise: the fog never touches the game's random stream, so a replay is exact. The umpire (no
fog) sees exact numbers.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.model.vectorised import friendly_relation

if TYPE_CHECKING:
    from sim.model.engine import GeoModel

SHARP_INTEL = 0.6  # intelligence from which a team sees one link further


def intelligence(m: GeoModel, a: int) -> float:
    """Actor a's intelligence now: own plus what allies share (capped at 1)."""
    return float(min(m.state.intel[0, a] + m.intel_bonus[0, a], 1.0))


def visible(m: GeoModel, a: int) -> np.ndarray:
    """(G,) bool: regions where actor a sees enemy strength."""
    st = m.state.stance[0, a]
    friends = friendly_relation(st)
    friends[a] = True
    ctrl = m.state.control[0]
    held = (ctrl >= 0) & friends[np.clip(ctrl, 0, None)]
    present = (m.state.F[0, friends] >= 1).any(axis=0) | held
    seen = (m.reach @ present.astype(float)) > 0
    if intelligence(m, a) >= SHARP_INTEL:
        seen = (m.reach @ seen.astype(float)) > 0
    return seen


_STEPS = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0, 10.0)


def _nice(x: float, up: bool) -> float:
    """Round x outwards to 1, 1.5, 2, 3, 5, 7 times a power of ten."""
    if x <= 0:
        return 0.0
    e = 10.0 ** math.floor(math.log10(x))
    if up:
        return next(s * e for s in _STEPS if s * e >= x - 1e-9)
    return next(s * e for s in reversed(_STEPS) if s * e <= x + 1e-9)


def strength_range(x: float, intel: float) -> str:
    """A rounded range around x, e.g. '2,000-5,000'; 'none' when nothing is there."""
    if x < 1:
        return "none"
    w = 0.25 + 0.5 * (1.0 - min(max(intel, 0.0), 1.0))
    lo, hi = _nice(x * (1 - w), up=False), _nice(x * (1 + w), up=True)
    return f"{lo:,.0f}-{hi:,.0f}"


def enemy_strength(m: GeoModel, a: int, g: int, fog: bool) -> str:
    """What actor a knows of its enemies' personnel in region g."""
    war = m.state.war()[0, a]
    x = float((m.state.F[0, :, g] * war).sum())
    if not fog:
        return f"{x:,.0f}" if x >= 1 else "none"
    if not visible(m, a)[g]:
        return "?"
    return strength_range(x, intelligence(m, a))
