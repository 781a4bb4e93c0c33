"""Report aggregates: what the report needs from a batch, in a size that does not grow with N.

Each batch of an ensemble is reduced, where it runs, to counts in fixed bins (the same bins
for every batch, so batches merge by adding counts in any order and the merged result is
the same for any batch size, worker count or backend):

- every outcome: n, sum, sum of squares, +/-inf and NaN counts, a value histogram (see
  `VALUE_BINS`) and, while its values are whole days within the horizon, an exact day
  histogram (timing outcomes: a fall day, +inf meaning "not by the horizon", censored);
- every numeric series (strength, territory): per recorded day and column a histogram;
- control: per recorded day, region and controller (or nobody) the number of runs;
- per region, the first recorded day its controller differs from day 0's ("never" apart);
- drivers: per uncertain fact and fifth of its distribution (edges from the fact's own
  inverse CDF), the runs and each outcome's sum and sum of squares;
- events (when the runs table has `event:<id>` columns, the day it fired or +inf): per event
  fired / not fired, the runs and each outcome's sum and sum of squares.

Histograms are exact counts; a quantile read from them is within `REL_ERROR` of the exact
sample quantile (log-spaced bins, as in DDSketch; Masson, Rim & Lee, VLDB 2019). Bins are
fixed rather than adaptive (KLL, t-digest) because adaptive sketches depend on the order in
which batches arrive, and a report must not change with the number of workers.

Parts are written to `<results>/aggregates/part-NNNNN.npz` (before the batch's runs part,
which marks a batch complete) by sim.experiments.aggregate_parts, merged by
sim.analysis.collect.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

AGGREGATES = "aggregates"
REL_ERROR = 0.01
GAMMA = (1 + REL_ERROR) / (1 - REL_ERROR)
LOW, HIGH = 1e-4, 1e9  # magnitudes below LOW count as zero; above HIGH share the top bin
N_LOG = int(math.ceil(math.log(HIGH / LOW) / math.log(GAMMA))) + 1
SERIES_BINS = 1 + N_LOG  # zero, then log bins (series are never negative)
VALUE_BINS = 2 * N_LOG + 1  # negative log bins (mirrored), zero, positive log bins
FIFTHS = (0.2, 0.4, 0.6, 0.8)
NUMERIC_SERIES = ("strength", "territory")


def series_bin(values: np.ndarray) -> np.ndarray:
    """Bin index of non-negative values: 0 for zero (or below LOW), then log-spaced bins."""
    v = np.asarray(values, np.float64)
    # floor(log(max(v, LOW) / LOW) / log(GAMMA)) + 1, each step in place (the series of a
    # batch are millions of values: fewer temporaries, the same numbers).
    t = np.maximum(v, LOW)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(t, LOW, out=t)
        np.log(t, out=t)
        np.divide(t, math.log(GAMMA), out=t)
        np.floor(t, out=t)
        k = t.astype(np.int64)
    k += 1
    np.clip(k, 1, N_LOG, out=k)
    return np.where(v >= LOW, k, 0)


def series_value(index: np.ndarray) -> np.ndarray:
    """Representative value of series bins: 0, or the geometric middle of the log bin."""
    k = np.asarray(index, np.float64)
    return np.where(k > 0, LOW * GAMMA ** (k - 0.5), 0.0)


def value_bin(values: np.ndarray) -> np.ndarray:
    """Bin index of finite values of any sign: N_LOG is zero, above it positive, below negative."""
    v = np.asarray(values, np.float64)
    return N_LOG + np.sign(v).astype(np.int64) * series_bin(np.abs(v))


def value_of_bin(index: np.ndarray) -> np.ndarray:
    k = np.asarray(index, np.int64) - N_LOG
    return np.sign(k) * series_value(np.abs(k))


@dataclass
class OutcomeAgg:
    """Counts of one outcome over the runs."""

    n: int = 0  # finite values
    total: float = 0.0
    squares: float = 0.0
    pos_inf: int = 0
    neg_inf: int = 0
    nan: int = 0
    hist: np.ndarray = field(default_factory=lambda: np.zeros(VALUE_BINS, np.int64))
    days: np.ndarray | None = None  # exact counts per whole day 0..horizon; None once not days

    def add(self, other: OutcomeAgg) -> None:
        self.n += other.n
        self.total += other.total
        self.squares += other.squares
        self.pos_inf += other.pos_inf
        self.neg_inf += other.neg_inf
        self.nan += other.nan
        self.hist += other.hist
        if self.days is None or other.days is None or len(self.days) != len(other.days):
            self.days = None
        else:
            self.days += other.days


def outcome_agg(values: np.ndarray, horizon: int) -> OutcomeAgg:
    v = np.asarray(values, np.float64)
    finite = v[np.isfinite(v)]
    agg = OutcomeAgg(int(finite.size), float(finite.sum()), float((finite**2).sum()),
                     int(np.isposinf(v).sum()), int(np.isneginf(v).sum()), int(np.isnan(v).sum()))
    agg.hist = np.bincount(value_bin(finite), minlength=VALUE_BINS).astype(np.int64)
    whole = finite.size == 0 or bool(np.all((finite == np.round(finite)) & (finite >= 0)
                                            & (finite <= horizon)))
    agg.days = np.bincount(finite.astype(np.int64), minlength=horizon + 1).astype(np.int64) \
        if whole else None
    return agg


@dataclass
class Aggregate:
    """Everything the report reads about a set of runs (see the module docstring)."""

    days: np.ndarray  # recorded days of the series, ascending
    horizon: int
    ok: int = 0
    failed: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, OutcomeAgg] = field(default_factory=dict)
    series: dict[str, tuple[list[str], np.ndarray]] = field(default_factory=dict)
    control: tuple[list[str], np.ndarray] | None = None  # regions, (days, regions, 1 + actors)
    first_change: np.ndarray | None = None  # (regions, days + 1): last column "never"
    facts: list[str] = field(default_factory=list)
    fact_edges: np.ndarray | None = None  # (facts, 4) fifths of each fact's distribution
    fact_counts: np.ndarray | None = None  # (facts, 5)
    fact_sums: dict[str, np.ndarray] = field(default_factory=dict)  # outcome -> (2, facts, 5)
    events: list[str] = field(default_factory=list)
    event_counts: np.ndarray | None = None  # (events, 2): not fired, fired
    event_sums: dict[str, np.ndarray] = field(default_factory=dict)  # outcome -> (2, events, 2)

    def add(self, other: Aggregate) -> None:
        """Merge another batch's aggregate into this one (adding counts)."""
        if not np.array_equal(self.days, other.days):
            raise ValueError("aggregates of different recorded days cannot be merged")
        self.ok += other.ok
        self.failed += other.failed
        for k, v in other.errors.items():
            self.errors[k] = self.errors.get(k, 0) + v
        for oid, o in other.outcomes.items():
            self.outcomes.setdefault(oid, OutcomeAgg(days=o.days * 0 if o.days is not None
                                                     else None)).add(o)
        for name, (cols, h) in other.series.items():
            if name in self.series:
                self.series[name][1][...] += h
            else:
                self.series[name] = (cols, h.copy())
        if other.control is not None:
            if self.control is None:
                self.control = (other.control[0], other.control[1].copy())
                self.first_change = _copy(other.first_change)
            else:
                self.control[1][...] += other.control[1]
                if self.first_change is not None and other.first_change is not None:
                    self.first_change += other.first_change
        self._add_drivers(other)

    def _add_drivers(self, other: Aggregate) -> None:
        for counts, sums, names in (("fact_counts", "fact_sums", "facts"),
                                    ("event_counts", "event_sums", "events")):
            theirs = getattr(other, counts)
            if theirs is None:
                continue
            if getattr(self, counts) is None:
                setattr(self, counts, theirs.copy())
                setattr(self, names, list(getattr(other, names)))
                setattr(self, sums, {k: v.copy() for k, v in getattr(other, sums).items()})
                if counts == "fact_counts":
                    self.fact_edges = _copy(other.fact_edges)
                continue
            getattr(self, counts)[...] += theirs
            mine = getattr(self, sums)
            for k, v in getattr(other, sums).items():
                if k in mine:
                    mine[k] += v
                else:
                    mine[k] = v.copy()


