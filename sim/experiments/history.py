"""The validation library: run every historical campaign and score the model against history.

Each file of scenarios/history/ is a campaign seeded from the day-0 part of its fact sheet
(docs/validation.md). Its outcomes whose id starts with `observed` say what happened:

- the binary one (kind control, ...) with `observed: 1` (or 0): P(observed) is the share of
  replications in which it came out as it did in history;
- the day of the decisive change: the binary outcome's `observed_day`, or an `observed*`
  outcome of kind `fall_day` whose `observed` is the day. The model's day per replication is
  the first day after day 0 on which the outcome's side holds its region having not held it
  the day before, read from the daily control series (the `fall_day` definition of
  docs/scenario-format.md), so it works whether or not the engine measures `fall_day`.

The fit/holdout split is fixed before any result was seen: `HOLDOUT` is
`sorted(random.Random(SPLIT_SEED).sample(sorted(case ids), 3))`; the engine constants are
fitted on the other seven cases (tests/test_history.py checks the two agree).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.stats import wilson
from sim.errors import Problem, ScenarioError, UsageError, check_at_least
from sim.experiments import history_casualties as hc
from sim.experiments import history_metrics as hm
from sim.scenario.schema import OBSERVED_PREFIX, Outcome, OutcomeKind, Scenario

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "history"
"""The project's validation library."""
SPLIT_SEED = 11  # the issue number; chosen before any case was run
HOLDOUT = ("08-grozny", "09-debaltseve", "10-mali")
"""The three held-out cases (out-of-sample figures); the other seven are for fitting."""
BATCH = 500  # replications per engine call: bounds the memory of the daily control series


@dataclass(frozen=True)
class Case:
    """One campaign: its scenario and what history says happened."""

    id: str
    path: Path
    scenario: Scenario
    outcome_id: str  # the binary `observed*` outcome
    observed: float  # 1: it happened, 0: it did not
    region: str  # the region whose change of hands is the decisive change
    by: tuple[str, ...]
    observed_day: float  # days after day 0 (nan when the file gives none)

    @property
    def split(self) -> str:
        return "holdout" if self.id in HOLDOUT else "fit"


@dataclass(frozen=True)
class CaseResult:
    """The model's and the baseline's forecast for one case (a row of the report)."""

    id: str
    p_observed: float
    days_model: float  # median over replications; inf: at least half never see the change
    days_observed: float
    split: str
    p_low: float
    p_high: float
    runs: int
    baseline: float  # the force-ratio forecast of the observed outcome, 0 or 1
    power_ratio: float  # day-0 combat power of the observed outcome's side / the other side
    title: str
    p_within_2x: float  # share of replications whose decisive day is within 2x of the real one
    casualties: tuple[hc.CasualtyResult, ...] = ()  # reported figures beside the model's


def case_files(folder: Path = LIBRARY) -> list[Path]:
    """The scenario files of the library, in name order."""
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder of history scenarios")
    return sorted(folder.glob("*.yaml"))


def select(files: list[Path], wanted: list[str] | None) -> list[Path]:
    """The files named by `wanted` (a file stem, its number `01`, or its name `kyiv`)."""
    if not wanted:
        return files
    out = []
    for name in wanted:
        match = [f for f in files if name in (f.stem, f.stem.split("-", 1)[0],
                                              f.stem.split("-", 1)[-1])]
        if not match:
            allowed = ", ".join(f.stem for f in files)
            raise UsageError(f"--cases: no case '{name}' (allowed: {allowed})")
        out += [f for f in match if f not in out]
    return out


def load_case(path: Path) -> Case:
    """Load a history scenario and read its observed outcome and day."""
    from sim.scenario.loader import load

    scenario = load(path).scenario
    observed = {k: o for k, o in scenario.outcomes.items() if k.startswith(OBSERVED_PREFIX)}
    binary = [(k, o) for k, o in observed.items() if o.is_binary and o.observed is not None]
    if len(binary) != 1 or binary[0][1].kind is not OutcomeKind.control:
        raise ScenarioError([Problem(str(path), 0, 0, "outcomes", "a history case needs "
                                     "exactly one outcome of kind control whose id starts "
                                     f"with '{OBSERVED_PREFIX}' and that gives `observed` "
                                     f"(got {len(binary)} binary ones)")])
    oid, outcome = binary[0]
    assert outcome.observed is not None and outcome.region is not None
    day = _observed_day(outcome, observed.values())
    return Case(path.stem, path, scenario, oid, outcome.observed.value, outcome.region,
                tuple(outcome.by), day)


