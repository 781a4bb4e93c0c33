"""Monte Carlo ensembles: what to run (`RunPlan`) apart from how to run it (a `Backend`).

A plan is cut into batches of consecutive replication indices. Each batch is one task: a
worker calls the engine's `simulate(scenario, reps, seed, ...)` on it and sends back the
batch's tables, which the parent streams to the results folder (sim.experiments.results) as
they arrive.

Reproducibility: there is one root seed, and the engine draws every random number of
replication k from (seed, k, day, purpose). So a replication gives the same numbers whatever
the batch size, the number of workers, the backend or the order batches finish in; the runs
table sorted by `rep` is identical across all of them. Python's `hash()` is never used (it is
salted per process).

Failures: a replication the engine reports as failed (status "error") is kept and counted.
A batch that raises as a whole is re-run in halves in the same worker, down to single
replications where needed, so only the reps that raise are recorded as errors. A worker
process that dies (killed, out of memory) breaks a process pool; its unfinished batches are
re-submitted to a fresh pool.

Backends share one method, `map_batches(fn, tasks) -> iterator of fn(task) as they complete`:
`SerialBackend` (in process), `ProcessBackend` (local processes), `DaskBackend` (a
dask.distributed cluster, local or remote).
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from sim.errors import ResultsError, UsageError, check_at_least
from sim.experiments import forkserver

DESIGNS = ("mc", "lhs")
MAX_BATCH = 2000  # reps per batch: bounds worker memory (series tables grow with reps x days)
MIN_BATCH = 100  # below this, per-task overhead dominates the work
# Fewer, larger batches cost less per replication (each batch builds a model and pays ~0.15 s
# of per-step Python overhead); more batches balance the load and update the progress bar
# more often. Measured for 10,000 reps on 2 workers: 8 per worker 9.5 s, 4 per worker 8.9 s.
BATCHES_PER_WORKER = 4


# --------------------------------------------------------------------------------------------
# What to run
# --------------------------------------------------------------------------------------------


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
        if self.design not in DESIGNS:
            raise UsageError(f"--design must be one of {', '.join(DESIGNS)} (got {self.design})")
        check_at_least("--batch-size", self.batch_size, 1)
        check_at_least("--series-every", self.series_every, 1)


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


# --------------------------------------------------------------------------------------------
# One batch, as run on a worker
# --------------------------------------------------------------------------------------------

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

    ok, failed = results.count_runs(runs)
    if task.out is not None:
        if task.batch_fn is None:  # the report's per-batch aggregates (sim/experiments/aggregate)
            from sim.experiments import aggregate_parts as aggregate

            aggregate.write_part(task.out, task.index, task.scenario, task.days, runs, series)
        results.write_parts(Path(task.out), task.index, runs, series)
        return BatchOutput(task.index, None, {}, time.perf_counter() - t0, ok, failed)
    return BatchOutput(task.index, runs, series, time.perf_counter() - t0, ok, failed)


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


def _worker_init(lifeline: Any) -> None:
    """Set up a pool worker: leave Ctrl-C to the parent (which saves what is done and stops
    the pool), and exit when the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(lifeline,), daemon=True,
                     name="geosim-lifeline").start()


def _exit_with_parent(lifeline: Any) -> None:
    """Wait on the read end of a pipe whose only write end the parent holds; it reaches EOF
    when the parent exits or is killed (even with kill -9). A pool worker whose parent died
    would otherwise wait on its task queue for ever (the queue's pipe has a writer in every
    worker), holding its memory and the parent's stdout."""
    with contextlib.suppress(EOFError, OSError):
        while True:
            lifeline.recv_bytes()
    os._exit(0)


# --------------------------------------------------------------------------------------------
# How to run it: backends
# --------------------------------------------------------------------------------------------


