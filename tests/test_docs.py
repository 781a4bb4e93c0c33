"""docs/scenario-format.md documents every field, value and option of the format, and its
examples are real."""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from sim.scenario.loader import load
from sim.scenario.refs import unwrap
from sim.scenario.schema import Scenario, json_schema

DOC = (Path(__file__).resolve().parent.parent / "docs" / "scenario-format.md").read_text(
    encoding="utf-8"
)


def models_and_enums(tp: Any, seen: dict[str, type]) -> dict[str, type]:
    """Every pydantic model and enum reachable from `tp`, by class name."""
    tp = unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel | Enum):
        if tp.__name__ in seen:
            return seen
        seen[tp.__name__] = tp
        if issubclass(tp, BaseModel):
            for info in tp.model_fields.values():
                models_and_enums(info.annotation, seen)
    for arg in get_args(tp):
        models_and_enums(arg, seen)
    return seen


CLASSES = models_and_enums(Scenario, {})
MODELS = {n: c for n, c in CLASSES.items() if issubclass(c, BaseModel)}
ENUMS = {n: c for n, c in CLASSES.items() if issubclass(c, Enum)}


def test_the_walk_finds_the_whole_format():
    # Guards the walk itself: if it stopped early, the tests below could not fail.
    assert {"Scenario", "Fact", "Condition", "EnemyWithin", "Effect", "AirStrike", "Support",
            "Variant"} <= set(MODELS)
    assert {"Dist", "Terrain", "Stance", "OutcomeKind"} <= set(ENUMS)
    assert len(MODELS) >= 25


@pytest.mark.parametrize("model", sorted(MODELS), ids=sorted(MODELS))
def test_every_field_is_documented(model):
    missing = [
        info.alias or name
        for name, info in MODELS[model].model_fields.items()
        if f"`{info.alias or name}`" not in DOC
    ]
    assert missing == [], f"{model} fields missing from docs/scenario-format.md"
    assert model in DOC, f"{model} is not named in docs/scenario-format.md"


@pytest.mark.parametrize("enum", sorted(ENUMS), ids=sorted(ENUMS))
def test_every_allowed_value_is_documented(enum):
    missing = [m.value for m in ENUMS[enum] if f"`{m.value}`" not in DOC]
    assert missing == [], f"{enum} values missing from docs/scenario-format.md"


def test_every_json_schema_property_is_documented():
    names: set[str] = set()
    for definition in json_schema()["$defs"].values():
        for option in [definition, *definition.get("anyOf", [])]:
            names |= set(option.get("properties", {}))
    assert "extends" in names
    assert sorted(n for n in names if f"`{n}`" not in DOC) == []


@pytest.mark.parametrize("text", [
    "FILE:LINE:COL: dotted.path: message (got VALUE; allowed ...)",
    "yaml.schemas",
    "# yaml-language-server: $schema=",
    "geosim validate FILE... [--variant ID] [--strict]",
    "geosim show FILE [--variant ID]",
    "geosim schema [--out FILE]",
    "5th and 95th percentiles",
])
def test_key_explanations_are_there(text):
    assert text in DOC


def test_the_minimal_example_is_a_valid_scenario(tmp_path):
    section = DOC.split("## A minimal file", 1)[1]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert example is not None
    path = tmp_path / "minimal.yaml"
    path.write_text(example.group(1), encoding="utf-8")
    sc = load(path).scenario
    assert sc.regions["alpha"].garrisons["red"].value == 1500


def test_every_engine_constant_is_documented():
    """docs/model.md's table names every ModelConstants field (values: the code is the source)."""
    import dataclasses

    from sim.model.constants import ModelConstants

    doc = (Path(__file__).parents[1] / "docs" / "model.md").read_text(encoding="utf-8")
    table = doc.split("## Engine constants", 1)[1].split("\n## ", 1)[0]
    missing = [f.name for f in dataclasses.fields(ModelConstants) if f"| `{f.name}` |" not in table]
    assert not missing, f"add to docs/model.md, Engine constants: {missing}"
