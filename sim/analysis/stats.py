"""Statistics of ensembles: Wilson intervals, quantiles, Monte Carlo errors, comparisons.

Pure functions over arrays and DataFrames; no I/O. The summary table follows the contract in
docs/architecture.md: one row per declared outcome with columns `outcome`, `label`, `binary`,
`n`, `p`, `p_lo`, `p_hi` (binary outcomes), `mean`, `q05`, `q50`, `q95` (quantities), `mcse`.

References:
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
        JASA 22(158), 209-212.
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
        proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890
        (method 10, the hybrid score interval).
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
        population variances are involved. Biometrika 34, 28-35.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

Z95 = 1.959963984540054  # two-sided 95% normal quantile

SUMMARY_COLUMNS = [
    "outcome", "label", "binary", "n", "p", "p_lo", "p_hi", "mean", "q05", "q50", "q95", "mcse",
    "timing",
]
COMPARE_COLUMNS = [
    "outcome", "label", "binary", "method", "n_a", "n_b", "a", "b", "diff", "lo", "hi",
]


def wilson(k: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n (NaN, NaN when n == 0).

    Unlike the normal (Wald) interval it stays inside [0, 1] and keeps its coverage when the
    proportion is near 0 or 1, which is where rare outcomes (a capital falling) live.
    """
    if n <= 0:
        return math.nan, math.nan
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def quantiles(x: Sequence[float] | np.ndarray,
              qs: Sequence[float] = (0.05, 0.5, 0.95)) -> list[float]:
    """Quantiles of the finite values of `x` (linear interpolation); NaN for an empty sample."""
    a = _finite(x)
    if a.size == 0:
        return [math.nan] * len(qs)
    return [float(v) for v in np.quantile(a, qs)]


def mcse_binary(p: float, n: int) -> float:
    """Monte Carlo standard error of a proportion: sqrt(p (1 - p) / n)."""
    return math.sqrt(p * (1 - p) / n) if n > 0 else math.nan


def mcse_mean(x: Sequence[float] | np.ndarray) -> float:
    """Monte Carlo standard error of a mean: sample sd / sqrt(n) (NaN below two values)."""
    a = _finite(x)
    return float(np.std(a, ddof=1) / math.sqrt(a.size)) if a.size >= 2 else math.nan


def summarise(runs: pd.DataFrame, outcomes: Mapping[str, Any]) -> pd.DataFrame:
    """The summary table: one row per outcome over the replications whose status is "ok".

    Args:
        runs: the runs table (columns `status` and `out:<id>`, see the engine contract).
        outcomes: outcome id -> `sim.scenario.schema.Outcome`, or a manifest entry
            `{"label": ..., "binary": ...}` (so a results folder can be summarised alone).

    Returns:
        A DataFrame with SUMMARY_COLUMNS. `n` counts ok rows with a finite value. Binary rows
        fill p, p_lo, p_hi (Wilson 95%) and leave the quantiles NaN; quantity rows the reverse.
    """
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    rows = []
    for oid, spec in outcomes.items():
        label, binary = _outcome_info(oid, spec)
        col = f"out:{oid}"
        raw = ok[col].to_numpy(float) if col in ok else np.array([])
        x = _finite(raw)
        row: dict[str, Any] = dict.fromkeys(SUMMARY_COLUMNS, math.nan)
        row.update(outcome=oid, label=label, binary=binary, n=int(x.size), timing=False)
        if not binary and (np.isposinf(raw).any() or _is_timing(spec)):
            _timing_from_values(row, raw[~np.isnan(raw)])
        elif binary:
            p = float(x.mean()) if x.size else math.nan
            row["p"] = p
            row["p_lo"], row["p_hi"] = wilson(float(x.sum()), x.size)
            row["mcse"] = mcse_binary(p, x.size)
        else:
            row["mean"] = float(x.mean()) if x.size else math.nan
            row["q05"], row["q50"], row["q95"] = quantiles(x)
            row["mcse"] = mcse_mean(x)
        rows.append(row)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _is_timing(spec: Any) -> bool:
    from sim.experiments.aggregate import is_timing

    return is_timing(spec)


