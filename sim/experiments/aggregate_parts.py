"""Aggregate parts on disk: `<results>/aggregates/part-NNNNN.npz`, one per batch, written
atomically before the batch's runs part (whose presence marks the batch complete)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.aggregate import (
    AGGREGATES,
    VALUE_BINS,
    Aggregate,
    OutcomeAgg,
    batch_aggregate,
    layout_for,
)
from sim.experiments.results import write_bytes_atomic


def part_path(folder: str | Path, index: int) -> Path:
    return Path(folder) / AGGREGATES / f"part-{index:05d}.npz"


def write_part(folder: str | Path, index: int, scenario: Any, days: int | None,
               runs: pd.DataFrame, series: Mapping[str, pd.DataFrame]) -> None:
    """Aggregate one batch and write it atomically (called before its runs part is written)."""
    agg = batch_aggregate(runs, series, layout_for(scenario, days))
    path = part_path(folder, index)
    buffer = io.BytesIO()
    np.savez(buffer, **_arrays(agg))
    # The results folder's writer: a full disk is a ResultsWriteError (the run stops with its
    # resume hint) and leaves no temporary file, as for the Parquet parts.
    write_bytes_atomic(path, buffer.getvalue())


def _arrays(agg: Aggregate) -> dict[str, Any]:
    """An Aggregate as named arrays (sparse where the arrays are mostly zeros)."""
    out: dict[str, Any] = {"days": agg.days, "meta": np.array(
        [agg.horizon, agg.ok, agg.failed], np.int64),
        "errors": np.array(list(agg.errors.items()), dtype=object).reshape(-1, 2).astype(str)}
    for oid, o in agg.outcomes.items():
        out[f"o|{oid}|scalars"] = np.array([o.n, o.total, o.squares, o.pos_inf, o.neg_inf,
                                            o.nan], np.float64)
        out[f"o|{oid}|hist"] = _sparse(o.hist)
        if o.days is not None:
            out[f"o|{oid}|days"] = o.days
    for name, (cols, h) in agg.series.items():
        out[f"s|{name}|cols"] = np.array(cols, str)
        out[f"s|{name}|shape"] = np.array(h.shape, np.int64)
        out[f"s|{name}|hist"] = _sparse(h.ravel())
    if agg.control is not None:
        out["c|regions"] = np.array(agg.control[0], str)
        out["c|counts"] = agg.control[1]
        out["c|first"] = agg.first_change
    if agg.fact_counts is not None:
        out["f|names"], out["f|edges"] = np.array(agg.facts, str), agg.fact_edges
        out["f|counts"] = agg.fact_counts
        out.update({f"f|sums|{k}": v for k, v in agg.fact_sums.items()})
    if agg.event_counts is not None:
        out["e|names"], out["e|counts"] = np.array(agg.events, str), agg.event_counts
        out.update({f"e|sums|{k}": v for k, v in agg.event_sums.items()})
    return out


def _sparse(a: np.ndarray) -> np.ndarray:
    nz = np.flatnonzero(a)
    return np.stack([nz, a[nz]]).astype(np.int64) if nz.size else np.zeros((2, 0), np.int64)


def _dense(pairs: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros(size, np.int64)
    out[pairs[0]] = pairs[1]
    return out


def read_part(path: str | Path) -> Aggregate:
    """An Aggregate written by `write_part`."""
    with np.load(path, allow_pickle=False) as z:
        horizon, ok, failed = (int(v) for v in z["meta"])
        agg = Aggregate(z["days"], horizon, ok, failed,
                        {str(k): int(v) for k, v in z["errors"].reshape(-1, 2)})
        keys = list(z.keys())
        for key in keys:
            kind, _, rest = key.partition("|")
            if kind == "o" and key.endswith("|scalars"):
                _read_outcome(z, rest.rsplit("|", 1)[0], agg)
            elif kind == "s" and key.endswith("|cols"):
                name = rest.rsplit("|", 1)[0]
                shape = tuple(int(v) for v in z[f"s|{name}|shape"])
                agg.series[name] = ([str(c) for c in z[key]], _dense(
                    z[f"s|{name}|hist"], int(np.prod(shape))).reshape(shape))
        if "c|regions" in keys:
            agg.control = ([str(r) for r in z["c|regions"]], z["c|counts"])
            agg.first_change = z["c|first"]
        if "f|names" in keys:
            agg.facts, agg.fact_edges = [str(f) for f in z["f|names"]], z["f|edges"]
            agg.fact_counts = z["f|counts"]
            agg.fact_sums = {k[7:]: z[k] for k in keys if k.startswith("f|sums|")}
        if "e|names" in keys:
            agg.events, agg.event_counts = [str(e) for e in z["e|names"]], z["e|counts"]
            agg.event_sums = {k[7:]: z[k] for k in keys if k.startswith("e|sums|")}
    return agg


def _read_outcome(z: Any, oid: str, agg: Aggregate) -> None:
    n, total, squares, pinf, ninf, nan = z[f"o|{oid}|scalars"]
    o = OutcomeAgg(int(n), float(total), float(squares), int(pinf), int(ninf), int(nan),
                   _dense(z[f"o|{oid}|hist"], VALUE_BINS))
    o.days = z.get(f"o|{oid}|days", None)
    agg.outcomes[oid] = o


