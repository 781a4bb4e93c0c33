"""geosim history [--runs N] [--seed S] [--json] [--cases ...]: the model against history.

Runs every scenario of the validation library (scenarios/history/, docs/validation.md) and
prints per case P(observed) with its 95% interval and the model's median day of the decisive
change against the real one, then the scores over the cases beside the force-ratio baseline.
The work is sim.experiments.history; this module parses and prints.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("history", help="score the model on the historical campaigns")
    p.add_argument("--runs", type=int, default=200, help="replications per case (default 200)")
    p.add_argument("--seed", type=int, default=1, help="root random seed (default 1)")
    p.add_argument("--json", action="store_true", help="print the results as one JSON document")
    p.add_argument("--cases", nargs="+", metavar="CASE",
                   help="only these cases: a file name (01-kyiv), its number (01) or name (kyiv)")
    p.add_argument("--dir", metavar="DIR", help="folder of history scenarios (default: the "
                   "project's scenarios/history)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from sim.experiments import history

    folder = Path(args.dir) if args.dir else history.LIBRARY
    progress = None if args.json or not sys.stderr.isatty() else _progress
    report = history.run_history(folder, args.runs, args.seed, args.cases, on_case=progress)
    if args.json:
        print(json.dumps(history.to_json(report), indent=2))
        return 0
    _print(report)
    return 0


def _progress(result: Any) -> None:
    print(f"  {result.id}: P(observed) {result.p_observed:.2f}", file=sys.stderr)


def _print(report: Any) -> None:
    from rich.table import Table

    from sim.commands.summary import stdout_console

    console = stdout_console()
    t = Table(title=f"History: {len(report.cases)} cases, {report.runs:,} runs each "
                    f"(seed {report.seed})", title_justify="left")
    for col in ("case", "split", "P(observed)", "95% CI", "day: model", "day: real",
                "P(within 2x)", "baseline", "power ratio"):
        t.add_column(col, justify="left" if col in ("case", "split") else "right")
    for r in report.cases:
        t.add_row(r.id, r.split, f"{r.p_observed:.2f}", f"{r.p_low:.2f}-{r.p_high:.2f}",
                  _day(r.days_model), _day(r.days_observed), _f(r.p_within_2x),
                  f"{r.baseline:.0f}", f"{r.power_ratio:.2f}")
    console.print(t)
    s = Table(title="Scores (model | force-ratio baseline)", title_justify="left")
    for col in ("cases", "n", "hits", "Brier", "log loss", "within 2x", "baseline hits",
                "baseline Brier", "baseline log loss"):
        s.add_column(col, justify="left" if col == "cases" else "right")
    for name, sc in (("all", report.summary), *report.splits.items()):
        s.add_row(name, str(sc.n), str(sc.hits), _f(sc.brier), _f(sc.log_loss),
                  _f(sc.within_2x), str(sc.baseline_hits), _f(sc.baseline_brier),
                  _f(sc.baseline_log_loss))
    console.print(s)
    _print_casualties(console, report)


def _print_casualties(console: Any, report: Any) -> None:
    """The reported casualty figures beside the model's (a diagnostic, not fitted on)."""
    from rich.table import Table

    from sim.experiments.history import casualty_scores

    rows = [(r, c) for r in report.cases for c in r.casualties]
    if not rows:
        return
    t = Table(title="Casualties on the reported day: model median (5-95%) | reported",
              title_justify="left")
    for col in ("case", "actor", "category", "day", "model", "model 5-95%", "reported",
                "model / reported"):
        t.add_column(col, justify="left" if col in ("case", "actor", "category") else "right")
    for r, c in rows:
        rep = (f"{c.reported:,.0f}" if c.reported_low == c.reported_high else
               f"{c.reported:,.0f} ({c.reported_low:,.0f}-{c.reported_high:,.0f})")
        t.add_row(r.id, c.actor, c.category, str(c.day), f"{c.model_median:,.0f}",
                  f"{c.model_low:,.0f}-{c.model_high:,.0f}", rep, f"{c.ratio:.2f}")
    console.print(t)
    s = Table(title="Casualty scores", title_justify="left")
    for col in ("cases", "figures", "within 2x", "range overlaps", "median ratio",
                "median |log2|"):
        s.add_column(col, justify="left" if col == "cases" else "right")
    for name, sc in casualty_scores(report).items():
        s.add_row(name, str(sc.n), _f(sc.within_2x), _f(sc.covered), _f(sc.median_ratio),
                  _f(sc.median_abs_log2))
    console.print(s)


def _day(x: float) -> str:
    if math.isnan(x):
        return "-"
    return "never" if math.isinf(x) else f"{x:g}"


def _f(x: float) -> str:
    return "-" if x != x else f"{x:.3f}"
