"""Report sections about the scenario itself: relations, events, facts with provenance,
the bibliography and the manifest. Pure: scenario and manifest in, HTML out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd
from pydantic import BaseModel

from sim.analysis import charts
from sim.analysis.formatting import num, pct
from sim.analysis.page import Section, esc, figure_html, table_html
from sim.scenario.refs import facts, walk
from sim.scenario.schema import Fact, Scenario


def compact(value: Any) -> str:
    """A condition, effect or override as one short line: `controls(actor=x, region=y)`."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True, exclude_none=True,
                                 exclude_defaults=True)
    if isinstance(value, Mapping):
        if _is_fact(value):
            return num(value["value"])  # its provenance is in the facts table
        return ", ".join(f"{k}({compact(v)})" if isinstance(v, Mapping) and not _is_fact(v)
                         else f"{k}={compact(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "[" + "; ".join(compact(v) for v in value) + "]"
    return num(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else str(value)


def _is_fact(value: Mapping[str, Any]) -> bool:
    return "value" in value and set(value) <= set(Fact.model_fields)


def source_ref(sc: Scenario, sid: str | None) -> str:
    if not sid:
        return ""
    s = sc.sources.get(sid)
    return f"{esc(s.outlet)} [<code>{esc(sid)}</code>]" if s else f"<code>{esc(sid)}</code>"


def relations_section(sc: Scenario) -> Section:
    names = {a: x.name for a, x in sc.actors.items()}
    rels = [{"between": esc(" – ".join(names[a] for a in r.between)), "stance": esc(r.stance),
             "source": source_ref(sc, r.source), "note": esc(r.note)}
            for r in sc.relations.values()]
    sups = []
    for r in sc.relations.values():
        for sid, x in r.support.items():
            rng, _ = fact_range(x.amount)
            end = x.end_day if x.end_day is not None else "horizon"
            sups.append({"from → to": esc(f"{names[x.from_]} → {names[x.to]}"),
                         "kind": esc(x.kind), "amount": num(x.amount.value),
                         "range": esc(rng), "days": esc(f"{x.start_day}–{end}"),
                         "where": esc(x.region or "most threatened"),
                         "condition": esc(compact(x.condition) if x.condition else ""),
                         "source": source_ref(sc, x.source), "id": f"<code>{esc(sid)}</code>"})
    text = figure_html(charts.relations_network(sc), "relations")
    text += "<h3>Stances</h3>" + (table_html(rels, ["between", "stance", "source", "note"])
                                  if rels else "<p>No relations declared (all neutral).</p>")
    if sups:
        text += "<h3>Support commitments</h3>" + table_html(
            sups, ["from → to", "kind", "amount", "range", "days", "where", "condition",
                   "source", "id"], numeric=["amount"])
    return Section("relations", "Relations and support", text)


def events_section(sc: Scenario) -> Section:
    rows = []
    for eid, e in sc.events.items():
        when = " and ".join(x for x in (f"day {e.on_day}" if e.on_day is not None else "",
                                        f"when {compact(e.when)}" if e.when else "") if x)
        rng, _ = fact_range(e.probability)
        rows.append({"event": f"<code>{esc(eid)}</code>", "when": esc(when),
                     "probability": pct(e.probability.value) + (f" ({esc(rng)})" if rng else ""),
                     "what happens": esc(e.description),
                     "effects": esc(compact(e.effects)), "source": source_ref(sc, e.source)})
    return Section("events", "Events", table_html(
        rows, ["event", "when", "probability", "what happens", "effects", "source"],
        numeric=["probability"]))


# --------------------------------------------------------------------------------------------
# Facts, provenance, bibliography, manifest
# --------------------------------------------------------------------------------------------


def default_fact_paths(sc: Scenario) -> set[str]:
    """Dotted ids of facts the file does not give (schema defaults), which have no provenance.

    A field is a default when pydantic did not see it set; a default sub-object (e.g. a whole
    `economy` left out) makes every fact inside it a default too.
    """
    unset: list[str] = []
    for path, obj in walk(sc):
        if isinstance(obj, BaseModel) and not isinstance(obj, Fact):
            for name, info in type(obj).model_fields.items():
                if name not in obj.model_fields_set and isinstance(getattr(obj, name), BaseModel):
                    unset.append(".".join(str(k) for k in (*path, info.alias or name)))
    prefixes = tuple(f"{u}." for u in unset)
    given = set(unset)
    return {fid for fid, _ in facts(sc) if fid in given or fid.startswith(prefixes)}


def _source_cell(sc: Scenario, f: Fact) -> str:
    if f.source and f.source in sc.sources:
        s = sc.sources[f.source]
        title = f" — {esc(s.title)}" if s.title else ""
        date = f" ({esc(s.date)})" if s.date else ""
        link = _link(s.url)
        rep = f"<br>reported {esc(f.reported)}" if f.reported else ""
        return f"<b>{esc(s.outlet)}</b>{title}{date} {link} [<code>{esc(f.source)}</code>]{rep}"
    if f.assumption:
        return '<span class="tag assumption">assumption</span>'
    return '<span class="tag unsourced">no source given</span>'


def _link(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return f'<a href="{esc(url)}">{esc(url)}</a>'
    return esc(url)


def fact_range(f: Fact) -> tuple[str, str]:
    if f.low is None or f.high is None:
        return "", ""
    return f"{num(f.low)} to {num(f.high)}", str(f.dist or "triangular")


def _fact_row(fid: str, f: Fact, sc: Scenario) -> dict[str, str]:
    rng, dist = fact_range(f)
    return {"fact": f"<code>{esc(fid)}</code>", "value": num(f.value), "range": esc(rng),
            "distribution": esc(dist), "source": _source_cell(sc, f), "note": esc(f.note or "")}


def facts_section(sc: Scenario) -> Section:
    defaults = default_fact_paths(sc)
    given = [(fid, f) for fid, f in facts(sc) if fid not in defaults]
    cols = ["fact", "value", "range", "distribution", "source", "note"]
    assumptions = [_fact_row(fid, f, sc) for fid, f in given if f.assumption]
    unsourced = sum(1 for _, f in given if not f.assumption and not f.source)
    text = (f"<p>Numbers given in the scenario file: {len(given)}. Citing a source: "
            f"{sum(1 for _, f in given if f.source)}; analyst assumptions: {len(assumptions)}; "
            f"neither: {unsourced}. With a range, sampled afresh in every run: "
            f"{sum(1 for _, f in given if f.uncertain)}. Ids are dotted paths into the "
            "scenario.</p>")
    text += "<h3>Assumptions</h3>" + (table_html(assumptions, cols, numeric=["value"])
                                      if assumptions else "<p>None.</p>")
    text += "<h3>Every fact and its source</h3>" + table_html(
        [_fact_row(fid, f, sc) for fid, f in given], cols, numeric=["value"], cls="facts")
    dflt = [(fid, f) for fid, f in facts(sc) if fid in defaults]
    if dflt:
        text += (f"<details><summary>{len(dflt)} values not in the file (format defaults)"
                 "</summary>" + table_html([{"fact": f"<code>{esc(fid)}</code>",
                                             "value": num(f.value)} for fid, f in dflt],
                                           ["fact", "value"], numeric=["value"]) + "</details>")
    return Section("facts", "Assumptions and facts", text)


def sampled_section(runs: pd.DataFrame, sc: Scenario | None) -> Section:
    cols = [c for c in runs.columns if c.startswith("fact:")]
    if not cols:
        return Section("sampled", "Sampled uncertain facts",
                       "<p>No uncertain facts were sampled (every fact at its value).</p>")
    declared = dict(facts(sc)) if sc else {}
    rows = []
    for c in cols:
        fid = c.removeprefix("fact:")
        x = runs[c].to_numpy(float)
        q05, q50, q95 = (float(v) for v in pd.Series(x).quantile([0.05, 0.5, 0.95]))
        f = declared.get(fid)
        rng, dist = fact_range(f) if f else ("", "")
        rows.append({"fact": f"<code>{esc(fid)}</code>", "declared": num(f.value) if f else "",
                     "declared range": esc(f"{rng} ({dist})" if rng else ""),
                     "sampled 5%": num(q05), "median": num(q50), "95%": num(q95),
                     "runs": str(len(x))})
    return Section("sampled", "Sampled uncertain facts",
                   f"<p>{len(cols)} facts with a range were drawn afresh in each run.</p>"
                   + table_html(rows, ["fact", "declared", "declared range", "sampled 5%",
                                       "median", "95%", "runs"],
                                numeric=["declared", "sampled 5%", "median", "95%", "runs"]))


def bibliography(sc: Scenario) -> Section:
    rows = [{"id": f"<code>{esc(sid)}</code>", "outlet": esc(s.outlet), "title": esc(s.title),
             "date": esc(s.date or ""), "link": _link(s.url), "note": esc(s.note)}
            for sid, s in sc.sources.items()]
    return Section("sources", "Bibliography",
                   table_html(rows, ["id", "outlet", "title", "date", "link", "note"], cls="bib")
                   if rows else "<p>The scenario lists no sources.</p>")


_MANIFEST_KEYS = ("scenario_id", "scenario_file", "scenario_sha256", "variant", "seed", "design",
                  "runs_planned", "runs_completed", "runs_failed", "days", "batch_size",
                  "backend", "workers", "version", "command", "status", "started", "finished")


def manifest_section(m: Mapping[str, Any]) -> Section:
    rows = [{"key": esc(k), "value": f"<code>{esc(m.get(k))}</code>"} for k in _MANIFEST_KEYS
            if k in m]
    t = m.get("timings")
    if isinstance(t, Mapping):
        batches = t.get("batches") or {}
        secs = [float(v) for v in batches.values()] if isinstance(batches, Mapping) else []
        text = f"total {num(t.get('total', 0))} s"
        if secs:
            text += (f"; {len(secs)} batches, mean {sum(secs) / len(secs):.2f} s, "
                     f"slowest {max(secs):.2f} s")
        rows.append({"key": "timings", "value": esc(text)})
    rows.append({"key": "report written", "value": esc(
        dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))})
    return Section("manifest", "How this was run (manifest)",
                   table_html(rows, ["key", "value"], cls="manifest"))