def _copy(a: np.ndarray | None) -> np.ndarray | None:
    return None if a is None else a.copy()


# --------------------------------------------------------------------------------------------
# One batch -> Aggregate
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """What a batch's aggregate needs to know about the scenario (the same in every batch)."""

    horizon: int
    actors: list[str]
    facts: list[str]
    fact_edges: np.ndarray  # (facts, 4)
    timing: frozenset[str] = frozenset()  # outcomes whose drivers use "happened by the horizon"


def layout_for(scenario: Any, days: int | None) -> Layout:
    """The aggregate layout of a scenario: horizon, actors and the fifths of each fact."""
    from sim.model.compile import compile_scenario
    from sim.model.sampling import quantile

    uncertain = compile_scenario(scenario).uncertain
    edges = np.array([quantile(u.fact, np.array(FIFTHS)) for u in uncertain]).reshape(-1, 4)
    timing = frozenset(o for o, spec in scenario.outcomes.items() if is_timing(spec))
    return Layout(int(days or scenario.scenario.horizon_days), list(scenario.actors),
                  [u.id for u in uncertain], edges, timing)


def is_timing(spec: Any) -> bool:
    """A timing outcome (a day, +inf when it did not happen by the horizon): by its spec's
    `is_timing` / `timing` flag or a kind named for days (the scenario format's choice)."""
    if isinstance(spec, Mapping):
        return bool(spec.get("timing")) or "day" in str(spec.get("kind", ""))
    flag = getattr(spec, "is_timing", None)
    return bool(flag) if flag is not None else "day" in str(getattr(spec, "kind", ""))


