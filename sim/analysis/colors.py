"""Chart colours: a colour-blind-safe palette by default, and near-duplicate colour checks.

No plotly import here: `geosim validate` uses `near_duplicates` to warn about actor colours
that a reader cannot tell apart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

# Okabe & Ito (2008), "Color Universal Design": distinguishable under the common colour
# vision deficiencies, and dark enough on white for a projector (yellow is kept last).
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
             "#F0E442")
EXTRA = ("#882255", "#999933", "#AA4499", "#332288", "#661100")  # from Tol's palettes
NONE_COLOR = "#BBBBBB"
"""Colour of 'no controller' and of neutral elements."""
NEAR_DUPLICATE = 20.0  # CIE76 difference below which two colours read as one (Okabe-Ito: >= 26)
_NAMED = {"black": "#000000", "white": "#ffffff", "red": "#ff0000", "green": "#008000",
          "blue": "#0000ff", "gray": "#808080", "grey": "#808080", "orange": "#ffa500",
          "purple": "#800080", "yellow": "#ffff00", "brown": "#a52a2a", "navy": "#000080"}


def to_lab(color: str) -> tuple[float, float, float] | None:
    """CIE L*a*b* (D65) of a #rgb / #rrggbb or basic named colour; None if not understood."""
    text = _NAMED.get(color.strip().lower(), color.strip())
    if not text.startswith("#") or len(text) not in (4, 7):
        return None
    digits = text[1:] if len(text) == 7 else "".join(c * 2 for c in text[1:])
    try:
        rgb = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    except ValueError:
        return None
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    x = (0.4124 * lin[0] + 0.3576 * lin[1] + 0.1805 * lin[2]) / 0.95047
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    z = (0.0193 * lin[0] + 0.1192 * lin[1] + 0.9505 * lin[2]) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def distance(a: str, b: str) -> float:
    """CIE76 difference of two colours (inf when either is not understood)."""
    la, lb = to_lab(a), to_lab(b)
    return math.dist(la, lb) if la and lb else math.inf


def near_duplicates(colors: Mapping[str, str],
                    limit: float = NEAR_DUPLICATE) -> list[tuple[str, str, float]]:
    """Pairs of ids whose colours differ by less than `limit` (CIE76), closest first."""
    ids = list(colors)
    pairs = [(a, b, distance(colors[a], colors[b])) for i, a in enumerate(ids)
             for b in ids[i + 1:]]
    return sorted((p for p in pairs if p[2] < limit), key=lambda p: p[2])


def palette_for(given: Mapping[str, str | None]) -> dict[str, str]:
    """A colour-blind-safe colour per id, each as close as possible to the id's own colour
    (an optimal assignment, scipy's linear_sum_assignment), so ISIS stays black and Iraq
    blue while two near-identical blues become two distinguishable colours."""
    from scipy.optimize import linear_sum_assignment

    ids = list(given)
    pool = list(OKABE_ITO + EXTRA)
    while len(pool) < len(ids):
        pool += pool
    cost = [[distance(given[a] or "", c) if given[a] else 0.0 for c in pool] for a in ids]
    cost = [[min(v, 1e3) + 1e-3 * j for j, v in enumerate(row)] for row in cost]  # order ties
    rows, cols = linear_sum_assignment(cost)
    return {ids[r]: pool[c] for r, c in zip(rows, cols, strict=True)}


def actor_colors(scenario: Any, own: bool = False) -> dict[str, str]:
    """Each actor's chart colour: by default the safe palette (nearest to the file's colour
    when it sets one); with `own`, the file's colours (the palette where it sets none)."""
    given = {a: (x.color if "color" in x.model_fields_set else None)
             for a, x in scenario.actors.items()}
    safe = palette_for(given)
    return {a: (given[a] or safe[a]) if own else safe[a] for a in given}
