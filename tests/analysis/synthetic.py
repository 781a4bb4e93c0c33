"""Small runs tables with known answers, reduced to report aggregates (no engine run)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from sim.experiments import aggregate

EDGES = np.array([[0.2, 0.4, 0.6, 0.8]] * 2)  # fifths of two facts uniform on [0, 1]
OUTCOMES = {"x": {"label": "X happens", "kind": "control", "binary": True},
            "t": {"label": "T day", "kind": "day", "timing": True, "binary": False}}


def driven_runs(n: int = 3000, seed: int = 3) -> pd.DataFrame:
    """Outcome x driven by fact a (P(x) = 0.1 + 0.8 a) and by event e (+0.1 when it fired);
    fact b is pure noise. event:e holds the day it fired, +inf when it did not."""
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(size=n), rng.uniform(size=n)
    fired = rng.random(n) < 0.4
    p = np.clip(0.1 + 0.8 * a + 0.1 * fired, 0, 1)
    return pd.DataFrame({"rep": np.arange(n), "status": "ok", "fact:a": a, "fact:b": b,
                         "event:e": np.where(fired, 4.0, np.inf),
                         "out:x": (rng.random(n) < p).astype(float),
                         "out:t": np.where(rng.random(n) < 0.5, 3.0, np.inf)})


def aggregate_of(runs: pd.DataFrame, series: dict | None = None,
                 horizon: int = 10) -> aggregate.Aggregate:
    layout = aggregate.Layout(horizon, ["blue", "red"], ["a", "b"], EDGES, frozenset({"t"}))
    return aggregate.batch_aggregate(runs, series or {}, layout)


def fact(source: str | None = None, assumption: bool = False) -> SimpleNamespace:
    """What the drivers read of a scenario fact: value, range, distribution, provenance."""
    return SimpleNamespace(value=0.5, low=0.0, high=1.0, dist=None, source=source,
                           assumption=assumption)


def control_series() -> pd.DataFrame:
    """Four runs, days 0/5/10. Region r: runs 0 and 1 change hands on day 5 (run 1 changes
    back: only the first change counts), run 2 on day 10, run 3 never (censored). Region s
    never changes hands."""
    r = {0: [0, 1, 1], 1: [0, 1, 0], 2: [0, 0, 1], 3: [0, 0, 0]}
    rows = [{"rep": rep, "day": d, "r": code, "s": 1}
            for rep, codes in r.items() for d, code in zip((0, 5, 10), codes, strict=True)]
    return pd.DataFrame(rows).astype({"r": "int8", "s": "int8"})


def timed_runs() -> pd.DataFrame:
    """Four runs of the control series, outcome t on day 3, 3, 7 and never (+inf)."""
    return pd.DataFrame({"rep": range(4), "status": "ok", "out:x": [1.0, 0, 1, 0],
                         "out:t": [3.0, 3.0, 7.0, np.inf]})