def _timing_from_values(row: dict[str, Any], days: np.ndarray) -> None:
    """A timing outcome's row from its values (+inf: not by the horizon, censored)."""
    happened = np.isfinite(days)
    n, k = int(days.size), int(happened.sum())
    p = k / n if n else math.nan
    row.update(timing=True, n=n, p=p, mcse=mcse_binary(p, n),
               mean=float(days[happened].mean()) if k else math.nan)
    row["p_lo"], row["p_hi"] = wilson(k, n)
    if n:
        row["q05"], row["q50"], row["q95"] = (float(v) for v in np.quantile(
            days, (0.05, 0.5, 0.95), method="inverted_cdf"))


def hist_quantiles(counts: np.ndarray, values: np.ndarray,
                   qs: Sequence[float] = (0.05, 0.5, 0.95)) -> list[float]:
    """Quantiles of a histogram: the value of the bin where the cumulative count first
    reaches q * n (the inverse empirical CDF); NaN for an empty histogram."""
    c = np.asarray(counts, np.float64)
    n = c.sum()
    if n <= 0:
        return [math.nan] * len(qs)
    cum = np.cumsum(c)
    idx = [int(np.searchsorted(cum, max(q * n, 1e-9), side="left")) for q in qs]
    return [float(values[min(i, len(values) - 1)]) for i in idx]


def summarise_aggregate(agg: Any, outcomes: Mapping[str, Any]) -> pd.DataFrame:
    """The summary table (SUMMARY_COLUMNS) from a results folder's aggregate.

    Binary outcomes are exact (counts); quantity quantiles come from the value histograms
    (within sim.experiments.aggregate.REL_ERROR of the exact sample quantiles); means and
    MC errors from exact sums. A timing outcome (a day, +inf when it did not happen by the
    horizon) gives p = P(happened by the horizon) with its Wilson interval, and the 5/50/95%
    days over all runs with "not by the horizon" kept as censored (+inf when more than that
    share of runs is censored): every run shares the horizon, so this is the Kaplan-Meier
    estimate.
    """
    from sim.experiments import aggregate

    rows = []
    for oid, spec in outcomes.items():
        label, binary = _outcome_info(oid, spec)
        o = agg.outcomes.get(oid) if agg is not None else None
        row: dict[str, Any] = dict.fromkeys(SUMMARY_COLUMNS, math.nan)
        timing = o is not None and (aggregate.is_timing(spec) or o.pos_inf > 0) and not binary
        row.update(outcome=oid, label=label, binary=binary, n=0 if o is None else o.n,
                   timing=timing)
        if o is None or (o.n == 0 and o.pos_inf == 0):
            rows.append(row)
            continue
        if binary:
            p = o.total / o.n
            row.update(p=p, mcse=mcse_binary(p, o.n))
            row["p_lo"], row["p_hi"] = wilson(o.total, o.n)
        elif timing:
            _timing_row(row, o)
        else:
            mean = o.total / o.n
            var = max(o.squares / o.n - mean**2, 0.0) * o.n / max(o.n - 1, 1)
            row.update(mean=mean, mcse=math.sqrt(var / o.n) if o.n > 1 else math.nan)
            row["q05"], row["q50"], row["q95"] = hist_quantiles(
                o.hist, aggregate.value_of_bin(np.arange(len(o.hist))))
        rows.append(row)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _timing_row(row: dict[str, Any], o: Any) -> None:
    """p = share of runs where it happened by the horizon; day quantiles with +inf censored."""
    from sim.experiments import aggregate

    n = o.n + o.pos_inf
    p = o.n / n
    if o.days is not None:
        counts, values = o.days, np.arange(len(o.days), dtype=float)
    else:
        counts = o.hist
        values = aggregate.value_of_bin(np.arange(len(o.hist)))
    counts = np.append(counts, o.pos_inf)
    values = np.append(values, math.inf)
    row.update(n=n, p=p, mcse=mcse_binary(p, n), mean=o.total / o.n if o.n else math.nan)
    row["p_lo"], row["p_hi"] = wilson(o.n, n)
    row["q05"], row["q50"], row["q95"] = hist_quantiles(counts, values)