class Backend(Protocol):
    """Runs `fn` over tasks and yields the results as they complete (in any order)."""

    name: str
    workers: int

    def __enter__(self) -> Backend: ...
    def __exit__(self, *exc: object) -> None: ...
    def map_batches(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Generator[Any]: ...


class SerialBackend:
    """In process, one batch after another (the engine is vectorised over a batch's reps)."""

    name = "serial"
    workers = 1

    def __enter__(self) -> SerialBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def map_batches(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Generator[Any]:
        for t in tasks:
            yield fn(t)


class WorkersLostError(RuntimeError):
    """Worker processes keep dying without finishing any batch."""


class ProcessBackend:
    """Local worker processes (concurrent.futures with the forkserver start method).

    forkserver (not fork) because the parent may hold threads (rich's progress bar, dask);
    we pass a context instead of changing the global start method. At most 2 x workers
    batches are in flight, so a long run holds a bounded number of results in memory.
    """

    name = "local"
    shares_files = True  # workers write their batch's parts into the results folder

    def __init__(self, workers: int, start_method: str = "forkserver", max_restarts: int = 3):
        self.workers = workers
        self.start_method = start_method
        self.max_restarts = max_restarts
        self.restarts = 0  # pools replaced after a worker died (for tests and the manifest)
        self._lifeline: Any = None  # write end of the current pool's lifeline pipe

    def __enter__(self) -> ProcessBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def _pool(self) -> Any:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        # forkserver: the engine is imported once in the fork server
        # (sim/experiments/forkserver.py);
        # workers fork from it ready to run.
        ctx = forkserver.context() if self.start_method == "forkserver" else mp.get_context(
            self.start_method)
        # The lifeline's write end stays in this process only (workers get the read end).
        lifeline, self._lifeline = ctx.Pipe(duplex=False)
        return ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_worker_init,
                                   initargs=(lifeline,))

    def map_batches(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Generator[Any]:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        todo = deque(tasks)
        failures_in_a_row = 0
        while todo:
            pool, clean = self._pool(), False
            inflight: dict[Any, Any] = {}
            try:
                while todo or inflight:
                    broken = False
                    while todo and len(inflight) < 2 * self.workers and not broken:
                        try:
                            inflight[pool.submit(fn, todo[0])] = todo[0]
                            todo.popleft()
                        except BrokenProcessPool:
                            broken = True
                    done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                    for fut in done:
                        task = inflight.pop(fut)
                        if isinstance(fut.exception(), BrokenProcessPool):
                            todo.appendleft(task)
                            broken = True
                        else:
                            failures_in_a_row = 0
                            yield fut.result()
                    if broken:
                        todo.extendleft(inflight.values())
                        inflight.clear()
                        break
                clean = not todo
            finally:
                _stop_pool(pool, clean)
            if todo:
                self.restarts += 1
                failures_in_a_row += 1
                if failures_in_a_row > self.max_restarts:
                    raise WorkersLostError(f"worker processes died {failures_in_a_row} times in "
                                           "a row without finishing a batch")


def _stop_pool(pool: Any, clean: bool) -> None:
    if clean:
        pool.shutdown(wait=True)
        return
    # Interrupted or broken: do not wait for running batches; their reps run again on resume.
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(Exception):
            p.terminate()


class DaskBackend:
    """A dask.distributed cluster: an existing one (`scheduler="tcp://HOST:PORT"`) or, without
    a scheduler, a LocalCluster of `workers` single-threaded processes (no dashboard, worker
    profiler off: its sampling thread costs time and memory on every task)."""

    name = "dask"

    def __init__(self, workers: int = 1, scheduler: str | None = None):
        self.workers = workers
        self.scheduler = scheduler
        self._client: Any = None
        self._cluster: Any = None
        self._config: Any = None

    def __enter__(self) -> DaskBackend:
        import dask
        from distributed import Client, LocalCluster

        self._config = dask.config.set({"distributed.worker.profile.enabled": False,
                                        "distributed.admin.tick.limit": "60s"})
        self._config.__enter__()
        try:
            if self.scheduler:
                self._client = Client(self.scheduler, timeout="20s")
                self.workers = max(1, sum(self._client.nthreads().values()))
            else:
                self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                             processes=True, dashboard_address=None,
                                             silence_logs=40)
                self._client = Client(self._cluster)
        except OSError as exc:
            self.__exit__()
            raise UsageError(f"cannot reach dask scheduler {self.scheduler}: {exc}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        if self._config is not None:
            self._config.__exit__(None, None, None)
        self._client = self._cluster = self._config = None

    def map_batches(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Generator[Any]:
        from distributed import as_completed

        todo = deque(tasks)
        window = 2 * max(self.workers, 1)
        pending = as_completed()
        inflight: list[Any] = []
        try:
            while todo or pending.count():
                while todo and pending.count() < window:
                    fut = self._client.submit(fn, todo.popleft(), pure=False)
                    inflight.append(fut)
                    pending.add(fut)
                fut = next(pending)
                inflight.remove(fut)
                yield fut.result()
                fut.release()
        finally:
            for fut in inflight:
                fut.cancel()


def make_backend(name: str, workers: int, scheduler: str | None = None) -> Backend:
    """The backend for the CLI's --backend/--workers/--scheduler."""
    if scheduler:
        return DaskBackend(workers, scheduler)
    if name == "serial" or (name == "local" and workers == 1):
        return SerialBackend()
    if name == "local":
        return ProcessBackend(workers)
    if name == "dask":
        return DaskBackend(workers)
    raise UsageError(f"--backend must be one of local, dask, serial (got {name})")


# --------------------------------------------------------------------------------------------
# Running a plan into a results folder
# --------------------------------------------------------------------------------------------

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
    """
    from sim.experiments import results

    plan.check()
    if loaded is None:
        loaded = _load(plan.scenario_file, plan.variant)
    sc = loaded.scenario
    days = plan.days or sc.scenario.horizon_days
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


def resume(folder: str | Path, backend: Backend, *, batch_fn: BatchFn | None = None,
           on_start: Callable[[int, int], None] | None = None,
           on_batch: Progress | None = None) -> Path:
    """Run the batches of an interrupted results folder whose parts are missing."""
    from sim.experiments import results

    folder = Path(folder)
    m = results.read_manifest(folder)
    if not m.get("scenario_file"):
        raise ResultsError(f"{folder}: cannot resume a run whose scenario was given in memory")
    loaded = _load(Path(m["scenario_file"]), m.get("variant"))
    if loaded.sha256 != m.get("scenario_sha256"):
        raise ResultsError(f"{folder}: cannot resume: {m['scenario_file']} changed since the run "
                           f"started (sha256 {loaded.sha256[:12]}, was "
                           f"{str(m.get('scenario_sha256'))[:12]})")
    plan = RunPlan(Path(m["scenario_file"]), m.get("variant"), int(m["seed"]),
                   int(m["runs_planned"]), m.get("days"), m.get("design", "mc"),
                   int(m["batch_size"]), int(m.get("series_every", 1)))
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
    t0, status = time.perf_counter(), "failed"
    try:
        with contextlib.closing(backend.map_batches(execute_batch, tasks)) as outputs:
            for o in outputs:
                if o.runs is None:  # the worker wrote the parts
                    writer.record_batch(o.index, o.ok, o.failed, o.seconds)
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
    finally:
        writer.finish(status, time.perf_counter() - t0)


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
