"""Trace one scenario day by day over many replications: who holds each region, and each
actor's personnel and morale there (medians over the runs), to see *why* a case ends when
it does.

Usage: python benchmarks/trace_case.py FILE [RUNS] [SEED] [EVERY] [DAYS]
       (default 200 replications, seed 1, a row every 2 days, the file's horizon)

Per printed day and region: the share of runs in which each actor holds it, then per actor
with forces there the median personnel and morale over the runs where it has any (and in how
many runs it has). Diagnostic only; docs/validation.md ("Tried on 4 December 2026 (second
session)") used this kind of trace for Marawi and Mariupol.
"""

from __future__ import annotations

import sys

import numpy as np

from sim.model.engine import GeoModel
from sim.scenario.loader import load


def describe_day(model: GeoModel, regions: list[str], actors: list[str]) -> list[str]:
    """One line per region: holders' shares, then present actors' median men and morale."""
    st = model.state
    lines = []
    for g, rid in enumerate(regions):
        holders = [f"{actors[a]} {np.mean(st.control[:, g] == a):.0%}" for a in range(len(actors))
                   if np.any(st.control[:, g] == a)]
        present = []
        for a, aid in enumerate(actors):
            there = st.F[:, a, g] > 0
            if there.any():
                present.append(f"{aid} {np.median(st.F[there, a, g]):,.0f} men, morale "
                               f"{np.median(st.morale[there, a, g]):.2f} ({there.mean():.0%})")
        lines.append(f"  {rid}: held by {', '.join(holders) or 'nobody'}; "
                     f"{'; '.join(present) or 'empty'}")
    return lines


def main() -> int:
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    every = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    scenario = load(path).scenario
    model = GeoModel(scenario, np.arange(runs), seed)
    days = int(sys.argv[5]) if len(sys.argv) > 5 else model.horizon
    regions, actors = list(scenario.regions), list(scenario.actors)
    while model.state.day < days:
        model.step()
        if model.state.day % every == 0:
            print(f"day {model.state.day}")
            print("\n".join(describe_day(model, regions, actors)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
