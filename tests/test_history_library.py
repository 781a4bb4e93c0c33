"""The validation library's files (scenarios/history/) keep the rules of docs/validation.md."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.experiments import history
from sim.scenario.loader import load
from sim.scenario.profiles import PROJECT_PROFILES
from sim.scenario.schema import GoalKind, OutcomeKind

FILES = sorted(history.LIBRARY.glob("*.yaml"))
SHEETS = Path(__file__).resolve().parents[2] / "shared" / "facts" / "campaigns"  # ../shared
NOT_YET_IN_THE_ENGINE = (OutcomeKind.fall_day, OutcomeKind.control_all, OutcomeKind.event_fired)


def test_one_case_per_sheet_numbered_like_the_sheets():
    assert [f.stem[:3] for f in FILES] == [f"{n:02d}-" for n in range(1, 11)]
    if SHEETS.is_dir():  # the fact sheets live outside the repository
        sheets = sorted(p.name[:3] for p in SHEETS.glob("[0-9][0-9]-*.md"))
        assert sheets == [f.stem[:3] for f in FILES]


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_case_keeps_the_library_rules(path):
    sc = load(path, strict=True).scenario  # every number written has a source or is an assumption
    assert sc.scenario.id == f"hist-{path.stem}"
    case = history.load_case(path)
    observed = sc.outcomes[case.outcome_id]
    assert observed.observed is not None and observed.observed.source in sc.sources
    assert observed.observed_day is not None and observed.observed_day.source in sc.sources
    # The measurement window: twice the observed duration, at least 10 days.
    assert sc.scenario.horizon_days == max(10, math.ceil(2 * case.observed_day))
    assert observed.day == sc.scenario.horizon_days
    for aid, actor in sc.actors.items():
        fights = actor.forces.reserve.value > 0 or any(aid in r.garrisons
                                                       for r in sc.regions.values())
        if fights:
            assert actor.profile is not None and (PROJECT_PROFILES / f"{actor.profile}.yaml"
                                                  ).is_file(), aid
    assert len(sc.regions) <= 8  # a handful of regions


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_case_uses_only_what_the_current_engine_runs(path):
    """Until the engine implements them, these fields would stop `geosim run` and the wargame."""
    sc = load(path).scenario
    assert not [o for o in sc.outcomes.values() if o.kind in NOT_YET_IN_THE_ENGINE]
    assert not [g for a in sc.actors.values() for g in a.goals if g.kind is GoalKind.cut]
    assert not [e for ev in sc.events.values() for e in ev.effects
                if e.aggression or e.withdraw or e.restrict]


def test_every_case_runs_a_few_days_with_the_current_engine():
    from sim.model.engine import simulate

    for path in FILES:
        sc = load(path).scenario
        res = simulate(sc, [0, 1], seed=1, days=3)
        assert list(res.runs["status"]) == ["ok", "ok"], path.name
        assert "out:observed" in res.runs
