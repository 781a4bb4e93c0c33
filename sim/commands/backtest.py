"""geosim backtest CSV: score the combat rule on historical battles against baselines."""

from __future__ import annotations

import argparse
import json


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "backtest",
        help="score the combat rule on historical battles (CDB90 format) against baselines",
    )
    p.add_argument("csv", metavar="CSV", help="battles in CDB90 column format")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument(
        "--fit",
        action="store_true",
        help="refit the constants on CSV, report their 10-fold cross-validated scores and save "
        "them (default: the shipped sim/data/combat_constants.json)",
    )
    p.add_argument("--constants-out", metavar="PATH", help="with --fit: write constants here")
    p.set_defaults(handler=run)


def _table(report: object) -> None:
    from rich.console import Console
    from rich.table import Table

    from sim.calibration.backtest import BacktestReport

    assert isinstance(report, BacktestReport)
    labels = {
        "geosim": f"geosim ({report.geosim_sample})",
        "geosim_cv": "geosim (CV refit)",
        "base_rate": "base rate (CV)",
        "log_ratio_logistic": "log-ratio logistic (CV)",
    }
    table = Table(title=f"Backtest on {report.battles.n} battles")
    for col in ("model", "accuracy", "Brier", "log loss", "AUC", "n"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for name, s in report.scores.items():
        table.add_row(
            labels[name],
            f"{s['accuracy']:.3f}",
            f"{s['brier']:.4f}",
            f"{s['log_loss']:.4f}",
            f"{s['auc']:.3f}",
            str(s["n"]),
        )
    console = Console()
    console.print(table)
    console.print("CV: stratified 10-fold cross-validation, fixed seed.")
    for note in report.notes:
        console.print(note)
    if report.constants_written:
        console.print(f"constants written to {report.constants_written}")


def run(args: argparse.Namespace) -> int:
    from sim.calibration.backtest import run_backtest
    from sim.errors import UsageError

    if args.constants_out and not args.fit:
        raise UsageError("geosim backtest: --constants-out needs --fit")
    report = run_backtest(args.csv, fit=args.fit, constants_out=args.constants_out)
    if args.json:
        # NaN (AUC of a one-class file) is not JSON: write null.
        clean = {
            m: {k: (None if isinstance(v, float) and v != v else v) for k, v in s.items()}
            for m, s in report.scores.items()
        }
        print(json.dumps(clean))
    else:
        _table(report)
    return 0
