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
only whole parts and a manifest that parses. A write that fails (a full disk) removes its
temporary file and raises ResultsWriteError (sim/experiments/atomic_files.py).

The manifest records the sha256 of every part of every finished batch (`parts`): a batch is
complete when the manifest says so and its parts match. Readers (summary, report) verify each
part they read; resume re-runs every batch whose parts are missing, damaged or unrecorded.

One writer at a time: creating a folder claims it atomically (`mkdir runs/`, which fails for
all but one of several runs given the same --out), and a writer holds an exclusive lock
(flock) on the folder while it runs, so a resume cannot write into a folder still in use.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import ResultsError
from sim.experiments.atomic_files import (
    ResultsWriteError,
    sha256_of,
    write_bytes_atomic,
    write_failure,
    write_json,
    write_parquet,
    write_text_atomic,
)
from sim.experiments.manifest import FORMAT, MANIFEST, read_manifest

__all__ = ["MANIFEST", "Results", "ResultsReader", "ResultsWriteError", "ResultsWriter",
           "completed_batches", "count_runs", "default_dir", "load_results", "part_name",
           "read_manifest", "utc_now", "write_bytes_atomic", "write_parts",
           "write_text_atomic"]

RESOLVED_SCENARIO = "scenario.resolved.yaml"
_PART = re.compile(r"^part-(\d{5,})\.parquet$")


