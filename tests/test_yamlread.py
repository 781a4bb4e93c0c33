"""Limits checked while YAML is composed, and numbers read one way (sim.scenario.yamlread)."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from sim.errors import ScenarioError
from sim.scenario.yamlpos import load_text_with_positions
from sim.scenario.yamlread import MAX_DEPTH, MAX_NODES, compose_nodes


def refusal(text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        load_text_with_positions(text, "f.yaml")
    return str(info.value)


@pytest.mark.parametrize("text", [
    "[" * 5000 + "]" * 5000,  # flow style
    "".join("  " * i + "-\n" for i in range(5000)),  # block style (an orders file 5,000 deep)
    "x: " + "{all: [" * 450 + "{day_at_least: 1}" + "]}" * 450,  # a condition 450 levels deep
])
def test_deep_nesting_is_refused_with_its_place_not_a_recursion_error(text):
    message = refusal(text)
    assert f"nested too deeply (more than {MAX_DEPTH} levels" in message
    assert message.startswith("f.yaml:") and message.count("\n") == 0


def test_nesting_within_the_limit_loads():
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load_text_with_positions(text, "f.yaml").data is not None


def test_aliases_nesting_deeper_than_the_text_are_refused():
    # Each anchor nests the previous one 40 levels deeper: 10 steps expand to 400 levels.
    lines = ["a0: &a0 " + "[" * 40 + "1" + "]" * 40]
    for i in range(1, 11):
        lines.append(f"a{i}: &a{i} " + "[" * 40 + f"*a{i - 1}" + "]" * 40)
    assert "nested too deeply" in refusal("\n".join(lines) + "\n")


def test_node_count_is_checked_while_composing_not_after():
    text = "x:\n" + "  - 1\n" * 400_000  # 2.4 MB, 400,000 values
    tracemalloc.start()
    start = time.perf_counter()
    message = refusal(text)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert f"too many values (more than {MAX_NODES}" in message
    # Stopped at the first value too many: node MAX_NODES + 1 after the mapping, its key and
    # the list is item MAX_NODES - 2, on line MAX_NODES - 1.
    assert message.startswith(f"f.yaml:{MAX_NODES - 1}:5: ")
    # The whole tree would be ~400 MB of nodes; stopping early keeps it to a tenth or less.
    assert peak < 150 * 2**20, peak
    assert seconds < 15, seconds


@pytest.mark.parametrize(("text", "value"), [
    ("1e308", 1e308), ("1.0e308", 1e308), ("1.0e+308", 1e308), ("-.5", -0.5), ("1e3", 1000.0),
    ("2.5", 2.5), ("-1E-3", -0.001), (".inf", float("inf")),
])
def test_numbers_are_read_one_way(text, value):
    # YAML 1.1 read `1.0e308` and `1e3` as text, `1.0e+308` as a number.
    nodes = compose_nodes(f"x: {text}\n", "f.yaml")
    from yaml.constructor import SafeConstructor

    assert SafeConstructor().construct_object(nodes[0].value[0][1]) == value


@pytest.mark.parametrize("text", ["1", "017", "0x1f", "09", "1_000", "1:30", "abc", "1e", "e3"])
def test_ints_and_text_keep_their_yaml_meaning(text):
    import yaml

    expected = yaml.safe_load(f"x: {text}\n")["x"]
    assert load_text_with_positions(f"x: {text}\n", "f.yaml").data["x"] == expected


def test_a_syntax_error_far_into_a_big_file_is_reported_quickly():
    text = "x:\n" + "  - 1\n" * 90_000 + "y: [\n"
    start = time.perf_counter()
    message = refusal(text)
    assert message.startswith("f.yaml:90003:1: malformed YAML")
    assert time.perf_counter() - start < 10
