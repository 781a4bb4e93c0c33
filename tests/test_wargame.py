"""The wargame library: order language, checks, adjudication, save/resume, fog, report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sim.errors import OrdersError, UsageError
from sim.scenario.loader import load
from sim.wargame import fog, save, views
from sim.wargame.aar import percentile, write_aar
from sim.wargame.game import Game, state_hash
from sim.wargame.orders import parse_line, parse_list, parse_mapping, to_mapping

FRONT = Path(__file__).parent / "engine" / "front.yaml"


@pytest.fixture(scope="module")
def loaded():
    return load(FRONT)


def new_game(loaded, teams=("gov", "rebels"), turns=4) -> Game:
    return Game(loaded.scenario, 1, list(teams), 7, turns)


def P(text: str):  # noqa: N802 - reads like the typed order
    return parse_line(text)


# ------------------------------------------------------------------------------ the language


@pytest.mark.parametrize("line, mapping", [
    ("attack north", {"attack": {"region": "north"}}),
    ("move capital mid 2,000", {"move": {"from": "capital", "to": "mid", "personnel": 2000.0}}),
    ("move capital -> mid 2000", {"move": {"from": "capital", "to": "mid",
                                           "personnel": 2000.0}}),
    ("reserve capital 100", {"commit_reserve": {"region": "capital", "personnel": 100.0}}),
    ("strike north", {"air_strike": {"region": "north"}}),
    ("support ally money 5", {"support": {"to": "ally", "kind": "money", "amount": 5.0}}),
    ("stance ally war", {"stance": {"actor": "ally", "stance": "war"}}),
    ("hold", "hold"),
])
def test_typed_and_file_forms_are_the_same_order(line, mapping):
    order = parse_line(line)
    assert to_mapping(order) == mapping
    assert parse_mapping(mapping) == order


def test_file_form_accepts_short_keys_and_plain_values():
    orders = parse_list([{"strike": "north"}, {"reserve": {"region": "capital",
                                                            "personnel": 5}}, "hold"])
    assert [o.kind for o in orders] == ["air_strike", "commit_reserve", "hold"]


@pytest.mark.parametrize("line, message", [
    ("move capital mid", "expected 'move FROM TO PERSONNEL'"),
    ("fly north", "unknown order 'fly'"),
    ("support ally gold 5", "kind: Input should be"),
    ("move capital mid -5", "personnel: Input should be greater than 0"),
    ("stance ally friends", "stance: Input should be"),
])
def test_malformed_lines_say_what_is_expected(line, message):
    with pytest.raises(OrdersError, match=message):
        parse_line(line)


def test_a_bad_item_in_a_file_is_named_by_file_and_number():
    with pytest.raises(OrdersError, match=r"t1/gov.yaml: order 2: move: personnel: Field "
                                          "required"):
        parse_list(["hold", {"move": {"from": "a", "to": "b"}}], "t1/gov.yaml")
    with pytest.raises(OrdersError, match="a YAML list"):
        parse_list({"attack": "x"}, "f.yaml")


# --------------------------------------------------------------------------------- checks


@pytest.mark.parametrize("lines, message", [
    (["move capitl mid 10"], r"order 1 \(move capitl -> mid 10\): unknown region 'capitl' "
                             r"\(did you mean 'capital'\?\)"),
    (["move capital north 10"], "not adjacent: no road from capital to north"),
    (["move north mid 10"], "not your units: you have no forces in north"),
    (["move capital mid 50000"], r"not enough forces in capital \(have 20,000, asked 50,000\)"),
    (["move ford north 10"], "north is not held by you or an ally"),
    (["reserve capital 9000"], r"not enough forces in reserve \(have 5,000, asked 9,000\)"),
    (["reserve north 10"], "reserves only enter friendly ground"),
    (["attack mid"], "mid is already yours"),
    (["attack hills"], "you have no forces in or next to hills"),
    (["attack north"], "too weak to attack north"),
    (["strike north"], "no air-strike sorties"),
    (["support gov money 1"], "cannot support yourself"),
    (["support rebels money 1"], "at war with or rivals of rebels"),
    (["support ally money 500"], r"not enough funds \(have 100.0, asked 500.0"),
    (["support ally intelligence 0.9"], "cannot share more intelligence than you have"),
    (["support ally air_strikes 2"], "not enough own air capacity"),
    (["support nato money 1"], "unknown actor 'nato'"),
    (["stance gov war"], "a stance is towards another actor"),
    (["hold", "attack north"], r"order 2 \(attack north\): you ordered hold"),
    (["reserve capital 4000", "reserve capital 2000"],
     r"order 2 .*have 1,000, asked 2,000"),
])
def test_each_impossible_order_is_refused_with_its_reason_and_nothing_changes(loaded, lines,
                                                                               message):
    game = new_game(loaded)
    before = state_hash(game.model)
    with pytest.raises(OrdersError, match=message):
        game.check("gov", [P(x) for x in lines])
    assert state_hash(game.model) == before


def test_an_invalid_set_leaves_the_valid_orders_before_it_unapplied(loaded):
    game = new_game(loaded)
    s = game.model.state
    f_before, r_before = s.F.copy(), s.reserve.copy()
    with pytest.raises(OrdersError, match="order 3"):
        game.check("gov", [P("move capital mid 3000"), P("reserve capital 1000"),
                           P("move capital north 1")])
    assert np.array_equal(game.model.state.F, f_before)
    assert np.array_equal(game.model.state.reserve, r_before)


def test_orders_change_the_state_as_described(loaded):
    game = new_game(loaded, teams=("gov",))
    m = game.model
    plan = game._apply("gov", [P("move capital mid 3000"), P("reserve ford 500"),
                               P("support ally money 40"), P("stance ally cooperation")])
    g, i = m.compiled.region_ids.index, m.compiled.actor_ids.index
    assert m.state.F[0, i("gov"), g("capital")] == pytest.approx(17000)
    assert m.state.F[0, i("gov"), g("mid")] == pytest.approx(7000)
    assert m.state.F[0, i("gov"), g("ford")] == pytest.approx(2000)
    assert m.state.reserve[0, i("gov")] == pytest.approx(4500)
    assert m.state.funds[0, i("gov")] == pytest.approx(60)
    assert m.state.funds[0, i("ally")] == pytest.approx(40)
    code = m.state.stance[0, i("gov"), i("ally")]
    assert code == m.state.stance[0, i("ally"), i("gov")] == 1  # cooperation, both ways
    assert plan.attacks == [] and not plan.hold


# ------------------------------------------------------------------------------ adjudication


def test_a_team_attacks_only_what_it_orders(loaded):
    game = new_game(loaded)
    held = game.play_turn({"gov": [], "rebels": [P("hold")]})
    assert not [r for r in held.records if r["kind"] == "battle" and r["attacker"] == "rebels"]
    attacked = game.play_turn({"gov": [], "rebels": [P("attack mid")]})
    battles = [r for r in attacked.records if r["kind"] == "battle"]
    assert battles and {r["attacker"] for r in battles} == {"rebels"}
    assert {r["region"] for r in battles} == {"mid"}
    b = battles[0]
    assert 0 <= b["roll"] <= 1 and 0 <= b["p_win"] <= 1 and b["men_ratio"] > 0
    assert b["result"] in ("advance", "won, no advance", "held")
    if b["result"] == "advance":
        assert {"region": "mid", "from": "gov", "to": "rebels"} in attacked.control_changes


def test_the_report_diffs_control_and_strength(loaded):
    game = new_game(loaded)
    r = game.play_turn({"gov": [], "rebels": [P("attack mid")]})
    before = {g: a for g, a in zip(game.model.compiled.region_ids, ["gov", "gov", "gov", "rebels",
                                                               "rebels"], strict=True)}
    changed = {c["region"]: c["to"] for c in r.control_changes}
    assert r.control == {**before, **changed}
    assert r.strength["gov"][0] == pytest.approx(30500)  # 25,500 placed + 5,000 reserve
    assert r.day_from == 0 and r.day_to == 7


def test_directed_air_strikes_hit_the_ordered_region(loaded):
    game = new_game(loaded, teams=("gov",))
    m = game.model
    m.state.air[0, 0] = 30.0  # give the government an air force for this test
    north = m.compiled.region_ids.index("north")
    r = game.play_turn({"gov": [P("strike north")]})
    strikes = [x for x in r.records if x["kind"] == "strike"]
    assert len(strikes) == 7 and {x["region"] for x in strikes} == {"north"}
    assert all(x["disabled"] > 0 for x in strikes)
    assert m.state.losses[0, 1] >= sum(x["disabled"] for x in strikes) - 1e-6
    assert north in range(m.compiled.G)


def test_same_seed_and_orders_give_the_same_game_other_orders_another(loaded):
    orders = [{"gov": [P("reserve capital 2000")], "rebels": [P("attack mid")]},
              {"gov": [P("hold")], "rebels": []}]
    a, b, c = new_game(loaded), new_game(loaded), new_game(loaded)
    for turn in orders:
        a.play_turn(turn)
        b.play_turn(turn)
        c.play_turn({"gov": [P("hold")], "rebels": [P("hold")]})
    assert state_hash(a.model) == state_hash(b.model) != state_hash(c.model)


def test_resume_replays_to_the_same_state_and_detects_tampering(loaded, tmp_path):
    game = new_game(loaded)
    for turn in ({"gov": [P("move capital mid 1000")], "rebels": [P("attack mid")]},
                 {"gov": [], "rebels": [P("hold")]}):
        game.play_turn(turn)
        save.save(tmp_path / "g.json", game, loaded, fog=False)
    again, _, data = save.resume(tmp_path / "g.json")
    assert state_hash(again.model) == state_hash(game.model) == data.state_hash
    assert len(again.reports) == 2 and again.turn == 3
    text = (tmp_path / "g.json").read_text().replace('"personnel": 1000.0', '"personnel": 999.0')
    (tmp_path / "bad.json").write_text(text)
    (tmp_path / "bad.json.key").write_bytes((tmp_path / "g.json.key").read_bytes())
    with pytest.raises(save.SaveError, match="signature does not match"):
        save.resume(tmp_path / "bad.json")
    # An unsigned save (no key, no signature) with its hashes still fails on replay.
    (tmp_path / "bad.json.key").unlink()
    raw = json.loads(text)
    del raw["signature"]
    (tmp_path / "bad.json").write_text(json.dumps(raw))
    with pytest.raises(save.SaveError, match="replaying turn 1 gives a different state"):
        save.resume(tmp_path / "bad.json")


def test_teams_must_be_playable_actors_of_the_scenario(loaded):
    with pytest.raises(UsageError, match="unknown actor 'nato'"):
        Game(loaded.scenario, 1, ["nato"], 7, 2)
    with pytest.raises(UsageError, match="multiple of the scenario's step"):
        Game(loaded.scenario, 1, ["gov"], 0, 2)


# ---------------------------------------------------------------------------------- fog


@pytest.mark.parametrize("x, intel, shown", [
    (3400, 0.9, "2,000-5,000"), (3400, 0.3, "1,000-7,000"), (0, 0.5, "none"),
])
def test_fog_shows_rounded_ranges_that_contain_the_truth(x, intel, shown):
    assert fog.strength_range(x, intel) == shown
    if x:
        lo, hi = (float(v.replace(",", "")) for v in shown.split("-"))
        assert lo <= x <= hi


def test_fog_hides_what_is_far_from_your_forces(loaded):
    game = new_game(loaded)
    m, gov = game.model, game.index["gov"]
    seen = dict(zip(m.compiled.region_ids, fog.visible(m, gov), strict=True))
    assert seen["north"] and not seen["hills"]  # north borders mid; hills is two links away
    g = m.compiled.region_ids.index("hills")
    assert fog.enemy_strength(m, gov, g, fog=True) == "?"
    assert fog.enemy_strength(m, gov, g, fog=False) == "1,000"


def test_views_render_the_situation_and_the_orders_to_type(loaded):
    from rich.console import Console

    game = new_game(loaded)
    game.play_turn({"gov": [], "rebels": [P("attack mid")]})
    console = Console(width=120, record=True)
    for part in views.situation(game, "rebels", fog=True):
        console.print(part)
    text = console.export_text()
    assert "Turn 2 of 4" in text and "You play Rebels" in text
    assert "reserve REGION N" in text and "stance ACTOR STANCE" in text
    assert "Last turn" in text


# ------------------------------------------------------------------------- after-action


def test_percentile_counts_ties_as_half():
    assert percentile(0.5, np.array([0.1, 0.5, 0.9, 0.9])) == pytest.approx(0.375)
    assert percentile(1.0, np.array([0.1, 0.2])) == 1.0


def test_after_action_report_places_each_team_in_the_shadow_ensemble(loaded, tmp_path):
    game = new_game(loaded, turns=2)
    game.play_turn({"gov": [], "rebels": [P("attack mid")]})
    game.play_turn({"gov": [P("hold")], "rebels": []})
    path = write_aar(tmp_path / "aar.html", game, loaded, runs=60)
    html = path.read_text()
    assert html.count("of simulated futures") == 6  # 3 scores x 2 teams
    assert "Turn 2:" in html and "Plotly.newPlot" in html
    assert "Rebels attacks Midtown" in html


def test_team_scores_count_goals_side_and_own_territory(loaded):
    from sim.wargame.aar import game_series, measures, side_of

    game = new_game(loaded, teams=("gov",), turns=1)
    report = game.play_turn({"gov": [P("hold")]})
    assert side_of(game, "gov") == ["gov", "ally"]
    got = measures(game, "gov", game_series(game)).iloc[0]
    held = report.control
    # gov's goals: hold capital (weight 3), take north (weight 1)
    expected = (3 * (held["capital"] in ("gov", "ally")) + (held["north"] in ("gov", "ally"))) / 4
    assert got["goals"] == pytest.approx(expected)
    assert got["own"] == pytest.approx(report.territory["gov"][1])
    assert got["side"] == pytest.approx(report.territory["gov"][1] + report.territory["ally"][1])


def test_takeover_starts_every_run_from_the_games_state_after_turn_k(loaded):
    from sim.wargame import shadow

    game = new_game(loaded, turns=4)
    for turn in ({"gov": [P("reserve capital 3000")], "rebels": [P("attack mid")]},
                 {"gov": [], "rebels": []}, {"gov": [P("hold")], "rebels": []},
                 {"gov": [], "rebels": []}):
        game.play_turn(turn)
    at2 = shadow.replay(game, 2)
    assert at2.reports[-1].state_hash == game.reports[1].state_hash
    series = shadow.takeover(game, 2, 40)
    ter = series["territory"]
    assert sorted(ter["day"].unique()) == [0, 7, 14, 21, 28]
    for day in (7, 14):  # the game's own days: the same in every run
        rows = ter[ter["day"] == day]
        assert len(rows) == 40 and (rows["rebels"] == game.reports[day // 7 - 1]
                                    .territory["rebels"][1]).all()
    strength = series["strength"]
    later = strength[strength["day"] == 28]
    assert later["rebels"].nunique() > 1  # other dice, other futures
    with pytest.raises(ValueError, match="between 1 and 3"):
        shadow.takeover(game, 4, 10)


def test_the_game_is_the_analysts_model_when_the_team_does_what_the_model_would(loaded):
    """The ally has no ground forces, so the model's policy always holds; a team holding
    every turn must then give exactly `run_single`'s story and final state."""
    from sim.model.engine import run_single

    game = Game(loaded.scenario, 5, ["ally"], 7, 4)
    for _ in range(4):
        game.play_turn({"ally": []})
    single = run_single(loaded.scenario, 5, days=28)
    assert game.reports[-1].control == single.control
    strength = game.model.state.strength()[0]
    ids = game.model.compiled.actor_ids
    assert dict(zip(ids, strength.tolist(), strict=True)) == pytest.approx(
        single.strength)
    assert game.model.log.lines == single.lines[:len(game.model.log.lines)]


