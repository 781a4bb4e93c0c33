"""A readable view of a scenario for the terminal: pure functions from Scenario to rich tables.

`geosim show` prints what :func:`describe` returns. Nothing here reads files or prints, so
tests look at the rows directly (:func:`fact_rows`) or render to a string.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from sim.scenario.refs import PathT, facts
from sim.scenario.schema import Condition, Effect, Event, Fact, Outcome, Scenario, Support

NOTE_WIDTH = 48
"""Characters of a fact's note shown in the facts table (the file has the rest)."""


def describe(sc: Scenario) -> list[RenderableType]:
    """Every part of the scenario as rich renderables, in reading order."""
    parts: list[RenderableType | None] = [
        header(sc),
        actors_table(sc),
        regions_table(sc),
        relations_table(sc),
        events_table(sc),
        outcomes_table(sc),
        variants_table(sc),
        facts_table(sc),
    ]
    return [p for p in parts if p is not None]


# --------------------------------------------------------------------------------------------
# Formatting of numbers and facts
# --------------------------------------------------------------------------------------------


def num(x: float) -> str:
    """A number as people read it: thousands separated, at most three significant digits."""
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if float(x).is_integer():
        return f"{x:.0f}"
    return f"{x:.3g}"


def fact_text(f: Fact) -> str:
    """`2,000 (1,000-3,000)` for a ranged fact, `2,000` otherwise."""
    if f.low is not None and f.high is not None and f.uncertain:
        return f"{num(f.value)} ({num(f.low)}-{num(f.high)})"
    return num(f.value)


