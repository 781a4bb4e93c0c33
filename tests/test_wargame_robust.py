"""Issue 14's wargame items and issue 12's terminal items, each a regression test.

Hand-edited save files, unsigned or re-signed saves, YAML aliases in orders files, `--save`
naming a folder, per-turn support limits; the fog hand-over clearing the scroll-back, ties
said as ties, the turn report waiting for a key.
"""

from __future__ import annotations

import builtins
import json
import time
from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.errors import OrdersError
from sim.scenario.loader import load
from sim.wargame import save
from sim.wargame.aar import verdict
from sim.wargame.game import Game
from sim.wargame.orders import parse_line

ROOT = Path(__file__).resolve().parents[1]
FRONT = ROOT / "tests" / "engine" / "front.yaml"
REFERENCE = ROOT / "scenarios" / "iraq-2014.yaml"


@pytest.fixture(scope="module")
def loaded():
    return load(FRONT)


@pytest.fixture
def saved(loaded, tmp_path):
    """A two-turn game of the test front, saved: (path, its JSON content)."""
    game = Game(loaded.scenario, 1, ["gov", "rebels"], 7, 4)
    game.play_turn({"gov": [parse_line("reserve capital 500")], "rebels": []})
    game.play_turn({"gov": [], "rebels": [parse_line("hold")]})
    path = save.save(tmp_path / "g.json", game, loaded, fog=True)
    return path, json.loads(path.read_text())


# ------------------------------------------------------------------ hand-edited save files

EDITS = [  # (what the hand edit does, the JSON path changed, new value, message expected)
    ("seed as text", "seed", "seven", "seed: Input should be a valid integer"),
    ("seed negative", "seed", -1, "seed: Input should be greater than or equal to 0"),
    ("teams a string", "teams", "gov", "teams: Input should be a valid list"),
    ("teams empty", "teams", [], "teams: List should have at least 1 item"),
    ("turn_days zero", "turn_days", 0, "turn_days: Input should be greater than or equal to 1"),
    ("turns huge", "turns", 10**9, "turns: Input should be less than or equal to 1000"),
    ("orders not a list", "orders", {"gov": []}, "orders: Input should be a valid list"),
    ("a turn not a mapping", "orders", [[1, 2]], "orders.0: Input should be a valid dict"),
    ("a team's orders not a list", "orders", [{"gov": "attack"}], "orders.0.gov: Input should"),
    ("a hash not hex", "state_hashes", ["zz"], "state_hashes.0: String should match pattern"),
    ("fog as text", "fog", "yes", "fog: Input should be a valid boolean"),
    ("format from the future", "format", 99, "format: Input should be less than or equal to 2"),
    ("an unknown key", "cheat", 1, "cheat: Extra inputs are not permitted"),
]


