"""geosim show FILE [--variant V]: a readable view of a scenario in the terminal.

Header, actors, regions, relations, events, outcomes, variants, and every fact with its
range, distribution and source. The tables come from :mod:`sim.scenario.describe`.
"""

from __future__ import annotations

import argparse
import sys

from sim.scenario.loader import load

WIDTH_WHEN_PIPED = 160
"""Columns used when stdout is not a terminal (a pipe, a file, a test's capture)."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("show", help="show a scenario as tables (actors, regions, facts...)")
    p.add_argument("file", metavar="FILE", help="scenario YAML file")
    p.add_argument("--variant", help="apply this variant first")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from sim.scenario.describe import describe

    scenario = load(args.file, args.variant).scenario
    tty = sys.stdout.isatty()
    # Console(file=sys.stdout) is resolved now, so output goes wherever stdout points (tests).
    console = Console(file=sys.stdout, width=None if tty else WIDTH_WHEN_PIPED,
                      no_color=not tty, highlight=False)
    if args.variant:
        v = scenario.variants[args.variant]
        console.print(f"variant {args.variant}: {v.title}", style="bold")
    for part in describe(scenario):
        console.print(part)
        console.print()
    return 0
