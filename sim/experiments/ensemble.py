"""Monte Carlo ensembles: what to run (`RunPlan`) apart from how to run it (a `Backend`).

A plan is cut into batches of consecutive replication indices (sim.experiments.batches). Each
batch is one task: a worker runs it and sends back its tables, which the parent streams to
the results folder (sim.experiments.results) as they arrive. Backends live in
sim.experiments.backends.

Reproducibility: there is one root seed, and the engine draws every random number of
replication k from (seed, k, day, purpose). So a replication gives the same numbers whatever
the batch size, the number of workers, the backend or the order batches finish in; the runs
table sorted by `rep` is identical across all of them. Python's `hash()` is never used (it is
salted per process).

A run that cannot go on for a reason outside the scenario (the disk is full, the dask
scheduler or every worker is gone) stops with one RunStoppedError line that says how many
batches are saved and how to resume; the manifest then says "failed" with that reason, and
`resume` re-runs only the batches that are missing or damaged.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sim.errors import ResultsError, RunStoppedError, UsageError, check_at_least
from sim.experiments.backends import (
    Backend,
    BackendLost,
    DaskBackend,
    ProcessBackend,
    SerialBackend,
    WorkersLostError,
    make_backend,
)
from sim.experiments.batches import (
    BATCHES_PER_WORKER,
    MAX_BATCH,
    MIN_BATCH,
    BatchFn,
    BatchOutput,
    BatchTask,
    auto_batch_size,
    batch_ranges,
    execute_batch,
)
from sim.experiments.limits import MAX_DAYS, MAX_RUNS

__all__ = [
    "BATCHES_PER_WORKER", "DESIGNS", "MAX_BATCH", "MAX_DAYS", "MAX_RUNS", "MIN_BATCH", "Backend",
    "BackendLost", "BatchFn", "BatchOutput", "BatchTask", "DaskBackend", "ProcessBackend",
    "RunPlan", "SerialBackend", "WorkersLostError", "auto_batch_size", "batch_ranges",
    "execute_batch", "make_backend", "resume", "run", "sigterm_as_interrupt",
]

DESIGNS = ("mc", "lhs")


@dataclass(frozen=True)
class RunPlan:
    """What to run: a scenario (file and variant), a seed, how many replications, and how.

    Attributes:
        scenario_file: the YAML file (None when the scenario was given as an object).
        variant: variant applied, or None for the base scenario.
        seed: root seed; replication k's randomness is a function of (seed, k).
        runs: number of replications, indices 0..runs-1.
        days: horizon override (None: the scenario's horizon_days).
        design: "mc" (independent draws) or "lhs" (Latin hypercube over the `runs` reps).
        batch_size: replications per task (None: chosen from runs and workers).
        series_every: record time series every k days (day 0 and the horizon always).
    """

    scenario_file: Path | None
    variant: str | None = None
    seed: int = 1
    runs: int = 1000
    days: int | None = None
    design: str = "mc"
    batch_size: int | None = None
    series_every: int = 1

    def check(self) -> None:
        """Raise UsageError for a plan that cannot run."""
        check_at_least("--runs", self.runs, 1)
        check_at_least("--days", self.days, 1)
        if self.runs > MAX_RUNS:
            raise UsageError(f"--runs must be at most {MAX_RUNS:,} (got {self.runs:,})")
        if self.days is not None and self.days > MAX_DAYS:
            raise UsageError(f"--days must be at most {MAX_DAYS} (got {self.days})")
        if self.design not in DESIGNS:
            raise UsageError(f"--design must be one of {', '.join(DESIGNS)} (got {self.design})")
        check_at_least("--batch-size", self.batch_size, 1)
        check_at_least("--series-every", self.series_every, 1)


Progress = Callable[[int], None]
"""Called with the number of replications each finished batch held."""


def run(plan: RunPlan, backend: Backend, *, out: str | Path | None = None,
        results_root: str | Path = "results", loaded: Any = None,
        batch_fn: BatchFn | None = None, on_start: Callable[[int, int], None] | None = None,
        on_batch: Progress | None = None) -> Path:
    """Run a plan into a new results folder and return its path.

    Args:
        plan: what to run.
        backend: how to run it (entered here).
        out: results folder (default `<results_root>/<scenario id>/<stamp>-<seed>`).
        loaded: a `sim.scenario.loader.LoadedScenario` already loaded (default: load plan's file).
        batch_fn: the engine's simulate or a stand-in with its signature (tests).
        on_start: called with (total runs, runs already done) once the plan is cut.
        on_batch: called with each finished batch's number of replications.

    Raises:
        RunStoppedError: the run could not go on (disk full, cluster lost); resumable.
    """
    from sim.experiments import results

    plan.check()
    if loaded is None:
        loaded = _load(plan.scenario_file, plan.variant)
    sc = loaded.scenario
    days = plan.days or sc.scenario.horizon_days
    check_days_fit(sc, plan.days)
    folder = Path(out) if out else results.default_dir(results_root, sc.scenario.id, plan.seed)
    size = plan.batch_size or auto_batch_size(plan.runs, backend.workers, days,
                                              plan.series_every)
    plan = replace(plan, batch_size=size)
    if isinstance(backend, ProcessBackend) and plan.runs <= size:
        # One batch cannot be shared out; a pool would only add its start-up (~0.6 s).
        backend = SerialBackend()
    with backend:
        writer = results.ResultsWriter.create(folder, _manifest(plan, loaded, backend, days))
        results.write_resolved_scenario(folder, loaded.scenario)
        _execute(plan, sc, writer, backend, batch_fn, on_start, on_batch)
    return folder


def check_days_fit(scenario: Any, days: int | None) -> None:
    """UsageError when `--days` would run past 9999-12-31 from the scenario's as_of."""
    from sim.scenario.refs import days_in_calendar

    room = days_in_calendar(scenario.scenario.as_of)
    if days is not None and days > room:
        raise UsageError(f"--days {days}: as_of {scenario.scenario.as_of} plus {days} days ends "
                         f"after 9999-12-31 (allowed at most {room})")


def resume(folder: str | Path, backend: Backend, *, batch_fn: BatchFn | None = None,
           on_start: Callable[[int, int], None] | None = None,
           on_batch: Progress | None = None) -> Path:
    """Run the batches of an interrupted results folder that are missing or damaged.

    Raises:
        ResultsError: not a results folder, a manifest that cannot be resumed, or a scenario
            file that changed since the run started.
        RunStoppedError: the run could not go on (disk full, cluster lost); resumable.
    """
    from sim.experiments import results

    folder = Path(folder)
    m = results.read_manifest(folder, for_resume=True)
    loaded = _load(Path(m["scenario_file"]), m["variant"])
    if loaded.sha256 != m["scenario_sha256"]:
        raise ResultsError(f"{folder}: cannot resume: {m['scenario_file']} changed since the run "
                           f"started (sha256 {loaded.sha256[:12]}, was "
                           f"{str(m['scenario_sha256'])[:12]})")
    plan = RunPlan(Path(m["scenario_file"]), m["variant"], m["seed"], m["runs_planned"],
                   m["days"], m.get("design", "mc"), m["batch_size"], m.get("series_every", 1))
    plan.check()
    with backend:
        writer = results.ResultsWriter.reopen(folder)
        writer.manifest["resumed"] = [*writer.manifest.get("resumed", []), _command()]
        _execute(plan, loaded.scenario, writer, backend, batch_fn, on_start, on_batch)
    return folder


def _execute(plan: RunPlan, scenario: Any, writer: Any, backend: Backend,
             batch_fn: BatchFn | None, on_start: Callable[[int, int], None] | None,
             on_batch: Progress | None) -> None:
    assert plan.batch_size is not None
    done = set(writer.manifest.get("batches_done", []))
    n_total = plan.runs if plan.design == "lhs" else None
    out = str(writer.path) if getattr(backend, "shares_files", False) else None
    tasks = [BatchTask(i, a, b, scenario, plan.seed, plan.days, plan.design, n_total,
                       plan.series_every, batch_fn, out)
             for i, a, b in batch_ranges(plan.runs, plan.batch_size) if i not in done]
    todo_reps = sum(t.stop - t.start for t in tasks)
    if on_start:
        on_start(plan.runs, plan.runs - todo_reps)
    t0, status, why = time.perf_counter(), "failed", None
    try:
        with contextlib.closing(backend.map_batches(execute_batch, tasks)) as outputs:
            for o in outputs:
                if o.runs is None:  # the worker wrote the parts
                    writer.record_batch(o.index, o.ok, o.failed, o.seconds, o.checksums)
                else:
                    if batch_fn is None:  # the report's aggregates, before the runs part
                        from sim.experiments import aggregate_parts as aggregate

                        aggregate.write_part(writer.path, o.index, scenario, plan.days, o.runs,
                                             o.series)
                    writer.write_batch(o.index, o.runs, o.series, o.seconds)
                if on_batch:
                    on_batch(o.ok + o.failed)
        status = "complete"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    except (BackendLost, ResultsError) as exc:
        why = str(exc)
        raise
    finally:
        saved = writer.finish(status, time.perf_counter() - t0, why)
        writer.close()
        if why is not None:
            _stopped(writer, plan, why, saved)


def _stopped(writer: Any, plan: RunPlan, why: str, saved: bool) -> None:
    """Raise the one line that says why the run stopped, what is kept and how to go on."""
    assert plan.batch_size is not None
    planned = len(batch_ranges(plan.runs, plan.batch_size))
    kept = len(writer.manifest.get("batches_done", []))
    note = "" if saved else " (the manifest could not be updated and still says running)"
    raise RunStoppedError(f"{writer.path}: run stopped: {why}; {kept} of {planned} batches are "
                          f"saved{note}; finish it with: geosim run --resume {writer.path}"
                          ) from None


def _load(path: Path | None, variant: str | None) -> Any:
    from sim.scenario.loader import load

    if path is None:
        raise UsageError("a plan needs a scenario file or a loaded scenario")
    if not Path(path).is_file():
        raise UsageError(f"{path}: no such scenario file")
    return load(path, variant)


def _command() -> str:
    return " ".join(sys.argv)


def _manifest(plan: RunPlan, loaded: Any, backend: Backend, days: int) -> dict[str, Any]:
    from sim import __version__

    sc = loaded.scenario
    path = getattr(loaded, "path", None)
    return {
        "scenario_id": sc.scenario.id,
        "scenario_title": sc.scenario.title,
        "scenario_file": str(Path(path).resolve()) if path else None,
        "scenario_sha256": loaded.sha256,
        "variant": plan.variant,
        "seed": plan.seed,
        "design": plan.design,
        "runs_planned": plan.runs,
        "days": days,
        "series_every": plan.series_every,
        "batch_size": plan.batch_size,
        "backend": backend.name,
        "workers": backend.workers,
        "version": __version__,
        "python": sys.version.split()[0],
        "command": _command(),
        "pid": os.getpid(),
        "actors": {k: {"name": a.name, "color": a.color} for k, a in sc.actors.items()},
        "regions": {k: {"name": r.name, "lat": r.lat, "lon": r.lon}
                    for k, r in sc.regions.items()},
        "outcomes": {k: {"label": o.label or k, "kind": str(o.kind), "binary": o.is_binary}
                     for k, o in sc.outcomes.items()},
    }


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt, so `kill` saves a readable partial
    result like Ctrl-C does (only from the main thread; elsewhere it does nothing)."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        old = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)