def batch_aggregate(runs: pd.DataFrame, series: Mapping[str, pd.DataFrame],
                    layout: Layout) -> Aggregate:
    """Reduce one batch's runs table and series tables to an Aggregate."""
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    failed = runs[runs["status"] != "ok"] if "status" in runs else runs.iloc[:0]
    days = np.sort(series["control"]["day"].unique()) if "control" in series else np.array([0])
    agg = Aggregate(days.astype(np.int64), layout.horizon, len(ok), len(failed))
    if "error" in failed and len(failed):
        agg.errors = {str(k): int(v) for k, v in failed["error"].astype(str).value_counts().items()}
    outs = [c for c in ok.columns if c.startswith("out:")]
    for col in outs:
        agg.outcomes[col[4:]] = outcome_agg(ok[col].to_numpy(float), layout.horizon)
    for name in NUMERIC_SERIES:
        if name in series:
            agg.series[name] = _series_hist(series[name], days)
    if "control" in series:
        _control(agg, series["control"], days, len(layout.actors))
    ys = {col[4:]: _driver_y(ok[col].to_numpy(float), col[4:] in layout.timing) for col in outs}
    _facts(agg, ok, layout, ys)
    _events(agg, ok, ys)
    return agg


def _driver_y(values: np.ndarray, timing: bool) -> np.ndarray:
    """What the drivers average: the value, or for timing outcomes whether it happened."""
    if timing:
        return np.where(np.isnan(values), np.nan, np.isfinite(values).astype(float))
    return np.where(np.isfinite(values), values, np.nan)


def _series_hist(df: pd.DataFrame, days: np.ndarray) -> tuple[list[str], np.ndarray]:
    cols = [c for c in df.columns if c not in ("rep", "day")]
    day_i = np.searchsorted(days, df["day"].to_numpy())
    bins = series_bin(df[cols].to_numpy(np.float64))
    return cols, _cell_counts(day_i, bins, len(days), SERIES_BINS, 0)


def _cell_counts(day_i: np.ndarray, codes: np.ndarray, n_days: int, width: int,
                 shift: int) -> np.ndarray:
    """(days, columns, width) counts of clip(codes + shift, 0, width - 1) per row's day."""
    if day_i.size and not 0 <= day_i.min() <= day_i.max() < n_days:
        raise ValueError("a series has a day outside the recorded days")
    out = np.zeros((n_days, codes.shape[1], width), np.int64)
    _kernels().count_cells(np.ascontiguousarray(day_i, np.int64), _codes(codes), shift,
                           width - 1, out)
    return out


