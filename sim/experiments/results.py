"""The results folder: the only code that writes or reads ensemble results on disk.

Layout (docs/architecture.md)::

    <dir>/manifest.json                    what was run, by whom, how far it got
    <dir>/runs/part-NNNNN.parquet          BatchResult.runs of batch NNNNN
    <dir>/series/<name>/part-NNNNN.parquet BatchResult.series[name] of batch NNNNN

Why Parquet: it is columnar (a chart reads one outcome column without the rest), compressed
(float columns of a million replications stay small), typed (int64 reps, float32 series and
int8 control survive a round trip, unlike CSV), appendable by part (each batch is one more
file, so a run streams to disk and never holds the ensemble in memory), and readable from
pandas, R (arrow), duckdb and polars without geosim.

Every file is written to a temporary name in the same folder and moved into place with
`os.replace`, which is atomic on POSIX: a run killed at any instant (even `kill -9`) leaves
only whole parts and a manifest that parses. A batch's runs part is written last, after its
series parts, so "runs part exists" means "batch complete" (what `--resume` relies on).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import ResultsError

MANIFEST = "manifest.json"
RESOLVED_SCENARIO = "scenario.resolved.yaml"
_PART = re.compile(r"^part-(\d{5,})\.parquet$")


def part_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def default_dir(root: str | Path, scenario_id: str, seed: int,
                now: dt.datetime | None = None) -> Path:
    """`<root>/<scenario id>/<YYYYmmdd-HHMMSS>-<seed>` (UTC time stamp)."""
    now = now or dt.datetime.now(dt.UTC)
    return Path(root) / scenario_id / f"{now:%Y%m%d-%H%M%S}-{seed}"


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _atomic_write_bytes(path: Path, write: Any) -> None:
    """Call write(tmp_path) then rename tmp_path over `path`."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        # mkstemp makes the file private (0600); results are for sharing: honour the umask
        # as an ordinary file would.
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    text = json.dumps(data, indent=2, default=str) + "\n"
    _atomic_write_bytes(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _write_parquet(path: Path, df: pd.DataFrame) -> None:
    _atomic_write_bytes(path, lambda tmp: df.to_parquet(tmp, index=False, engine="pyarrow"))


def write_parts(path: Path, index: int, runs: pd.DataFrame,
                series: Mapping[str, pd.DataFrame]) -> None:
    """Write one batch's Parquet parts into a results folder, each atomically: the series
    first, the runs part last (its presence marks the batch complete, see completed_batches).
    Called by the parent, or by a worker that shares the folder's file system."""
    for name, df in series.items():
        folder = path / "series" / name
        folder.mkdir(parents=True, exist_ok=True)
        _write_parquet(folder / part_name(index), df)
    _write_parquet(path / "runs" / part_name(index), runs)


def write_resolved_scenario(path: str | Path, scenario: Any) -> Path:
    """Write the scenario the run used (extends and variant applied) as
    `scenario.resolved.yaml`, so the report reads what ran, not a file that may have changed.
    (Added for the report, issue 13; sim.scenario.loader.dump_scenario gives the text.)"""
    from sim.scenario.loader import dump_scenario

    target = Path(path) / RESOLVED_SCENARIO
    text = dump_scenario(scenario)
    _atomic_write_bytes(target, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return target


def count_runs(runs: pd.DataFrame) -> tuple[int, int]:
    """(replications that completed, replications that failed) in a runs table."""
    failed = int((runs["status"] != "ok").sum()) if "status" in runs else 0
    return len(runs) - failed, failed


class ResultsWriter:
    """Streams batches of an ensemble into a results folder and keeps its manifest current.

    Use `ResultsWriter.create(dir, manifest)` for a new run, `ResultsWriter.reopen(dir)` to
    resume one. `write_batch` may be called in any batch order (batches complete out of order
    on a process pool or cluster).
    """

    def __init__(self, path: Path, manifest: dict[str, Any]):
        self.path = path
        self.manifest = manifest

    @classmethod
    def create(cls, path: str | Path, manifest: Mapping[str, Any]) -> ResultsWriter:
        """Make the folder (refusing one that already holds results) and write the manifest."""
        path = Path(path)
        if (path / MANIFEST).exists() or (path / "runs").exists():
            raise ResultsError(f"{path}: already holds results (use --resume {path} to continue "
                               "it, or choose another --out)")
        (path / "runs").mkdir(parents=True, exist_ok=True)
        m = dict(manifest)
        m.setdefault("started", utc_now())
        m.update(status="running", finished=None, runs_completed=0, runs_failed=0,
                 batches_done=[], timings={"batches": {}, "total": 0.0})
        writer = cls(path, m)
        writer.save_manifest()
        return writer

    @classmethod
    def reopen(cls, path: str | Path) -> ResultsWriter:
        """Continue writing into an existing results folder (for --resume)."""
        path = Path(path)
        manifest = read_manifest(path)
        # Temporary files of writes cut short (a killed run): never part of the results.
        for tmp in path.glob("**/.part-*.tmp"):
            tmp.unlink(missing_ok=True)
        done = sorted(completed_batches(path))
        manifest["batches_done"] = done
        manifest["status"] = "running"
        writer = cls(path, manifest)
        writer._recount()
        writer.save_manifest()
        return writer

    def save_manifest(self) -> None:
        _write_json(self.path / MANIFEST, self.manifest)

    def write_batch(self, index: int, runs: pd.DataFrame, series: Mapping[str, pd.DataFrame],
                    seconds: float) -> None:
        """Write one batch's parts (series first, runs last) and update the manifest."""
        write_parts(self.path, index, runs, series)
        self.record_batch(index, *count_runs(runs), seconds)

    def record_batch(self, index: int, ok: int, failed: int, seconds: float) -> None:
        """Update the manifest for a batch whose parts are on disk (written by a worker)."""
        m = self.manifest
        m["runs_completed"] += ok
        m["runs_failed"] += failed
        m["batches_done"] = sorted({*m["batches_done"], index})
        m["timings"]["batches"][part_name(index)[5:10]] = round(seconds, 4)
        self.save_manifest()

    def finish(self, status: str, total_seconds: float) -> None:
        """Record the end of a run: status "complete", "interrupted" or "failed"."""
        m = self.manifest
        m["status"] = status
        m["finished"] = utc_now()
        m["timings"]["total"] = round(m["timings"].get("total", 0.0) + total_seconds, 4)
        self.save_manifest()

    def _recount(self) -> None:
        runs = _read_parts(self.path / "runs", columns=["status"])
        failed = int((runs["status"] != "ok").sum()) if len(runs) else 0
        self.manifest["runs_completed"] = len(runs) - failed
        self.manifest["runs_failed"] = failed


@dataclass
class Results:
    """A results folder read back: the manifest, the runs table and the series tables."""

    manifest: dict[str, Any]
    runs: pd.DataFrame
    series: dict[str, pd.DataFrame] = field(default_factory=dict)
    path: Path | None = None


class ResultsReader:
    """Reads a results folder part by part (lazily: the series are read only when asked)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.manifest = read_manifest(self.path)

    def runs(self, columns: list[str] | None = None) -> pd.DataFrame:
        """All runs parts, sorted by replication index."""
        df = _read_parts(self.path / "runs", columns=columns)
        if "rep" in df:
            df = df.sort_values("rep", kind="stable").reset_index(drop=True)
        return df

    def series_names(self) -> list[str]:
        folder = self.path / "series"
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []

    def series(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """One series table (rows of completed batches only), sorted by (rep, day)."""
        folder = self.path / "series" / name
        if not folder.is_dir():
            raise ResultsError(f"{self.path}: no series '{name}' (have: "
                               f"{', '.join(self.series_names()) or 'none'})")
        done = completed_batches(self.path)
        df = _read_parts(folder, columns=columns, only=done)
        if {"rep", "day"} <= set(df.columns):
            df = df.sort_values(["rep", "day"], kind="stable").reset_index(drop=True)
        return df

    def load(self) -> Results:
        return Results(self.manifest, self.runs(),
                       {n: self.series(n) for n in self.series_names()}, self.path)


def load_results(path: str | Path) -> Results:
    """Read a whole results folder into memory (manifest, runs, every series)."""
    return ResultsReader(path).load()


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of a results folder, or a ResultsError saying what is wrong."""
    path = Path(path)
    if not path.is_dir():
        raise ResultsError(f"{path}: no such results folder")
    mpath = path / MANIFEST
    if not mpath.is_file():
        raise ResultsError(f"{path}: not a results folder (no {MANIFEST})")
    try:
        data = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{mpath}: unreadable manifest ({exc})") from None
    if not isinstance(data, dict) or "runs_planned" not in data:
        raise ResultsError(f"{mpath}: not a geosim manifest (no runs_planned)")
    return data


def completed_batches(path: str | Path) -> set[int]:
    """Indices of batches whose runs part exists (written last, so the batch is whole)."""
    folder = Path(path) / "runs"
    if not folder.is_dir():
        return set()
    return {int(m.group(1)) for p in folder.iterdir() if (m := _PART.match(p.name))}


def _read_parts(folder: Path, columns: list[str] | None = None,
                only: set[int] | None = None) -> pd.DataFrame:
    if not folder.is_dir():
        return pd.DataFrame()
    files = sorted(p for p in folder.iterdir() if (m := _PART.match(p.name))
                   and (only is None or int(m.group(1)) in only))
    frames = []
    for f in files:
        try:
            frames.append(pd.read_parquet(f, columns=columns, engine="pyarrow"))
        except Exception as exc:  # pyarrow raises several types for damaged files
            raise ResultsError(f"{f}: unreadable part ({type(exc).__name__}: {exc})") from None
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=columns) if columns else pd.DataFrame()
    return pd.concat(frames, ignore_index=True)
