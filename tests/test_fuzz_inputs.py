"""Issue 14's fuzz test: every kind of file a user hands geosim, mutated, never gives a
traceback: it is accepted, or refused with a SimError (the CLI's one message and exit 2).

One test per class of input: scenario files (deep nesting, long `extends:` chains, oversized
input, odd YAML tags), wargame orders files, wargame save files, results-folder manifests.
Hypothesis is derandomized (the same cases on every run) and the example counts are chosen so
the whole file takes well under a minute on a slow 2-core machine; the mutation property test
of the scenario loader (tests/test_property_mutation.py) covers valid-looking edits.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.errors import SimError
from sim.experiments import results

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny.yaml"
FRONT = ROOT / "tests" / "engine" / "front.yaml"

FUZZ = settings(derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

TAGS = ["!!python/object/apply:os.system ['echo pwned']", "!!bool maybe", "!!timestamp 2014-13-45",
        "!!int ²", "!!float 1e308", "!!binary '%%%'", "!!set {a, b}", "!!omap [a, b]",
        "!custom x", "!!str", "!!null 3", "!!map [1]", "&a [*a]", "*nowhere", "'\\x00'",
        "\"\\ud800\"", "\"\\x1b[31mred\"", "1e400", "-.inf", ".nan", "0x7fffffffffffffffff"]


def _accepted_or_clear(capsys, argv: list[str]) -> None:
    """The CLI property: exit 0, or exit 2 with a message and no traceback."""
    code = main(argv)
    err = capsys.readouterr().err
    assert code in (0, 2), (code, err[:500])
    assert "Traceback" not in err, err[:2000]
    if code == 2:
        assert err.strip(), "exit 2 without a message"


# ------------------------------------------------------------------------ scenario files


def _nested(depth: int, kind: str) -> str:
    if kind == "lists":
        return "[" * depth + "1" + "]" * depth
    if kind == "maps":
        return "{a: " * depth + "1" + "}" * depth
    return "{all: [" * depth + "{region: a, held_by: red}" + "]}" * depth  # a condition


@st.composite
def scenario_files(draw: st.DrawFn, folder: Path) -> Path:
    """The tiny scenario with one hostile change: deep nesting somewhere, an `extends:` chain,
    an oversized file, or an odd tag in place of one value."""
    text = TINY.read_text(encoding="utf-8")
    lines = text.splitlines()
    how = draw(st.sampled_from(["nesting", "extends", "oversized", "tag"]))
    if how == "nesting":
        depth = draw(st.sampled_from([10, 63, 65, 450, 5000]))
        kind = draw(st.sampled_from(["lists", "maps", "condition"]))
        text += f"\nextra: {_nested(depth, kind)}\n"
    elif how == "extends":
        length = draw(st.integers(1, 40))
        (folder / "f0.yaml").write_text(text, encoding="utf-8")
        for i in range(1, length + 1):
            (folder / f"f{i}.yaml").write_text(f"extends: f{i - 1}.yaml\n", encoding="utf-8")
        return folder / f"f{length}.yaml"
    elif how == "oversized":
        size = draw(st.sampled_from([1_900_000, 2_200_000]))
        filler = draw(st.sampled_from(["# x\n", "- 1\n", "a: b\n"]))
        text += "\nnotes: |\n" if filler == "# x\n" else "\nnotes:\n"
        text += (("  " if filler != "# x\n" else "") + filler) * (size // len(filler))
    else:
        i = draw(st.integers(0, len(lines) - 1))
        key, sep, _ = lines[i].partition(": ")
        lines[i] = f"{key}{sep or ': '}{draw(st.sampled_from(TAGS))}"
        text = "\n".join(lines) + "\n"
    path = folder / "s.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


@settings(FUZZ, max_examples=120)
@given(data=st.data())
def test_scenario_files_are_valid_or_one_clear_refusal(tmp_path_factory, capsys, data):
    folder = tmp_path_factory.mktemp("scenario")
    path = data.draw(scenario_files(folder))
    _accepted_or_clear(capsys, ["validate", str(path)])
    shutil.rmtree(folder)


# ---------------------------------------------------------------------------- orders files

ORDER_WORDS = ["attack", "move", "commit_reserve", "air_strike", "support", "stance",
               "advisers", "arms", "start", "stop", "ceasefire", "hold", "accept", "fly"]
SCALARS = st.one_of(st.sampled_from(["capital", "north", "mid", "gov", "rebels", "money",
                                     "war", "", "1e308", "-5", "2,000"]),
                    st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                    st.text(max_size=20), st.sampled_from(TAGS))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(
        ["from", "to", "region", "personnel", "amount", "kind", "actor", "stance", "x"]),
        inner, max_size=4)), max_leaves=12)


def _yaml_value(value: object) -> str:
    if isinstance(value, str) and value in TAGS:
        return value  # a tag as written, not quoted
    return json.dumps(value, allow_nan=True)  # JSON is YAML


@st.composite
def orders_texts(draw: st.DrawFn) -> str:
    shape = draw(st.sampled_from(["orders", "deep", "aliases", "raw"]))
    if shape == "deep":
        return _nested(draw(st.sampled_from([100, 999, 5000])), draw(st.sampled_from(
            ["lists", "maps"])))
    if shape == "aliases":
        width = draw(st.integers(2, 9))
        levels = "".join(f"&{c} [{', '.join([f'*{p}'] * width)}], "
                         for p, c in zip("abcdef", "bcdefg", strict=True))
        return f"- {{move: {{from: [&a [x, x], {levels}*g], to: mid, personnel: 1}}}}\n"
    if shape == "raw":
        return draw(st.text(max_size=200))
    items = draw(st.lists(st.tuples(st.sampled_from(ORDER_WORDS), VALUES), max_size=5))
    return "".join(f"- {{{word}: {_yaml_value(v)}}}\n" for word, v in items) or "[]\n"


@pytest.fixture(scope="module")
def game():
    from sim.scenario.loader import load
    from sim.wargame.game import Game

    return Game(load(FRONT).scenario, 1, ["gov", "rebels"], 7, 4)


@settings(FUZZ, max_examples=300)
@given(text=orders_texts())
def test_orders_files_are_orders_or_one_orders_error(tmp_path_factory, game, text):
    """The reader `geosim play --orders` uses: a list of orders, or an OrdersError (one line
    and exit 2 from the CLI, nothing of the turn applied)."""
    from sim.commands.play import _orders_from_file

    folder = tmp_path_factory.mktemp("orders")
    (folder / "turn-1").mkdir()
    (folder / "turn-1" / "gov.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        orders = _orders_from_file(game, "gov", folder)
    except SimError as exc:
        assert len(str(exc)) < 1000, str(exc)[:2000]
    else:
        assert isinstance(orders, list)
    shutil.rmtree(folder)


# ------------------------------------------------------------------------------ save files

JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(),
              st.text(max_size=30)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=10)


def _mutate(draw: st.DrawFn, data: dict) -> dict:
    """Replace or delete one value anywhere in a JSON document (a hand edit)."""
    node: object = data
    path: list = []
    while isinstance(node, dict | list) and node and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(node) if isinstance(node, dict) else
                                   range(len(node))))
        path.append(key)
        node = node[key]
    if not path:
        path = [draw(st.sampled_from(sorted(data)))]
    parent: object = data
    for key in path[:-1]:
        parent = parent[key]  # type: ignore[index]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(JSON_VALUES)  # type: ignore[index]
    return data


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    from sim.scenario.loader import load
    from sim.wargame import save
    from sim.wargame.game import Game
    from sim.wargame.orders import parse_line

    loaded = load(FRONT)
    g = Game(loaded.scenario, 1, ["gov", "rebels"], 7, 4)
    g.play_turn({"gov": [parse_line("reserve capital 500")], "rebels": []})
    path = save.save(tmp_path_factory.mktemp("save") / "g.json", g, loaded, fog=True)
    return path


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_save_files_resume_or_give_one_save_error(tmp_path_factory, saved, data):
    from sim.wargame import save

    folder = tmp_path_factory.mktemp("edited")
    path = folder / "g.json"
    shutil.copy(saved, path)
    shutil.copy(save.key_path(saved), save.key_path(path))
    edited = _mutate(data.draw, json.loads(saved.read_text()))
    path.write_text(json.dumps(edited))
    try:
        save.resume(path)
    except SimError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 1000, str(exc)[:2000]
    shutil.rmtree(folder)


# ----------------------------------------------------------------- results-folder manifests


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A results folder of two batches, written by the results writer itself."""
    path = tmp_path_factory.mktemp("results") / "r"
    w = results.ResultsWriter.create(path, {
        "runs_planned": 6, "seed": 1, "days": 5, "scenario_id": "fuzz",
        "actors": {"red": {"name": "Red", "color": "#ff0000"}},
        "regions": {"a": {"name": "A", "lat": 1.0, "lon": 2.0}},
        "outcomes": {"x": {"label": "X", "kind": "strength", "binary": False}}})
    for index, start in ((0, 0), (1, 3)):
        reps = np.arange(start, start + 3, dtype=np.int64)
        runs = pd.DataFrame({"rep": reps, "status": "ok", "error": "", "out:x": reps * 1.5})
        strength = pd.DataFrame({"rep": reps, "day": np.int32(5), "red": np.float32(1.0)})
        w.write_batch(index, runs, {"strength": strength}, seconds=0.1)
    w.finish("complete", 1.0)
    w.close()
    return path


@settings(FUZZ, max_examples=200)
@given(data=st.data())
def test_manifests_are_read_or_give_one_results_error(tmp_path_factory, capsys, folder, data):
    copy = tmp_path_factory.mktemp("manifest") / "r"
    shutil.copytree(folder, copy)
    edited = _mutate(data.draw, json.loads((folder / "manifest.json").read_text()))
    (copy / "manifest.json").write_text(json.dumps(edited))
    _accepted_or_clear(capsys, ["summary", str(copy)])
    try:
        results.load_results(copy)
    except SimError as exc:
        assert "\n" not in str(exc), str(exc)
    shutil.rmtree(copy.parent)
