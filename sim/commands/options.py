"""Flags shared by the commands that run ensembles (run, compare, sensitivity): defined once.

`add_ensemble_flags` adds --runs, --seed, --variant, --days, --workers, --backend,
--scheduler and --out with one wording and one set of limits; `check_ensemble_flags` refuses
impossible values in one line (`--days must be at most 3650 (got 100000000)`) before anything
runs. A command passes only what differs: its default and minimum number of runs, what its
--out folder holds, whether it takes --variant or --scheduler.
"""

from __future__ import annotations

import argparse
import os

from sim.errors import UsageError, check_at_least
from sim.experiments.limits import MAX_DAYS, MAX_RUNS, MAX_WORKERS

BACKENDS = ("local", "dask", "serial")


def add_ensemble_flags(parser: argparse.ArgumentParser, *, runs_help: str,
                       runs_minimum: int = 1, out_help: str, variant_help: str | None = None,
                       scheduler: bool = False) -> None:
    """Add the shared flags to a command's parser.

    Args:
        parser: the command's parser.
        runs_help: what --runs counts for this command (its default is 1000).
        runs_minimum: the fewest --runs the command can work with.
        out_help: what --out holds and its default.
        variant_help: help for --variant, or None when the command takes no --variant.
        scheduler: whether the command takes --scheduler (a running dask cluster).
    """
    parser.add_argument("--runs", type=int, default=1000, help=f"{runs_help} (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="root random seed (default 1)")
    if variant_help is not None:
        parser.add_argument("--variant", help=variant_help)
    parser.add_argument("--days", type=int,
                        help=f"horizon in days, at most {MAX_DAYS} (default: the scenario's)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: all cores)")
    parser.add_argument("--backend", choices=BACKENDS, default="local",
                        help="local processes (default), a dask cluster, or in process")
    if scheduler:
        parser.add_argument("--scheduler", metavar="URL",
                            help="dask scheduler to use, e.g. tcp://host:8786 (implies "
                            "--backend dask)")
    parser.add_argument("--out", metavar="DIR", help=out_help)
    parser.set_defaults(runs_minimum=runs_minimum)


def check_ensemble_flags(args: argparse.Namespace) -> None:
    """One-line UsageErrors for shared flags out of their range, before anything runs."""
    check_at_least("--runs", args.runs, args.runs_minimum)
    _check_at_most("--runs", args.runs, MAX_RUNS)
    check_at_least("--seed", args.seed, 0)
    check_at_least("--days", args.days, 1)
    _check_at_most("--days", args.days, MAX_DAYS)
    check_at_least("--workers", args.workers, 1)
    _check_at_most("--workers", args.workers, MAX_WORKERS)


def workers(args: argparse.Namespace) -> int:
    """--workers, or every core."""
    return int(args.workers or os.cpu_count() or 1)


def _check_at_most(flag: str, value: int | None, maximum: int) -> None:
    if value is not None and value > maximum:
        raise UsageError(f"{flag} must be at most {maximum:,} (got {value:,})")
