"""The scenario schema on its own: facts, validators, cross-references and the JSON Schema."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from sim.scenario.loader import load_scenario
from sim.scenario.refs import (
    check_references,
    facts,
    model_at,
    reference_problems,
)
from sim.scenario.schema import (
    Condition,
    Dist,
    Effect,
    Event,
    Fact,
    Forces,
    Goal,
    Link,
    Outcome,
    Region,
    Scenario,
    Support,
    json_schema,
)

ROOT = Path(__file__).resolve().parents[1]


def error_text(model, data) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return str(info.value)


# --------------------------------------------------------------------------------------------
# Facts
# --------------------------------------------------------------------------------------------


def test_plain_number_is_a_fact_with_only_a_value():
    assert Fact.model_validate(2000) == Fact(value=2000)
    assert not Fact.model_validate(2000).uncertain


def test_bool_is_not_a_number():
    assert "valid dictionary or instance of Fact" in error_text(Fact, True)


def test_ranged_fact_is_uncertain_and_keeps_provenance():
    f = Fact.model_validate({"value": 5, "low": 2, "high": 8, "dist": "pert", "source": "x",
                             "reported": "2020-01-02"})
    assert f.uncertain and f.dist is Dist.pert and f.reported == dt.date(2020, 1, 2)
    assert not Fact(value=5, low=5, high=5).uncertain  # a zero-width range is certain


@pytest.mark.parametrize(("data", "message"), [
    ({"value": 1, "low": 0}, "give both low and high, or neither"),
    ({"value": 1, "low": 3, "high": 2}, "low (3) is above high (2)"),
    ({"value": 9, "low": 1, "high": 2},
     "value 9 is outside its own range (allowed 1 <= value <= 2)"),
    ({"value": 1, "dist": "normal"}, "dist 'normal' needs a range: give low and high"),
    ({"value": 1, "low": 0, "high": 2, "dist": "lognormal"}, "lognormal needs low > 0 (got low 0)"),
    ({"value": float("inf")}, "Input should be a finite number"),
    ({"value": 1, "dist": "beta"}, "Input should be 'uniform', 'triangular', 'pert', 'normal' "
                                   "or 'lognormal'"),
])
def test_inconsistent_facts_are_rejected(data, message):
    assert message in error_text(Fact, data)


def test_bounded_facts_check_value_and_range():
    assert "a share high must be <= 1 (got 1.2)" in error_text(
        Forces, {"morale": {"value": 0.5, "low": 0.1, "high": 1.2}})
    assert "a count low must be >= 0 (got -1)" in error_text(
        Forces, {"reserve": {"value": 5, "low": -1, "high": 9}})
    assert Forces.model_validate({"quality": 2.5}).quality.value == 2.5  # factors may exceed 1


# --------------------------------------------------------------------------------------------
# Objects with rules of their own
# --------------------------------------------------------------------------------------------


def test_goal_target_must_match_its_kind():
    assert "a 'take' goal needs a region" in error_text(Goal, {"kind": "take", "actor": "a"})
    assert "a 'defeat' goal needs an actor" in error_text(Goal, {"kind": "defeat"})
    assert Goal.model_validate({"kind": "protect", "region": "r"}).weight == 1.0


def test_condition_and_effect_take_exactly_one_key():
    assert "give exactly one condition (got 0;" in error_text(Condition, {})
    either = [{"day_at_least": 3}, {"controls": {"actor": "a", "region": "r"}}]
    nested = Condition.model_validate({"not": {"any": either}})
    assert nested.not_ is not None and nested.not_.any is not None
    assert len(nested.not_.any) == 2
    assert "give exactly one effect (got 2;" in error_text(Effect, {
        "morale": {"actor": "a", "delta": -0.1}, "funds": {"actor": "a", "delta": 5}})


def test_event_needs_timing_and_effects():
    effect = {"handover": {"region": "r", "actor": "a"}}
    assert "an event needs on_day, when, or both" in error_text(Event, {"effects": [effect]})
    assert "List should have at least 1 item" in error_text(Event, {"on_day": 1, "effects": []})


def test_outcome_fields_depend_on_kind():
    assert "a control outcome needs region and by" in error_text(
        Outcome, {"kind": "control", "region": "r"})
    assert "a strength outcome needs actor" in error_text(Outcome, {"kind": "strength"})
    assert "a goal outcome needs goal" in error_text(Outcome, {"kind": "goal", "actor": "a"})
    assert Outcome(kind="control", region="r", by=["a"]).is_binary
    assert not Outcome(kind="casualties", actor="a").is_binary


def test_support_ends_after_it_starts():
    support = {"from": "a", "to": "b", "kind": "money", "amount": 1, "start_day": 5}
    assert "end_day (3) is before start_day (5)" in error_text(
        Support, {**support, "end_day": 3})
    assert Support.model_validate({**support, "end_day": 5}).end_day == 5


def test_link_joins_two_different_regions():
    assert "a link joins two different regions (got r twice)" in error_text(
        Link, {"between": ["r", "r"], "km": 3})


def test_region_coordinates_are_bounded():
    assert "Input should be less than or equal to 90" in error_text(
        Region, {"name": "x", "lat": 91, "lon": 0, "terrain": "open"})


def test_objects_are_frozen(tiny_path):
    sc = load_scenario(tiny_path)
    with pytest.raises(ValidationError):
        sc.scenario.horizon_days = 5  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# Cross-references and fact ids
# --------------------------------------------------------------------------------------------


def test_fact_ids_are_dotted_paths(tiny_path):
    ids = dict(facts(load_scenario(tiny_path)))
    assert ids["actors.red.forces.reserve"].value == 2000
    assert ids["regions.alpha.garrisons.red"].source == "wire"
    assert ids["relations.red-green.support.green-air.amount"].high == 8
    assert ids["events.rally.effects.1.reinforce.personnel"].value == 200
    assert len(ids) == 53


def test_valid_scenario_has_no_reference_problems(tiny_path):
    assert check_references(load_scenario(tiny_path)) == []


def test_raw_reference_check_tolerates_garbage():
    """It runs on data pydantic rejected, so it must skip what it cannot read."""
    data = {
        "actors": {"a": {}},
        "regions": ["not", "a", "mapping"],
        "links": [{"between": ["x", 5]}, "junk", None],
        "relations": {"r": {"between": ["a", "b"], "support": "junk", "source": 3}},
        "events": {"e": {"effects": [{"reinforce": {"actor": "z", "region": "q"}}]}},
    }
    assert reference_problems(data) == [
        (("relations", "r", "between", 1), "unknown actor 'b' (allowed: a)"),
        (("events", "e", "effects", 0, "reinforce", "actor"), "unknown actor 'z' (allowed: a)"),
    ]
    assert reference_problems("not a scenario") == []


def test_sources_are_unknown_when_there_is_no_bibliography():
    data = {"regions": {"r": {"population": {"value": 1, "source": "census"}}}}
    assert reference_problems(data) == [
        (("regions", "r", "population", "source"), "unknown source 'census' (allowed: )")
    ]


def test_model_at_follows_aliases_dicts_and_lists():
    assert model_at(("relations", "x", "support", "y", "amount")) is Fact
    assert model_at(("events", "e", "when", "not", "all", 0)) is Condition
    assert model_at(("actors", "a", "forces")) is Forces
    assert model_at(("actors", "a", "no_such_field")) is None


# --------------------------------------------------------------------------------------------
# The JSON Schema for editors
# --------------------------------------------------------------------------------------------


def _as_json(path) -> object:
    """What an editor's YAML extension sees: the file's data with dates as text."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