def part_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def default_dir(root: str | Path, scenario_id: str, seed: int,
                now: dt.datetime | None = None) -> Path:
    """`<root>/<scenario id>/<YYYYmmdd-HHMMSS>-<seed>` (UTC time stamp)."""
    now = now or dt.datetime.now(dt.UTC)
    return Path(root) / scenario_id / f"{now:%Y%m%d-%H%M%S}-{seed}"


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def write_parts(path: Path, index: int, runs: pd.DataFrame,
                series: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    """Write one batch's Parquet parts into a results folder, each atomically (the series
    first, the runs part last), and return {part path relative to the folder: sha256}.
    Called by the parent, or by a worker that shares the folder's file system."""
    sums = {}
    for name, df in series.items():
        folder = path / "series" / name
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise write_failure(folder, exc) from None
        sums[f"series/{name}/{part_name(index)}"] = write_parquet(folder / part_name(index), df)
    sums[f"runs/{part_name(index)}"] = write_parquet(path / "runs" / part_name(index), runs)
    return sums


def write_resolved_scenario(path: str | Path, scenario: Any) -> Path:
    """Write the scenario the run used (extends and variant applied) as
    `scenario.resolved.yaml`, so the report reads what ran, not a file that may have changed.
    (Added for the report, issue 13; sim.scenario.loader.dump_scenario gives the text.)"""
    from sim.scenario.loader import dump_scenario

    target = Path(path) / RESOLVED_SCENARIO
    text = dump_scenario(scenario)
    write_text_atomic(target, text)
    return target


def count_runs(runs: pd.DataFrame) -> tuple[int, int]:
    """(replications that completed, replications that failed) in a runs table."""
    failed = int((runs["status"] != "ok").sum()) if "status" in runs else 0
    return len(runs) - failed, failed


def remove_temporary_files(path: Path) -> None:
    """Temporary files of writes cut short (a killed worker): never part of the results."""
    for tmp in path.glob("**/.*.tmp"):
        tmp.unlink(missing_ok=True)


class ResultsWriter:
    """Streams batches of an ensemble into a results folder and keeps its manifest current.

    Use `ResultsWriter.create(dir, manifest)` for a new run, `ResultsWriter.reopen(dir)` to
    resume one, `close()` at the end. `write_batch` may be called in any batch order (batches
    complete out of order on a process pool or cluster).
    """

    def __init__(self, path: Path, manifest: dict[str, Any], lock: int | None = None):
        self.path = path
        self.manifest = manifest
        self._lock = lock

    @classmethod
    def create(cls, path: str | Path, manifest: Mapping[str, Any]) -> ResultsWriter:
        """Claim a new results folder (refusing one that holds or is getting results) and
        write its manifest."""
        path = Path(path)
        taken = ResultsError(f"{path}: already holds results, or another run is writing into "
                             f"it (use --resume {path} to continue it, or choose another --out)")
        try:
            path.mkdir(parents=True, exist_ok=True)
            if (path / MANIFEST).exists():
                raise taken
            (path / "runs").mkdir()  # atomic: of several runs given this folder, one wins
        except FileExistsError:
            raise taken from None
        except OSError as exc:
            raise ResultsError(f"{path}: cannot create the results folder "
                               f"({exc.strerror or exc})") from None
        m = dict(manifest)
        m.setdefault("started", utc_now())
        m.update(format=FORMAT, status="running", finished=None, runs_completed=0,
                 runs_failed=0, batches_done=[], parts={}, timings={"batches": {}, "total": 0.0})
        writer = cls(path, m, _lock_folder(path, m))
        writer.save_manifest()
        return writer

    @classmethod
    def reopen(cls, path: str | Path) -> ResultsWriter:
        """Continue writing into an existing results folder (for --resume): keep the batches
        whose parts are all there and match the manifest, drop every other part."""
        from sim.experiments.repair import verified_batches

        path = Path(path)
        lock = _lock_folder(path, read_manifest(path))
        manifest = read_manifest(path)
        remove_temporary_files(path)
        parts, notes = verified_batches(path, manifest)
        manifest.update(format=FORMAT, parts=parts, status="running",
                        batches_done=sorted(int(b) for b in parts))
        if notes:
            manifest["repaired"] = [*manifest.get("repaired", []), *notes]
        writer = cls(path, manifest, lock)
        writer._recount()
        writer.save_manifest()
        return writer

    def save_manifest(self) -> None:
        write_json(self.path / MANIFEST, self.manifest)

    def write_batch(self, index: int, runs: pd.DataFrame, series: Mapping[str, pd.DataFrame],
                    seconds: float) -> None:
        """Write one batch's parts (series first, runs last) and update the manifest."""
        sums = write_parts(self.path, index, runs, series)
        self.record_batch(index, *count_runs(runs), seconds, sums)

    def record_batch(self, index: int, ok: int, failed: int, seconds: float,
                     checksums: Mapping[str, str]) -> None:
        """Update the manifest for a batch whose parts are on disk (written by a worker)."""
        m = self.manifest
        key = part_name(index)[5:10]
        m["runs_completed"] += ok
        m["runs_failed"] += failed
        m["batches_done"] = sorted({*m["batches_done"], index})
        m["parts"][str(index)] = dict(checksums)
        m["timings"]["batches"][key] = round(seconds, 4)
        self.save_manifest()

    def finish(self, status: str, total_seconds: float, error: str | None = None) -> bool:
        """Record the end of a run: status "complete", "interrupted" or "failed" (with the
        error that stopped it). Returns False when the manifest could not be written (a full
        disk): it then still says "running", which resume accepts as well."""
        m = self.manifest
        m["status"] = status
        m["finished"] = utc_now()
        m["timings"]["total"] = round(m["timings"].get("total", 0.0) + total_seconds, 4)
        if error is not None:
            m["error"] = error
        else:
            m.pop("error", None)
        try:
            self.save_manifest()
        except ResultsWriteError:
            return False
        finally:
            remove_temporary_files(self.path)
        return True

    def close(self) -> None:
        """Release the folder for other writers (the lock also ends with the process)."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def _recount(self) -> None:
        runs = ResultsReader(self.path, self.manifest).runs(columns=["status"])
        failed = int((runs["status"] != "ok").sum()) if len(runs) else 0
        self.manifest["runs_completed"] = len(runs) - failed
        self.manifest["runs_failed"] = failed


def _lock_folder(path: Path, manifest: Mapping[str, Any]) -> int | None:
    """An exclusive lock on the folder itself, or a ResultsError naming who holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no locking
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise ResultsError(f"{path}: another geosim process is writing into this folder (pid "
                           f"{manifest.get('pid', '?')}); wait for it to finish") from None
    return fd


@dataclass
class Results:
    """A results folder read back: the manifest, the runs table and the series tables."""

    manifest: dict[str, Any]
    runs: pd.DataFrame
    series: dict[str, pd.DataFrame] = field(default_factory=dict)
    path: Path | None = None


class ResultsReader:
    """Reads a results folder part by part (lazily: the series are read only when asked),
    verifying each part against the sha256 the manifest recorded for it."""

    def __init__(self, path: str | Path, manifest: dict[str, Any] | None = None):
        self.path = Path(path)
        self.manifest = manifest if manifest is not None else read_manifest(self.path)

    def runs(self, columns: list[str] | None = None) -> pd.DataFrame:
        """All runs parts of finished batches, sorted by replication index."""
        df = self._read(self.path / "runs", "runs", columns)
        if "rep" in df:
            df = df.sort_values("rep", kind="stable").reset_index(drop=True)
        return df

    def series_names(self) -> list[str]:
        folder = self.path / "series"
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []

    def series(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """One series table (rows of finished batches only), sorted by (rep, day)."""
        folder = self.path / "series" / name
        if not folder.is_dir():
            raise ResultsError(f"{self.path}: no series '{name}' (have: "
                               f"{', '.join(self.series_names()) or 'none'})")
        df = self._read(folder, f"series/{name}", columns)
        if {"rep", "day"} <= set(df.columns):
            df = df.sort_values(["rep", "day"], kind="stable").reset_index(drop=True)
        return df

    def load(self) -> Results:
        return Results(self.manifest, self.runs(),
                       {n: self.series(n) for n in self.series_names()}, self.path)

    def _read(self, folder: Path, prefix: str, columns: list[str] | None) -> pd.DataFrame:
        parts = self.manifest.get("parts")
        if parts is None:  # a format 1 folder: no checksums; its runs parts mark batches done
            done = completed_batches(self.path)
            files = _part_files(folder, None if prefix == "runs" else done)
            return read_part_files(files, columns)
        files = []
        for batch in sorted(parts, key=int):
            relative = f"{prefix}/{part_name(int(batch))}"
            digest = parts[batch].get(relative)
            if digest is not None:
                files.append(self._verified(relative, digest))
        return read_part_files(files, columns)

    def _verified(self, relative: str, digest: str) -> Path:
        return verified_part(self.path, relative, digest)


def verified_part(folder: Path, relative: str, digest: str) -> Path:
    """folder / relative, or one ResultsError when it is missing or its sha256 is not the
    manifest's `digest`."""
    path = folder / relative
    hint = f"re-run its batch with: geosim run --resume {folder}"
    if not path.is_file():
        raise ResultsError(f"{path}: missing (the manifest records it); {hint}")
    if sha256_of(path) != digest:
        raise ResultsError(f"{path}: damaged (its sha256 differs from the one in the "
                           f"manifest); {hint}")
    return path


def load_results(path: str | Path) -> Results:
    """Read a whole results folder into memory (manifest, runs, every series)."""
    return ResultsReader(path).load()


def completed_batches(path: str | Path) -> set[int]:
    """Indices of batches whose runs part exists (format 1 folders: written last)."""
    folder = Path(path) / "runs"
    if not folder.is_dir():
        return set()
    return {int(m.group(1)) for p in folder.iterdir() if (m := _PART.match(p.name))}


def _part_files(folder: Path, only: set[int] | None) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if (m := _PART.match(p.name))
                  and (only is None or int(m.group(1)) in only))


def read_part_files(files: list[Path], columns: list[str] | None) -> pd.DataFrame:
    """The Parquet parts concatenated, or one ResultsError naming a part that cannot be read."""
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
