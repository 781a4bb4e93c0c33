"""Scalars that YAML tags, texts and numbers make unusable are located problems, not crashes."""

from __future__ import annotations

import pytest

from sim.errors import ScenarioError
from sim.scenario.yamlpos import MAX_MAGNITUDE, load_text_with_positions


def located_problems(text: str) -> list[str]:
    return [str(p) for p in load_text_with_positions(text, "f.yaml").problems]


@pytest.mark.parametrize(("text", "expected"), [
    # Was KeyError: 'maybe'.
    ("x: !!bool maybe\n", "f.yaml:1:4: x: not a valid true/false value (got 'maybe'; allowed: "
     "true or false; quote it if it is text)"),
    # Was AttributeError: 'NoneType' object has no attribute 'groupdict'.
    ("x: !!timestamp nope\n", "f.yaml:1:4: x: not a valid date (got 'nope'; allowed: a date "
     "YYYY-MM-DD; quote it if it is text)"),
    ("x: !!int abc\n", "f.yaml:1:4: x: not a valid whole number: invalid literal for int() with "
     "base 10: 'abc' (got 'abc'; allowed: digits; quote it if it is text)"),
    ("x: !!float abc\n", "f.yaml:1:4: x: not a valid number: could not convert string to float: "
     "'abc' (got 'abc'; allowed: digits with an optional . and exponent; quote it if it is "
     "text)"),
    ("x: !!python/object:os.system ls\n", "f.yaml:1:4: x: not a valid value: could not "
     "determine a constructor for the tag 'tag:yaml.org,2002:python/object:os.system' (got "
     "'ls'; allowed: plain YAML values; quote it if it is text)"),
    # base64 of ESC [ 2 J: pydantic would have decoded the bytes into a title.
    ("x: !!binary G1sySg==\n", "f.yaml:1:4: x: binary data is not allowed here (got a !!binary "
     "value; allowed: text)"),
])
def test_bad_tags_are_located_problems(text, expected):
    assert located_problems(text) == [expected]


@pytest.mark.parametrize(("text", "shown"), [
    ('x: "Two \\ud800 towns"\n', "lone surrogate '\\ud800' at character 5"),
    ('x: "\\e[31mRed\\e[0m"\n', "control character '\\x1b' at character 1"),
    ('x: "a\\x9bb"\n', "control character '\\x9b' at character 2"),
    ('x: "abc\\u202e"\n', "control character '\\u202e' at character 4"),
    ('"\\e[2Jkey": 1\n', "control character '\\x1b' at character 1"),
])
def test_text_with_surrogates_or_escape_codes_is_refused(text, shown):
    (problem,) = located_problems(text)
    assert shown in problem
    assert "\x1b" not in problem and "\ud800" not in problem and "\u202e" not in problem
    problem.encode("utf-8")  # printable and encodable: the terminal gets nothing raw


def test_tabs_and_line_breaks_in_text_are_fine():
    assert located_problems('x: "a\\tb\\nc"\ny: |\n  two\n  lines\n') == []


@pytest.mark.parametrize("text", ["1e308", "1.0e308", "-1e16", "10000000000000001",
                                  "{value: 1, low: 0, high: 1e308}"])
def test_numbers_beyond_what_the_engine_computes_are_refused(text):
    (problem,) = located_problems(f"x: {text}\n")
    assert "number too large" in problem
    assert f"allowed between -{MAX_MAGNITUDE:g} and {MAX_MAGNITUDE:g}" in problem


def test_a_huge_integer_is_shown_briefly():
    (problem,) = located_problems(f"x: {'9' * 400}\n")
    assert "got 999999... (400 digits)" in problem


def test_an_integer_too_long_to_convert_is_a_problem_not_a_crash():
    (problem,) = located_problems(f"x: {'9' * 5000}\n")
    assert "not a valid whole number" in problem and len(problem) < 400


def test_numbers_up_to_the_limit_load():
    assert located_problems(f"x: {MAX_MAGNITUDE:.0f}\ny: -1e15\nz: 1e-300\n") == []


def test_a_key_that_is_a_mapping_is_a_problem():
    assert located_problems("? {a: 1}\n: 2\n") == ["f.yaml:1:3: a key must be a plain name "
                                                   "(got a mapping)"]


def test_an_alias_bomb_is_still_stopped():
    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for prev, name in zip("abcdef", "bcdefg", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    with pytest.raises(ScenarioError, match="too many values"):
        load_text_with_positions("\n".join(lines) + "\n", "f.yaml")