def test_json_schema_accepts_scenario_and_variant_files(tiny_path):
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in (tiny_path, tiny_path.parent / "tiny-truce.yaml"):
        assert [e.message for e in validator.iter_errors(_as_json(path))] == []


def test_json_schema_rejects_what_the_loader_rejects():
    validator = jsonschema.Draft202012Validator(json_schema())

    def messages(data):
        return sorted(e.message for e in validator.iter_errors(data))

    assert "'actors' is a required property" in messages({"scenario": {}, "regions": {}})
    # A variant file may give any part, but still no unknown field.
    assert messages({"extends": "base.yaml", "actors": {"a": {"forces": {"reserve": 5}}}}) == []
    assert messages({"extends": "base.yaml", "actors": {"a": {"forcez": {}}}}) == [
        "Additional properties are not allowed ('forcez' was unexpected)"
    ]
    assert messages({"extends": 3}) == ["3 is not of type 'string'"]


def test_json_schema_is_the_models_schema_plus_extends():
    schema = json_schema()
    assert schema["$defs"]["Scenario"]["properties"].keys() == Scenario.model_fields.keys()
    assert "extends" in schema["$defs"]["PartialScenario"]["properties"]
    assert {"type": "number"} in schema["$defs"]["Fact"]["anyOf"]