def test_ctrl_c_loses_only_the_turn_in_progress(loaded, tmp_path, monkeypatch, capsys):
    import builtins

    from sim.cli import main

    typed = iter(["reserve capital 100", "done"])

    def fake_input(prompt: str = "") -> str:
        try:
            return next(typed)
        except StopIteration:
            raise KeyboardInterrupt from None

    monkeypatch.setattr(builtins, "input", fake_input)
    save_path = tmp_path / "g.json"
    assert main(["play", str(FRONT), "--teams", "gov", "--save", str(save_path)]) == 130
    out = capsys.readouterr().out
    assert f"saved after turn 1 in {save_path}" in out
    data = save.read(save_path)
    assert data.turns_played == 1 and len(data.orders) == 1


def test_a_cut_goal_is_shown_with_its_road_and_met_when_either_end_is_friendly():
    """A cut goal has no region: the team view names the road and scores it as the engine
    does (outcomes.goal_met: either end held by the actor or a friend)."""
    from sim.wargame.rules import friendly_ground
    from sim.wargame.webview import goals

    sc = load(Path(__file__).parent / "data" / "campaign.yaml").scenario
    game = Game(sc, 1, ["red", "blue"], 7, 2)
    row = next(g for g in goals(game, "red") if g["kind"] == "cut")
    assert row["target"] == "depot - town"
    ground = friendly_ground(game.model, game.index["red"])
    ids = game.model.compiled.region_ids
    assert row["met"] is bool(ground[ids.index("depot")] or ground[ids.index("town")])
    assert row["met"] is True  # red holds its base, the depot, at the start
