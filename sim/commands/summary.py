"""geosim summary DIR: print the summary table of a results folder."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("summary", help="print the outcome table of a results folder")
    p.add_argument("folder", metavar="DIR", help="results folder (holds manifest.json)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from sim.analysis.stats import summarise
    from sim.experiments.results import ResultsReader

    reader = ResultsReader(args.folder)
    m = reader.manifest
    table = summarise(reader.runs(), m.get("outcomes") or {})
    print_summary(table, m, stdout_console())
    return 0


def stdout_console() -> Any:
    """A rich console on stdout; wide when piped, so labels are not wrapped in logs or files."""
    import sys

    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=160)


def print_summary(table: Any, manifest: dict[str, Any], console: Any) -> None:
    """Print the summary DataFrame (sim.analysis.stats.summarise) as a rich table with a title
    line."""
    from rich.table import Table

    variant = f", variant {manifest['variant']}" if manifest.get("variant") else ""
    done, failed = manifest.get("runs_completed", 0), manifest.get("runs_failed", 0)
    title = (f"{manifest.get('scenario_id', '?')}{variant}: {done:,} runs ok, {failed:,} failed "
             f"of {manifest.get('runs_planned', 0):,} (seed {manifest.get('seed')}, "
             f"{manifest.get('days')} days, {manifest.get('status', '?')})")
    t = Table(title=title, title_justify="left")
    # Binary outcomes show the Wilson 95% interval of p; quantities the 5-95% quantile range.
    for col, justify in (("outcome", "left"), ("estimate", "right"),
                         ("95% CI of p / 5-95% range", "right"), ("n", "right"),
                         ("MC s.e.", "right")):
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    for row in table.itertuples(index=False):
        if row.binary:
            est, interval = _pct(row.p), f"{_pct(row.p_lo)} - {_pct(row.p_hi)}"
            se = _pct(row.mcse)
        else:
            est = f"{_num(row.mean)} (median {_num(row.q50)})"
            interval = f"{_num(row.q05)} - {_num(row.q95)}"
            se = _num(row.mcse)
        t.add_row(str(row.label), est, interval, f"{row.n:,}", se)
    console.print(t)


def _pct(x: float) -> str:
    return "-" if x != x else f"{100 * x:.1f}%"


def _num(x: float) -> str:
    if x != x:
        return "-"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"