def _observed_day(binary: Outcome, observed: Any) -> float:
    if binary.observed_day is not None:
        return binary.observed_day.value
    for o in observed:
        if o.kind is OutcomeKind.fall_day and o.observed is not None:
            return o.observed.value
    return math.nan


def run_case(case: Case, runs: int, seed: int) -> CaseResult:
    """Run the case's ensemble in this process and score it."""
    from sim.model.engine import simulate

    # fall_day outcomes are measured here from the control series; the current engine
    # does not measure that kind, so they are not passed to it.
    outcomes = {k: o for k, o in case.scenario.outcomes.items()
                if o.kind is not OutcomeKind.fall_day}
    scenario = case.scenario.model_copy(update={"outcomes": outcomes})
    happened, days = [], []
    reported = hc.casualty_outcomes(scenario)
    losses: dict[str, list[np.ndarray]] = {oid: [] for oid in reported}
    for start in range(0, runs, BATCH):
        reps = np.arange(start, min(start + BATCH, runs))
        batch = simulate(scenario, reps, seed, series_every=1)
        table = batch.runs.sort_values("rep")
        happened.append(table[f"out:{case.outcome_id}"].to_numpy() == case.observed)
        days.append(hm.fall_days(_held(batch.series["control"], scenario, case)))
        for oid in reported:
            losses[oid].append(table[f"out:{oid}"].to_numpy())
    hit, fell = np.concatenate(happened), np.concatenate(days)
    p = float(hit.mean())
    low, high = wilson(float(hit.sum()), runs)
    forecast, ratio = baseline_forecast(case)
    return CaseResult(case.id, p, hm.median_day(fell), case.observed_day, case.split, low,
                      high, runs, forecast, ratio, case.scenario.scenario.title,
                      hm.share_of_runs_within(fell, case.observed_day),
                      hc.compare(scenario, {k: np.concatenate(v) for k, v in losses.items()}))


def _held(control: pd.DataFrame, scenario: Scenario, case: Case) -> np.ndarray:
    """(R, D+1) bool: the observed outcome's side holds its region, per replication and day."""
    codes = [list(scenario.actors).index(a) for a in case.by]
    table = control.pivot(index="rep", columns="day", values=case.region).sort_index()
    return np.isin(table.to_numpy(), codes)


# --------------------------------------------------------------------------------------------
# The force-ratio baseline
# --------------------------------------------------------------------------------------------


def side_power(scenario: Scenario, by: tuple[str, ...]) -> tuple[float, float]:
    """Day-0 combat power of `by` and their friends, and of the actors at war with them.

    Power per actor = personnel (garrisons + reserve) x readiness x quality x morale factor,
    central values, by sim.model.formulas.combat_power; actors neutral to both are left out.
    """
    from sim.model.combat_constants import load_constants
    from sim.model.vectorised import combat_power

    friends, enemies = _sides(scenario, set(by))
    consts = load_constants()
    power = {}
    for aid, actor in scenario.actors.items():
        f = actor.forces
        people = f.reserve.value + sum(r.garrisons[aid].value for r in scenario.regions.values()
                                       if aid in r.garrisons)
        power[aid] = float(combat_power(people, f.readiness.value, f.quality.value,
                                        f.morale.value, consts))
    return sum(power[a] for a in friends), sum(power[a] for a in enemies)


