"""geosim schema [--out FILE]: the JSON Schema of scenario files, for editors.

Point an editor's YAML extension at it to get completion, field descriptions and
errors while typing (see docs/scenario-format.md, "Editor support").
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sim.errors import UsageError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("schema", help="print the JSON Schema of scenario files")
    p.add_argument("--out", metavar="FILE", help="write it to FILE instead of printing it")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from sim.scenario.schema import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.out is None:
        print(text, end="")
        return 0
    out = Path(args.out)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"geosim schema: cannot write {out}: {exc.strerror or exc}") from None
    print(f"wrote {out} ({len(text):,} bytes)")
    return 0
