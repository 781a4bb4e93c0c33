"""geosim compare FILE [FILE2] --variants a,b: what-if comparison with common random numbers.

Runs the baseline and each variant (or two scenario files) with the same seed and replication
indices (sim.experiments.compare), prints a side-by-side table of every outcome with 95% intervals
and the
paired difference to the baseline (marked * when its interval excludes 0), writes the HTML
comparison report and prints its path.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from sim.commands.options import add_ensemble_flags, check_ensemble_flags, workers
from sim.errors import UsageError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("compare", help="compare variants (or two scenario files) with "
                              "common random numbers")
    p.add_argument("file", metavar="FILE", help="scenario YAML file (the baseline)")
    p.add_argument("file2", nargs="?", metavar="FILE2",
                   help="a second scenario file to compare against FILE (instead of --variants)")
    p.add_argument("--variants", metavar="A,B,...",
                   help="comma-separated variants of FILE to compare with its baseline")
    p.add_argument("--no-baseline", action="store_true",
                   help="compare variants against the first variant instead of the baseline")
    add_ensemble_flags(p, runs_help="replications per arm", runs_minimum=2,
                       out_help="comparison folder (default "
                       "results/<scenario>/compare-<time>-<seed>)")
    p.set_defaults(handler=run)


def _variants(args: argparse.Namespace) -> list[str]:
    if args.variants is None:
        return []
    names = [v.strip() for v in args.variants.split(",")]
    if not all(names):
        raise UsageError(f"--variants: empty name in {args.variants!r}")
    return names


def _check_flags(args: argparse.Namespace) -> list[str]:
    """One-line errors for impossible flags, before anything runs; returns the variants."""
    check_ensemble_flags(args)
    for f in (args.file, args.file2):
        if f is not None and not Path(f).is_file():
            raise UsageError(f"{f}: no such scenario file")
    variants = _variants(args)
    if args.file2 and variants:
        raise UsageError("give either FILE2 or --variants, not both")
    if not args.file2 and not variants:
        raise UsageError("nothing to compare: give --variants A,B or a second scenario FILE2")
    return variants


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from sim.experiments import compare as cmp

    variants = _check_flags(args)
    err = Console(stderr=True)

    def progress(name: str) -> None:
        err.print(f"running {name} ({args.runs} replications, seed {args.seed})")

    common = dict(runs=args.runs, seed=args.seed, days=args.days, workers=workers(args),
                  out=args.out, backend=args.backend, on_arm=progress)
    if args.file2:
        result = cmp.compare_files(args.file, args.file2, **common)  # type: ignore[arg-type]
    else:
        result = cmp.compare_variants(args.file, variants,  # type: ignore[arg-type]
                                      include_baseline=not args.no_baseline, **common)
    from sim.commands.summary import stdout_console

    stdout_console().print(comparison_table(result, args))
    print(f"comparison: {result.folder}")
    print(f"report: {write_report(result)}")
    return 0


def write_report(result: Any) -> Path:
    """The HTML comparison page (sim.analysis.report) in the comparison folder."""
    from sim.analysis.report import write_comparison_report

    m = next(iter(result.manifests.values()))
    title = f"{m.get('scenario_title') or m.get('scenario_id')}: what-if comparison"
    notes = [
        f"Every arm ran replications 0..{m.get('runs_planned', 0) - 1} with seed {m.get('seed')}"
        " (common random numbers); differences are paired per replication (t interval), so "
        "they are much tighter than the arms' own intervals.",
        f"Reference arm: {result.reference}. Differences are arm minus reference.",
    ]
    # Each arm's own results folder: its stored scenario gives the variant's title and
    # changes, its aggregates the fans over time.
    folders = {arm.name: result.folder / arm.name for arm in result.arms}
    return write_comparison_report(result.folder / "report.html", result.summaries,
                                   result.diffs, title, result.manifests, notes, folders)


def _value(row: Any) -> str:
    """An arm's value: probability with Wilson interval, or mean with its 90% range."""
    if bool(row["binary"]):
        return f"{row['p']:.1%} [{row['p_lo']:.1%}, {row['p_hi']:.1%}]"
    return f"{_num(row['mean'])} [{_num(row['q05'])}, {_num(row['q95'])}]"


def _diff(row: Any, binary: bool) -> Any:
    """The difference and its paired interval; bold with * when the interval excludes 0."""
    from rich.text import Text

    if binary:
        text = (f"{row['diff'] * 100:+.1f} pp [{row['lo'] * 100:+.1f}, "
                f"{row['hi'] * 100:+.1f}]")
    else:
        text = f"{_signed(row['diff'])} [{_signed(row['lo'])}, {_signed(row['hi'])}]"
    if bool(row["excludes_zero"]):
        return Text(f"{text} *", style="bold")
    return Text(text)


def comparison_table(result: Any, args: argparse.Namespace | None = None) -> Any:
    """A rich table: one row per outcome, one column per arm (the reference first).

    An arm's cell holds its value with interval and, below it, its difference to the
    reference with the paired 95% interval (so six arms still fit a wide terminal).
    """
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    ref = result.reference
    others = [a.name for a in result.arms[1:]]
    title = (f"{', '.join(others)} vs {ref}: common random numbers, {_runs(result)} "
             f"replications per arm. Each cell: value [95%]; below it the difference to {ref} "
             "[paired 95%], * and bold when the interval excludes 0")
    t = Table(title=escape(title), title_justify="left", show_lines=True)
    t.add_column("outcome")
    t.add_column(ref, justify="right")
    for name in others:
        t.add_column(name, justify="right")
    base = result.summaries[ref].set_index("outcome")
    diffs = result.diffs
    for oid, row in base.iterrows():
        cells: list[Any] = [Text(str(row["label"])), Text(_value(row))]
        for name in others:
            s = result.summaries[name].set_index("outcome")
            d = diffs[(diffs["outcome"] == oid) & (diffs["variant"] == name)]
            value = _value(s.loc[oid]) if oid in s.index else ""
            cell = Text(value)
            if len(d):
                cell.append("\n").append_text(_diff(d.iloc[0], bool(row["binary"])))
            cells.append(cell)
        t.add_row(*cells)
    return t


def _runs(result: Any) -> int:
    return int(next(iter(result.manifests.values())).get("runs_completed", 0))


def _num(x: float) -> str:
    if x is None or not math.isfinite(float(x)):
        return "-"
    x = float(x)
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _signed(x: float) -> str:
    if x is None or not math.isfinite(float(x)):
        return "-"
    x = float(x)
    return f"{x:+,.0f}" if abs(x) >= 100 else f"{x:+.3g}"
