"""Ensemble speed and memory: how many replications per second, and at what memory cost.

Usage (from the repository root; `make bench` runs the first form)::

    python benchmarks/ensemble.py                  # rates at R = 1, 100, 1000, 10000
    python benchmarks/ensemble.py --memory 1000000 # stream N reps, report peak memory
    python benchmarks/ensemble.py --profile        # cProfile one 1,000-rep batch

The rates are end to end: planning, the engine, and writing Parquet parts to a temporary
results folder, as `geosim run` does. "one at a time" runs the model for one replication per
call, 20 times, the way Mesa's batch_run runs one model per parameter set and iteration; the
ratio to it is what running replications as arrays buys. Peak memory is the maximum resident
set size from getrusage (parent, and the largest worker process that has exited).
Targets (docs/ensembles.md): 10,000 reps x 180 days in under 10 s on 2 cores, and at least
50x the one-at-a-time rate. The figures printed are what this machine measured, met or not.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.experiments import ensemble  # noqa: E402
from sim.experiments.batches import _one_blas_thread  # noqa: E402
from sim.scenario.loader import load  # noqa: E402
from sim.scenario.schema import Scenario  # noqa: E402

DEFAULT_SCENARIO = ROOT / "scenarios" / "iraq-2014.yaml"


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


class WorkerPeaks:
    """Samples the peak RSS (VmHWM) of every descendant process while it runs.

    getrusage(RUSAGE_CHILDREN) misses pool workers: with the forkserver start method they
    are children of the fork server, not of this process. /proc sees them all (Linux only).
    """

    def __init__(self, every: float = 0.2):
        self.every, self.peak_kb = every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> WorkerPeaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            for pid in _descendants(os.getpid()):
                self.peak_kb = max(self.peak_kb, _hwm_kb(pid))


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [root]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def _hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _ensemble_seconds(path: Path, runs: int, backend: ensemble.Backend, days: int,
                      series_every: int = 1, batch_size: int | None = None) -> float:
    tmp = Path(tempfile.mkdtemp(prefix="geosim-bench-"))
    plan = ensemble.RunPlan(path, seed=1, runs=runs, days=days, series_every=series_every,
                            batch_size=batch_size)
    t0 = time.perf_counter()
    try:
        ensemble.run(plan, backend, out=tmp / "r")
        return time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _pool_start_seconds(workers: int) -> float:
    t0 = time.perf_counter()
    list(ensemble.ProcessBackend(workers).map_batches(abs, range(workers)))
    return time.perf_counter() - t0


def _cli_seconds(path: Path, runs: int, days: int) -> float:
    """Wall time of the real command, as a user runs it (fresh interpreter, all cores)."""
    import subprocess

    tmp = Path(tempfile.mkdtemp(prefix="geosim-bench-"))
    cmd = [sys.executable, "-m", "sim.cli", "run", str(path), "--runs", str(runs), "--days",
           str(days), "--seed", "1", "--out", str(tmp / "r"), "--no-report", "--quiet"]
    t0 = time.perf_counter()
    try:
        subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _one_at_a_time(scenario: Scenario, days: int, n: int = 20) -> float:
    from sim.model.engine import simulate

    t0 = time.perf_counter()
    with _one_blas_thread():  # the same footing as the batched runs
        for k in range(n):
            simulate(scenario, np.array([k]), 1, days=days)
    return n / (time.perf_counter() - t0)


def rates(path: Path, days: int, sizes: list[int]) -> None:
    cores = os.cpu_count() or 1
    sc = load(path).scenario
    _one_at_a_time(sc, days, 2)  # warm imports and caches
    single = _one_at_a_time(sc, days)
    print(f"scenario {path.name}, {days} days, {cores} cores; rates in replications/second "
          "(end to end, incl. writing Parquet)")
    print(f"one at a time (R=1 x 20 calls, like Mesa batch_run): {single:10,.1f} reps/s")
    print(f"{'R':>8} {'1 worker':>12} {'wall':>8} {f'{cores} cores':>12} {'wall':>8} "
          f"{'x one-at-a-time':>16}")
    # The local pool's fork server imports the engine once per process (the CLI starts it
    # first thing); measured here on its own, so the rows below time the ensembles.
    print(f"worker pool start-up, once per process (fork server imports the engine): "
          f"{_pool_start_seconds(cores):.2f} s")
    wall_all = {}
    peaks = WorkerPeaks()
    for r in sizes:
        t1 = _ensemble_seconds(path, r, ensemble.SerialBackend(), days)
        with peaks:
            tn = _ensemble_seconds(path, r, ensemble.ProcessBackend(cores), days)
        peaks = _carry(peaks)
        wall_all[r] = tn
        best = max(r / t1, r / tn)
        print(f"{r:>8,} {r / t1:>12,.1f} {t1:>7.2f}s {r / tn:>12,.1f} {tn:>7.2f}s "
              f"{best / single:>15,.1f}x")
    if 10_000 in wall_all:
        verdict = "met" if wall_all[10_000] < 10 else "NOT met"
        print(f"10,000 reps x {days} days on {cores} cores: {wall_all[10_000]:.2f} s wall "
              f"(target < 10 s on 2 cores: {verdict})")
        cli = _cli_seconds(path, 10_000, days)
        print(f"the whole command `geosim run {path.name} --runs 10000 --days {days} "
              f"--no-report` in a fresh process (start-up, imports, summary table): {cli:.2f} s")
    print(f"peak RSS: this process {_peak_mb(resource.RUSAGE_SELF):,.0f} MB (it also ran the "
          f"1-worker figures in-process), largest worker {peaks.peak_mb:,.0f} MB")
    # Other work on the machine slows every figure above; say how busy it was.
    print("load average (1, 5, 15 min) at the end: " +
          ", ".join(f"{x:.1f}" for x in os.getloadavg()))


def _carry(done: WorkerPeaks) -> WorkerPeaks:
    """A fresh sampler (threads start once) that remembers the peak seen so far."""
    nxt = WorkerPeaks(done.every)
    nxt.peak_kb = done.peak_kb
    return nxt


def memory(path: Path, days: int, runs: int, series_every: int, workers: int) -> None:
    backend: ensemble.Backend = (ensemble.ProcessBackend(workers) if workers > 1
                                 else ensemble.SerialBackend())
    print(f"streaming {runs:,} replications x {days} days, series every {series_every} days, "
          f"{workers} workers ...", flush=True)
    with WorkerPeaks() as peaks:
        t = _ensemble_seconds(path, runs, backend, days, series_every)
    print(f"{runs:,} reps in {t:.1f} s ({runs / t:,.0f} reps/s)")
    print(f"peak RSS: parent {_peak_mb(resource.RUSAGE_SELF):,.0f} MB, largest worker "
          f"{peaks.peak_mb:,.0f} MB")


def profile(path: Path, days: int, reps: int = 1000, top: int = 25) -> None:
    from sim.model.engine import simulate

    sc = load(path).scenario
    simulate(sc, np.arange(10), 1, days=days)  # warm imports
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    with _one_blas_thread():  # as a batch runs in an ensemble
        prof.enable()
        simulate(sc, np.arange(reps), 1, days=days)
        prof.disable()
    print(f"one batch of {reps:,} reps x {days} days: {time.perf_counter() - t0:.2f} s "
          "(under the profiler)")
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(key).print_stats(top)
        print(f"--- top {top} by {key} ---")
        lines = out.getvalue().splitlines()
        start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
        print("\n".join(line for line in lines[start:] if line.strip()))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    p.add_argument("--days", type=int, default=180)
    p.add_argument("--sizes", default="1,100,1000,10000",
                   help="comma-separated replication counts (default 1,100,1000,10000)")
    p.add_argument("--memory", type=int, metavar="N", help="stream N reps, report peak RSS")
    p.add_argument("--series-every", type=int, default=30, help="for --memory (default 30)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="for --memory")
    p.add_argument("--profile", action="store_true", help="cProfile one 1,000-rep batch")
    args = p.parse_args(argv)
    if args.profile:
        profile(args.scenario, args.days)
    elif args.memory:
        memory(args.scenario, args.days, args.memory, args.series_every, args.workers)
    else:
        rates(args.scenario, args.days, [int(s) for s in args.sizes.split(",")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