def _sides(scenario: Scenario, by: set[str]) -> tuple[set[str], set[str]]:
    """The actors of `by` and their friends on day 0 (formulas.friendly), and the actors at
    war with one of them that are not friends."""
    from sim.model.compile import WAR, compile_scenario
    from sim.model.vectorised import friendly_relation

    c = compile_scenario(scenario)
    rows = c.stance0[[c.actor_ids.index(a) for a in sorted(by)]]
    friends = {b for b, yes in zip(c.actor_ids, friendly_relation(rows).any(axis=0),
                                   strict=True) if yes}
    enemies = {b for b, yes in zip(c.actor_ids, (rows == WAR).any(axis=0), strict=True) if yes}
    return friends | by, enemies - friends


def baseline_forecast(case: Case) -> tuple[float, float]:
    """(forecast of the observed outcome, power ratio): the stronger side on day 0 wins."""
    own, other = side_power(case.scenario, case.by)
    ratio = own / other if other > 0 else math.inf
    side_wins = 1.0 if own > other else 0.0
    return (side_wins if case.observed == 1 else 1.0 - side_wins), ratio


# --------------------------------------------------------------------------------------------
# The whole library
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryReport:
    cases: list[CaseResult]
    summary: hm.Scores
    splits: dict[str, hm.Scores]
    runs: int
    seed: int


def summarise(results: list[CaseResult]) -> hm.Scores:
    return hm.score([r.p_observed for r in results], [r.runs for r in results],
                    [r.days_model for r in results], [r.days_observed for r in results],
                    [r.baseline for r in results], [r.p_within_2x for r in results])


def run_history(folder: Path = LIBRARY, runs: int = 200, seed: int = 1,
                cases: list[str] | None = None, on_case: Any = None) -> HistoryReport:
    """Run every (or the chosen) case of the library and score them.

    Args:
        folder: the folder of history scenarios.
        runs: replications per case.
        seed: root seed (the same for every case).
        cases: case names to run (see :func:`select`); None runs them all.
        on_case: called with each CaseResult as it is done (progress).
    """
    check_at_least("--runs", runs, 1)
    check_at_least("--seed", seed, 0)
    loaded = [load_case(f) for f in select(case_files(folder), cases)]
    results = []
    for case in loaded:
        results.append(run_case(case, runs, seed))
        if on_case is not None:
            on_case(results[-1])
    splits = {name: summarise([r for r in results if r.split == name])
              for name in ("fit", "holdout")}
    return HistoryReport(results, summarise(results), splits, runs, seed)


def _number(x: float) -> float | None:
    """JSON has no infinity or NaN: a change that never happens is null."""
    return None if not math.isfinite(x) else x


def to_json(report: HistoryReport) -> dict[str, Any]:
    """The `geosim history --json` document (the documented keys first)."""
    cases = [{"id": r.id, "p_observed": r.p_observed, "days_model": _number(r.days_model),
              "days_observed": _number(r.days_observed), "split": r.split, "p_low": r.p_low,
              "p_high": r.p_high, "runs": r.runs, "baseline": r.baseline,
              "power_ratio": _number(r.power_ratio), "p_within_2x": _number(r.p_within_2x),
              "title": r.title, "casualties": [_casualty(c) for c in r.casualties]}
             for r in report.cases]
    return {"cases": cases, "summary": _scores(report.summary),
            "splits": {k: _scores(v) for k, v in report.splits.items()},
            "casualty_scores": {k: _scores(v) for k, v in casualty_scores(report).items()},
            "runs": report.runs, "seed": report.seed}


def casualty_scores(report: HistoryReport) -> dict[str, hc.CasualtyScores]:
    """Casualty scores over every reported figure, and per split."""
    def of(split: str | None) -> hc.CasualtyScores:
        return hc.score([c for r in report.cases if split in (None, r.split)
                         for c in r.casualties])
    return {"all": of(None), "fit": of("fit"), "holdout": of("holdout")}


def _casualty(c: hc.CasualtyResult) -> dict[str, Any]:
    return {**{k: (_number(v) if isinstance(v, float) else v) for k, v in asdict(c).items()},
            "ratio": _number(c.ratio), "within_2x": c.within_2x}


def _scores(scores: hm.Scores | hc.CasualtyScores) -> dict[str, Any]:
    return {k: (_number(v) if isinstance(v, float) else v) for k, v in asdict(scores).items()}
