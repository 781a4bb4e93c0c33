"""How much of the campaign library's scores is the dice: `geosim history` over many seeds.

Usage: python benchmarks/history_seeds.py [RUNS] [FIRST-LAST]
       (default 200 replications per case, seeds 1-20)

Runs the whole library (sim.experiments.history.run_history, every case, in this process)
once per seed and prints, for the scores over all ten cases and per split, the mean and the
range over the seeds, then per case the range of P(observed) and of the model's median day.
docs/validation.md ("How much of this is the dice") quotes its output. Nothing is fitted
here and no constant changes; a seed's table is what `geosim history --seed S` prints.
"""

from __future__ import annotations

import math
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.experiments.history import HistoryReport, run_history  # noqa: E402

SCORES = ("hits", "brier", "log_loss", "within_2x", "baseline_brier")


def seed_range(text: str) -> list[int]:
    """'1-20' -> [1, ..., 20]; '7' -> [7]."""
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def spread(values: list[float]) -> str:
    """'mean (min-max)' of the values, infinities (never) kept as 'never'."""
    finite = [v for v in values if math.isfinite(v)]
    if len(finite) < len(values):
        return f"never in {len(values) - len(finite)} of {len(values)} seeds" + (
            f", else {min(finite):g}-{max(finite):g}" if finite else "")
    return f"{statistics.mean(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    seeds = seed_range(sys.argv[2]) if len(sys.argv) > 2 else list(range(1, 21))
    reports: list[HistoryReport] = [run_history(runs=runs, seed=s) for s in seeds]
    print(f"campaign library, {runs} runs per case, seeds {seeds[0]}-{seeds[-1]} "
          f"({len(seeds)} seeds): mean (min-max) over the seeds")
    for name in ("all", "fit", "holdout"):
        scores = [r.summary if name == "all" else r.splits[name] for r in reports]
        cells = "; ".join(f"{key} {spread([float(getattr(s, key)) for s in scores])}"
                          for key in SCORES)
        print(f"  {name}: {cells}")
    for i, case in enumerate(reports[0].cases):
        p = [r.cases[i].p_observed for r in reports]
        days = [r.cases[i].days_model for r in reports]
        print(f"  {case.id} ({case.split}): P(observed) {spread(p)}; median day "
              f"{spread(days)} (real {case.days_observed:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
