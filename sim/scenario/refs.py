"""Cross-reference checks: every id a scenario uses must be declared in it.

Pydantic checks each object on its own; this module knows the whole scenario, so it finds
unknown actors, regions and sources, links to missing regions, duplicate links and relations,
and goal indices out of range. It returns problems as (path, message) for the loader to place.

`reference_problems` works on raw (possibly invalid) data, walking it alongside the schema
types, so one pass of the loader reports schema and reference problems together. `walk` and
`facts` enumerate a validated scenario; `model_at` and `unwrap` answer "which model lives at
this path", which the loader needs to word its messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from difflib import get_close_matches
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from sim.scenario.schema import Fact, Link, Relation, Scenario
from sim.scenario.yamlpos import shown

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
    names = [shown(k) for k in known]
    near = get_close_matches(value, names, n=1)
    hint = f"did you mean '{near[0]}'? " if near else ""
    allowed = ", ".join(sorted(names)) if len(names) <= 20 else f"{len(names)} declared {kind}s"
    return f"unknown {kind} '{shown(value)}' ({hint}allowed: {allowed})"


def check_references(sc: Scenario) -> list[tuple[PathT, str]]:
    """All cross-reference problems of a validated scenario."""
    data = sc.model_dump(mode="python", by_alias=True)
    problems = reference_problems(data)
    problems += _duplicate_pairs(sc)
    problems += _support_parties(sc)
    problems += _goal_indices(sc)
    problems += _cut_goal_links(sc)
    problems += _calendar(sc)
    return problems


def days_in_calendar(as_of: dt.date) -> int:
    """Days from `as_of` to 9999-12-31, the last date that dates (and the narrative) handle."""
    return (dt.date.max - as_of).days


def _calendar(sc: Scenario) -> list[tuple[PathT, str]]:
    meta = sc.scenario
    room = days_in_calendar(meta.as_of)
    if meta.horizon_days <= room:
        return []
    return [(("scenario", "horizon_days"), f"as_of {meta.as_of} plus {meta.horizon_days} days "
             f"ends after 9999-12-31, the last date the calendar holds (allowed at most {room} "
             "days from this as_of)")]


def reference_problems(data: Any) -> list[tuple[PathT, str]]:
    """Unknown actor, region and source ids in raw (possibly invalid) scenario data.

    Tolerant by design: the loader calls it even when pydantic rejected the file, so that one
    pass reports schema and reference problems together. Values of the wrong type are skipped
    (pydantic reports them), and a table that is missing or malformed is not checked against.
    """
    if not isinstance(data, dict):
        return []
    tables: dict[str, dict[str, Any] | None] = {
        "actor": _table(data.get("actors")),
        "region": _table(data.get("regions")),
        # No `sources` section means no sources: every source id is then unknown.
        "source": _table(data.get("sources", {})),
    }
    problems: list[tuple[PathT, str]] = []

    def need(kind: str, value: Any, path: PathT) -> None:
        known = tables[kind]
        if known is not None and isinstance(value, str) and value not in known:
            problems.append((path, _unknown(kind, value, known)))

    _walk_raw(Scenario, data, (), need)
    return problems + campaign_reference_problems(data)


def _table(section: Any) -> dict[str, Any] | None:
    return section if isinstance(section, dict) else None


def _walk_raw(tp: Any, node: Any, path: PathT, need: Any) -> None:
    """Walk raw data alongside the schema type it should have, checking id references."""
    tp = unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if isinstance(node, dict):
            for key, value in node.items():
                name, info = field_named(tp, str(key))
                if info is not None:
                    _check_field(tp, name, info.annotation, value, (*path, key), need)
    elif get_origin(tp) is dict and isinstance(node, dict):
        for key, value in node.items():
            _walk_raw(get_args(tp)[1], value, (*path, key), need)
    elif get_origin(tp) in (list, tuple) and isinstance(node, list | tuple):
        for i, value in enumerate(node):
            _walk_raw(get_args(tp)[0], value, (*path, i), need)


def _check_field(owner: type, name: str, tp: Any, value: Any, here: PathT, need: Any) -> None:
    if name in _ACTOR_FIELDS:
        need("actor", value, here)
    elif name in _REGION_FIELDS:
        need("region", value, here)
    elif name in _SOURCE_FIELDS:
        need("source", value, here)
    elif name in ("by", "entry_regions", "between") and isinstance(value, list | tuple):
        kind = "actor" if name == "by" else "region"
        if name == "between":
            kind = "region" if owner is Link else "actor"
        for i, x in enumerate(value):
            need(kind, x, (*here, i))
    else:
        if name == "garrisons" and isinstance(value, dict):
            for a in value:
                need("actor", a, (*here, a))
        _walk_raw(tp, value, here, need)


def unwrap(tp: Any) -> Any:
    """Strip Optional[...] and Annotated[...] down to the type underneath."""
    while True:
        if hasattr(tp, "__metadata__"):
            tp = get_args(tp)[0]
            continue
        if get_origin(tp) in (Union, UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def field_named(model: type[BaseModel], name: str) -> tuple[str, Any]:
    """(attribute name, FieldInfo) of the field spelled `name` in files (alias or name)."""
    for fname, info in model.model_fields.items():
        if name in (info.alias, fname):
            return fname, info
    return name, None


def model_at(path: PathT) -> type[BaseModel] | None:
    """The pydantic model class found at `path` inside a Scenario, if any."""
    tp: Any = Scenario
    for key in path:
        tp = unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            _, info = field_named(tp, str(key))
            if info is None:
                return None
            tp = info.annotation
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        elif get_origin(tp) in (list, tuple):
            tp = get_args(tp)[0]
        else:
            return None
    tp = unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


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
                        "support must flow between the relation's actors "
                        f"(got from {sup.from_} to {sup.to}; "
                        f"allowed: {' and '.join(rel.between)})"))
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


# --------------------------------------------------------------------------------------------
# Campaign fields (CAMPAIGN_SPEC.md): region lists, cut-goal links and event ids
# --------------------------------------------------------------------------------------------


def campaign_reference_problems(data: Any) -> list[tuple[PathT, str]]:
    """Unknown regions and events named by the campaign fields, in raw scenario data.

    The region lists (`bases`, `restricted_regions.regions`, `withdraw`/`restrict` effects,
    `control_all` outcomes, a `cut` goal's `link`) and an `event_fired` outcome's `event`.
    Tolerant like :func:`reference_problems`: what is not a mapping or a list is skipped.
    """
    if not isinstance(data, dict):
        return []
    tables = {"region": _table(data.get("regions")), "event": _table(data.get("events", {}))}
    problems: list[tuple[PathT, str]] = []

    def need(kind: str, value: Any, path: PathT) -> None:
        known = tables[kind]
        if known is not None and isinstance(value, str) and value not in known:
            problems.append((path, _unknown(kind, value, known)))

    def regions_at(node: Any, key: str, path: PathT) -> None:
        values = node.get(key) if isinstance(node, dict) else None
        if isinstance(values, list | tuple):
            for i, value in enumerate(values):
                need("region", value, (*path, key, i))

    for aid, actor in _mapping_items(data.get("actors")):
        here: PathT = ("actors", aid)
        regions_at(actor, "bases", here)
        regions_at(actor.get("restricted_regions"), "regions", (*here, "restricted_regions"))
        for i, goal in _list_items(actor.get("goals")):
            regions_at(goal, "link", (*here, "goals", i))
    for eid, event in _mapping_items(data.get("events")):
        for i, effect in _list_items(event.get("effects")):
            for kind in ("withdraw", "restrict"):
                regions_at(effect.get(kind), "regions", ("events", eid, "effects", i, kind))
    for oid, outcome in _mapping_items(data.get("outcomes")):
        regions_at(outcome, "regions", ("outcomes", oid))
        need("event", outcome.get("event"), ("outcomes", oid, "event"))
    return problems


def _mapping_items(section: Any) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(section, dict):
        return []
    return [(k, v) for k, v in section.items() if isinstance(v, dict)]


def _list_items(section: Any) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(section, list):
        return []
    return [(i, v) for i, v in enumerate(section) if isinstance(v, dict)]


def _cut_goal_links(sc: Scenario) -> list[tuple[PathT, str]]:
    """A `cut` goal names a road that the scenario declares."""
    declared = {frozenset(link.between) for link in sc.links}
    out: list[tuple[PathT, str]] = []
    for aid, actor in sc.actors.items():
        for i, goal in enumerate(actor.goals):
            if goal.link is None or frozenset(goal.link) in declared:
                continue
            if not set(goal.link) <= set(sc.regions):
                continue  # an unknown region: said once, by campaign_reference_problems
            shown_links = ", ".join(sorted("-".join(link.between) for link in sc.links))
            out.append((("actors", aid, "goals", i, "link"),
                        f"no link joins {goal.link[0]} and {goal.link[1]} (allowed: a "
                        f"declared link: {shown_links or 'none declared'})"))
    return out