def compare(runs_a: pd.DataFrame, runs_b: pd.DataFrame,
            outcomes: Mapping[str, Any]) -> pd.DataFrame:
    """Per-outcome difference B - A with a 95% interval.

    When both tables hold the same replication indices (same seed and runs: common random
    numbers, e.g. a variant against its baseline), the difference is estimated from the paired
    per-replication differences with a t interval, which is far tighter than treating the two
    samples as independent. Otherwise binary outcomes use Newcombe's hybrid score interval and
    quantities Welch's t interval.

    Returns:
        A DataFrame with COMPARE_COLUMNS: `a` and `b` are the means (proportions), `diff` is
        b - a, `lo`/`hi` its interval, `method` one of "paired", "newcombe", "welch".
    """
    a_ok = _ok_by_rep(runs_a)
    b_ok = _ok_by_rep(runs_b)
    paired = len(a_ok) > 1 and a_ok.index.equals(b_ok.index)
    rows = []
    for oid, spec in outcomes.items():
        label, binary = _outcome_info(oid, spec)
        col = f"out:{oid}"
        xa = a_ok[col].to_numpy(float) if col in a_ok else np.array([])
        xb = b_ok[col].to_numpy(float) if col in b_ok else np.array([])
        row: dict[str, Any] = dict(outcome=oid, label=label, binary=binary)
        if paired:
            keep = np.isfinite(xa) & np.isfinite(xb)
            d = xb[keep] - xa[keep]
            half = _t_half(np.std(d, ddof=1) / math.sqrt(d.size), d.size - 1)
            diff, method = float(d.mean()), "paired"
            lo, hi = diff - half, diff + half
            xa, xb = xa[keep], xb[keep]
        else:
            xa, xb = _finite(xa), _finite(xb)
            if binary:
                diff, lo, hi = newcombe(float(xb.sum()), xb.size, float(xa.sum()), xa.size)
                method = "newcombe"
            else:
                diff, lo, hi = welch(xb, xa)
                method = "welch"
        row.update(method=method, n_a=int(xa.size), n_b=int(xb.size),
                   a=_mean(xa), b=_mean(xb), diff=diff, lo=lo, hi=hi)
        rows.append(row)
    return pd.DataFrame(rows, columns=COMPARE_COLUMNS)


def newcombe(k1: float, n1: int, k2: float, n2: int,
             z: float = Z95) -> tuple[float, float, float]:
    """Newcombe's hybrid score interval for p1 - p2 (independent samples): (diff, lo, hi)."""
    if n1 == 0 or n2 == 0:
        return math.nan, math.nan, math.nan
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, z)
    l2, u2 = wilson(k2, n2, z)
    d = p1 - p2
    lo = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, lo, hi


def welch(x1: np.ndarray, x2: np.ndarray) -> tuple[float, float, float]:
    """Welch's t interval for mean(x1) - mean(x2): (diff, lo, hi)."""
    if x1.size < 2 or x2.size < 2:
        return _mean(x1) - _mean(x2), math.nan, math.nan
    v1, v2 = np.var(x1, ddof=1) / x1.size, np.var(x2, ddof=1) / x2.size
    se = math.sqrt(v1 + v2)
    # Welch-Satterthwaite degrees of freedom; a zero-variance pair degenerates to a point.
    df = (v1 + v2) ** 2 / (v1**2 / (x1.size - 1) + v2**2 / (x2.size - 1)) if se > 0 else 1.0
    d = float(x1.mean() - x2.mean())
    half = _t_half(se, df)
    return d, d - half, d + half


# --------------------------------------------------------------------------------------------


def _t_half(se: float, df: float) -> float:
    from scipy import stats as sps

    if not np.isfinite(se) or df < 1:
        return math.nan
    return float(sps.t.ppf(0.975, df) * se)


def _finite(x: Any) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    return a[np.isfinite(a)]


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else math.nan


def _ok_by_rep(runs: pd.DataFrame) -> pd.DataFrame:
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    return ok.set_index("rep").sort_index()


def _outcome_info(oid: str, spec: Any) -> tuple[str, bool]:
    """(label, binary) from a schema Outcome or a manifest dict."""
    if isinstance(spec, Mapping):
        return str(spec.get("label") or oid), bool(spec.get("binary"))
    return str(getattr(spec, "label", "") or oid), bool(spec.is_binary)
