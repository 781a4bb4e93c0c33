"""The model: compiling a scenario to arrays, sampling, state, constants, rules and kernels,
the engine, outcomes, narrative.

Importing the package points numba's cache at a folder keyed by a hash of the model's source
files: numba invalidates a kernel's cached code only when the kernel's own file changes, not
when a formula it inlines from another file does, so a changed rule would otherwise keep
running as it was (a stale cache). NUMBA_CACHE_DIR, when set, is used as the root.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba


def _source_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


_HERE = Path(__file__).resolve().parent
_ROOT = Path(os.environ.get("NUMBA_CACHE_DIR") or _HERE.parents[1] / ".numba-cache")
numba.config.CACHE_DIR = str(_ROOT / _source_digest(_HERE))  # type: ignore[attr-defined]
