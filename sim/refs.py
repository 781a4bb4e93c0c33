"""Cross-reference checks: every id a scenario uses must be declared in it.

Pydantic checks each object on its own; this module knows the whole scenario, so it finds
unknown actors, regions and sources, links to missing regions, duplicate links and relations,
and goal indices out of range. It returns problems as (path, message) for the loader to place.
"""

from __future__ import annotations

from collections.abc import Iterator
from difflib import get_close_matches
from typing import Any

from pydantic import BaseModel

from sim.schema import Fact, Link, Relation, Scenario

PathT = tuple[str | int, ...]

# Field name -> which table its ids live in. `between` depends on the object (see below).
_ACTOR_FIELDS = {"actor", "of", "to", "from_", "controller", "target"}
_REGION_FIELDS = {"region"}
_SOURCE_FIELDS = {"source", "geography_source"}


def walk(obj: Any, path: PathT = ()) -> Iterator[tuple[PathT, Any]]:
    """Yield (path, value) for every model, list item and dict value, depth first."""
    yield path, obj
    if isinstance(obj, BaseModel):
        for name, info in type(obj).model_fields.items():
            yield from walk(getattr(obj, name), (*path, info.alias or name))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from walk(v, (*path, k))
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            yield from walk(v, (*path, i))


def facts(sc: Scenario) -> Iterator[tuple[str, Fact]]:
    """Every fact of the scenario with its dotted path (the fact's stable id)."""
    for path, obj in walk(sc):
        if isinstance(obj, Fact):
            yield ".".join(str(k) for k in path), obj


def _unknown(kind: str, value: str, known: dict[str, Any]) -> str:
    near = get_close_matches(value, list(known), n=1)
    hint = f"did you mean '{near[0]}'? " if near else ""
    allowed = ", ".join(sorted(known)) if len(known) <= 20 else f"{len(known)} declared {kind}s"
    return f"unknown {kind} '{value}' ({hint}allowed: {allowed})"


def check_references(sc: Scenario) -> list[tuple[PathT, str]]:
    """All cross-reference problems of a validated scenario."""
    problems: list[tuple[PathT, str]] = []
    tables = {"actor": sc.actors, "region": sc.regions, "source": sc.sources}

    def need(kind: str, value: Any, path: PathT) -> None:
        if isinstance(value, str) and value not in tables[kind]:
            problems.append((path, _unknown(kind, value, tables[kind])))

    for path, obj in walk(sc):
        if not isinstance(obj, BaseModel):
            continue
        for name, info in type(obj).model_fields.items():
            value = getattr(obj, name)
            here = (*path, info.alias or name)
            if name in _ACTOR_FIELDS:
                need("actor", value, here)
            elif name in _REGION_FIELDS:
                need("region", value, here)
            elif name in _SOURCE_FIELDS:
                need("source", value, here)
            elif name == "by":
                for i, a in enumerate(value):
                    need("actor", a, (*here, i))
            elif name == "entry_regions":
                for i, r in enumerate(value):
                    need("region", r, (*here, i))
            elif name == "garrisons":
                for a in value:
                    need("actor", a, (*here, a))
            elif name == "between":
                kind = "region" if isinstance(obj, Link) else "actor"
                for i, x in enumerate(value):
                    need(kind, x, (*here, i))
    problems += _duplicate_pairs(sc)
    problems += _support_parties(sc)
    problems += _goal_indices(sc)
    return problems


def _duplicate_pairs(sc: Scenario) -> list[tuple[PathT, str]]:
    out: list[tuple[PathT, str]] = []
    seen: dict[frozenset[str], int] = {}
    for i, link in enumerate(sc.links):
        key = frozenset(link.between)
        if key in seen:
            out.append((("links", i), f"duplicate link {'-'.join(link.between)} "
                        f"(already links.{seen[key]}; allowed: one link per pair)"))
        seen.setdefault(key, i)
    rel_seen: dict[frozenset[str], str] = {}
    for rid, rel in sc.relations.items():
        key = frozenset(rel.between)
        if len(key) == 1:
            out.append((("relations", rid, "between"), "a relation joins two different actors"))
        elif key in rel_seen:
            out.append((("relations", rid), f"duplicate relation {'-'.join(rel.between)} "
                        f"(already relations.{rel_seen[key]}; allowed: one per pair)"))
        rel_seen.setdefault(key, rid)
    return out


def _support_parties(sc: Scenario) -> list[tuple[PathT, str]]:
    out: list[tuple[PathT, str]] = []
    for rid, rel in sc.relations.items():
        out += _support_in_relation(rid, rel)
    return out


def _support_in_relation(rid: str, rel: Relation) -> list[tuple[PathT, str]]:
    out: list[tuple[PathT, str]] = []
    pair = set(rel.between)
    for sid, sup in rel.support.items():
        if {sup.from_, sup.to} != pair:
            out.append((("relations", rid, "support", sid),
                        f"support must flow between the relation's actors "
                        f"(got from {sup.from_} to {sup.to}; allowed: {' and '.join(rel.between)})"))
    return out


def _goal_indices(sc: Scenario) -> list[tuple[PathT, str]]:
    out: list[tuple[PathT, str]] = []
    for oid, oc in sc.outcomes.items():
        if oc.goal is None or oc.actor not in sc.actors:
            continue
        n = len(sc.actors[oc.actor].goals)
        if oc.goal >= n:
            out.append((("outcomes", oid, "goal"),
                        f"{oc.actor} has {n} goals (got index {oc.goal}; allowed 0..{n - 1})"))
    return out
