"""Running the model: a batch of replications as tidy tables, or one replication as a story.

`simulate()` is the engine contract of docs/architecture.md (re-exported by sim.model.engine);
`run_single()` gives the narrative of `geosim run --runs 1`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.model import narrative
from sim.model.compile import Compiled, compile_scenario
from sim.model.constants import DEFAULT, ModelConstants
from sim.model.outcomes import measure_outcomes, territory
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from sim.model.engine import GeoModel

@dataclass
class BatchResult:
    """One batch: a row per replication and the recorded time series (see architecture.md)."""

    runs: pd.DataFrame
    series: dict[str, pd.DataFrame]


class _Recorder:
    def __init__(self, model: GeoModel, every: int):
        self.every = max(1, every)
        self.rows: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []

    def __call__(self, m: GeoModel) -> None:
        d = m.state.day
        if d % self.every and d < m.horizon:
            return
        s = m.state
        self.rows.append((d, s.strength().astype(np.float32), territory(m).astype(np.float32),
                          s.control.copy()))

    def frames(self, m: GeoModel) -> dict[str, pd.DataFrame]:
        compiled, reps = m.compiled, m.reps
        out = {}
        for name, idx, cols, dtype in (("strength", 1, compiled.actor_ids, np.float32),
                                       ("territory", 2, compiled.actor_ids, np.float32),
                                       ("control", 3, compiled.region_ids, np.int8)):
            data = np.concatenate([row[idx] for row in self.rows]).astype(dtype)
            df = pd.DataFrame(data, columns=list(cols))
            days = np.repeat([row[0] for row in self.rows], len(reps)).astype(np.int32)
            df.insert(0, "day", days)
            df.insert(0, "rep", np.tile(reps, len(self.rows)))
            out[name] = df
        return out


def simulate(
    scenario: Scenario,
    reps: np.ndarray | list[int],
    seed: int,
    days: int | None = None,
    design: str = "mc",
    n_total: int | None = None,
    series_every: int = 1,
    compiled: Compiled | None = None,
    constants: ModelConstants = DEFAULT,
) -> BatchResult:
    """Run a batch of replications together; see the engine contract in docs/architecture.md."""
    from sim.model.engine import (
        GeoModel,  # here, not at the top: sim.model.engine re-exports this module
        Sampling,
    )

    model = GeoModel(scenario, reps, seed, days, Sampling(design, n_total),
                     constants=constants, compiled=compiled)
    rec = _Recorder(model, series_every)
    model.run(on_step=rec)
    return BatchResult(runs_table(model), rec.frames(model))


def runs_table(model: GeoModel) -> pd.DataFrame:
    """The runs table of a model run to its end: rep, status, error, every sampled fact
    (`fact:<id>`) and every outcome (`out:<id>`), one row per replication."""
    columns: dict[str, Any] = {"rep": model.reps, "status": "ok", "error": ""}
    for j, fid in enumerate(model.compiled.fact_ids()):
        columns[f"fact:{fid}"] = model.samples[:, j]
    for oid, values in measure_outcomes(model).items():
        columns[f"out:{oid}"] = values
    for e, event in enumerate(model.compiled.events):  # the day it fired, +inf: never
        columns[f"event:{event.id}"] = model.state.event_day[:, e]
    return pd.DataFrame(columns)


def central_samples(scenario: Scenario, n: int = 1) -> np.ndarray:
    """(n, facts) every uncertain fact at its reported `value` (single runs, wargames)."""
    uncertain = compile_scenario(scenario).uncertain
    return np.tile(np.array([u.fact.value for u in uncertain], np.float64), (n, 1))


@dataclass
class SingleRun:
    """One replication told as a story, with its final state."""

    lines: list[str]
    control: dict[str, str | None]
    strength: dict[str, float]
    outcomes: dict[str, float]

    def text(self) -> str:
        return "\n".join(self.lines)


def run_single(scenario: Scenario, seed: int, days: int | None = None,
               draw: int | None = None) -> SingleRun:
    """One run told day by day: every fact at its `value` with replication 0's dice, or,
    with `draw` K, replication K of an ensemble with `seed` (its sampled facts and dice)."""
    from sim.model.engine import GeoModel, Sampling

    sampling = Sampling() if draw is not None else Sampling(samples=central_samples(scenario))
    model = GeoModel(scenario, [draw or 0], seed, days, sampling, narrate=True)
    model.run()
    assert model.log is not None
    s = model.state
    ids = model.compiled
    control = {g: (ids.actor_ids[s.control[0, i]] if s.control[0, i] >= 0 else None)
               for i, g in enumerate(ids.region_ids)}
    strength = {a: float(x) for a, x in zip(ids.actor_ids, s.strength()[0], strict=True)}
    outcomes = {k: float(v[0]) for k, v in measure_outcomes(model).items()}
    lines = model.log.lines + narrative.final_state(model, control, strength, outcomes)
    return SingleRun(lines, control, strength, outcomes)
