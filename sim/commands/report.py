"""geosim report DIR: write DIR/report.html (self-contained, opens offline) and print its path."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("report", help="write the HTML report of a results folder")
    p.add_argument("folder", metavar="DIR", help="results folder (holds manifest.json)")
    p.add_argument("--export", action="store_true",
                   help="also write every chart as DIR/charts/NAME.png and .svg (needs chromium)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from sim.analysis.report import (
        write_report,  # plotly and pandas load only when a report is made
    )

    print(write_report(args.folder, export=args.export))
    if args.export:
        print(f"charts: {args.folder}/charts")
    return 0
