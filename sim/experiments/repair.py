"""What a resume keeps of a results folder: the batches whose parts are whole.

A batch is kept when the manifest records it and every part it records is on disk with the
recorded sha256. Everything else is removed so that resume runs it again: parts of a batch a
run was killed in the middle of (written but never recorded), a deleted or damaged part (the
whole batch goes: its replications are re-run and give the same numbers), stray files.

Folders written before checksums existed (format 1) are adopted: a batch whose runs part and
every series part exist is kept and its checksums are recorded from now on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.experiments.atomic_files import sha256_of
from sim.experiments.results import completed_batches, part_name


def verified_batches(path: Path, manifest: dict[str, Any]) -> tuple[dict[str, dict[str, str]],
                                                                     list[str]]:
    """({batch: {part: sha256}} to keep, a note for each batch dropped); removes the rest."""
    recorded = manifest.get("parts")
    notes: list[str] = []
    if recorded is None:
        keep = _adopted(path)
    else:
        keep = {}
        for batch, files in recorded.items():
            problem = _problem(path, batch, files)
            if problem is None:
                keep[batch] = dict(files)
            else:
                notes.append(f"batch {batch} run again: {problem}")
    wanted = {name for files in keep.values() for name in files}
    for part in _all_parts(path):
        if part.relative_to(path).as_posix() not in wanted:
            part.unlink(missing_ok=True)
    return keep, notes


def _problem(path: Path, batch: str, files: dict[str, str]) -> str | None:
    runs = f"runs/{part_name(int(batch))}"
    if runs not in files:
        return f"the manifest records no {runs}"
    for name, digest in sorted(files.items()):
        part = path / name
        if not part.is_file():
            return f"{name} is missing"
        if sha256_of(part) != digest:
            return f"{name} is damaged (sha256 differs from the manifest)"
    return None


def _adopted(path: Path) -> dict[str, dict[str, str]]:
    series = sorted(p.name for p in (path / "series").glob("*") if p.is_dir())
    keep = {}
    for batch in sorted(completed_batches(path)):
        names = [f"series/{s}/{part_name(batch)}" for s in series] + [f"runs/{part_name(batch)}"]
        if all((path / n).is_file() for n in names):
            keep[str(batch)] = {n: sha256_of(path / n) for n in names}
    return keep


def _all_parts(path: Path) -> list[Path]:
    return [*path.glob("runs/part-*.parquet"), *path.glob("series/*/part-*.parquet")]
