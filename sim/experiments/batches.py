"""One batch of replications, as a worker runs it.

A plan is cut into batches of consecutive replication indices (`batch_ranges`); each is one
task. `execute_batch` calls the engine's `simulate(scenario, reps, seed, ...)` on it and
returns the batch's tables, or writes them itself when the worker shares the results folder.

Failures: a replication the engine reports as failed (status "error") is kept and counted. A
batch that raises as a whole is re-run in halves in the same worker, down to single
replications where needed, so only the reps that raise are recorded as errors. A replication
whose outcomes, sampled facts or series are not finite (NaN, infinity) is an error too, with a
message naming the first such value: NaN is never reported as a result.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MAX_BATCH = 2000  # reps per batch: bounds worker memory (series tables grow with reps x days)
MIN_BATCH = 100  # below this, per-task overhead dominates the work
# Fewer, larger batches cost less per replication (each batch builds a model and pays ~0.15 s
# of per-step Python overhead); more batches balance the load and update the progress bar
# more often. Measured for 10,000 reps on 2 workers: 8 per worker 9.5 s, 4 per worker 8.9 s.
BATCHES_PER_WORKER = 4


def auto_batch_size(runs: int, workers: int, days: int, series_every: int = 1) -> int:
    """Replications per batch: about BATCHES_PER_WORKER batches per worker, at least MIN_BATCH
    (so a task holds enough work that the per-task overhead stays small), at most MAX_BATCH or
    ~2 million series rows per series table (so a batch's memory stays bounded whatever the
    horizon)."""
    points = days // max(series_every, 1) + 2
    cap = max(MIN_BATCH, min(MAX_BATCH, 2_000_000 // points))
    size = max(MIN_BATCH, math.ceil(runs / (max(workers, 1) * BATCHES_PER_WORKER)))
    return max(1, min(size, cap, runs))


def batch_ranges(runs: int, batch_size: int) -> list[tuple[int, int, int]]:
    """(batch index, first rep, stop rep) covering 0..runs-1 in order."""
    return [(i, a, min(a + batch_size, runs)) for i, a in enumerate(range(0, runs, batch_size))]


BatchFn = Callable[..., Any]
"""`fn(scenario, reps, seed, days=, design=, n_total=, series_every=) -> BatchResult`."""


@dataclass(frozen=True)
class BatchTask:
    """Everything a worker needs for one batch (pickles: the scenario is a frozen model)."""

    index: int
    start: int
    stop: int
    scenario: Any
    seed: int
    days: int | None
    design: str
    n_total: int | None
    series_every: int
    batch_fn: BatchFn | None = None  # None: sim.model.engine.simulate
    # The results folder, when the worker shares its file system (a local pool): the worker
    # writes the batch's parts itself instead of sending ~30 MB of tables back to the parent.
    out: str | None = None


@dataclass
class BatchOutput:
    """A batch's tables (None when the worker wrote them) and counts, sent to the parent."""

    index: int
    runs: Any  # pandas DataFrame, or None
    series: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    ok: int = 0
    failed: int = 0
    checksums: dict[str, str] = field(default_factory=dict)  # of the parts the worker wrote


def execute_batch(task: BatchTask) -> BatchOutput:
    """Run one batch; if it raises as a whole, re-run it rep by rep to isolate the failures."""
    t0 = time.perf_counter()
    fn = task.batch_fn or _engine_simulate()
    reps = np.arange(task.start, task.stop, dtype=np.int64)
    with _one_blas_thread():
        try:
            res = _call(fn, task, reps)
            runs, series = res.runs, dict(res.series)
        except Exception:
            runs, series = _rep_by_rep(fn, task, reps)
    from sim.experiments import results

    runs = mark_non_finite(runs, series)
    ok, failed = results.count_runs(runs)
    if task.out is not None:
        if task.batch_fn is None:  # the report's per-batch aggregates (sim/experiments/aggregate)
            from sim.experiments import aggregate_parts as aggregate

            aggregate.write_part(task.out, task.index, task.scenario, task.days, runs, series)
        sums = results.write_parts(Path(task.out), task.index, runs, series)
        return BatchOutput(task.index, None, {}, time.perf_counter() - t0, ok, failed, sums)
    return BatchOutput(task.index, runs, series, time.perf_counter() - t0, ok, failed)


