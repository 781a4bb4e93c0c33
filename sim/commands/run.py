"""geosim run FILE: a Monte Carlo ensemble (or one narrated run with --runs 1).

The ensemble streams to a results folder (sim.experiments.results), prints the outcome table and the
folder's path, then writes the HTML report when sim.analysis.report is available. Ctrl-C or SIGTERM
leaves a readable partial folder that `geosim run --resume DIR` completes.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path
from typing import Any

from sim.errors import UsageError, check_at_least
from sim.experiments import forkserver


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("run", help="run a Monte Carlo ensemble of a scenario")
    p.add_argument("file", nargs="?", metavar="FILE", help="scenario YAML file")
    p.add_argument("--runs", type=int, default=1000,
                   help="replications (default 1000); 1 prints one narrated run")
    p.add_argument("--seed", type=int, default=1, help="root random seed (default 1)")
    p.add_argument("--variant", help="apply this variant of the scenario")
    p.add_argument("--days", type=int, help="horizon in days (default: the scenario's)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: all cores)")
    p.add_argument("--backend", choices=("local", "dask", "serial"), default="local",
                   help="local processes (default), a dask cluster, or in process")
    p.add_argument("--scheduler", metavar="URL",
                   help="dask scheduler to use, e.g. tcp://host:8786 (implies --backend dask)")
    p.add_argument("--design", choices=("mc", "lhs"), default="mc",
                   help="sampling of uncertain facts: mc (default) or lhs (Latin hypercube)")
    p.add_argument("--batch-size", type=int, help="replications per task (default: automatic)")
    p.add_argument("--series-every", type=int, default=1, metavar="K",
                   help="record time series every K days (default 1)")
    p.add_argument("--out", metavar="DIR",
                   help="results folder (default results/<scenario>/<time>-<seed>)")
    p.add_argument("--resume", metavar="DIR", help="finish an interrupted results folder")
    p.add_argument("--no-report", action="store_true", help="do not write report.html")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--draw", type=int, metavar="K",
                   help="with --runs 1: replay replication K of an ensemble with this seed "
                        "(its sampled facts and dice) instead of every fact at its value")
    p.set_defaults(handler=run)


def _check_flags(args: argparse.Namespace) -> None:
    """One-line errors for impossible flags, before anything runs."""
    check_at_least("--runs", args.runs, 1)
    check_at_least("--workers", args.workers, 1)
    check_at_least("--days", args.days, 1)
    check_at_least("--batch-size", args.batch_size, 1)
    check_at_least("--series-every", args.series_every, 1)
    check_at_least("--draw", args.draw, 0)
    if args.draw is not None and args.runs != 1:
        raise UsageError(f"--draw replays one replication: use it with --runs 1 "
                         f"(got --runs {args.runs})")
    if args.resume is None and args.file is None:
        raise UsageError("geosim run: give a scenario FILE (or --resume DIR)")
    if args.file is not None and not Path(args.file).is_file():
        raise UsageError(f"{args.file}: no such scenario file")
    if args.resume and args.out:
        raise UsageError("--resume continues its own folder; do not also give --out")


def run(args: argparse.Namespace) -> int:
    from sim.experiments.ensemble import MIN_BATCH  # imports numpy only, not the engine

    # A pool is used for more than one batch; start its fork server now, so its imports
    # overlap ours and the scenario's loading.
    several_batches = args.resume or args.runs > (args.batch_size or MIN_BATCH)
    if args.backend == "local" and not args.scheduler and several_batches and (
            args.workers or os.cpu_count() or 1) > 1:
        forkserver.start_early()
    from rich.console import Console

    from sim.experiments import ensemble, results

    _check_flags(args)
    err = Console(stderr=True)
    workers = args.workers or os.cpu_count() or 1
    backend = ensemble.make_backend("dask" if args.scheduler else args.backend, workers,
                                    args.scheduler)
    if args.resume:
        results.read_manifest(args.resume)  # a one-line ResultsError if not a results folder
        folder = Path(args.resume)
        go = functools.partial(ensemble.resume, folder, backend)
    else:
        from sim.scenario.loader import load

        loaded = load(args.file, args.variant)  # unknown variant: one-line ScenarioError
        if args.runs == 1:
            return _single(loaded.scenario, args)
        plan = ensemble.RunPlan(Path(args.file), args.variant, args.seed, args.runs, args.days,
                                args.design, args.batch_size, args.series_every)
        folder = Path(args.out) if args.out else results.default_dir(
            "results", loaded.scenario.scenario.id, args.seed)
        go = functools.partial(ensemble.run, plan, backend, out=folder, loaded=loaded)
    show = not args.quiet and err.is_terminal
    try:
        with ensemble.sigterm_as_interrupt(), _progress(err, show) as (start, step):
            go(on_start=start, on_batch=step)
    except KeyboardInterrupt:
        print(f"interrupted: partial results in {folder} "
              f"(finish with: geosim run --resume {folder})", file=sys.stderr)
        return 130
    _finish(folder, args)
    return 0


def _finish(folder: Path, args: argparse.Namespace) -> None:
    from sim.analysis.stats import summarise
    from sim.commands.summary import print_summary, stdout_console
    from sim.experiments.results import ResultsReader

    reader = ResultsReader(folder)
    m = reader.manifest
    print_summary(summarise(reader.runs(), m.get("outcomes") or {}), m, stdout_console())
    print(f"results: {folder}")
    if args.no_report:
        return
    try:
        from sim.analysis.report import write_report
    except ImportError:  # the report module is optional until it lands
        return
    print(f"report: {write_report(folder)}")


def _single(scenario: Any, args: argparse.Namespace) -> int:
    """--runs 1: one replication, told as dated lines plus the final state."""
    from sim.model.engine import run_single

    single = run_single(scenario, args.seed, args.days, draw=args.draw)
    text = single.text() if hasattr(single, "text") else "\n".join(map(str, single.lines))
    print(text)
    return 0


class _progress:
    """A rich progress bar (reps done, rate, ETA) on stderr, or nothing when hidden."""

    def __init__(self, console: Any, show: bool):
        self.console, self.show = console, show
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> tuple[Any, Any]:
        if self.show:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(TextColumn("replications"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                                TextColumn("ETA"), TimeRemainingColumn(),
                                console=self.console, transient=True)
            self.bar.__enter__()
        return self.start, self.step

    def start(self, total: int, done: int) -> None:
        if self.bar is not None:
            self.task = self.bar.add_task("run", total=total, completed=done, rate="")

    def step(self, n: int) -> None:
        if self.bar is None or self.task is None:
            return
        self.bar.advance(self.task, n)
        speed = self.bar.tasks[self.task].speed
        self.bar.update(self.task, rate=f"{speed:,.0f}/s" if speed else "")

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
