"""The loader: every class of bad input gives its exact located message, all in one pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.scenario.loader import apply_variant, dump_scenario, load, load_scenario, validate
from sim.scenario.schema import Fact
from sim.scenario.yamlpos import load_text_with_positions, load_with_positions

TINY = (Path(__file__).parent / "data" / "tiny.yaml").read_text(encoding="utf-8")


def mutate(*edits: tuple[str, str]) -> str:
    """tiny.yaml with each (old, new) replaced once; fails loudly when `old` is not there."""
    text = TINY
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def problems(path: Path, variant: str | None = None, strict: bool = False) -> list[str]:
    """The lines of the ScenarioError raised by loading `path`, with the file name as {f}."""
    with pytest.raises(ScenarioError) as info:
        load(path, variant, strict=strict)
    return [line.replace(str(path), "{f}") for line in str(info.value).splitlines()]


# (case id, edits to tiny.yaml, exact expected lines)
BAD_INPUTS = [
    ("malformed YAML", [("  id: tiny", "  id: [tiny")],
     ["{f}:5:8: malformed YAML: expected ',' or ']', but got ':'"]),
    ("wrong type", [("horizon_days: 30", "horizon_days: thirty")],
     ["{f}:8:3: scenario.horizon_days: expected a whole number (got 'thirty')"]),
    ("missing field", [("    terrain: open\n", "")],
     ["{f}:69:3: regions.beta.terrain: missing required field (Dominant terrain of the "
      "fighting.)"]),
    ("unknown field with suggestion", [("    terrain: marsh", "    terain: marsh")],
     ["{f}:77:3: regions.gamma.terrain: missing required field (Dominant terrain of the "
      "fighting.)",
      "{f}:81:5: regions.gamma.terain: unknown field 'terain' (did you mean 'terrain'? allowed: "
      "name, lat, lon, country, population, terrain, posture, value, controller, garrisons, "
      "assets, depth_km)"]),
    ("duplicate key", [("    terrain: marsh", "    terrain: marsh\n    terrain: open")],
     ["{f}:82:5: regions.gamma.terrain: duplicate key 'terrain' (first at line 81; "
      "allowed: each key once)"]),
    ("unknown source", [("stance: war\n    source: wire", "stance: war\n    source: wirr")],
     ["{f}:91:5: relations.red-blue.source: unknown source 'wirr' (did you mean 'wire'? "
      "allowed: atlas, wire)"]),
    ("value outside its own range", [("value: 1500, low: 1000", "value: 2500, low: 1000")],
     ["{f}:67:7: regions.alpha.garrisons.red: value 2500 is outside its own range "
      "(allowed 1000 <= value <= 2000)"]),
    ("negative strength", [("blue: 800", "blue: -800")],
     ["{f}:76:7: regions.beta.garrisons.blue: a count value must be >= 0 (got -800)"]),
    ("unknown actor", [("controller: blue", "controller: bleu")],
     ["{f}:74:5: regions.beta.controller: unknown actor 'bleu' (did you mean 'blue'? "
      "allowed: blue, green, red)"]),
    ("unknown region", [("region: gamma, personnel", "region: gama, personnel")],
     ["{f}:120:34: events.rally.effects.1.reinforce.region: unknown region 'gama' "
      "(did you mean 'gamma'? allowed: alpha, beta, gamma)"]),
    ("link to a missing region", [("between: [beta, gamma]", "between: [beta, delta]")],
     ["{f}:85:22: links.1.between.1: unknown region 'delta' (did you mean 'beta'? "
      "allowed: alpha, beta, gamma)"]),
    ("bad variant path", [("actors.red.forces.reserve: 4000", "actors.red.force.reserve: 4000"),
                          ("actors.red.goals.0.weight", "actors.red.goals.5.weight")],
     ["{f}:141:7: variants.big-reserve.set.actors.red.force.reserve: no such path "
      "'actors.red.force'; did you mean 'forces'?",
      "{f}:142:7: variants.big-reserve.set.actors.red.goals.5.weight: no such path "
      "'actors.red.goals.5' (list index out of range 0..1)"]),
    ("enum value", [("terrain: marsh", "terrain: swamp")],
     ["{f}:81:5: regions.gamma.terrain: not an allowed value (got 'swamp'; allowed 'urban', "
      "'open', 'desert', 'rough', 'mountain', 'marsh' or 'forest')"]),
    ("invalid id", [("controller: blue", "controller: Blue Army")],
     ["{f}:74:5: regions.beta.controller: not a valid id (got 'Blue Army'; allowed: lower-case "
      "letters, digits, '-' and '_', starting with a letter or digit)"]),
    ("fact of the wrong type", [("readiness: 0.7", "readiness: high")],
     ["{f}:31:7: actors.red.forces.readiness: expected a number or a fact "
      "{value, low, high, source, ...} (got 'high')"]),
    ("share above one", [("readiness: 0.7", "readiness: 1.7")],
     ["{f}:31:7: actors.red.forces.readiness: a share value must be <= 1 (got 1.7)"]),
    ("not a number", [("readiness: 0.7", "readiness: .nan")],
     ["{f}:31:7: actors.red.forces.readiness.value: expected a finite number (got nan)"]),
    ("impossible date", [("as_of: 2020-01-01", "as_of: 2020-13-01")],
     ["{f}:7:10: scenario.as_of: not a valid date: month must be in 1..12 (got '2020-13-01'; "
      "allowed: a date YYYY-MM-DD; "
      "quote it if it is text)"]),
    ("goal index", [("goal: 0", "goal: 7")],
     ["{f}:134:5: outcomes.red-goal.goal: red has 2 goals (got index 7; allowed 0..1)"]),
    ("two conditions in one", [("of: red}", "of: red}\n          day_at_least: 3")],
     ["{f}:102:9: relations.red-green.support.green-air.condition: give exactly one condition "
      "(got 2; allowed enemy_within, controls, lost, strength_below, day_at_least, all, any, "
      "not)"]),
    ("a link needs two regions", [("between: [alpha, beta]", "between: [alpha, beta, gamma]")],
     ["{f}:84:6: links.0.between: expected two ids (got 3)"]),
    ("variant value invalid",
     [("actors.red.forces.reserve: 4000", "actors.red.forces.reserve: -4")],
     ["{f}:141:7: actors.red.forces.reserve: a count value must be >= 0 (got -4) "
      "(in variant 'big-reserve')"]),
    # Issue 14: each of these ended in a traceback.
    ("variant index with a superscript digit (was ValueError in int())",
     [("actors.red.goals.0.weight", "actors.red.goals.\u00b2.weight")],
     ["{f}:142:7: variants.big-reserve.set.actors.red.goals.\u00b2.weight: no such path "
      "'actors.red.goals.\u00b2' (list index out of range 0..1)"]),
    ("variant index longer than any list",
     [("actors.red.goals.0.weight", "actors.red.goals." + "9" * 30 + ".weight")],
     ["{f}:142:7: variants.big-reserve.set.actors.red.goals." + "9" * 30 + ".weight: no such "
      "path 'actors.red.goals." + "9" * 30 + "' (list index out of range 0..1)"]),
    ("!!bool maybe (was KeyError)", [("playable: false", "playable: !!bool maybe")],
     ["{f}:53:15: actors.green.playable: not a valid true/false value (got 'maybe'; allowed: "
      "true or false; quote it if it is text)"]),
    ("bad !!timestamp (was AttributeError)", [("as_of: 2020-01-01", "as_of: !!timestamp x")],
     ["{f}:7:10: scenario.as_of: not a valid date (got 'x'; allowed: a date YYYY-MM-DD; quote "
      "it if it is text)"]),
    ("1.0e308 read as a number, then refused as too large (was 'expected a number')",
     [("reserve: 500", "reserve: 1.0e308")],
     ["{f}:46:16: actors.blue.forces.reserve: number too large (got 1e+308; allowed between "
      "-1e+15 and 1e+15, which the engine computes without overflow)"]),
    ("1e308 in a fact mapping, the same (was accepted, then NaN results)",
     [("reserve: 500", "reserve: {value: 500, low: 0, high: 1e308}")],
     ["{f}:46:43: actors.blue.forces.reserve.high: number too large (got 1e+308; allowed "
      "between -1e+15 and 1e+15, which the engine computes without overflow)"]),
    ("a goal weight of 1e308 (was NaN personnel in 47 of 50 runs)",
     [("{kind: take, region: alpha}", "{kind: take, region: alpha, weight: 1e308}")],
     ["{f}:49:45: actors.blue.goals.0.weight: number too large (got 1e+308; allowed between "
      "-1e+15 and 1e+15, which the engine computes without overflow)"]),
    ("as_of + horizon past 9999-12-31 (was OverflowError)",
     [("as_of: 2020-01-01", "as_of: 9999-12-15")],
     ["{f}:8:3: scenario.horizon_days: as_of 9999-12-15 plus 30 days ends after 9999-12-31, "
      "the last date the calendar holds (allowed at most 16 days from this as_of)"]),
    ("a lone surrogate in the title (was UnicodeEncodeError in run and show)",
     [("title: Two towns and a ford", 'title: "Two \\ud800 towns"')],
     ["{f}:5:10: scenario.title: text holds a lone surrogate '\\ud800' at character 5 (not "
      "valid Unicode; allowed: any character of Unicode text)"]),
    ("ANSI escape codes in a name (reached the terminal)",
     [("name: Red\n", 'name: "\\e[31mRed"\n')],
     ["{f}:25:11: actors.red.name: text holds the control character '\\x1b' at character 1 "
      "(terminal escape codes are not allowed; allowed: printable text, tabs and line "
      "breaks)"]),
]

@pytest.mark.parametrize(("edits", "expected"), [c[1:] for c in BAD_INPUTS],
                         ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_gives_exact_located_message(write_yaml, edits, expected):
    assert problems(write_yaml(mutate(*edits))) == expected


def test_reference_file_is_valid(tiny_path):
    sc = load_scenario(tiny_path)
    assert list(sc.actors) == ["red", "blue", "green"]
    assert sc.regions["alpha"].garrisons["red"].high == 2000
    assert sc.relations["red-green"].support["green-air"].from_ == "green"


def test_every_problem_is_reported_in_one_pass(write_yaml):
    """Schema, reference, duplicate-key and variant problems together, sorted by line."""
    path = write_yaml(mutate(
        ("horizon_days: 30", "horizon_days: -3"),
        ("controller: blue", "controller: bleu"),
        ("    terrain: marsh", "    terrain: marsh\n    terrain: open"),
        ("actors.red.forces.reserve", "actors.red.forces.reservoir"),
        ("blue: 800", "blue: -800"),
    ))
    assert problems(path) == [
        "{f}:8:3: scenario.horizon_days: must be > 0 (got -3)",
        "{f}:74:5: regions.beta.controller: unknown actor 'bleu' (did you mean 'blue'? "
        "allowed: blue, green, red)",
        "{f}:76:7: regions.beta.garrisons.blue: a count value must be >= 0 (got -800)",
        "{f}:82:5: regions.gamma.terrain: duplicate key 'terrain' (first at line 81; "
        "allowed: each key once)",
        "{f}:142:7: actors.red.forces.reservoir: unknown field 'reservoir' (did you mean "
        "'reserve'? allowed: reserve, readiness, quality, morale, air_strikes, intelligence, "
        "entry_regions, personnel_basis, cohesion, speed_km_day, supply_days) "
        "(in variant 'big-reserve')",
    ]


def test_unknown_variant_suggests_the_nearest(tiny_path):
    assert problems(tiny_path, "big-reserv") == [
        "{f}:136:1: variants: unknown variant 'big-reserv' (did you mean 'big-reserve'? "
        "allowed: big-reserve)"
    ]


def test_variant_sets_dotted_paths_and_list_indices(tiny_path):
    base = load_scenario(tiny_path)
    sc = load_scenario(tiny_path, "big-reserve")
    assert sc.actors["red"].goals[0].weight == 3
    assert base.actors["red"].goals[0].weight == 2
    # A plain number over a sourced fact becomes an assumption that names the variant.
    assert base.actors["red"].forces.reserve.source == "wire"
    assert sc.actors["red"].forces.reserve == Fact(
        value=4000, assumption=True, note="set by variant 'big-reserve'"
    )


def test_variant_set_must_be_a_mapping(tiny_path):
    located = load_with_positions(tiny_path)
    located.data["variants"]["big-reserve"]["set"] = [1, 2]
    with pytest.raises(ScenarioError, match=r"variants\.big-reserve\.set: expected a mapping "
                       r"of dotted paths to new values \(got a list\)"):
        apply_variant(located, "big-reserve")


def test_extends_deep_merges_mappings_and_replaces_lists(tiny_path):
    sc = load_scenario(tiny_path.parent / "tiny-truce.yaml")
    base = load_scenario(tiny_path)
    assert sc.scenario.id == "tiny-truce"
    assert sc.scenario.as_of == base.scenario.as_of  # kept from the base
    assert sc.actors["red"].forces.reserve.value == 1000
    assert sc.actors["red"].forces.quality == base.actors["red"].forces.quality
    assert [g.kind for g in sc.actors["red"].goals] == ["protect"]
    assert sc.relations["red-blue"].stance == "neutrality"
    assert sc.relations["red-blue"].source == "wire"


def test_extends_problem_is_reported_in_the_file_that_has_it(write_yaml):
    base = write_yaml(TINY, "base.yaml")
    child = write_yaml("extends: base.yaml\nregions:\n  beta:\n    controller: bleu\n",
                       "child.yaml")
    with pytest.raises(ScenarioError) as info:
        load(child)
    assert str(info.value) == (
        f"{child}:4:5: regions.beta.controller: unknown actor 'bleu' (did you mean 'blue'? "
        "allowed: blue, green, red)"
    )
    assert base.exists()


def test_problem_inside_a_replaced_base_value_is_placed_in_the_variant_file(write_yaml):
    write_yaml(TINY, "base.yaml")
    child = write_yaml("extends: base.yaml\nactors:\n  red:\n    forces:\n      reserve: .inf\n",
                       "child.yaml")
    with pytest.raises(ScenarioError) as info:
        load(child)
    # Without care this pointed at the base file's `value: 2000`, which no longer counts.
    assert str(info.value) == (
        f"{child}:5:7: actors.red.forces.reserve.value: expected a finite number (got inf)"
    )


def test_circular_extends(write_yaml):
    a = write_yaml("extends: b.yaml\n", "a.yaml")
    write_yaml("extends: a.yaml\n", "b.yaml")
    assert problems(a) == [f"{a.parent / 'b.yaml'}:1:1: extends: circular extends (got a.yaml)"
                           .replace(str(a), "{f}")]


def test_extends_of_a_missing_file(write_yaml):
    path = write_yaml("extends: nowhere.yaml\n")
    assert problems(path) == ["{f}:1:1: extends: no such file (got nowhere.yaml)"]


@pytest.mark.parametrize(("text", "expected"), [
    ("", "{f}:1:1: the file is empty (expected a scenario: a mapping of sections)"),
    ("- a\n- b\n", "{f}:1:1: a scenario is a mapping of sections (got a list)"),
    ("a: 1\n---\nb: 2\n", "{f}:1:1: expected one YAML document (got 2)"),
    ("a: &x [1, *x]\n", "{f}:1:4: a.1: an alias refers to itself (a YAML anchor inside its "
                        "own value)"),
])
def test_files_that_are_not_scenarios(write_yaml, text, expected):
    assert problems(write_yaml(text)) == [expected]


def test_alias_bomb_is_stopped_quickly(write_yaml):
    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for prev, name in zip("abcdef", "bcdefg", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    (line,) = problems(write_yaml("\n".join(lines) + "\n"))
    assert "too many values (more than 100000" in line


def test_missing_file():
    assert problems(Path("no/such/file.yaml")) == ["{f}: no such file"]


def test_strict_reports_facts_without_provenance_only_where_written(write_yaml):
    path = write_yaml(mutate(("readiness: 0.7", "readiness: {value: 0.7, assumption: true}")))
    lines = problems(path, strict=True)
    assert "{f}:46:7: actors.blue.forces.reserve: fact has neither source nor assumption: " \
           "true (got 500; strict mode needs one)" in lines
    assert not any("readiness" in line for line in lines)
    # Facts the file does not give (schema defaults) are not the file's claims.
    assert not any("intelligence" in line or "rationality" in line for line in lines)
    assert len(lines) == 10
    load(path)  # the same file passes without --strict


def test_strict_passes_when_every_written_fact_has_provenance(write_yaml):
    written = [
        ("readiness", "0.7"), ("morale", "0.6"), ("air_strikes", "10"), ("funds", "500"),
        ("income_per_day", "2"), ("reserve", "500"), ("value", "3"), ("blue", "800"),
        ("delta", "-5"), ("delta", "0.1"), ("personnel", "200"),
    ]
    marked = [(f"{k}: {v}", f"{k}: {{value: {v}, assumption: true}}") for k, v in written]
    loaded = load(write_yaml(mutate(*marked)), strict=True)
    assert loaded.scenario.actors["blue"].forces.reserve.assumption


def test_round_trip_gives_an_equal_scenario(tiny_path):
    for variant in (None, "big-reserve"):
        sc = load_scenario(tiny_path, variant)
        text = dump_scenario(sc)
        assert validate(load_text_with_positions(text, "dumped.yaml")) == sc
    assert "readiness: 0.7\n" in dump_scenario(load_scenario(tiny_path))  # plain facts stay plain


def test_sha256_covers_the_extends_chain(tiny_path, write_yaml):
    child = tiny_path.parent / "tiny-truce.yaml"
    assert load(child).sha256 != load(tiny_path).sha256
    copy = write_yaml(TINY)
    assert load(copy).sha256 == load(tiny_path).sha256