def truncate(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def header(sc: Scenario) -> RenderableType:
    m = sc.scenario
    lines = [
        Text(m.title, style="bold"),
        Text(f"id {m.id} · as of {m.as_of} · horizon {m.horizon_days} days · "
             f"step {m.step_days} day{'s' if m.step_days != 1 else ''}"),
        Text(f"{len(sc.actors)} actors · {len(sc.regions)} regions · {len(sc.links)} links · "
             f"{len(sc.sources)} sources · {sum(1 for _ in facts(sc))} facts"),
    ]
    if m.description:
        lines.append(Text(" ".join(m.description.split()), style="italic"))
    return Group(*lines)


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", expand=False)
    for c in columns:
        table.add_column(c, overflow="fold")
    return table


def garrisoned(sc: Scenario, actor: str) -> float:
    """Personnel of `actor` in all regions at day 0 (best estimates)."""
    return sum(r.garrisons[actor].value for r in sc.regions.values() if actor in r.garrisons)


def actors_table(sc: Scenario) -> Table:
    t = _table("Actors", "id", "name", "kind", "garrisoned", "reserve", "total", "readiness",
               "quality", "morale", "air strikes/day")
    for aid, a in sc.actors.items():
        f, placed = a.forces, garrisoned(sc, aid)
        t.add_row(aid, a.name, str(a.kind), num(placed), fact_text(f.reserve),
                  num(placed + f.reserve.value), fact_text(f.readiness), fact_text(f.quality),
                  fact_text(f.morale), fact_text(f.air_strikes))
    return t


def regions_table(sc: Scenario) -> Table:
    t = _table("Regions", "id", "name", "terrain", "controller", "garrisons", "population")
    for rid, r in sc.regions.items():
        garrisons = "; ".join(f"{a} {fact_text(g)}" for a, g in r.garrisons.items())
        t.add_row(rid, r.name, str(r.terrain), r.controller or "contested", garrisons or "-",
                  fact_text(r.population))
    return t


def support_text(sid: str, s: Support) -> str:
    end = f" to day {s.end_day}" if s.end_day is not None else ""
    cond = f" while {condition_text(s.condition)}" if s.condition is not None else ""
    return (f"{sid}: {s.from_}→{s.to} {s.kind} {fact_text(s.amount)} "
            f"from day {s.start_day}{end}{cond}")


def relations_table(sc: Scenario) -> Table | None:
    if not sc.relations:
        return None
    t = _table("Relations", "id", "between", "stance", "support")
    for rid, rel in sc.relations.items():
        support = "\n".join(support_text(sid, s) for sid, s in rel.support.items())
        t.add_row(rid, " – ".join(rel.between), str(rel.stance), support or "-")
    return t


def condition_text(c: Condition) -> str:
    """A short reading of a condition, e.g. `any(lost blue beta, strength_below blue 0.5)`."""
    if c.all is not None:
        return "all(" + ", ".join(condition_text(x) for x in c.all) + ")"
    if c.any is not None:
        return "any(" + ", ".join(condition_text(x) for x in c.any) + ")"
    if c.not_ is not None:
        return f"not {condition_text(c.not_)}"
    if c.day_at_least is not None:
        return f"day >= {c.day_at_least}"
    if c.enemy_within is not None:
        w = c.enemy_within
        return f"enemy of {w.of} within {w.links} link{'s' if w.links != 1 else ''} of {w.region}"
    if c.controls is not None:
        return f"{c.controls.actor} controls {c.controls.region}"
    if c.lost is not None:
        return f"{c.lost.actor} lost {c.lost.region}"
    if c.strength_below is not None:
        return f"{c.strength_below.actor} below {c.strength_below.share:g} of day-0 strength"
    raise ValueError("condition with no key set")  # the schema forbids it


def effect_text(e: Effect) -> str:
    """A short reading of an effect, e.g. `morale blue +0.1`."""
    name, x = _only_set(e)
    if e.reinforce is not None:
        return f"reinforce {x.actor} +{fact_text(x.personnel)} in {x.region}"
    if e.set_stance is not None:
        return f"stance {' – '.join(x.between)} becomes {x.stance}"
    if e.air_strike is not None:
        return f"air strike by {x.actor} on {x.target} in {x.region} ({fact_text(x.sorties)})"
    if e.handover is not None:
        return f"handover of {x.region} to {x.actor}"
    if e.aggression is not None:
        return f"aggression {x.actor} = {fact_text(x.value)}"
    if e.withdraw is not None:
        return f"{x.actor} withdraws from {', '.join(x.regions)}"
    if e.restrict is not None:
        return f"{x.actor} {'may enter' if x.allow else 'stays out of'} {', '.join(x.regions)}"
    sign = "+" if x.delta.value > 0 else ""
    return f"{name} {x.actor} {sign}{fact_text(x.delta)}"


def _only_set(obj: BaseModel) -> tuple[str, Any]:
    """The one field set on an exactly-one model (Condition, Effect) and its value."""
    for name, info in type(obj).model_fields.items():
        value = getattr(obj, name)
        if value is not None:
            return info.alias or name, value
    raise ValueError(f"{type(obj).__name__} with no field set")  # the schema forbids it


def event_timing(ev: Event) -> str:
    parts = []
    if ev.on_day is not None:
        parts.append(f"day {ev.on_day}")
    if ev.when is not None:
        parts.append(f"when {condition_text(ev.when)}")
    return " and ".join(parts)


def events_table(sc: Scenario) -> Table | None:
    if not sc.events:
        return None
    t = _table("Events", "id", "timing", "probability", "effects", "description")
    for eid, ev in sc.events.items():
        t.add_row(eid, event_timing(ev), fact_text(ev.probability),
                  "\n".join(effect_text(e) for e in ev.effects), ev.description)
    return t


def outcome_target(o: Outcome) -> str:
    if o.regions:  # control_all
        return f"all of {', '.join(o.regions)} by {', '.join(o.by)}" + (" (ever)" if o.ever
                                                                       else "")
    if o.event is not None:  # event_fired
        return f"event {o.event}"
    if o.region is not None:
        return f"{o.region} by {', '.join(o.by)}" + (" (ever)" if o.ever else "")
    goal = f" goal {o.goal}" if o.goal is not None else ""
    return f"{o.actor}{goal}"


def outcomes_table(sc: Scenario) -> Table | None:
    if not sc.outcomes:
        return None
    t = _table("Outcomes", "id", "kind", "label", "of", "day")
    for oid, o in sc.outcomes.items():
        day = str(o.day) if o.day is not None else f"{sc.scenario.horizon_days} (horizon)"
        t.add_row(oid, str(o.kind), o.label, outcome_target(o), day)
    return t


def variants_table(sc: Scenario) -> Table | None:
    if not sc.variants:
        return None
    t = _table("Variants", "id", "title", "sets")
    for vid, v in sc.variants.items():
        sets = "\n".join(f"{k} = {_short(val)}" for k, val in v.set.items())
        t.add_row(vid, v.title, sets)
    return t


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return str(value)


# --------------------------------------------------------------------------------------------
# Facts
# --------------------------------------------------------------------------------------------


def fact_rows(sc: Scenario) -> list[dict[str, str]]:
    """One row per fact: id, value, range, dist, source, note (all as display text).

    `source` is the outlet and the date reported, or `assumption`, or `default` for a fact the
    file does not give (the schema's documented default), or `unsourced`.
    """
    defaults = set(_default_fact_paths(sc))
    rows = []
    for fid, f in facts(sc):
        ranged = f.low is not None and f.high is not None
        dist = str(f.dist) if f.dist is not None else ("triangular" if ranged else "")
        rows.append({
            "id": fid,
            "value": num(f.value),
            "range": f"{num(f.low)}-{num(f.high)}" if ranged else "",  # type: ignore[arg-type]
            "dist": dist,
            "source": _provenance(sc, f, fid in defaults),
            "note": truncate(f.note or "", NOTE_WIDTH),
        })
    return rows


def _provenance(sc: Scenario, f: Fact, default: bool) -> str:
    if f.source is not None:
        src = sc.sources.get(f.source)
        outlet = src.outlet if src is not None else f.source
        date = f.reported or (src.date if src is not None else None)
        return f"{outlet}, {date}" if date else outlet
    if f.assumption:
        return "assumption"
    return "default" if default else "unsourced"


def _default_fact_paths(sc: Scenario) -> Iterator[str]:
    """Dotted ids of the facts that take their value from the schema, not from the file."""

    def visit(obj: Any, path: PathT, defaulted: bool) -> Iterator[str]:
        if isinstance(obj, Fact):
            if defaulted:
                yield ".".join(str(k) for k in path)
        elif isinstance(obj, BaseModel):
            for name, info in type(obj).model_fields.items():
                unset = defaulted or name not in obj.model_fields_set
                yield from visit(getattr(obj, name), (*path, info.alias or name), unset)
        elif isinstance(obj, dict):
            for k, v in obj.items():
                yield from visit(v, (*path, k), defaulted)
        elif isinstance(obj, list | tuple):
            for i, v in enumerate(obj):
                yield from visit(v, (*path, i), defaulted)

    yield from visit(sc, (), False)


def facts_table(sc: Scenario) -> Table:
    rows = fact_rows(sc)
    t = _table(f"Facts ({len(rows)})", "id", "value", "range", "dist", "source", "note")
    # Ids are what people search for and paste into variants: never break them; notes wrap.
    t.columns[0].no_wrap = True
    for r in rows:
        style = "dim" if r["source"] == "default" else None
        t.add_row(r["id"], r["value"], r["range"], r["dist"], r["source"], r["note"], style=style)
    return t
