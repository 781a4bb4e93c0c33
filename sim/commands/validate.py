"""geosim validate FILE...: check scenario files, print one summary line per valid file.

Every problem of every invalid file is printed (one line each, `FILE:LINE:COL: path: message`)
and the exit status is 2; valid files still get their summary line.
"""

from __future__ import annotations

import argparse
import sys

from sim.errors import ScenarioError
from sim.scenario.loader import load


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("validate", help="check scenario files and report every problem")
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files")
    p.add_argument("--variant", help="also apply this variant before checking")
    p.add_argument(
        "--strict",
        action="store_true",
        help="also report every fact written in a file with neither `source:` nor "
        "`assumption: true`",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    failed: list[ScenarioError] = []
    for f in args.files:
        try:
            loaded = load(f, args.variant, strict=args.strict)
        except ScenarioError as exc:
            failed.append(exc)
            continue
        sc = loaded.scenario
        print(
            f"{f}: ok: {sc.scenario.id} as of {sc.scenario.as_of}, {len(sc.actors)} actors, "
            f"{len(sc.regions)} regions, {len(sc.links)} links, {len(sc.events)} events, "
            f"{len(sc.outcomes)} outcomes, {len(sc.variants)} variants"
        )
        _colour_warnings(f, sc)
    if failed:
        raise ScenarioError([p for exc in failed for p in exc.problems])
    return 0


def _colour_warnings(path: str, scenario: object) -> None:
    """Warn (not an error) about actors whose own colours a reader cannot tell apart
    (sim.analysis.colors; added for the report, issue 13)."""
    from sim.analysis.colors import actor_colors, near_duplicates

    own = actor_colors(scenario, own=True)
    for a, b, diff in near_duplicates(own):
        print(f"{path}: warning: actors {a} ({own[a]}) and {b} ({own[b]}) have near-identical "
              f"colours (difference {diff:.0f}, below 20); reports use a colour-blind-safe "
              "palette by default", file=sys.stderr)
