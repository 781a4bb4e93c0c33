"""Golden results: whole runs of the engine recorded once, compared on every test run.

A golden case is a scenario file (optionally a variant), a root seed, a number of
replications and a sampling design. Recording runs each case through the engine contract
(`simulate`) and stores, under tests/golden/<case>/:

    runs.parquet                  rep, every fact:<id> and out:<id> column
    series-<name>.parquet         strength, territory, control every 30 days and at the horizon
    narrative.txt                 (only for cases with `narrate`) the told single run

Regenerate on purpose, after a change of the model's behaviour, with one command:

    make golden

and commit the new files with the change; `tests/test_golden.py` prints, for every outcome,
how its probability or mean moved, which is what a reviewer reads.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SERIES = ("strength", "territory", "control")
SERIES_EVERY = 30


@dataclass(frozen=True)
class Case:
    name: str
    scenario: str  # path relative to the repository root
    seed: int
    runs: int
    variant: str | None = None
    design: str = "mc"
    narrate: bool = False  # also record the single-run narrative of replication 0

    @property
    def folder(self) -> Path:
        return HERE / self.name


CASES = (
    Case("iraq-seed7", "scenarios/iraq-2014.yaml", seed=7, runs=300, narrate=True),
    Case("iraq-early-us-lhs", "scenarios/iraq-2014.yaml", seed=11, runs=200,
         variant="early-us-airstrikes", design="lhs"),
    Case("iraq-army-collapse", "scenarios/iraq-2014.yaml", seed=3, runs=200,
         variant="iraqi-army-collapse"),
    Case("iraq-no-iran", "scenarios/iraq-2014-no-iran.yaml", seed=5, runs=200),
    Case("front-truce-3day", "tests/golden/front-truce-3day.yaml", seed=2, runs=200),
    Case("tiny-truce", "tests/data/tiny-truce.yaml", seed=9, runs=100),
)


@dataclass
class Recorded:
    runs: pd.DataFrame
    series: dict[str, pd.DataFrame]
    narrative: str | None


def run_case(case: Case) -> Recorded:
    """Run one case through the engine as it is now."""
    from sim.model.engine import run_single, simulate
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(ROOT / case.scenario, case.variant)
    result = simulate(scenario, np.arange(case.runs), case.seed, design=case.design,
                      n_total=case.runs, series_every=SERIES_EVERY)
    keep = ["rep"] + [c for c in result.runs.columns if c.startswith(("fact:", "out:"))]
    narrative = run_single(scenario, case.seed).text() if case.narrate else None
    return Recorded(result.runs[keep].reset_index(drop=True),
                    {name: result.series[name].reset_index(drop=True) for name in SERIES},
                    narrative)


def load_case(case: Case) -> Recorded:
    """The recorded golden results of a case."""
    folder = case.folder
    narrative_file = folder / "narrative.txt"
    return Recorded(
        pd.read_parquet(folder / "runs.parquet"),
        {name: pd.read_parquet(folder / f"series-{name}.parquet") for name in SERIES},
        narrative_file.read_text(encoding="utf-8") if narrative_file.exists() else None,
    )


def record(case: Case) -> None:
    rec = run_case(case)
    case.folder.mkdir(parents=True, exist_ok=True)
    rec.runs.to_parquet(case.folder / "runs.parquet", index=False)
    for name, frame in rec.series.items():
        frame.to_parquet(case.folder / f"series-{name}.parquet", index=False)
    if rec.narrative is not None:
        (case.folder / "narrative.txt").write_text(rec.narrative, encoding="utf-8")


def outcome_changes(old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    """One line per outcome whose probability (or mean) moved: what a reviewer reads."""
    lines = []
    for col in [c for c in old.columns if c.startswith("out:")]:
        before = float(old[col].mean())
        if col not in new:
            lines.append(f"  {col[4:]}: {before:.4g} -> (gone)")
            continue
        after = float(new[col].mean())
        binary = set(np.unique(old[col])) <= {0.0, 1.0}
        if binary and before != after:
            lines.append(f"  {col[4:]}: P {before:.1%} -> {after:.1%} "
                         f"({100 * (after - before):+.1f} pp)")
        elif not binary and not np.isclose(before, after, rtol=1e-9):
            lines.append(f"  {col[4:]}: mean {before:.6g} -> {after:.6g} "
                         f"({(after - before) / (abs(before) or 1):+.2%})")
    lines += [f"  {c[4:]}: (new) {new[c].mean():.4g}" for c in new.columns
              if c.startswith("out:") and c not in old]
    return lines


def main(argv: list[str]) -> int:
    wanted = set(argv)
    for case in CASES:
        if wanted and case.name not in wanted:
            continue
        record(case)
        print(f"recorded {case.name} -> {case.folder.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
