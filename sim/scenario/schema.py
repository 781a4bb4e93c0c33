"""The scenario format: frozen, typed, fully described pydantic models.

A scenario file is validated once, at the edge, into these objects; the engine never sees raw
YAML. Every numeric quantity is a :class:`Fact`: a value with its provenance (source id, date
reported, note, or ``assumption: true``) and an optional uncertainty range with a distribution.
Cross-references (unknown actor, region or source) are checked in :mod:`sim.scenario.refs`,
which knows the whole scenario; these modules check each object on its own.

The format is split by concept, and every name is re-exported here, so
``from sim.scenario.schema import X`` works for all of them:

- :mod:`sim.scenario.schema_facts`: facts, ids, the header (`Meta`) and the sources;
- :mod:`sim.scenario.schema_actors`: actors, forces, cohesion, economy, goals;
- :mod:`sim.scenario.schema_places`: regions and links;
- :mod:`sim.scenario.schema_events`: conditions, relations and support, events and effects;
- :mod:`sim.scenario.schema_outcomes`: outcomes and what was observed;
- this module: variants, the whole `Scenario` and its JSON Schema.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sim.scenario.schema_actors import (
    Actor,
    ActorKind,
    Cohesion,
    Economy,
    Forces,
    Goal,
    GoalKind,
    PersonnelBasis,
    Restriction,
)
from sim.scenario.schema_events import (
    ActorDelta,
    ActorRegion,
    ActorValue,
    AirStrike,
    Condition,
    Effect,
    EnemyWithin,
    Event,
    Handover,
    Reinforce,
    Relation,
    Restrict,
    SetStance,
    Stance,
    StrengthBelow,
    Support,
    SupportKind,
    Withdraw,
)
from sim.scenario.schema_facts import (
    Count,
    Delta,
    Dist,
    Fact,
    Frozen,
    Id,
    Meta,
    Positive,
    Share,
    Source,
)
from sim.scenario.schema_outcomes import OBSERVED_PREFIX, CasualtyCategory, Outcome, OutcomeKind
from sim.scenario.schema_places import Link, Posture, Region, Road, Terrain

__all__ = [
    "OBSERVED_PREFIX", "TOP_LEVEL_ONLY_IN_FILES", "Actor", "ActorDelta", "ActorKind",
    "ActorRegion", "ActorValue", "AirStrike", "CasualtyCategory", "Cohesion", "Condition",
    "Count", "Delta", "Dist", "Economy", "Effect", "EnemyWithin", "Event", "Fact", "Forces",
    "Frozen", "Goal", "GoalKind", "Handover", "Id", "Link", "Meta", "Outcome", "OutcomeKind",
    "PersonnelBasis", "Positive", "Posture", "Region", "Reinforce", "Relation", "Restrict",
    "Restriction", "Road", "Scenario", "SetStance", "Share", "Source", "Stance",
    "StrengthBelow", "Support", "SupportKind", "Terrain", "Variant", "Withdraw", "json_schema",
]


# --------------------------------------------------------------------------------------------
# Variants and the scenario
# --------------------------------------------------------------------------------------------


class Variant(Frozen):
    """A named what-if: overrides of any fact, event or relation, by dotted path."""

    title: str = Field(description="Short title.")
    description: str = Field("", description="What changes and why it is worth asking.")
    set: dict[str, Any] = Field(
        description="Dotted path -> new value, e.g. `actors.iran.forces.reserve: 20000` or "
        "`events.syrian-strikes.probability: 0`. Paths are checked like the rest of the file."
    )


class Scenario(Frozen):
    """A whole scenario file after `extends:` and any variant have been applied."""

    scenario: Meta = Field(description="What the scenario is.")
    sources: dict[Id, Source] = Field(default_factory=dict, description="Bibliography by id.")
    actors: dict[Id, Actor] = Field(min_length=1, description="Actors by id.")
    regions: dict[Id, Region] = Field(min_length=1, description="Regions by id.")
    links: list[Link] = Field(default_factory=list, description="Roads between regions.")
    relations: dict[Id, Relation] = Field(
        default_factory=dict, description="Relations by id (unlisted pairs are neutral)."
    )
    events: dict[Id, Event] = Field(default_factory=dict, description="Events by id.")
    outcomes: dict[Id, Outcome] = Field(default_factory=dict, description="Outcomes by id.")
    variants: dict[Id, Variant] = Field(default_factory=dict, description="What-ifs by id.")


TOP_LEVEL_ONLY_IN_FILES = ("extends",)
"""Keys a file may carry that are resolved by the loader and are not part of `Scenario`."""

_EXTENDS = {
    "type": "string",
    "description": "Path (relative to this file) of the scenario this file changes. Mappings "
    "merge key by key onto it; lists and plain values replace.",
}


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of scenario files, for editors and other tools.

    It is `Scenario.model_json_schema()` with two changes that the loader makes true:
    a fact may be written as a plain number, and a file with `extends:` may give any part of
    a scenario (it is deep-merged onto its base), so nothing is required in it.
    """
    schema = Scenario.model_json_schema(by_alias=True)
    defs: dict[str, Any] = schema.pop("$defs")
    defs["Fact"] = {"anyOf": [{"type": "number"}, defs["Fact"]],
                    "description": defs["Fact"].get("description", "")}
    full = {**schema, "properties": {**schema["properties"]}}
    partial = _without_required({**schema, "properties": {**schema["properties"],
                                                          "extends": _EXTENDS}})
    partial["required"] = ["extends"]
    for name, body in list(defs.items()):
        defs[f"Partial{name}"] = _without_required(body)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "geosim scenario",
        "description": "A geosim scenario file (see docs/scenario-format.md).",
        "$defs": {**defs, "Scenario": full, "PartialScenario": partial},
        "if": {"required": ["extends"]},
        "then": {"$ref": "#/$defs/PartialScenario"},
        "else": {"$ref": "#/$defs/Scenario"},
    }


def _without_required(node: Any) -> Any:
    """A copy of a schema with no `required` lists and $refs pointing at Partial definitions."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "required":
                continue
            if k == "$ref" and isinstance(v, str):
                v = v.replace("#/$defs/", "#/$defs/Partial")
            out[k] = _without_required(v)
        return out
    if isinstance(node, list):
        return [_without_required(v) for v in node]
    return node
