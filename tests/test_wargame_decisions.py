"""Decisions beyond the battlefield (sim/wargame/aid.py), umpire injects (injects.py) and the
'what can I do this turn' list (means.py), on the reference scenario."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.errors import OrdersError
from sim.model.compile import STANCE_CODES, WAR
from sim.scenario.loader import load
from sim.scenario.schema import Stance
from sim.wargame import aid, save
from sim.wargame.game import Game
from sim.wargame.injects import parse_inject_line
from sim.wargame.means import possible
from sim.wargame.orders import parse_line, parse_mapping, to_mapping
from sim.wargame.rules import sorties

REFERENCE = Path(__file__).resolve().parents[1] / "scenarios" / "iraq-2014.yaml"
NEUTRAL = STANCE_CODES[Stance.neutrality]


@pytest.fixture(scope="module")
def reference():
    return load(REFERENCE)


def game_of(reference, teams, turns=3) -> Game:
    return Game(reference.scenario, 1, list(teams), 7, turns)


def P(line):  # noqa: N802 - reads like the typed order
    return parse_line(line)


@pytest.mark.parametrize("line, mapping", [
    ("advisers iraq 100", {"advisers": {"to": "iraq", "personnel": 100.0}}),
    ("arms iraq 20", {"arms": {"to": "iraq", "amount": 20.0}}),
    ("start us_air_strikes", {"start": {"commitment": "us_air_strikes"}}),
    ("stop iran_troops", {"stop": {"commitment": "iran_troops"}}),
    ("ceasefire isis", {"ceasefire": {"actor": "isis"}}),
    ("accept kurds", {"accept": {"actor": "kurds"}}),
    ("refuse kurds", {"refuse": {"actor": "kurds"}}),
])
def test_new_orders_have_a_typed_and_a_file_form(line, mapping):
    assert to_mapping(parse_line(line)) == mapping
    assert parse_mapping(mapping) == parse_line(line)


def test_starting_an_air_commitment_early_gives_the_receiver_sorties(reference):
    early, late = game_of(reference, ["usa"]), game_of(reference, ["usa"])
    early.play_turn({"usa": [P("start us_air_strikes")]})
    late.play_turn({"usa": []})
    iraq = early.index["iraq"]
    committed = float(early.model.params[early.model.compiled.supports[
        aid.commitment_index(early.model, early.index["usa"], "us_air_strikes")].amount][0])
    assert committed > 0
    assert sorties(early.model, iraq) == pytest.approx(sorties(late.model, iraq) + committed)


def test_stopping_a_troop_commitment_stops_its_arrivals(reference):
    stopped, going = game_of(reference, ["iran"]), game_of(reference, ["iran"])
    stopped.play_turn({"iran": [P("stop iran_troops")]})
    going.play_turn({"iran": []})
    j = aid.commitment_index(stopped.model, stopped.index["iran"], "iran_troops")
    assert stopped.model.state.sent[0, j] == 0 < going.model.state.sent[0, j]


def test_advisers_raise_readiness_for_the_turn_only(reference):
    game = game_of(reference, ["usa"])
    m, usa, iraq = game.model, game.index["usa"], game.index["iraq"]
    here = aid.advisers_available(m, usa, iraq)
    assert here >= 100  # the embassy's personnel in Baghdad
    before = float(m.state.readiness[0, iraq])
    plan = game._apply("usa", [P("advisers iraq 100")])
    undo = aid.begin_turn(game, {"usa": plan})
    present = float(m.state.F[0, iraq].sum())
    expected = aid.ADVISER_GAIN * min(1.0, 100 * aid.TRAINEES_PER_ADVISER / present)
    assert m.state.readiness[0, iraq] == pytest.approx(before + expected)
    aid.end_turn(m, undo)
    assert m.state.readiness[0, iraq] == pytest.approx(before)
    with pytest.raises(OrdersError, match="not enough of your personnel in regions iraq holds"):
        game.check("usa", [P(f"advisers iraq {here + 1000:.0f}")])
    with pytest.raises(OrdersError, match="only to an ally or partner"):
        game.check("usa", [P("advisers isis 10")])


def test_arms_cost_funds_and_raise_quality_up_to_a_cap(reference):
    game = game_of(reference, ["usa"])
    m, usa, iraq = game.model, game.index["usa"], game.index["iraq"]
    funds, quality = float(m.state.funds[0, usa]), float(m.state.quality[0, iraq])
    game._apply("usa", [P("arms iraq 100")])
    strength = float(m.state.strength()[0, iraq])
    assert m.state.funds[0, usa] == pytest.approx(funds - 100)
    assert m.state.quality[0, iraq] == pytest.approx(
        quality + aid.ARMS_GAIN * min(1.0, 100 / (aid.COST_PER_FIGHTER * strength)))
    with pytest.raises(OrdersError, match="order 2 .*cannot absorb more arms this turn"):
        game.check("usa", [P("arms iraq 5000"), P("arms iraq 1")])


def test_a_ceasefire_offered_and_accepted_between_teams(reference):
    game = game_of(reference, ["isis", "kurds"])
    m, isis, kurds = game.model, game.index["isis"], game.index["kurds"]
    with pytest.raises(OrdersError, match="has offered you no ceasefire"):
        game.check("isis", [P("accept kurds")])
    first = game.play_turn({"isis": [], "kurds": [P("ceasefire isis")]})
    assert any("kurds offers isis a ceasefire" in line for line in first.lines)
    assert int(m.state.stance[0, kurds, isis]) == WAR
    assert {r["order"] for r in possible(game, "isis")} >= {"accept kurds"}
    game.play_turn({"isis": [P("accept kurds")], "kurds": []})
    assert int(m.state.stance[0, kurds, isis]) == int(m.state.stance[0, isis, kurds]) == NEUTRAL
    with pytest.raises(OrdersError, match="not at war with kurds"):
        game.check("isis", [P("ceasefire kurds")])


def test_an_actor_no_team_plays_answers_by_its_losses(reference):
    game = game_of(reference, ["kurds"])
    m, isis, kurds = game.model, game.index["isis"], game.index["kurds"]
    report = game.play_turn({"kurds": [P("ceasefire isis")]})
    assert aid.model_accepts(m, isis) is False
    assert any("isis refuses kurds's ceasefire offer" in line for line in report.lines)
    m.state.losses[0, isis] = m.state.strength0[0, isis] * m.params["cas_tol"][0, isis]
    game.play_turn({"kurds": [P("ceasefire isis")]})
    assert int(m.state.stance[0, kurds, isis]) == NEUTRAL


@pytest.mark.parametrize("team", ["isis", "iraq", "kurds", "pmf", "iran", "syria", "usa"])
def test_every_playable_actor_has_real_choices(reference, team):
    """Beyond stance and hold, each team has orders it can give now with the numbers."""
    game = game_of(reference, [team])
    rows = [r for r in possible(game, team) if r["ok"]]
    kinds = {str(r["order"]).split()[0] for r in rows} - {"stance", "hold"}
    assert len(kinds) >= 3, rows


def test_injects_change_the_state_and_replay_from_the_save(reference, tmp_path):
    game = game_of(reference, ["iran", "usa"])
    m = game.model
    iran, baghdad = game.index["iran"], m.compiled.region_ids.index("baghdad")
    before = float(m.state.F[0, iran, baghdad])
    game.inject(parse_inject_line("event iran_surge_samarra", "Iran surges anyway"))
    assert m.state.F[0, iran, baghdad] > before + 1000
    game.inject(parse_inject_line("stance usa iran cooperation"))
    game.inject(parse_inject_line("support kurds troops 2,000 erbil"))
    report = game.play_turn({"iran": [], "usa": []})
    assert any("EVENT iran_surge_samarra" in line for line in report.lines)
    game.inject(parse_inject_line("support iraq money 100"))
    game.play_turn({"iran": [P("hold")], "usa": []})
    path = save.save(tmp_path / "g.json", game, reference, fog=True)
    again, _, data = save.resume(path)
    assert again.reports[-1].state_hash == game.reports[-1].state_hash
    assert data.injects[0][0] == {"kind": "event", "event": "iran_surge_samarra",
                                  "note": "Iran surges anyway"}
    with pytest.raises(OrdersError, match="unknown event 'nope'"):
        game.inject(parse_inject_line("event nope"))
    assert np.isfinite(m.state.F).all()


RECOMMENDED = [("isis", "iraq"), ("isis", "iraq", "kurds"), ("isis", "iraq", "iran", "usa"),
               ("isis", "iraq", "kurds", "pmf", "iran", "usa")]


@pytest.mark.parametrize("teams", RECOMMENDED, ids=[",".join(t) for t in RECOMMENDED])
def test_the_guides_team_sets_keep_real_choices_for_every_team(reference, teams):
    """After two turns of holding, every team still has three kinds of orders open to it,
    and the guide recommends exactly these sets."""
    game = game_of(reference, teams, turns=3)
    for _ in range(2):
        game.play_turn({t: [] for t in teams})
    for team in teams:
        rows = [r for r in possible(game, team) if r["ok"]]
        kinds = {str(r["order"]).split()[0] for r in rows} - {"stance", "hold"}
        assert len(kinds) >= 3, (team, rows)
    guide = (Path(__file__).resolve().parents[1] / "docs" / "wargame.md").read_text()
    assert f"--teams {','.join(teams)}" in guide
