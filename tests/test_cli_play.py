"""`geosim play` end to end through sim.cli.main, on the reference scenario."""

from __future__ import annotations

import builtins
import json
from pathlib import Path

import pytest

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "scenarios" / "iraq-2014.yaml"
FRONT = ROOT / "tests" / "engine" / "front.yaml"
TEAMS = "iran,usa"

# Six turns of orders for two teams of the reference scenario, in the orders-file language.
SCRIPT = {
    1: {"iran": "- commit_reserve: {region: baghdad, personnel: 1200}\n"
                "- move: {from: baghdad, to: samarra, personnel: 600}\n"
                "- support: {to: iraq, kind: money, amount: 50}\n",
        "usa": "- support: {to: iraq, kind: intelligence, amount: 0.1}\n"
               "- move: {from: baghdad, to: samarra, personnel: 100}\n"},
    2: {"iran": "- commit_reserve: {region: baghdad, personnel: 300}\n"
                "- support: {to: pmf, kind: intelligence, amount: 0.1}\n",
        "usa": "- support: {to: kurds, kind: money, amount: 100}\n- hold\n"},
    3: {"iran": "- hold\n", "usa": "- stance: {actor: iran, stance: neutrality}\n"},
    4: {"iran": "[]\n", "usa": "- support: {to: iraq, kind: money, amount: 200}\n"},
    5: {"iran": "- support: {to: iraq, kind: intelligence, amount: 0.2}\n", "usa": "- hold\n"},
    6: {"iran": "- hold\n", "usa": "- support: {to: kurds, kind: intelligence, amount: 0.1}\n"},
}


def write_orders(folder: Path, turns: range) -> Path:
    for t in turns:
        for team, text in SCRIPT[t].items():
            path = folder / f"turn-{t}" / f"{team}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return folder


def play(*extra: str) -> int:
    return main(["play", str(REFERENCE), "--teams", TEAMS, "--turn-days", "7", "--turns", "6",
                 "--seed", "3", "--shadow-runs", "20", *extra])


def test_six_turn_scripted_game_of_the_reference_scenario(tmp_path, capsys):
    orders = write_orders(tmp_path / "orders", range(1, 7))
    save, report = tmp_path / "game.json", tmp_path / "aar.html"
    assert play("--orders", str(orders), "--save", str(save), "--report", str(report),
                "--shadow-from", "3") == 0
    out = capsys.readouterr().out
    assert "Turn 6: 20 Jul 2014 to 27 Jul 2014" in out
    assert "iran ordered: reserve baghdad 1,200;" in out
    data = json.loads(save.read_text())
    assert data["turns_played"] == 6 and len(data["orders"]) == 6
    assert data["orders"][0]["iran"][0] == {"commit_reserve": {"region": "baghdad",
                                                               "personnel": 1200.0}}
    html = report.read_text()
    assert "better than" in html and "Turn 6:" in html
    assert "reserve baghdad 1,200; move baghdad -&gt; samarra 600; support iraq money 50" in html
    assert "If the model had taken over after turn 3" in html


def test_a_game_saved_after_turn_3_resumes_to_the_same_end(tmp_path, capsys):
    full = write_orders(tmp_path / "all", range(1, 7))
    assert play("--orders", str(full), "--save", str(tmp_path / "a.json"),
                "--report", str(tmp_path / "a.html")) == 0
    # The same game stopped after turn 3: turn 4's orders are missing, so it stops (exit 2).
    part = write_orders(tmp_path / "part", range(1, 4))
    assert play("--orders", str(part), "--save", str(tmp_path / "b.json")) == 2
    assert "turn-4/iran.yaml: no orders file" in capsys.readouterr().err
    assert json.loads((tmp_path / "b.json").read_text())["turns_played"] == 3
    assert main(["play", "--resume", str(tmp_path / "b.json"), "--orders", str(full),
                 "--report", str(tmp_path / "b.html"), "--shadow-runs", "20"]) == 0
    assert "3 of 6 turns replayed, state verified" in capsys.readouterr().out
    a, b = (json.loads((tmp_path / f"{x}.json").read_text()) for x in "ab")
    assert a["state_hashes"] == b["state_hashes"] and len(b["state_hashes"]) == 6
    assert a["orders"] == b["orders"]


