"""Whole runs against the golden results in tests/golden/ (regenerate with `make golden`).

A rule change that moves results fails here and prints how each outcome moved, e.g.
"isis_holds_mosul: P 92.0% -> 81.0% (-11.0 pp)"; if the change is intended, run
`make golden` and commit the new files with it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.golden.cases import CASES, Case, load_case, outcome_changes, run_case


def _differences(old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    if list(old.columns) != list(new.columns):
        return [f"columns differ: {sorted(set(old.columns) ^ set(new.columns))}"]
    if len(old) != len(new):
        return [f"{len(old)} rows recorded, {len(new)} now"]
    bad = []
    for col in old.columns:
        a, b = old[col].to_numpy(), new[col].to_numpy()
        same = (np.allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)
                if np.issubdtype(a.dtype, np.floating) else np.array_equal(a, b))
        if not same:
            bad.append(col)
    return [f"{len(bad)} columns differ: {', '.join(bad[:8])}{' ...' if len(bad) > 8 else ''}"
            ] if bad else []


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_whole_runs_match_the_golden_results(case: Case) -> None:
    want, got = load_case(case), run_case(case)
    problems = _differences(want.runs, got.runs)
    for name, frame in want.series.items():
        problems += [f"series {name}: {p}" for p in _differences(frame, got.series[name])]
    if want.narrative is not None and want.narrative != got.narrative:
        problems.append("the narrative of replication 0 changed")
    if problems:
        moved = outcome_changes(want.runs, got.runs) or ["  (no outcome probability moved)"]
        pytest.fail(f"{case.name} no longer gives its golden results "
                    f"(if intended: make golden):\n" + "\n".join(problems)
                    + "\noutcomes:\n" + "\n".join(moved), pytrace=False)


def test_outcome_changes_reads_as_a_review() -> None:
    old = pd.DataFrame({"out:held": [1.0, 1.0, 0.0, 0.0], "out:strength": [10.0, 20, 30, 40]})
    new = pd.DataFrame({"out:held": [1.0, 0.0, 0.0, 0.0], "out:strength": [10.0, 20, 30, 40],
                        "out:fresh": [1.0, 0, 0, 0]})
    assert outcome_changes(old, new) == ["  held: P 50.0% -> 25.0% (-25.0 pp)",
                                         "  fresh: (new) 0.25"]
