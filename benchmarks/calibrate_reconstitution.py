"""The grid behind `reconstitution_days`: fit loss on the seven fit cases by time constant.

Usage: python benchmarks/calibrate_reconstitution.py [RUNS] [SEED ...] [--days T ...]
       (default 200 replications per case, seeds 1 2 3, the grid below)

Every other constant stays at its shipped value. Prints, for each time constant T (days; inf
means losses are never made good, the engine before 4 December 2026) and seed, the loss of
benchmarks/calibrate_campaign.py (Brier + 0.25 x mean capped |log2(model day / real day)|) and
each case's P(observed) / median decisive day, then the mean over seeds. The held-out cases
are never run. docs/model.md and docs/validation.md record the figures and the choice.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time

import numpy as np
from calibrate_campaign import loss, run_fit_cases

from sim.model.constants import DEFAULT

GRID = [math.inf, 720.0, 360.0, 240.0, 180.0, 120.0, 90.0, 60.0, 30.0, 15.0]


def parse(argv: list[str]) -> tuple[int, list[int], list[float]]:
    if "--days" in argv:
        cut = argv.index("--days")
        argv, days = argv[:cut], [float(x) for x in argv[cut + 1:]]
    else:
        days = GRID
    runs = int(argv[0]) if argv else 200
    seeds = [int(x) for x in argv[1:]] or [1, 2, 3]
    return runs, seeds, days


def main() -> int:
    runs, seeds, grid = parse(sys.argv[1:])
    for days in grid:
        constants = dataclasses.replace(DEFAULT, reconstitution_days=days)
        scores = []
        for seed in seeds:
            t = time.perf_counter()
            results = run_fit_cases(constants, runs, seed)
            scores.append(loss(results))
            cases = " ".join(f"{r['id'][:6]}:{r['p']:.2f}/{r['day']:.0f}" for r in results)
            print(f"T={days:g} seed {seed}: loss {scores[-1]:.4f} "
                  f"({time.perf_counter() - t:.0f} s) {cases}", flush=True)
        print(f"T={days:g}: mean loss {np.mean(scores):.4f} over seeds {seeds}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