def mark_non_finite(runs: Any, series: dict[str, Any]) -> Any:
    """The runs table with every "ok" replication whose numbers are not all finite turned into
    status "error", its message naming the first such value.

    The engine computes in floating point: numbers near its limits (a goal weight of 1e308)
    made personnel NaN in 47 of 50 runs, which were then summarised as "50 runs ok" over 3
    values. A replication that produced NaN or infinity has no result to report.
    """
    if "status" not in runs or not len(runs):
        return runs
    ok = (runs["status"] == "ok").to_numpy()
    why: dict[int, str] = {}
    columns = [c for c in runs.columns if c.startswith(("out:", "fact:"))]
    _first_non_finite(runs, columns, ok, why, "")
    for name, table in series.items():
        values = [c for c in table.columns if c not in ("rep", "day")]
        _first_non_finite(table, values, None, why, f"series {name} ")
    bad = ok & runs["rep"].isin(list(why)).to_numpy()
    if not bad.any():
        return runs
    runs = runs.copy()
    runs.loc[bad, "status"] = "error"
    runs.loc[bad, "error"] = [why[int(r)] for r in runs.loc[bad, "rep"]]
    return runs


def _first_non_finite(table: Any, columns: list[str], rows: Any, why: dict[int, str],
                      what: str) -> None:
    """Record in `why` (rep -> message) the first non-finite value of each rep in `table`."""
    columns = [c for c in columns if table[c].dtype.kind == "f"]  # whole numbers are finite
    if not columns:
        return
    values = table[columns].to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if rows is not None:
        bad &= rows[:, None]
    for i in np.flatnonzero(bad.any(axis=1)):
        rep = int(table["rep"].iat[i])
        if rep not in why:
            j = int(np.argmax(bad[i]))
            day = f" on day {int(table['day'].iat[i])}" if "day" in table else ""
            why[rep] = (f"{what}{columns[j]} is not finite ({values[i, j]}){day}: the "
                        "scenario's numbers are beyond what the engine computes")


def _one_blas_thread() -> contextlib.AbstractContextManager[Any]:
    """Limit BLAS/OpenMP to one thread while a batch runs.

    Parallelism comes from worker processes; a multi-threaded BLAS on top of them only
    oversubscribes the cores. Measured on 2 cores: a 800-rep x 180-day batch took 35.7 s with
    OpenBLAS's default threads and 9.1 s with one. A context manager, so an in-process run
    leaves the caller's (e.g. a notebook's) BLAS settings as they were.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a declared dependency; run anyway without it
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def _engine_simulate() -> BatchFn:
    from sim.model.engine import simulate

    return simulate


def _call(fn: BatchFn, task: BatchTask, reps: np.ndarray) -> Any:
    return fn(task.scenario, reps, task.seed, days=task.days, design=task.design,
              n_total=task.n_total, series_every=task.series_every)


def _rep_by_rep(fn: BatchFn, task: BatchTask, reps: np.ndarray) -> tuple[Any, dict[str, Any]]:
    """Re-run a batch that raised, isolating the reps that raise.

    Halves the batch until the failing replications stand alone (about 2 log2(n) engine
    calls for one bad rep instead of n single-rep calls); every other rep keeps its row.
    """
    import pandas as pd

    runs: list[Any] = []
    series: dict[str, list[Any]] = {}
    errors: list[dict[str, Any]] = []
    todo = [reps[: len(reps) // 2], reps[len(reps) // 2:]] if len(reps) > 1 else [reps]
    while todo:
        part = todo.pop()
        try:
            res = _call(fn, task, part)
        except Exception as exc:
            if len(part) == 1:
                errors.append({"rep": int(part[0]), "status": "error", "error": _describe(exc)})
            else:
                todo += [part[: len(part) // 2], part[len(part) // 2:]]
            continue
        runs.append(res.runs)
        for name, df in res.series.items():
            series.setdefault(name, []).append(df)
    if errors:
        runs.append(pd.DataFrame(errors).astype({"rep": "int64"}))
    table = pd.concat(runs, ignore_index=True).sort_values("rep", kind="stable")
    return table.reset_index(drop=True), {n: pd.concat(v, ignore_index=True)
                                          for n, v in series.items()}


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 500 else text[:497] + "..."


