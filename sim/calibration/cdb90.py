"""Read a CSV in CDB90 column format into the inputs of the combat rule.

Only inputs a geosim scenario can provide are used: strengths (-> power ratio), defender
posture, terrain, river crossing, air superiority and surprise. HERO's after-the-fact ratings
(CEA, LEADA, TRNGA, MORALA, LOGSA, MOMNTA, INTELA, TECHA, INITA, ...) are never read: they
were judged knowing the outcome. The mapping of codes is documented in docs/model.md,
"Calibration".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.errors import SimError
from sim.model.combat_constants import POSTURE_CODES, TERRAIN_CODES

if TYPE_CHECKING:
    import pandas as pd

REQUIRED = ("STRA", "STRD", "WINA", "POST1", "TERRA1", "SURPA", "AEROA")
"""Columns without which a file cannot be backtested."""
SCHEME_COLUMNS = ("PRIA1", "PRIA2", "PRIA3", "SECA1", "SECA2", "SECA3")
"""Attacker's tactical scheme codes; "RC" marks a river crossing (enum_pri.csv)."""
N_ACTIVE_PERIODS = 10

# CDB90 POST1/POST2 -> our posture. Delay (DL), withdrawal (WD) and unknown codes are no
# defence posture: the other column is used, else "hasty" (no prepared position).
_POSTURE = {"HD": "hasty", "PD": "prepared", "FD": "fortified"}


class DataError(SimError):
    """A battle data file is missing, unreadable, lacks columns or has no usable battle."""


@dataclass(frozen=True)
class Battles:
    """Battles of one file mapped to model features, and what was dropped and why."""

    frame: pd.DataFrame
    """One row per usable battle: log_ratio, att_str, def_str, posture, terrain, river, air,
    surprise, won (0/1), att_cas, def_cas, days (NaN when unknown)."""
    n_rows: int
    dropped: dict[str, int] = field(default_factory=dict)
    sha256: str = ""

    @property
    def n(self) -> int:
        return len(self.frame)


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes (identifies the calibration data)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def terrain_class(code: str) -> str | None:
    """Map a 3-character CDB90 terrain code (TERRA1/TERRA2) onto a geosim terrain class.

    Character 1: R rolling, G rugged, F flat; 2: B bare, M mixed, D desert, W heavily wooded;
    3: M marsh, U urban, D dunes ("0" = none). The most specific feature wins: urban, marsh,
    dunes/desert, heavily wooded, rugged; rolling or flat ground that is bare or mixed is open.
    Returns None for an uninformative code ("000").
    """
    c = (str(code).strip().upper() + "000")[:3]
    if c[2] == "U":
        return "urban"
    if c[2] == "M":
        return "marsh"
    if c[2] == "D" or c[1] == "D":
        return "desert"
    if c[1] == "W":
        return "forest"
    if c[0] == "G":
        return "rough"  # CDB90 has no mountain class; "rugged" is the nearest.
    if c[0] in "RF" or c[1] in "BM":
        return "open"
    return None


def _posture(post1: pd.Series, post2: pd.Series) -> np.ndarray:
    """Primary posture; the secondary one when the primary is not a defence code."""
    p1 = post1.astype(str).str.strip().str.upper().map(_POSTURE)
    p2 = post2.astype(str).str.strip().str.upper().map(_POSTURE)
    names = p1.fillna(p2).fillna("hasty")
    return names.map(POSTURE_CODES).to_numpy(dtype=np.int64)


def _terrain(df: pd.DataFrame) -> np.ndarray:
    t1 = df["TERRA1"].map(terrain_class)
    if "TERRA2" in df:
        t1 = t1.fillna(df["TERRA2"].map(terrain_class))
    return t1.fillna("open").map(TERRAIN_CODES).to_numpy(dtype=np.int64)


def _river(df: pd.DataFrame) -> np.ndarray:
    cols = [c for c in SCHEME_COLUMNS if c in df]
    if not cols:
        return np.zeros(len(df), dtype=bool)
    return df[cols].astype(str).apply(lambda s: s.str.strip().str.upper() == "RC").any(axis=1)


def _signed(series: pd.Series, limit: int) -> np.ndarray:
    """A signed code in [-limit, limit] scaled to [-1, 1]; unknown (9, -9, blank) -> 0."""
    import pandas as pd

    v = pd.to_numeric(series, errors="coerce")
    v = v.where(v.abs() <= limit, 0.0).fillna(0.0)
    return v.to_numpy(dtype=np.float64) / limit