def _kernels() -> Any:
    """sim.experiments.aggregate_kernels, imported when a batch is first aggregated: it
    loads numba (about 55 MB), which the report and the readers of a results folder, who
    import this module for its types and bins, never need."""
    from sim.experiments import aggregate_kernels

    return aggregate_kernels


def _codes(values: np.ndarray) -> np.ndarray:
    """Whole-number table values as the kernels take them: int8 as stored, else int64."""
    return np.asarray(values, np.int8 if values.dtype == np.int8 else np.int64)


def _control(agg: Aggregate, df: pd.DataFrame, days: np.ndarray, n_actors: int) -> None:
    """Per recorded day, region and controller (0 nobody, 1.. actors; codes out of range
    clipped: only a results folder from elsewhere has them) the runs, and per region the
    first recorded day each run's controller differs from its first day's."""
    regions = [c for c in df.columns if c not in ("rep", "day")]
    day_i = np.searchsorted(days, df["day"].to_numpy())
    codes = _codes(df[regions].to_numpy())
    agg.control = (regions, _cell_counts(day_i, codes, len(days), n_actors + 1, 1))
    reps, rep_i = np.unique(df["rep"].to_numpy(), return_inverse=True)
    grid = np.zeros((len(reps), len(days), len(regions)), np.int16)  # codes are 0..actors
    fc = np.zeros((len(regions), len(days) + 1), np.int64)
    _kernels().first_changes(np.ascontiguousarray(rep_i, np.int64),
                             np.ascontiguousarray(day_i, np.int64), codes, 1, n_actors, grid,
                             fc)
    agg.first_change = fc


def _facts(agg: Aggregate, ok: pd.DataFrame, layout: Layout, ys: Mapping[str, np.ndarray]) -> None:
    cols = [f"fact:{f}" for f in layout.facts]
    if not cols or not all(c in ok for c in cols):
        return
    x = ok[cols].to_numpy(np.float64)
    bins = np.stack([np.searchsorted(layout.fact_edges[j], x[:, j], side="right")
                     for j in range(len(cols))], axis=1)  # (runs, facts) in 0..4
    flat = (np.arange(len(cols))[None, :] * 5 + bins).ravel()
    size = len(cols) * 5
    agg.facts, agg.fact_edges = list(layout.facts), layout.fact_edges.copy()
    agg.fact_counts = np.bincount(flat, minlength=size).reshape(len(cols), 5).astype(float)
    for oid, y in ys.items():
        agg.fact_sums[oid] = _sums(flat, y, size, len(cols), 5, x.shape[1])


def _sums(flat: np.ndarray, y: np.ndarray, size: int, rows: int, width: int,
          per: int) -> np.ndarray:
    """(3, rows, width) sums, sums of squares and finite counts of y over groups (NaN y left
    out: counted in the group's runs but not its sums, so groups use their own finite count)."""
    out = np.zeros((3, size))
    _kernels().group_sums(np.ascontiguousarray(flat, np.int64).reshape(-1, per),
                          np.ascontiguousarray(y, np.float64), out)
    return out.reshape(3, rows, width)


def _events(agg: Aggregate, ok: pd.DataFrame, ys: Mapping[str, np.ndarray]) -> None:
    cols = [c for c in ok.columns if c.startswith("event:")]
    if not cols:
        return
    fired = np.isfinite(ok[cols].to_numpy(np.float64)).astype(np.int64)  # day fired, inf never
    flat = (np.arange(len(cols))[None, :] * 2 + fired).ravel()
    agg.events = [c[6:] for c in cols]
    agg.event_counts = np.bincount(flat, minlength=2 * len(cols)).reshape(len(cols), 2)
    agg.event_counts = agg.event_counts.astype(float)
    for oid, y in ys.items():
        agg.event_sums[oid] = _sums(flat, y, 2 * len(cols), len(cols), 2, len(cols))


def merge(parts: Sequence[Aggregate]) -> Aggregate | None:
    """Sum of aggregates (None for none)."""
    if not parts:
        return None
    total = parts[0]
    for p in parts[1:]:
        total.add(p)
    return total
