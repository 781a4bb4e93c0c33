"""The campaign fields of the scenario format (CAMPAIGN_SPEC.md): typed objects, one located
message per bad input, and the cross-references they add (sim/scenario/schema_*.py, refs.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from sim.errors import ScenarioError
from sim.scenario.loader import load_scenario
from sim.scenario.refs import campaign_reference_problems
from sim.scenario.schema import (
    CasualtyCategory,
    Cohesion,
    GoalKind,
    OutcomeKind,
    PersonnelBasis,
    Road,
    json_schema,
)

ROOT = Path(__file__).resolve().parents[1]


def _as_json(path) -> object:
    """What an editor's YAML extension sees: the file's data with dates as text."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


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


def test_geosim_show_reads_the_campaign_fields(capsys):
    from sim.cli import main

    assert main(["show", str(CAMPAIGN)]) == 0
    out = capsys.readouterr().out
    for text in ("aggression red = 0.1", "red withdraws from town", "red stays out of town",
                 "red may enter citadel", "all of town, citadel by blue (ever)",
                 "event pull-back", "profile test_army: Judgement."):
        assert text in out, text
