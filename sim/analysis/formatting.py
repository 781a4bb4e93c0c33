"""How numbers read in the report: shares that never round to 0 or 100, thousands separators.

Pure string functions (no I/O), shared by the HTML report, the charts' labels and the CLI.
"""

from __future__ import annotations

import math
from typing import Any

EDGE = 0.005  # shares closer than this to 0 or 1 read as "<0.5%" / ">99.5%"


def pct(p: Any, digits: int = 1) -> str:
    """A probability as a percentage: "<0.5%" / ">99.5%" near the edges, never a rounded 0 or
    100 that did not occur; "" when not a number."""
    try:
        x = float(p)
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(x):
        return ""
    if x == 0 or x == 1:
        return f"{100 * x:.0f}%"
    if x < EDGE:
        return "<0.5%"
    if x > 1 - EDGE:
        return ">99.5%"
    text = f"{100 * x:.{digits}f}%"
    if text in (f"{0:.{digits}f}%", f"{100:.{digits}f}%"):
        return "<0.5%" if x < 0.5 else ">99.5%"
    return text


def pp(d: Any) -> str:
    """A difference of probabilities in percentage points, signed."""
    try:
        x = float(d)
    except (TypeError, ValueError):
        return ""
    return "" if not math.isfinite(x) else f"{100 * x:+.1f} pp"


def num(v: Any) -> str:
    """A quantity with thousands separators (20,100, never 2.01e+04); small values keep three
    significant digits (0.312); "" for NaN; infinities as "never"/"-never"."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(x):
        return ""
    if math.isinf(x):
        return "never" if x > 0 else "-never"
    if abs(x) >= 100 or x == int(x):
        return f"{x:,.0f}"
    return f"{x:,.3g}" if abs(x) >= 0.001 else f"{x:.2e}"


def signed(v: Any) -> str:
    """A signed quantity difference (+1,200 / -0.31)."""
    text = num(v)
    return text if not text or text.startswith("-") else f"+{text}"


def day(v: Any, horizon: Any = None) -> str:
    """A day of a timing outcome: "day 45", or "not by day 180" for +inf (censored)."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return ""
    if math.isnan(x):
        return ""
    if math.isinf(x):
        return f"not by day {horizon}" if horizon else "not by the horizon"
    return f"day {x:,.0f}"
