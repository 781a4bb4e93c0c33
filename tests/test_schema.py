"""The scenario schema on its own: facts, validators, cross-references and the JSON Schema."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.scenario.loader import load_scenario
from sim.scenario.refs import (
    campaign_reference_problems,
    check_references,
    facts,
    model_at,
    reference_problems,
)
from sim.scenario.schema import (
    CasualtyCategory,
    Cohesion,
    Condition,
    Dist,
    Effect,
    Event,
    Fact,
    Forces,
    Goal,
    GoalKind,
    Link,
    Outcome,
    OutcomeKind,
    PersonnelBasis,
    Region,
    Road,
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


# --------------------------------------------------------------------------------------------
# Campaign fields (CAMPAIGN_SPEC.md): valid file, bad input, cross-references
# --------------------------------------------------------------------------------------------

CAMPAIGN = Path(__file__).parent / "data" / "campaign.yaml"


def campaign_problems(tmp_path, *edits: tuple[str, str]) -> list[str]:
    """The located problems of campaign.yaml with each (old, new) replaced once ({f}: file)."""
    text = CAMPAIGN.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    shutil.copytree(CAMPAIGN.parent / "profiles", tmp_path / "profiles", dirs_exist_ok=True)
    path = tmp_path / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [line.replace(str(path), "{f}") for line in str(info.value).splitlines()]


def test_campaign_fields_are_read_into_typed_objects():
    sc = load_scenario(CAMPAIGN)
    red = sc.actors["red"]
    assert red.forces.personnel_basis is PersonnelBasis.paper
    assert red.forces.cohesion.effective_share is not None
    assert red.forces.cohesion.effective_share.high == 0.6
    assert red.forces.speed_km_day is not None and red.forces.speed_km_day.value == 30
    assert red.bases == ["depot"] and red.restricted_regions is not None
    assert red.restricted_regions.regions == ["citadel"]
    assert red.goals[1].kind is GoalKind.cut and red.goals[1].link == ("depot", "town")
    assert sc.links[0].road is Road.main and sc.links[1].road is Road.minor
    assert sc.regions["town"].depth_km is not None and sc.regions["town"].depth_km.value == 12
    effects = sc.events["pull-back"].effects
    assert effects[0].aggression is not None and effects[0].aggression.value.value == 0.1
    assert effects[1].withdraw is not None and effects[1].withdraw.regions == ["town"]
    assert effects[2].restrict is not None and effects[2].restrict.allow is False
    assert sc.events["allowed-back"].assumption
    observed = sc.outcomes["observed"]
    assert observed.observed is not None and observed.observed.value == 1
    assert observed.observed_day is not None and observed.observed_day.low == 28
    assert sc.outcomes["observed_day"].kind is OutcomeKind.fall_day
    assert sc.outcomes["all-held"].is_binary and sc.outcomes["fired"].is_binary
    assert not sc.outcomes["observed_day"].is_binary
    assert sc.outcomes["dead"].category is CasualtyCategory.killed


def test_new_fields_default_to_not_given(tiny_path):
    """A file without campaign fields means what it meant before: nothing is invented."""
    red = load_scenario(tiny_path).actors["red"]
    assert red.profile is None and red.bases == [] and red.restricted_regions is None
    assert red.forces.personnel_basis is PersonnelBasis.effective
    assert red.forces.cohesion == Cohesion() and red.forces.cohesion.pay is None
    assert red.forces.speed_km_day is None and red.forces.supply_days is None


@pytest.mark.parametrize(("edits", "expected"), [
    ([("personnel_basis: paper", "personnel_basis: papers")],
     "{f}:19:7: actors.red.forces.personnel_basis: not an allowed value (got 'papers'; allowed "
     "'paper' or 'effective')"),
    ([("pay: {value: 0.3, source: wire}", "pay: {value: 1.3, source: wire}")],
     "{f}:23:9: actors.red.forces.cohesion.pay: a share value must be <= 1 (got 1.3)"),
    ([("        pay: {", "        pai: {")],
     "{f}:23:9: actors.red.forces.cohesion.pai: unknown field 'pai' (did you mean 'pay'? "
     "allowed: effective_share, pay, desertion_per_day, training, leadership, commitment)"),
    ([("km: 120, road: main", "km: 120, road: motorway")],
     "{f}:58:39: links.0.road: not an allowed value (got 'motorway'; allowed 'main', 'minor' "
     "or 'none')"),
    ([("- {kind: cut, link: [depot, town], weight: 2}", "- {kind: cut, weight: 2}")],
     "{f}:32:9: actors.red.goals.1: a 'cut' goal needs a link (the two regions it joins)"),
    ([("- {kind: take, region: town}", "- {kind: take, region: town, link: [depot, town]}")],
     "{f}:31:9: actors.red.goals.0: link is only for 'cut' goals (got a 'take' goal)"),
    ([("      source: wire\n      note: Ordered", "      note: Ordered")],
     "{f}:26:5: actors.red.restricted_regions: a restriction needs source or assumption: true "
     "(with a note)"),
    ([("bases: [depot]", "bases: [depot, depot]")],
     "{f}:25:5: actors.red.bases: each base once (got depot more than once)"),
    ([("aggression: {actor: red, value: 0.1}", "aggression: {actor: red, value: 2}")],
     "{f}:74:34: events.pull-back.effects.0.aggression.value: a share value must be <= 1 "
     "(got 2)"),
    ([("withdraw: {actor: red, regions: [town]}", "withdraw: {actor: red, regions: []}")],
     "{f}:75:32: events.pull-back.effects.1.withdraw.regions: expected at least 1 item (got 0)"),
    ([("observed: {value: 1, source: wire}", "observed: {value: 2, source: wire}")],
     "{f}:85:3: outcomes.observed: a binary outcome's observed value is 1 (it happened) or 0 "
     "(got 2)"),
    ([("    by: [red]\n    observed: {value: 30", "    observed: {value: 30")],
     "{f}:92:3: outcomes.observed_day: a fall_day outcome needs region and by"),
    ([("{kind: control_all, regions: [town, citadel], by: [blue], ever: true}",
       "{kind: control_all, by: [blue]}")],
     "{f}:97:3: outcomes.all-held: a control_all outcome needs regions and by"),
    ([("{kind: event_fired, event: pull-back}", "{kind: event_fired}")],
     "{f}:98:3: outcomes.fired: an event_fired outcome needs event"),
    ([("category: killed}", "category: killed}\n  alive: {kind: strength, actor: blue, "
                            "category: killed}")],
     "{f}:100:3: outcomes.alive: category is only for casualties outcomes (got a strength "
     "outcome)"),
    ([("category: killed}", "category: maimed}")],
     "{f}:99:41: outcomes.dead.category: not an allowed value (got 'maimed'; allowed 'killed', "
     "'wounded', 'captured', 'deserted' or 'all')"),
])
def test_bad_campaign_input_gives_one_located_message(tmp_path, edits, expected):
    assert campaign_problems(tmp_path, *edits) == [expected]


@pytest.mark.parametrize(("edits", "expected"), [
    ([("bases: [depot]", "bases: [dpot]")],
     "{f}:25:13: actors.red.bases.0: unknown region 'dpot' (did you mean 'depot'? allowed: "
     "citadel, depot, town)"),
    ([("regions: [citadel]\n", "regions: [keep]\n")],
     "{f}:27:17: actors.red.restricted_regions.regions.0: unknown region 'keep' (allowed: "
     "citadel, depot, town)"),
    ([("link: [depot, town]", "link: [depot, twn]")],
     "{f}:32:35: actors.red.goals.1.link.1: unknown region 'twn' (did you mean 'town'? "
     "allowed: citadel, depot, town)"),
    ([("link: [depot, town]", "link: [depot, citadel]")],
     "{f}:32:21: actors.red.goals.1.link: no link joins depot and citadel (allowed: a declared "
     "link: depot-town, town-citadel)"),
    ([("withdraw: {actor: red, regions: [town]}", "withdraw: {actor: red, regions: [tow]}")],
     "{f}:75:42: events.pull-back.effects.1.withdraw.regions.0: unknown region 'tow' (did you "
     "mean 'town'? allowed: citadel, depot, town)"),
    ([("regions: [citadel], allow: true", "regions: [castle], allow: true")],
     "{f}:82:42: events.allowed-back.effects.0.restrict.regions.0: unknown region 'castle' "
     "(allowed: citadel, depot, town)"),
    ([("regions: [town, citadel], by: [blue]", "regions: [town, citadel, keep], by: [blue]")],
     "{f}:97:58: outcomes.all-held.regions.2: unknown region 'keep' (allowed: citadel, depot, "
     "town)"),
    ([("event: pull-back}", "event: pullback}")],
     "{f}:98:30: outcomes.fired.event: unknown event 'pullback' (did you mean 'pull-back'? "
     "allowed: allowed-back, pull-back)"),
    ([("    source: wire\n    note: Announced", "    source: wir\n    note: Announced")],
     "{f}:71:5: events.pull-back.source: unknown source 'wir' (did you mean 'wire'? allowed: "
     "wire)"),
])
def test_unknown_ids_in_campaign_fields_are_located(tmp_path, edits, expected):
    assert campaign_problems(tmp_path, *edits) == [expected]


def test_campaign_reference_check_tolerates_garbage():
    data = {"regions": {"r": {}}, "actors": {"a": {"bases": "r", "goals": ["x", {"link": 3}],
                                                   "restricted_regions": {"regions": ["q"]}}},
            "events": "junk", "outcomes": {"o": {"regions": ["r", 5], "event": "e"}}}
    # A malformed `events` section is not checked against (pydantic reports it).
    assert campaign_reference_problems(data) == [
        (("actors", "a", "restricted_regions", "regions", 0), "unknown region 'q' (allowed: r)"),
    ]
    # No `events` section means no events: every event id is then unknown.
    del data["events"]
    assert (("outcomes", "o", "event"), "unknown event 'e' (allowed: )") in (
        campaign_reference_problems(data))
    assert campaign_reference_problems(["not", "a", "scenario"]) == []


def test_json_schema_accepts_the_campaign_and_history_files():
    validator = jsonschema.Draft202012Validator(json_schema())
    files = [CAMPAIGN, *sorted((ROOT / "scenarios" / "history").glob("*.yaml"))]
    assert len(files) == 11
    for path in files:
        assert [e.message for e in validator.iter_errors(_as_json(path))] == [], path.name
    defs = json_schema()["$defs"]
    assert {"cohesion", "personnel_basis", "speed_km_day", "supply_days"} <= set(
        defs["Forces"]["properties"])
    assert {"observed", "observed_day", "regions", "event", "category"} <= set(
        defs["Outcome"]["properties"])


def test_every_schema_module_is_re_exported_and_small():
    import sim.scenario.schema as schema

    for name in schema.__all__:
        assert hasattr(schema, name), name
    for module in sorted((ROOT / "sim" / "scenario").glob("schema*.py")):
        assert len(module.read_text(encoding="utf-8").splitlines()) < 400, module.name