@pytest.mark.parametrize("what, key, value, message", EDITS, ids=[e[0] for e in EDITS])
def test_a_hand_edited_save_is_one_line_naming_the_field(saved, capsys, what, key, value,
                                                         message):
    path, raw = saved
    raw[key] = value
    path.write_text(json.dumps(raw))
    assert main(["play", "--resume", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"{path}: ") and message in err


@pytest.mark.parametrize("content, message", [
    ("[1, 2]", "a JSON object expected, got list"),
    ("{" * 100_000, "not a readable save file"),
    ("\x00\xff", "not a readable save file"),
])
def test_a_save_that_is_not_json_of_a_game_is_refused(tmp_path, capsys, content, message):
    path = tmp_path / "g.json"
    path.write_text(content, encoding="latin-1")
    assert main(["play", "--resume", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_orders_rewritten_and_hashes_deleted_is_refused(saved):
    """The issue's attack: both teams' orders rewritten, state_hashes deleted."""
    path, raw = saved
    raw["orders"] = [{"gov": ["hold"], "rebels": [{"attack": "mid"}]}, {"gov": [], "rebels": []}]
    del raw["state_hashes"], raw["state_hash"]
    path.write_text(json.dumps(raw))
    with pytest.raises(save.SaveError, match="signature does not match"):
        save.resume(path)
    del raw["signature"]  # and without the signature: the key beside it says it was signed
    path.write_text(json.dumps(raw))
    with pytest.raises(save.SaveError, match="has no signature although its game key"):
        save.resume(path)
    save.key_path(path).unlink()  # an old unsigned save: refused without its hashes
    with pytest.raises(save.SaveError, match="unsigned save without a state hash for every "
                                             "turn"):
        save.resume(path)


def test_a_rewritten_save_cannot_be_resigned_without_the_key(saved, tmp_path):
    path, raw = saved
    raw["orders"][0]["rebels"] = [{"attack": "mid"}]
    raw["signature"] = "0" * 64
    path.write_text(json.dumps(raw))
    with pytest.raises(save.SaveError, match="signature does not match"):
        save.resume(path)
    assert save.key_path(path).stat().st_mode & 0o077 == 0  # the key is its owner's only


def test_an_intact_save_resumes(saved):
    path, _ = saved
    game, _, data = save.resume(path)
    assert len(game.reports) == 2 and game.reports[-1].state_hash == data.state_hash


# ---------------------------------------------------------------------------- orders files

LEVELS = "".join(f"&{c} [{', '.join([f'*{p}'] * 9)}], "
                 for p, c in zip("abcdefg", "bcdefgh", strict=True))
# 393 bytes of YAML that expand to 9^8 = 43 million strings when printed in full.
ALIASES = f"- [&a [x, x, x, x, x, x, x, x, x], {LEVELS}*h]\n"


@pytest.mark.parametrize("text", [
    ALIASES,
    ALIASES.replace("- [", "- {move: {from: [").replace("*h]", "*h], to: b, personnel: 1}}"),
    "- hold\n" + ALIASES,
], ids=["an order that is a list", "a field that is a list", "the second order"])
def test_an_orders_file_with_aliases_gives_a_short_message(tmp_path, capsys, text):
    folder = tmp_path / "orders" / "turn-1"
    folder.mkdir(parents=True)
    (folder / "gov.yaml").write_text(text)
    start = time.perf_counter()
    code = main(["play", str(FRONT), "--teams", "gov", "--turns", "1", "--orders",
                 str(tmp_path / "orders"), "--save", str(tmp_path / "g.json")])
    err = capsys.readouterr().err
    assert code == 2 and len(err) < 600, err[:2000]
    assert time.perf_counter() - start < 20


@pytest.mark.parametrize("text", ["[" * 5000 + "]" * 5000, "{a: " * 5000 + "1" + "}" * 5000,
                                  "- " * 5000 + "hold\n"],
                         ids=["5,000 nested lists", "5,000 nested mappings", "a block list"])
def test_a_5000_deep_orders_file_is_one_line_and_nothing_is_applied(tmp_path, capsys, text):
    """Issue 14: the 5,000-deep file ended in RecursionError (it was only tried on scenario
    files, whose reader has a depth limit; orders files go through yaml.safe_load)."""
    folder = tmp_path / "orders" / "turn-1"
    folder.mkdir(parents=True)
    (folder / "gov.yaml").write_text(text)
    code = main(["play", str(FRONT), "--teams", "gov", "--turns", "1", "--orders",
                 str(tmp_path / "orders"), "--save", str(tmp_path / "g.json")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err[:2000]
    assert err.startswith(str(folder / "gov.yaml")), err
    assert json.loads((tmp_path / "g.json").read_text())["turns_played"] == 0


def test_quoting_cuts_nested_and_long_values(loaded):
    from sim.wargame.orders import quote

    tree: list = ["x"] * 9
    for _ in range(8):
        tree = [tree] * 9
    assert len(quote(tree)) < 140 and len(quote("y" * 10**6)) < 140
    with pytest.raises(OrdersError) as info:
        parse_line("fly " + "z" * 100_000)
    assert len(str(info.value)) < 300
    with pytest.raises(OrdersError, match="at most 100 characters") as info:
        parse_line("attack " + "z" * 10**5)
    assert len(str(info.value)) < 400


# ------------------------------------------------------------------------------- --save


def test_save_naming_a_folder_is_one_line_and_leaves_nothing(tmp_path, capsys):
    folder = tmp_path / "saves"
    folder.mkdir()
    code = main(["play", str(FRONT), "--teams", "gov", "--turns", "1", "--save", str(folder)])
    err = capsys.readouterr().err
    assert code == 2 and "is a folder; give a file name" in err and err.count("\n") == 1
    assert list(tmp_path.rglob("*.tmp")) == [] and list(folder.iterdir()) == []


def test_a_failed_write_leaves_no_temporary_file(loaded, tmp_path, monkeypatch):
    game = Game(loaded.scenario, 1, ["gov"], 7, 1)

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("sim.wargame.save.os.replace", full_disk)
    with pytest.raises(save.SaveError, match="No space left on device"):
        save.save(tmp_path / "g.json", game, loaded, fog=False)
    assert [p.name for p in tmp_path.iterdir()] == ["g.json.key"]


# ------------------------------------------------------------------- limits per turn total


def test_two_intelligence_shares_count_against_one_own_intelligence():
    reference = load(REFERENCE)
    game = Game(reference.scenario, 1, ["usa"], 7, 1)
    own = float(game.model.state.intel[0, game.index["usa"]])
    half = round(own * 0.8, 2)
    game.check("usa", [parse_line(f"support iraq intelligence {half}")])
    with pytest.raises(OrdersError, match="order 2 .*cannot share more intelligence than you "
                                          r"have \(have 0\.\d+ left this turn"):
        game.check("usa", [parse_line(f"support iraq intelligence {half}"),
                           parse_line(f"support kurds intelligence {half}")])


# ------------------------------------------------------------------------ terminal play


def test_fog_hand_over_clears_the_scroll_back(tmp_path, monkeypatch, capsys):
    typed = iter(["", "done", "", "done"])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(typed))
    assert main(["play", str(FRONT), "--teams", "gov,rebels", "--turns", "1", "--fog",
                 "--save", str(tmp_path / "g.json"), "--report", str(tmp_path / "r.html"),
                 "--shadow-runs", "10"]) == 0
    out = capsys.readouterr().out
    assert out.count("\x1b[3J") >= 4  # before and after each hand-over


def test_ties_read_equal_to():
    assert verdict(0.89, np.array([0.89, 0.89, 0.89])) == "equal to 100% of simulated futures"
    assert verdict(0.5, np.array([0.1, 0.5, 0.9, 0.9])) == ("better than 25%, equal to 25% of "
                                                            "simulated futures")
    assert verdict(1.0, np.array([0.1, 0.2])) == "better than 100% of simulated futures"


def test_the_turn_report_waits_for_a_key_before_the_next_turn(tmp_path, monkeypatch, capsys):
    prompts: list[str] = []
    typed = iter(["done", "", "done"])

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(typed)

    monkeypatch.setattr(builtins, "input", fake_input)
    assert main(["play", str(FRONT), "--teams", "gov", "--turns", "2", "--save",
                 str(tmp_path / "g.json"), "--report", str(tmp_path / "r.html"),
                 "--shadow-runs", "10"]) == 0
    assert prompts == ["gov order 1> ", "Press Enter for the next turn ", "gov order 1> "]


def test_can_in_the_terminal_lists_every_order_with_its_limits(tmp_path, monkeypatch, capsys):
    """`can` prints the rows of means.possible (the team page's list), limits and all; that
    those limits are the ones enforced is tests/test_wargame_decisions.py's."""
    from sim.wargame.means import possible

    monkeypatch.setenv("COLUMNS", "400")  # one row a line: no wrapping inside a cell
    typed = iter(["can", "reserve capital 5001", "done"])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(typed))
    assert main(["play", str(FRONT), "--teams", "gov", "--turns", "1", "--save",
                 str(tmp_path / "g.json"), "--report", str(tmp_path / "r.html"),
                 "--shadow-runs", "10"]) == 0
    out = capsys.readouterr().out
    printed = out.split("gov order 1>", 1)[0].rsplit("Orders you can give now", 1)[1]
    lines = [" ".join(x.replace("│", " ").split()) for x in printed.splitlines()]
    game = Game(load(FRONT).scenario, 1, ["gov"], 7, 1)
    rows = possible(game, "gov", fog=True)
    assert any(r["order"] == "reserve REGION N" and "N up to 5,000" in r["limit"] for r in rows)
    for row in rows:
        assert any(f"{row['order']} {row['limit']}" in x for x in lines), row
    assert "not accepted: order 1 (reserve capital 5,001): not enough forces in reserve " \
           "(have 5,000, asked 5,001)" in " ".join(out.split())
