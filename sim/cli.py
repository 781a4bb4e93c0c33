"""The `geosim` command: parse, call one library function, print. Nothing else lives here.

Each subcommand is a module in `sim/commands/` with `add_parser(subparsers)` and
`run(args) -> int`. Any SimError becomes its message on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
from collections.abc import Sequence

from sim import __version__
from sim.errors import SimError, UsageError, terminal_safe

# The order here is the order in `geosim --help`.
# Command modules import their heavy dependencies inside `run`, so `geosim --help` stays fast.
COMMANDS = (
    "validate",
    "show",
    "schema",
    "run",
    "summary",
    "report",
    "backtest",
    "compare",
    "sensitivity",
    "play",
    "history",
)


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError (one line, exit 2) instead of printing usage."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="geosim",
        description="Geopolitical scenario simulation: validate sourced YAML scenarios, run "
        "Monte Carlo ensembles, chart and compare outcomes, play classroom wargames.",
    )
    parser.add_argument("--version", action="version", version=f"geosim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"sim.commands.{name}")
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args.handler(args) or 0)
    except SimError as exc:
        print(terminal_safe(str(exc)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("geosim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`geosim run ... | head`): stop quietly, as Unix tools do. Point
        # stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise  # anything else is a bug or a broken machine: keep the traceback
        # Writers of results clean up and say so themselves (RunStoppedError); this is the
        # last resort for any other file a command writes.
        print(terminal_safe(f"geosim: the disk is full ({exc.filename or 'writing'}: "
                            f"{exc.strerror})"), file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
