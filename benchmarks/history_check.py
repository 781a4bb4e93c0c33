"""Run the reference scenario N times and set the outcome frequencies beside what happened.

Usage: python benchmarks/history_check.py [N] [SEED]   (default 1000 replications, seed 1)

What happened in 2014 (docs/iraq-2014.md, ../shared/facts/iraq-2014.md): Baghdad never fell;
ISIS held Mosul until 2017; Kirkuk and Erbil never fell to ISIS; Samarra and Haditha held;
al-Qaim fell on 20-21 June (day 5-6).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from sim.model.engine import simulate
from sim.scenario.loader import load_scenario

HISTORY = {
    "baghdad_falls": "no",
    "isis_holds_mosul": "yes",
    "kirkuk_falls_to_isis": "no",
    "erbil_falls_to_isis": "no",
    "samarra_falls": "no",
    "haditha_falls": "no",
    "al_qaim_falls_by_day_30": "yes",
}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    sc = load_scenario(Path(__file__).parents[1] / "scenarios" / "iraq-2014.yaml")
    start = time.perf_counter()
    runs = simulate(sc, np.arange(n), seed, series_every=sc.scenario.horizon_days).runs
    took = time.perf_counter() - start
    print(f"{n} replications of {sc.scenario.id}, seed {seed}, {sc.scenario.horizon_days} days "
          f"({took:.1f} s)")
    print(f"{'outcome':<58} {'share of runs':>13}  {'2014':>5}")
    for oid, actual in HISTORY.items():
        if f"out:{oid}" in runs:
            p = runs[f"out:{oid}"].mean()
            se = np.sqrt(p * (1 - p) / n)
            label = sc.outcomes[oid].label or oid
            print(f"{label:<58} {p:>7.3f} ±{1.96 * se:.3f}  {actual:>5}")


if __name__ == "__main__":
    main()
