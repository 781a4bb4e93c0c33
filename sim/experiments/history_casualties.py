"""Casualties in the validation library: the model's losses beside the reported ones.

A history file may declare `casualties` outcomes whose id starts with `observed` and that give
`observed` (the reported figure of part B, with its range where sources disagree, and its
source) and `day` (the day after day 0 that the report covers). `geosim history` sets the
model's median and 5-95% range on that day beside each, in the categories sources use
(killed, wounded, captured, deserted). It is a diagnostic: no engine constant is chosen on it
(docs/validation.md, "Casualties against the reported figures").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sim.experiments import history_metrics as hm
from sim.scenario.schema import OBSERVED_PREFIX, Outcome, OutcomeKind, Scenario


@dataclass(frozen=True)
class CasualtyResult:
    """One reported casualty figure and the model's on the same day."""

    outcome: str
    actor: str
    category: str
    day: int
    reported: float  # the figure the file gives (its `observed` value)
    reported_low: float
    reported_high: float
    model_median: float
    model_low: float  # 5th percentile over replications
    model_high: float  # 95th percentile

    @property
    def ratio(self) -> float:
        """model median / reported figure (inf when the report is 0 and the model is not)."""
        if self.reported > 0:
            return self.model_median / self.reported
        return 1.0 if self.model_median == 0 else math.inf

    @property
    def within_2x(self) -> bool:
        """The model median within a factor of 2 of the report (history_metrics.within_factor,
        which compares counts under 1 as 1)."""
        return hm.within_factor(self.model_median, self.reported)

    @property
    def covers_report(self) -> bool:
        """The model's 5-95% range overlaps the reported range."""
        return self.model_low <= self.reported_high and self.reported_low <= self.model_high


def casualty_outcomes(scenario: Scenario) -> dict[str, Outcome]:
    """The file's reported casualty figures: `observed*` casualties outcomes with `observed`."""
    return {k: o for k, o in scenario.outcomes.items()
            if k.startswith(OBSERVED_PREFIX) and o.kind is OutcomeKind.casualties
            and o.observed is not None}


def compare(scenario: Scenario, values: Mapping[str, np.ndarray]) -> tuple[CasualtyResult, ...]:
    """Each reported figure beside the model's values of its outcome (one per replication)."""
    out = []
    for oid, o in casualty_outcomes(scenario).items():
        fact = o.observed
        assert fact is not None and o.actor is not None
        v = np.asarray(values[oid], np.float64)
        low, median, high = np.quantile(v, [0.05, 0.5, 0.95])
        out.append(CasualtyResult(
            oid, o.actor, o.category.value,
            o.day if o.day is not None else scenario.scenario.horizon_days,
            fact.value, fact.low if fact.low is not None else fact.value,
            fact.high if fact.high is not None else fact.value,
            float(median), float(low), float(high)))
    return tuple(out)


@dataclass(frozen=True)
class CasualtyScores:
    n: int
    within_2x: float  # share of figures whose model median is within 2x of the reported one
    covered: float  # share whose model 5-95% range overlaps the reported range
    median_ratio: float  # median over figures of model median / reported
    median_abs_log2: float  # median of |log2(model / reported)|


def score(results: Sequence[CasualtyResult]) -> CasualtyScores:
    """Scores over reported figures (nan when there are none)."""
    if not results:
        nan = float("nan")
        return CasualtyScores(0, nan, nan, nan, nan)
    ratios = np.array([r.ratio for r in results])
    with np.errstate(divide="ignore"):
        logs = np.abs(np.log2(ratios))
    return CasualtyScores(len(results), float(np.mean([r.within_2x for r in results])),
                          float(np.mean([r.covers_report for r in results])),
                          float(np.median(ratios)), float(np.median(logs)))
