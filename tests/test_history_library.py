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
CAMPAIGN_FIXTURE = Path(__file__).parent / "data" / "campaign.yaml"  # every campaign field


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


def test_the_campaign_fields_a_case_may_use_run_in_the_engine_and_the_wargame(tmp_path, capsys):
    """A library file may use any campaign field (cut goals, aggression/withdraw/restrict
    effects, fall_day, control_all and event_fired outcomes): the fixture that has them all
    runs in an ensemble with every outcome measured, and two turns of the wargame play."""
    import json

    from sim.cli import main
    from sim.model.engine import simulate

    sc = load(CAMPAIGN_FIXTURE).scenario
    kinds = {o.kind for o in sc.outcomes.values()}
    assert {OutcomeKind.fall_day, OutcomeKind.control_all, OutcomeKind.event_fired} <= kinds
    assert any(g.kind is GoalKind.cut for a in sc.actors.values() for g in a.goals)
    assert any(e.aggression or e.withdraw for ev in sc.events.values() for e in ev.effects)
    res = simulate(sc, list(range(8)), seed=1, days=30)
    assert set(res.runs["status"]) == {"ok"}
    assert {f"out:{o}" for o in sc.outcomes} <= set(res.runs.columns)
    assert res.runs["out:fired"].isin([0.0, 1.0]).all()
    teams = [aid for aid, actor in sc.actors.items() if actor.playable][:2]
    for turn in (1, 2):
        for team in teams:
            file = tmp_path / "orders" / f"turn-{turn}" / f"{team}.yaml"
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text("- hold\n", encoding="utf-8")
    save = tmp_path / "game.json"
    code = main(["play", str(CAMPAIGN_FIXTURE), "--teams", ",".join(teams), "--turn-days", "3",
                 "--turns", "2", "--seed", "1", "--shadow-runs", "5",
                 "--orders", str(tmp_path / "orders"), "--save", str(save)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(save.read_text())["turns_played"] == 2
    report = save.with_suffix(".html").read_text(encoding="utf-8")
    assert "median nan" not in report and ">inf<" not in report  # no NaN, no bare infinity
    assert "not by day 6" in report  # "observed_day" (fall_day) is censored at the last day


def test_every_case_runs_a_few_days_with_the_current_engine():
    from sim.model.engine import simulate

    for path in FILES:
        sc = load(path).scenario
        res = simulate(sc, [0, 1], seed=1, days=3)
        assert list(res.runs["status"]) == ["ok", "ok"], path.name
        assert "out:observed" in res.runs


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_the_wargame_plays_every_case_with_two_teams(path, tmp_path, capsys):
    """The cases are teaching material: two turns of `geosim play` with orders files. Each
    team first orders an attack on the observed outcome's region; an order the game refuses
    (too weak, an ally's region, no troops near) stops the game with one message naming the
    file, and the team then holds instead."""
    import json

    from sim.cli import main

    sc = load(path).scenario
    teams = [aid for aid, actor in sc.actors.items() if actor.playable][:2]
    region = sc.outcomes["observed"].region
    orders = {(turn, team): f"- attack: {region}\n" for turn in (1, 2) for team in teams}
    save = tmp_path / "game.json"
    for _attempt in range(len(orders) + 1):
        for (turn, team), text in orders.items():
            file = tmp_path / "orders" / f"turn-{turn}" / f"{team}.yaml"
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text, encoding="utf-8")
        code = main(["play", str(path), "--teams", ",".join(teams), "--turn-days", "3",
                     "--turns", "2", "--seed", "1", "--shadow-runs", "5",
                     "--orders", str(tmp_path / "orders"), "--save", str(save)])
        out, err = capsys.readouterr()
        if code == 0:
            break
        assert code == 2 and "was applied" in err, err
        refused = next(key for key in orders if f"turn-{key[0]}/{key[1]}.yaml" in err)
        orders[refused] = "- hold\n"
    assert code == 0, err
    assert "Turn 2:" in out
    game = json.loads(save.read_text())
    assert game["turns_played"] == 2 and len(game["orders"]) == 2
