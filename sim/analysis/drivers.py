"""Why: which uncertain facts and events move each outcome, and whether that is noise.

From a results folder's aggregate (sim.experiments.aggregate): for every uncertain fact, the
outcome over the runs where the fact fell in the lowest fifth of its distribution and over
those where it fell in the highest fifth; for every event, the outcome over the runs where
it fired and where it did not. The difference comes with a simultaneous 95% interval over
all the candidates (Bonferroni: with 116 facts, about six would otherwise look "significant"
by chance alone): Newcombe's hybrid score interval for probabilities, Welch's t interval for
means (scipy's t quantiles). An interval that contains 0 means the effect cannot be told
apart from Monte Carlo noise with this many runs; such rows are kept, marked and ranked
after the real ones. The row order is the ranking. Pure: no I/O.

A difference between fifths is a description of the ensemble (the fact co-varies with the
outcome across runs), not a controlled experiment; `geosim sensitivity` fixes facts for
that.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.stats import newcombe

COLUMNS = ["outcome", "kind", "id", "name", "low", "high", "n_low", "n_high", "diff", "lo",
           "hi", "noise", "range_text", "source"]


def drivers(agg: Any, outcome: str, binary: bool, facts: Mapping[str, Any] | None = None,
            sources: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The drivers of one outcome, ranked (COLUMNS): facts then events, real effects first.

    Args:
        agg: a merged sim.experiments.aggregate.Aggregate.
        outcome: outcome id; binary: whether it is read as a probability (binary or timing).
        facts: fact id -> sim.scenario.schema.Fact (for ranges and sources), if known.
        sources: source id -> Source (for the outlet's name).
    """
    rows: list[dict[str, Any]] = []
    candidates = len(agg.facts) + len(agg.events)
    if candidates == 0:
        return pd.DataFrame(columns=COLUMNS)
    z = _z(0.05 / candidates)
    if agg.fact_counts is not None and outcome in agg.fact_sums:
        s = agg.fact_sums[outcome]
        for j, fid in enumerate(agg.facts):
            low, high = (s[0, j, 0], s[2, j, 0], s[1, j, 0]), (s[0, j, 4], s[2, j, 4], s[1, j, 4])
            row = _effect(low, high, binary, z)
            edges = agg.fact_edges[j]
            row.update(kind="fact", id=fid, name=fid, source=_source(facts, sources, fid),
                       range_text=_fact_text(facts, fid, edges))
            rows.append(row)
    if agg.event_counts is not None and outcome in agg.event_sums:
        s = agg.event_sums[outcome]
        for e, eid in enumerate(agg.events):
            row = _effect((s[0, e, 0], s[2, e, 0], s[1, e, 0]),
                          (s[0, e, 1], s[2, e, 1], s[1, e, 1]), binary, z)
            fired = agg.event_counts[e, 1] / max(agg.event_counts[e].sum(), 1)
            row.update(kind="event", id=eid, name=f"event {eid}", source="",
                       range_text=f"fired in {fired:.1%} of runs")
            rows.append(row)
    df = pd.DataFrame(rows)
    df.insert(0, "outcome", outcome)
    df["_size"] = df["diff"].abs().fillna(-1)
    df = df.sort_values(["noise", "_size"], ascending=[True, False], kind="stable")
    return df.drop(columns="_size").reset_index(drop=True)[COLUMNS]


def _z(alpha: float) -> float:
    from scipy import special  # scipy.stats takes seconds to import; special does not

    return float(special.ndtri(1 - alpha / 2))


def _effect(low: tuple[float, float, float], high: tuple[float, float, float], binary: bool,
            z: float) -> dict[str, Any]:
    """(sum, n, sum of squares) of the low and high groups -> means, difference, interval."""
    (s_lo, n_lo, q_lo), (s_hi, n_hi, q_hi) = low, high
    m_lo = s_lo / n_lo if n_lo else math.nan
    m_hi = s_hi / n_hi if n_hi else math.nan
    if binary:
        diff, lo, hi = newcombe(s_hi, int(n_hi), s_lo, int(n_lo), z)
    else:
        diff, lo, hi = _welch_from_sums((s_hi, n_hi, q_hi), (s_lo, n_lo, q_lo), z)
    noise = not (lo > 0 or hi < 0) if math.isfinite(lo) and math.isfinite(hi) else True
    return dict(low=m_lo, high=m_hi, n_low=int(n_lo), n_high=int(n_hi), diff=diff, lo=lo,
                hi=hi, noise=noise)


def _welch_from_sums(a: tuple[float, float, float], b: tuple[float, float, float],
                     z: float) -> tuple[float, float, float]:
    """Welch's interval for mean(a) - mean(b) from sums, at the normal quantile z turned into
    the t quantile of the Welch-Satterthwaite degrees of freedom."""
    from scipy import special

    (s1, n1, q1), (s2, n2, q2) = a, b
    if n1 < 2 or n2 < 2:
        return math.nan, math.nan, math.nan
    m1, m2 = s1 / n1, s2 / n2
    v1 = max(q1 - n1 * m1 * m1, 0.0) / (n1 - 1) / n1
    v2 = max(q2 - n2 * m2 * m2, 0.0) / (n2 - 1) / n2
    se = math.sqrt(v1 + v2)
    d = m1 - m2
    if se == 0:
        return d, d, d
    df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    half = float(special.stdtrit(df, special.ndtr(z))) * se
    return d, d - half, d + half


def _fact_text(facts: Mapping[str, Any] | None, fid: str, edges: np.ndarray) -> str:
    from sim.analysis.formatting import num

    text = f"lowest fifth < {num(edges[0])}, highest fifth > {num(edges[3])}"
    f = (facts or {}).get(fid)
    if f is not None and f.low is not None and f.high is not None:
        text += f"; declared {num(f.value)} (range {num(f.low)} to {num(f.high)}, " \
                f"{f.dist or 'triangular'})"
    return text


def _source(facts: Mapping[str, Any] | None, sources: Mapping[str, Any] | None,
            fid: str) -> str:
    f = (facts or {}).get(fid)
    if f is None:
        return ""
    if f.source:
        s = (sources or {}).get(f.source)
        return f"{s.outlet} [{f.source}]" if s is not None else str(f.source)
    return "assumption" if f.assumption else "no source given"


def sentence(row: Mapping[str, Any], label: str, binary: bool) -> str:
    """'Baghdad falls goes from 2.1% to 9.8% as actors.isis.forces.reserve goes from its
    lowest to its highest fifth (below 18,000 / above 26,000)'."""
    from sim.analysis.formatting import num, pct

    fmt = pct if binary else num
    if row["kind"] == "event":
        what = f"when {row['id']} fires (vs not)"
    else:
        what = f"as {row['name']} goes from its lowest to its highest fifth"
    tail = " — indistinguishable from noise at this number of runs" if row["noise"] else ""
    return f"{label} goes from {fmt(row['low'])} to {fmt(row['high'])} {what}{tail}"