def test_an_invalid_orders_file_stops_the_turn_with_nothing_applied(tmp_path, capsys):
    orders = write_orders(tmp_path / "orders", range(1, 3))
    (orders / "turn-2" / "usa.yaml").write_text(
        "- hold\n- move: {from: baghdad, to: mosul, personnel: 100}\n")
    save = tmp_path / "g.json"
    assert play("--orders", str(orders), "--save", str(save)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(str(orders / "turn-2" / "usa.yaml"))
    assert "order 2 (move baghdad -> mosul 100): not adjacent" in err
    assert len(err.splitlines()) == 1
    data = json.loads(save.read_text())
    assert data["turns_played"] == 1 and len(data["state_hashes"]) == 1


def test_bad_teams_are_one_line_errors(capsys):
    assert main(["play", str(REFERENCE), "--teams", "iran,nato"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("--teams: unknown actor 'nato' (playable actors:") and err.count(
        "\n") == 1
    assert main(["play", str(REFERENCE), "--teams", "arab_league"]) == 2
    assert "actor 'arab_league' is not playable" in capsys.readouterr().err


def test_help_teaches_the_order_language(capsys):
    with pytest.raises(SystemExit):
        main(["play", "--help"])
    out = capsys.readouterr().out
    for word in ("attack REGION", "move FROM TO N", "reserve REGION N", "strike REGION",
                 "support ACTOR KIND AMOUNT", "stance ACTOR STANCE", "hold", "--orders DIR",
                 "turn-1/iran.yaml", "--resume", "--fog"):
        assert word in out


def test_interactive_turn_with_typed_orders(tmp_path, monkeypatch, capsys):
    typed = iter(["help", "atack mid", "move capitl mid 500", "move capital mid 500", "list",
                  "undo", "reserve capital 1000", "done"])
    prompts: list[str] = []

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(typed)

    monkeypatch.setattr(builtins, "input", fake_input)
    save = tmp_path / "g.json"
    code = main(["play", str(FRONT), "--teams", "gov", "--turns", "1", "--save", str(save),
                 "--report", str(tmp_path / "r.html"), "--shadow-runs", "30"])
    assert code == 0
    out = capsys.readouterr().out
    assert "Orders (one per line" in out  # help
    assert "unknown order 'atack'" in out
    assert "unknown region 'capitl' (did you mean 'capital'?)" in out
    assert "1. move capital -> mid 500" in out and "dropped: move capital -> mid 500" in out
    assert "gov ordered: reserve capital 1,000" in out
    assert prompts[0] == "gov order 1> " and prompts[-1] == "gov order 2> "
    data = json.loads(save.read_text())
    assert data["orders"] == [{"gov": [{"commit_reserve": {"region": "capital",
                                                           "personnel": 1000.0}}]}]


def test_end_of_input_stops_and_says_how_to_resume(tmp_path, monkeypatch, capsys):
    def no_input(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr(builtins, "input", no_input)
    save = tmp_path / "g.json"
    assert main(["play", str(FRONT), "--teams", "gov", "--save", str(save)]) == 0
    assert f"geosim play --resume {save}" in capsys.readouterr().out
    assert json.loads(save.read_text())["turns_played"] == 0


def test_every_option_of_play_is_in_the_teachers_guide():
    import argparse

    from sim.commands import play as cmd

    parser = argparse.ArgumentParser()
    cmd.add_parser(parser.add_subparsers())
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    options = [o for a in sub.choices["play"]._actions for o in a.option_strings
               if o.startswith("--") and o != "--help"]
    guide = (ROOT / "docs" / "wargame.md").read_text(encoding="utf-8")
    assert len(options) >= 12
    assert [o for o in options if f"`{o}" not in guide] == []


def test_fog_game_hands_the_keyboard_over_and_lifts_at_the_end(tmp_path, monkeypatch, capsys):
    typed = iter(["", "reserve baghdad 500", "done", "", "done"])
    prompts: list[str] = []

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(typed)

    monkeypatch.setattr(builtins, "input", fake_input)
    # Whether a team sees two links out depends on its sampled intelligence; keep it to one.
    monkeypatch.setattr("sim.wargame.fog.SHARP_INTEL", 1.01)
    save = tmp_path / "g.json"
    assert main(["play", str(REFERENCE), "--teams", TEAMS, "--turns", "1", "--fog",
                 "--variant", "no-syrian-strikes", "--save", str(save), "--report",
                 str(tmp_path / "r.html"), "--shadow-runs", "20"]) == 0
    out = capsys.readouterr().out
    assert prompts == ["Hand the keyboard to team iran, then press Enter ", "iran order 1> ",
                       "iran order 2> ", "Hand the keyboard to team usa, then press Enter ",
                       "usa order 1> "]
    assert " ? " in out  # somewhere a team cannot see
    assert "The game is over. The umpire's report of the last turn:" in out
    data = json.loads(save.read_text())
    assert data["fog"] is True and data["variant"] == "no-syrian-strikes"
    assert main(["play", "--resume", str(save), "--report", str(tmp_path / "r2.html"),
                 "--shadow-runs", "20"]) == 0
    assert "1 of 1 turns replayed, state verified" in capsys.readouterr().out
