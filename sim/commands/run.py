"""geosim run FILE: a Monte Carlo ensemble (or one narrated run with --runs 1).

The ensemble streams to a results folder (sim.experiments.results), prints the outcome table and the
folder's path, then writes the HTML report when sim.analysis.report is available. Ctrl-C or SIGTERM
leaves a readable partial folder that `geosim run --resume DIR` completes.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path
from typing import Any

from sim.commands.options import add_ensemble_flags, check_ensemble_flags, workers
from sim.errors import UsageError, check_at_least
from sim.experiments import forkserver


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("run", help="run a Monte Carlo ensemble of a scenario")
    p.add_argument("file", nargs="?", metavar="FILE", help="scenario YAML file")
    add_ensemble_flags(p, runs_help="replications; 1 prints one narrated run",
                       variant_help="apply this variant of the scenario", scheduler=True,
                       out_help="results folder (default results/<scenario>/<time>-<seed>)")
    p.add_argument("--design", choices=("mc", "lhs"), default="mc",
                   help="sampling of uncertain facts: mc (default) or lhs (Latin hypercube)")
    p.add_argument("--batch-size", type=int, help="replications per task (default: automatic)")
    p.add_argument("--series-every", type=int, default=1, metavar="K",
                   help="record time series every K days (default 1)")
    p.add_argument("--resume", metavar="DIR", help="finish an interrupted results folder")
    p.add_argument("--no-report", action="store_true", help="do not write report.html")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--draw", type=int, metavar="K",
                   help="with --runs 1: replay replication K of an ensemble with this seed "
                        "(its sampled facts and dice) instead of every fact at its value")
    p.set_defaults(handler=run)


def _check_flags(args: argparse.Namespace) -> None:
    """One-line errors for impossible flags, before anything runs."""
    check_ensemble_flags(args)
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

    _check_flags(args)
    # A pool is used for more than one batch; start its fork server now, so its imports
    # overlap ours and the scenario's loading.
    several_batches = args.resume or args.runs > (args.batch_size or MIN_BATCH)
    if args.backend == "local" and not args.scheduler and several_batches and workers(args) > 1:
        forkserver.start_early()
    from rich.console import Console

    from sim.experiments import ensemble, results

    err = Console(stderr=True)
    backend = ensemble.make_backend("dask" if args.scheduler else args.backend, workers(args),
                                    args.scheduler)
    repaired = 0
    if args.resume:
        folder = Path(args.resume)
        # A one-line ResultsError if it is not a results folder or cannot be resumed.
        repaired = len(results.read_manifest(folder, for_resume=True).get("repaired", []))
        go = functools.partial(ensemble.resume, folder, backend)
    else:
        from sim.scenario.loader import load

        loaded = load(args.file, args.variant)  # unknown variant: one-line ScenarioError
        ensemble.check_days_fit(loaded.scenario, args.days)
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
    _finish(folder, args, repaired)
    return 0


def _finish(folder: Path, args: argparse.Namespace, repaired: int) -> None:
    from sim.analysis.stats import summarise
    from sim.commands.summary import print_summary, stdout_console
    from sim.experiments.results import ResultsReader

    reader = ResultsReader(folder)
    m = reader.manifest
    for note in m.get("repaired", [])[repaired:]:
        print(f"resume: {note}", file=sys.stderr)
    runs = reader.runs()
    print_summary(summarise(runs, m.get("outcomes") or {}), m, stdout_console())
    if m["runs_failed"]:
        print(failed_note(runs, m), file=sys.stderr)
    print(f"results: {folder}")
    if args.no_report:
        return
    try:
        from sim.analysis.report import write_report
    except ImportError:  # the report module is optional until it lands
        return
    print(f"report: {write_report(folder)}")


def failed_note(runs: Any, manifest: dict[str, Any]) -> str:
    """`3 of 50 runs failed and are left out of the table (most common: ...)`."""
    failed = runs[runs["status"] != "ok"] if "status" in runs else runs.iloc[:0]
    errors = failed["error"].astype(str).value_counts() if "error" in failed else None
    common = f" (most common, {errors.iloc[0]}x: {errors.index[0]})" if errors is not None and \
        len(errors) else ""
    return (f"{manifest['runs_failed']:,} of {manifest['runs_planned']:,} runs failed and are "
            f"left out of the table{common}")


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
