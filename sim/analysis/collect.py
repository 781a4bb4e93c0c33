"""What the report reads from a results folder, in memory that does not grow with the runs.

`collect(folder, scenario)` merges the per-batch aggregates (sim.experiments.aggregate) of the
folder's completed batches, one part at a time; a completed batch without an aggregate part
(a folder written before aggregates existed, or by other tools) is aggregated here from its
own Parquet parts. `sample_runs` reads the runs of the first `SAMPLE_RUNS` replications (a
fair random sample: every replication is an independent draw) for the analyses that need
rows (PRIM boxes, the sampled-facts table).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import ResultsError
from sim.experiments import aggregate as agg
from sim.experiments import aggregate_parts
from sim.experiments.results import (
    completed_batches,
    part_name,
    read_part_files,
    verified_part,
)

SAMPLE_RUNS = 20_000


def collect(folder: str | Path, scenario: Any = None,
            manifest: dict[str, Any] | None = None) -> agg.Aggregate | None:
    """The merged aggregate of every completed batch of a results folder (None: no batch)."""
    folder = Path(folder)
    total: agg.Aggregate | None = None
    layout = None
    for index in sorted(completed_batches(folder)):
        path = aggregate_parts.part_path(folder, index)
        if path.is_file():
            part = aggregate_parts.read_part(path)
        else:
            if layout is None:
                layout = _layout(scenario, manifest or {})
            digests = ((manifest or {}).get("parts") or {}).get(str(index)) or {}
            part = _from_parquet(folder, index, layout, digests)
        if total is None:
            total = part
        else:
            total.add(part)
    return total


def _layout(scenario: Any, manifest: dict[str, Any]) -> agg.Layout:
    if scenario is not None:
        return agg.layout_for(scenario, manifest.get("days"))
    actors = list(manifest.get("actors") or [])
    timing = frozenset(o for o, spec in (manifest.get("outcomes") or {}).items()
                       if agg.is_timing(spec))
    return agg.Layout(int(manifest.get("days") or 0), actors, [], np.zeros((0, 4)), timing)


def _from_parquet(folder: Path, index: int, layout: agg.Layout,
                  digests: dict[str, str]) -> agg.Aggregate:
    """Batch `index` aggregated from its Parquet parts, each checked against the manifest's
    sha256 when it records one; parts that do not fit together give one ResultsError."""
    runs = _part(folder, f"runs/{part_name(index)}", digests)
    series = {}
    root = folder / "series"
    if root.is_dir():
        for sub in sorted(p for p in root.iterdir() if p.is_dir()):
            relative = f"series/{sub.name}/{part_name(index)}"
            if (folder / relative).is_file():
                series[sub.name] = _part(folder, relative, digests)
    try:
        return agg.batch_aggregate(runs, series, layout)
    except (ValueError, KeyError) as exc:
        raise ResultsError(f"{folder}: batch {index}: its parts do not fit together ({exc}); "
                           "were they edited by hand?") from None


def _part(folder: Path, relative: str, digests: dict[str, str]) -> pd.DataFrame:
    digest = digests.get(relative)
    path = verified_part(folder, relative, digest) if digest else folder / relative
    return read_part_files([path], None)


def sample_runs(folder: str | Path, columns: list[str] | None = None,
                limit: int = SAMPLE_RUNS) -> pd.DataFrame:
    """Runs of replications 0..limit-1 (completed batches only), sorted by replication.

    Batches hold consecutive replications in index order, so only the first parts are read.
    """
    folder = Path(folder)
    frames, seen = [], 0
    for index in sorted(completed_batches(folder)):
        df = pd.read_parquet(folder / "runs" / part_name(index), columns=columns)
        df = df[df["rep"] < limit] if "rep" in df else df
        if len(df):
            frames.append(df)
            seen += len(df)
        if "rep" not in df or seen >= limit:
            break
    if not frames:
        return pd.DataFrame(columns=columns) if columns else pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values("rep", kind="stable").reset_index(drop=True) if "rep" in out else out


def series_quantiles(agg: agg.Aggregate, name: str,
                     qs: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)) -> pd.DataFrame:
    """Per recorded day and column of a numeric series, quantiles over the runs (index day,
    columns (column, q)), read from the series histograms (within aggregate.REL_ERROR)."""
    cols, hist = agg.series[name]
    cum = np.cumsum(hist, axis=2)
    n = cum[:, :, -1:]
    out = {}
    for q in qs:
        idx = np.argmax(cum >= np.maximum(q * n, 1e-9), axis=2)  # first bin reaching q
        values = agg_values(idx)
        for c, col in enumerate(cols):
            out[(col, q)] = values[:, c]
    frame = pd.DataFrame(out, index=pd.Index(agg.days, name="day"))
    frame.columns = pd.MultiIndex.from_tuples(frame.columns)
    return frame


def agg_values(index: np.ndarray) -> np.ndarray:
    return agg.series_value(index)


def survival(first_change: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Per region, the share of runs whose day-0 controller still holds it (has not yet
    changed) at each recorded day; "never" (last column) stays censored at the horizon."""
    counts = first_change.astype(float)
    total = np.maximum(counts.sum(axis=1, keepdims=True), 1)
    changed_by = np.cumsum(counts[:, :-1], axis=1)  # changed on or before day i
    return 1.0 - changed_by / total