def battle_days(df: pd.DataFrame) -> np.ndarray:
    """Calendar days from the first active period's start to the last one's end, inclusive.

    From the ATPB*/ATPE* columns (year, month, day); NaN when no complete date is given.
    """
    import pandas as pd

    starts: list[pd.Series] = []
    ends: list[pd.Series] = []
    for i in range(1, N_ACTIVE_PERIODS + 1):
        for kind, out in (("B", starts), ("E", ends)):
            cols = [f"ATP{kind}{part}{i}" for part in ("YR", "MN", "DA")]
            if not all(c in df for c in cols):
                continue
            parts = {
                k: pd.to_numeric(df[c], errors="coerce")
                for k, c in zip(("year", "month", "day"), cols, strict=True)
            }
            out.append(pd.to_datetime(pd.DataFrame(parts), errors="coerce"))
    if not starts or not ends:
        return np.full(len(df), np.nan)
    first = pd.concat(starts, axis=1).min(axis=1)
    last = pd.concat(ends, axis=1).max(axis=1)
    days = (last - first).dt.days + 1
    return days.where(days >= 1).to_numpy(dtype=np.float64)


def _km_advanced(df: pd.DataFrame) -> np.ndarray:
    """KMDA: km the attacker advanced (negative: retreated); NaN when unknown (-9999)."""
    import pandas as pd

    if "KMDA" not in df:
        return np.full(len(df), np.nan)
    km = pd.to_numeric(df["KMDA"], errors="coerce")
    return km.where(km > -9000).to_numpy(dtype=np.float64)


def _read_csv(path: Path) -> pd.DataFrame:
    import pandas as pd

    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        return pd.read_csv(path, low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from exc


def read_cdb90(path: str | Path) -> Battles:
    """Read a CDB90-format CSV and map it to model features.

    Battles are dropped when the outcome is a draw or unknown (WINA not +1/-1) or a strength
    is missing or not positive; the counts are in ``Battles.dropped``.

    Raises:
        DataError: missing file, unreadable CSV, missing columns, or no usable battle.
    """
    import pandas as pd

    p = Path(path)
    df = _read_csv(p)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise DataError(f"{p}: missing CDB90 columns: {', '.join(missing)}")
    wina = pd.to_numeric(df["WINA"], errors="coerce")
    stra = pd.to_numeric(df["STRA"], errors="coerce")
    strd = pd.to_numeric(df["STRD"], errors="coerce")
    draw = wina == 0
    unknown = ~wina.isin([1, -1]) & ~draw
    bad_strength = ~(stra > 0) | ~(strd > 0)
    keep = wina.isin([1, -1]) & ~bad_strength
    dropped = {
        "draw": int(draw.sum()),
        "outcome unknown": int(unknown.sum()),
        "strength missing": int((bad_strength & wina.isin([1, -1])).sum()),
    }
    if not keep.any():
        raise DataError(f"{p}: no usable battle (need WINA +1/-1 and STRA, STRD > 0)")
    d = df.loc[keep].reset_index(drop=True)
    cas = {
        k: pd.to_numeric(d[c], errors="coerce").where(lambda s: s >= 0)
        if c in d
        else pd.Series(np.nan, index=d.index)
        for k, c in (("att_cas", "CASA"), ("def_cas", "CASD"))
    }
    frame = pd.DataFrame(
        {
            "att_str": stra[keep].to_numpy(dtype=np.float64),
            "def_str": strd[keep].to_numpy(dtype=np.float64),
            "posture": _posture(d["POST1"], d["POST2"] if "POST2" in d else d["POST1"]),
            "terrain": _terrain(d),
            "river": np.asarray(_river(d), dtype=bool),
            "air": _signed(d["AEROA"], 1),
            "surprise": _signed(d["SURPA"], 3),
            "won": (wina[keep] == 1).to_numpy(dtype=np.int64),
            "att_cas": cas["att_cas"].to_numpy(dtype=np.float64),
            "def_cas": cas["def_cas"].to_numpy(dtype=np.float64),
            "days": battle_days(d),
            "km_advanced": _km_advanced(d),
        }
    )
    frame.insert(0, "log_ratio", np.log(frame["att_str"] / frame["def_str"]))
    return Battles(frame=frame, n_rows=len(df), dropped=dropped, sha256=file_sha256(p))
