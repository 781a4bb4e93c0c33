"""The manifest of a results folder: read and checked before anyone uses it.

`manifest.json` says what was run and how far it got; resume, report and summary act on it.
It is a text file people open and sometimes edit, so its types are checked here, once: a
hand-edited manifest (a seed in quotes, a missing key, a list where a mapping was) gives one
line naming the key, the bad value and what is allowed, never a KeyError or TypeError later.
Strings are checked for terminal control codes too, since summary prints them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import ResultsError

MANIFEST = "manifest.json"
FORMAT = 2
"""Manifest format: 2 records a sha256 per part (`parts`); 1 (no `format` key) did not."""
STATUSES = ("running", "complete", "interrupted", "failed")

class _Open(BaseModel):
    # strict: "7" is not a seed; extra keys are kept (newer versions may add some).
    model_config = ConfigDict(strict=True, extra="allow")


class _Actor(_Open):
    name: str
    color: str = "#888888"


class _Region(_Open):
    name: str
    lat: float
    lon: float


class _Outcome(_Open):
    label: str = ""
    kind: str = ""
    binary: bool = False


class _Timings(_Open):
    batches: dict[str, float] = Field(default_factory=dict)
    total: float = 0.0


class Manifest(_Open):
    """The keys geosim reads; any others are kept as they are."""

    format: int = Field(1, ge=1, le=FORMAT)
    scenario_id: str = "?"
    scenario_title: str | None = None
    scenario_file: str | None = None
    scenario_sha256: str | None = None
    variant: str | None = None
    seed: int | None = None
    design: Literal["mc", "lhs"] = "mc"
    runs_planned: int = Field(ge=1)
    days: int | None = Field(None, ge=1)
    series_every: int = Field(1, ge=1)
    batch_size: int | None = Field(None, ge=1)
    status: Literal["running", "complete", "interrupted", "failed"]
    runs_completed: int = Field(0, ge=0)
    runs_failed: int = Field(0, ge=0)
    batches_done: list[Annotated[int, Field(ge=0)]] = Field(default_factory=list)
    parts: dict[str, dict[str, str]] | None = None
    timings: _Timings = Field(default_factory=_Timings)
    resumed: list[str] = Field(default_factory=list)
    actors: dict[str, _Actor] = Field(default_factory=dict)
    regions: dict[str, _Region] = Field(default_factory=dict)
    outcomes: dict[str, _Outcome] = Field(default_factory=dict)


_RESUME_NEEDS = ("scenario_file", "scenario_sha256", "seed", "days", "batch_size")

_WORDS = {
    "int_type": "expected a whole number", "float_type": "expected a number",
    "string_type": "expected text", "bool_type": "expected true or false",
    "list_type": "expected a list", "dict_type": "expected a mapping",
    "model_type": "expected a mapping", "missing": "missing",
    "literal_error": "not an allowed value", "greater_than_equal": "too small",
    "less_than_equal": "too large", "int_from_float": "expected a whole number",
}


def read_manifest(path: str | Path, *, for_resume: bool = False) -> dict[str, Any]:
    """The checked manifest of a results folder (defaults filled in), or one ResultsError line.

    Args:
        path: the results folder.
        for_resume: also require what resuming needs (scenario file and hash, seed, days,
            batch size).
    """
    path = Path(path)
    if not path.is_dir():
        raise ResultsError(f"{path}: no such results folder")
    mpath = path / MANIFEST
    if not mpath.is_file():
        raise ResultsError(f"{path}: not a results folder (no {MANIFEST})")
    try:
        data = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ResultsError(f"{mpath}: unreadable manifest ({type(exc).__name__}: "
                           f"{str(exc)[:200]})") from None
    if not isinstance(data, dict) or "runs_planned" not in data:
        raise ResultsError(f"{mpath}: not a geosim manifest (no runs_planned)")
    try:
        checked = Manifest.model_validate(data).model_dump()
    except ValidationError as exc:
        raise ResultsError(f"{mpath}: {_first_problem(exc)}; was it edited by hand?") from None
    _check_text(mpath, checked)
    _check_parts(mpath, checked)
    if for_resume:
        missing = [k for k in _RESUME_NEEDS if checked.get(k) is None]
        if missing:
            raise ResultsError(f"{mpath}: cannot resume: the manifest has no {missing[0]} (a "
                               "run whose scenario was given in memory, or an edited manifest)")
    return checked


def _first_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(k) for k in err["loc"]) or "the manifest"
    words = _WORDS.get(err["type"], err["msg"])
    ctx = err.get("ctx") or {}
    if err["type"] == "literal_error":
        words += f" (allowed {ctx.get('expected', '')})"
    elif "ge" in ctx or "le" in ctx:
        words += f" (allowed {'>= ' + str(ctx['ge']) if 'ge' in ctx else '<= ' + str(ctx['le'])})"
    got = "" if err["type"] == "missing" else f" (got {_brief(err.get('input'))})"
    return f"{where}: {words}{got}"


def _brief(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = json.dumps(value, ensure_ascii=True)  # escapes control codes and surrogates
    return text if len(text) <= 60 else text[:57] + "..."


def _check_text(mpath: Path, node: Any, where: str = "") -> None:
    """No control codes in any text (summary and report print them)."""
    if isinstance(node, dict):
        for key, value in node.items():
            _check_text(mpath, key, where)
            _check_text(mpath, value, f"{where}.{key}" if where else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _check_text(mpath, value, f"{where}.{i}")
    elif isinstance(node, str) and not node.isprintable():
        bad = next((c for c in node if not c.isprintable() and c not in "\t\n"), None)
        if bad is not None:
            raise ResultsError(f"{mpath}: {where or 'a key'}: text holds the control character "
                               f"{ascii(bad)} (allowed: printable text); was it edited by hand?")


def _check_parts(mpath: Path, m: dict[str, Any]) -> None:
    parts = m.get("parts")
    if m["format"] >= 2 and parts is None:
        raise ResultsError(f"{mpath}: parts: missing (a format {m['format']} manifest records "
                           "a checksum per part); was it edited by hand?")
    for batch, files in (parts or {}).items():
        if not batch.isascii() or not batch.isdigit():
            raise ResultsError(f"{mpath}: parts.{batch}: not a batch number (allowed: digits)")
        for name, digest in files.items():
            if not _is_part_path(name) or len(digest) != 64:
                raise ResultsError(f"{mpath}: parts.{batch}: not a part and its sha256 (got "
                                   f"{_brief(name)}: {_brief(digest)})")


def _is_part_path(name: str) -> bool:
    """`runs/part-00003.parquet` or `series/<name>/part-00003.parquet`, nothing that climbs."""
    pieces = name.split("/")
    if ".." in pieces or "" in pieces or "\\" in name:
        return False
    return (len(pieces) == 2 and pieces[0] == "runs") or (len(pieces) == 3 and
                                                            pieces[0] == "series")
