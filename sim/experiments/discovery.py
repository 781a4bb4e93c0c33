"""Scenario discovery: PRIM boxes (Friedman & Fisher 1999) via the EMA Workbench (Kwakkel
2017) on a global sample: under which conditions on the facts an outcome is most likely."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.model.sampling import UncertainFact

PRIM_SCREEN = 12  # facts PRIM peels over per outcome: the top ones by global index
MIN_CASES = 30  # fewer runs where the outcome happens (or not) give boxes that fit noise


@dataclass(frozen=True)
class PrimBox:
    """A PRIM box: where `outcome` holds with `density` (vs `base_rate` overall)."""

    outcome: str
    target: str  # what "the outcome happens" means, e.g. "= 1" or "> 0.31 (median)"
    density: float
    base_rate: float
    coverage: float
    n: int
    limits: tuple[tuple[str, float | None, float | None], ...]  # fact, lower, upper

    def text(self, fmt: Callable[[float], str] | None = None) -> str:
        """`haditha_falls: 62% of runs (vs 41% overall, coverage 55%) when a > 2,400 ...`."""
        fmt = fmt or _fmt
        conds = []
        for fact, lo, hi in self.limits:
            if lo is not None and hi is not None:
                conds.append(f"{fmt(lo)} < {fact} < {fmt(hi)}")
            elif lo is not None:
                conds.append(f"{fact} > {fmt(lo)}")
            elif hi is not None:
                conds.append(f"{fact} < {fmt(hi)}")
        when = " and ".join(conds) or "(no restriction found)"
        return (f"{self.outcome} {self.target}: {_pct(self.density)} of runs (vs "
                f"{_pct(self.base_rate)} overall, coverage {_pct(self.coverage)}) when {when}")


def prim_box(x: pd.DataFrame, y: np.ndarray, outcome: str, target: str = "= 1",
             min_coverage: float = 0.5, max_dims: int = 3,
             peel_alpha: float = 0.05) -> PrimBox | None:
    """The simplest PRIM box on the peeling trajectory (EMA Workbench, pasting not used).

    Among trajectory boxes with coverage >= `min_coverage` and at most `max_dims` restricted
    facts, the one with the highest density (ties: fewer restrictions). None when `y` is
    constant (nothing to discover).
    """
    y = np.asarray(y, bool)
    if min(int(y.sum()), int((~y).sum())) < MIN_CASES:  # a box around a few runs fits noise
        return None
    prim = _prim_module()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alg = prim.Prim(x.reset_index(drop=True), y, peel_alpha=peel_alpha)
        box = alg.find_box()
    traj = box.peeling_trajectory
    ok = traj[(traj["coverage"] >= min_coverage) & (traj["res_dim"] <= max_dims)]
    if ok.empty:
        ok = traj.iloc[[0]]
    best = ok.sort_values(["density", "res_dim"], ascending=[False, True], kind="stable").iloc[0]
    i = int(best["id"])
    lims, full = box.box_lims[i], box.box_lims[0]
    limits = []
    for col in x.columns:
        lo, hi = float(lims[col].iloc[0]), float(lims[col].iloc[1])
        lo_r = lo > float(full[col].iloc[0])
        hi_r = hi < float(full[col].iloc[1])
        if lo_r or hi_r:
            limits.append((str(col), lo if lo_r else None, hi if hi_r else None))
    return PrimBox(outcome, target, float(best["density"]), float(y.mean()),
                   float(best["coverage"]), int(best["n"]), tuple(limits))


def _prim_module() -> Any:
    os.environ.setdefault("MPLBACKEND", "Agg")  # never open a window from a library call
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "ipyparallel not installed" on import
        from ema_workbench.analysis import prim
    return prim


def prim_target(values: np.ndarray, binary: bool,
                threshold: float | None = None) -> tuple[np.ndarray, str]:
    """The boolean PRIM target of an outcome and how it reads ("= 1", "> 2,400 (median)")."""
    v = np.asarray(values, float)
    if binary:
        return v > 0.5, "= 1"
    if threshold is None:
        t = float(np.nanmedian(v))
        return v > t, f"> {_fmt(t)} (median)"
    return v > threshold, f"> {_fmt(threshold)}"


def _pct(p: float) -> str:
    """A share as a percentage; rare outcomes keep a decimal so 0.2% does not read 0%."""
    return f"{p:.1%}" if p < 0.1 else f"{p:.0%}"


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"



def discover(runs: pd.DataFrame, facts: Sequence[UncertainFact],
             outcomes: Mapping[str, Mapping[str, Any]],
             thresholds: Mapping[str, float] | None = None,
             indices: pd.DataFrame | None = None, screen: int = PRIM_SCREEN) -> list[PrimBox]:
    """A PRIM box per outcome (skipping outcomes that never or always happen).

    With `indices` (from `global_indices`), PRIM sees only each outcome's `screen` facts with
    the largest global index: with ~100 facts and ~1,000 runs, peeling over every fact finds
    spurious restrictions on facts that do not matter (and is slow).
    """
    names = [f.id for f in facts]
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    x = ok[[f"fact:{n}" for n in names]].set_axis(names, axis=1)
    out = []
    for oid, spec in outcomes.items():
        cols = names
        if indices is not None and len(names) > screen:
            top = indices[indices["outcome"] == oid].nlargest(screen, "index")["fact"]
            cols = [n for n in names if n in set(top)]
        y, target = prim_target(ok[f"out:{oid}"].to_numpy(float), bool(spec.get("binary")),
                                (thresholds or {}).get(oid))
        box = prim_box(x[cols], y, oid, target)
        if box is not None:
            out.append(box)
    return out

