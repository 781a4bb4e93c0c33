"""The HTML report: the only module of the reporting chain that writes files.

`write_report(dir)` reads a results folder and writes `dir/report.html`: one self-contained
file (plotly.js embedded once, no network at view time) with the summary table, the charts,
every fact with its provenance, the sampled uncertain facts, the bibliography and the manifest.
`render_page` is the shared layout (the wargame's after-action report reuses it).
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from pydantic import BaseModel

from sim.analysis import charts
from sim.analysis.stats import summarise
from sim.errors import SimError
from sim.experiments.results import Results, load_results
from sim.scenario.refs import facts, walk
from sim.scenario.schema import Fact, Scenario

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True,
                 "toImageButtonOptions": {"format": "png", "scale": 2}}

_CSS = """
:root { --ink: #1a1a1a; --muted: #555; --rule: #d0d0d0; --head: #f0f0f0; --accent: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1280px; padding: 24px 32px 64px; color: var(--ink);
  background: #fff; font: 18px/1.5 Helvetica, Arial, "Liberation Sans", sans-serif; }
h1 { font-size: 2.1em; margin: 0.2em 0 0.1em; line-height: 1.2; }
h2 { font-size: 1.55em; margin: 1.6em 0 0.5em; padding-bottom: 0.2em;
  border-bottom: 3px solid var(--accent); }
h3 { font-size: 1.2em; margin: 1.2em 0 0.4em; }
.subtitle { color: var(--muted); font-size: 1.1em; margin: 0 0 1em; }
nav ol { columns: 2; font-size: 0.95em; }
a { color: var(--accent); }
table { border-collapse: collapse; width: 100%; margin: 0.6em 0 1.2em; font-size: 0.85em; }
th, td { border-bottom: 1px solid var(--rule); padding: 6px 10px; text-align: left;
  vertical-align: top; }
th { background: var(--head); font-weight: 700; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafafa; }
code { font-size: 0.9em; overflow-wrap: break-word; }
.note { border-left: 5px solid #E69F00; background: #fff8e6; padding: 10px 14px; margin: 1em 0; }
.tag { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 0.85em;
  border: 1px solid var(--rule); }
.tag.assumption { border-color: #E69F00; }
.tag.unsourced { border-color: #D55E00; color: #D55E00; }
.figure { margin: 0.5em 0 1.5em; page-break-inside: avoid; break-inside: avoid; }
details > summary { cursor: pointer; color: var(--accent); margin: 0.5em 0; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav { display: none; }
  section { break-before: page; page-break-before: always; }
  section:first-of-type { break-before: auto; page-break-before: auto; }
  h2 { border-bottom-color: #000; }
  tr, .figure { break-inside: avoid; page-break-inside: avoid; }
  a { color: #000; text-decoration: none; }
  .bib a[href]::after { content: " <" attr(href) ">"; font-size: 0.85em; }
  .modebar-container { display: none !important; }
  details > *:not(summary) { display: block; }
}
"""


@dataclass(frozen=True)
class Section:
    """One section of a page: an anchor id, a heading and ready-made HTML."""

    id: str
    title: str
    html: str


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def figure_html(fig: go.Figure) -> str:
    """A figure as a div + script (plotly.js is embedded once by `render_page`)."""
    body = fig.to_html(full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG,
                       default_width="100%")
    return f'<div class="figure">{body}</div>'


def table_html(rows: Sequence[Mapping[str, str]], columns: Sequence[str],
               numeric: Sequence[str] = (), cls: str = "") -> str:
    """An HTML table; cell values are already-escaped HTML, numeric columns align right."""
    head = "".join(f'<th class="num">{esc(c)}</th>' if c in numeric else f"<th>{esc(c)}</th>"
                   for c in columns)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{r.get(c, "")}</td>' if c in numeric
                         else f"<td>{r.get(c, '')}</td>" for c in columns) + "</tr>"
        for r in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def render_page(title: str, sections: Sequence[Section | tuple[str, str]],
                subtitle: str = "") -> str:
    """A whole HTML page: title, table of contents, sections; plotly.js embedded when needed.

    Args:
        title: page title (plain text; escaped here).
        sections: `Section`s, or (heading, html) pairs given ids s0, s1, ...; their html is
            used as is, so escape user text with `esc` and make figures with `figure_html`.
        subtitle: a line of HTML under the title.

    Returns:
        One self-contained HTML document: plotly.js (when any section holds a figure) is
        inlined once, so the page opens offline.
    """
    secs = [s if isinstance(s, Section) else Section(f"s{i}", s[0], s[1])
            for i, s in enumerate(sections)]
    needs_js = any("Plotly.newPlot" in s.html for s in secs)
    script = ""
    if needs_js:
        from plotly.offline import get_plotlyjs

        script = f'<script type="text/javascript">{get_plotlyjs()}</script>'
    toc = "".join(f'<li><a href="#{esc(s.id)}">{esc(s.title)}</a></li>' for s in secs)
    body = "".join(f'<section id="{esc(s.id)}"><h2>{esc(s.title)}</h2>{s.html}</section>'
                   for s in secs)
    sub = f'<p class="subtitle">{subtitle}</p>' if subtitle else ""
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{_CSS}</style>{script}</head><body>"
            f"<header><h1>{esc(title)}</h1>{sub}</header>"
            f"<nav><h3>Contents</h3><ol>{toc}</ol></nav>{body}</body></html>")


def _write(path: Path, text: str) -> Path:
    # Whole or not at all, and no temporary file left behind on a full disk (a ResultsError).
    from sim.experiments.results import write_text_atomic

    return write_text_atomic(path, text)


# --------------------------------------------------------------------------------------------
# The ensemble report
# --------------------------------------------------------------------------------------------


def write_report(results_dir: str | Path) -> Path:
    """Write `results_dir/report.html` from a results folder and return its path.

    Raises:
        ResultsError: the folder is missing or is not a readable results folder.
    """
    results_dir = Path(results_dir)
    res = load_results(results_dir)
    scenario, notes = _scenario_for(res.manifest, results_dir)
    title = scenario.scenario.title if scenario else str(res.manifest.get("scenario_id", "?"))
    page = render_page(title, report_sections(res, scenario, notes),
                       subtitle=_subtitle(res.manifest, scenario))
    return _write(results_dir / "report.html", page)


def _scenario_for(manifest: Mapping[str, Any], results_dir: Path) -> tuple[Scenario | None,
                                                                           list[str]]:
    """The run's scenario (variant applied), or None and a note saying why not."""
    from sim.scenario.loader import load

    name = manifest.get("scenario_file")
    if not name:
        return None, ["The manifest names no scenario file: facts, map and relations omitted."]
    candidates = [Path(name), results_dir / name]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        return None, [f"Scenario file {name} not found (moved?): facts, map, relations and "
                      "bibliography are omitted; outcomes and series come from the results."]
    try:
        loaded = load(path, manifest.get("variant"))
    except SimError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None, [f"Scenario file {name} no longer loads ({first}): scenario sections "
                      "omitted."]
    notes = []
    want = manifest.get("scenario_sha256")
    if want and loaded.sha256 != want:
        notes.append(f"Scenario file {name} has changed since this run (hash differs from the "
                     "manifest): facts and sources below are the file's current contents.")
    return loaded.scenario, notes


def _subtitle(m: Mapping[str, Any], sc: Scenario | None) -> str:
    parts = []
    if sc:
        parts.append(f"Situation as of {esc(sc.scenario.as_of)}")
    parts += [f"variant <b>{esc(m.get('variant') or 'baseline')}</b>",
              f"seed {esc(m.get('seed'))}",
              f"{esc(m.get('runs_completed'))} runs of {esc(m.get('days'))} days"]
    return " · ".join(parts)


def report_sections(res: Results, sc: Scenario | None, notes: Sequence[str] = ()) -> list[Section]:
    """Every section of an ensemble report (pure: no I/O)."""
    m = res.manifest
    intro = "".join(f'<p class="note">{esc(n)}</p>' for n in [*notes, *_run_notes(res)])
    if sc and sc.scenario.description:
        intro += f"<p>{esc(sc.scenario.description)}</p>"
    variant = m.get("variant")
    if sc and variant in sc.variants:
        v = sc.variants[variant]
        intro += (f"<p><b>Variant {esc(variant)}: {esc(v.title)}.</b> {esc(v.description)} "
                  f"Changes: {esc(', '.join(f'{k} = {_compact(x)}' for k, x in v.set.items()))}"
                  "</p>")
    ok = res.runs[res.runs["status"] == "ok"] if "status" in res.runs else res.runs
    if ok.empty:
        intro += '<p class="note">No completed runs in this folder: nothing to summarise.</p>'
        return [Section("summary", "Summary", intro), _manifest_section(m)]
    summary = summarise(ok, m.get("outcomes") or (sc.outcomes if sc else {}))
    out = [Section("summary", "Summary", intro + summary_table(summary)),
           Section("outcomes", "Outcomes", _outcome_figures(summary))]
    out += _series_sections(res.series, m, sc)
    if sc:
        out.append(_relations_section(sc))
        if sc.events:
            out.append(_events_section(sc))
        out.append(_facts_section(sc))
    out.append(_sampled_section(ok, sc))
    if sc:
        out.append(_bibliography(sc))
    out.append(_manifest_section(m))
    return out


def _run_notes(res: Results) -> list[str]:
    """Warnings about the run itself: unfinished, or replications that failed."""
    m, runs = res.manifest, res.runs
    out = []
    status = m.get("status")
    if status and status != "complete":
        out.append(f"This run is not complete (status: {status}): the report covers the "
                   f"{len(runs)} of {m.get('runs_planned')} planned runs written so far.")
    if "status" in runs and (failed := runs[runs["status"] != "ok"]).shape[0]:
        top = failed["error"].astype(str).value_counts() if "error" in failed else None
        why = f" Most common error: {top.index[0]} ({top.iloc[0]}x)." if top is not None else ""
        out.append(f"{len(failed)} of {len(runs)} runs failed and are left out of every "
                   f"statistic below.{why}")
    return out


def _outcome_figures(summary: pd.DataFrame) -> str:
    parts = []
    if summary["binary"].astype(bool).any():
        parts.append(figure_html(charts.outcome_bars(summary)))
    if (~summary["binary"].astype(bool)).any():
        parts.append(figure_html(charts.quantity_ranges(summary)))
    return "".join(parts) or "<p>No outcomes declared.</p>"


def _pct(x: float) -> str:
    return "" if not math.isfinite(x) else f"{100 * x:.1f}%"


def _pp(x: float) -> str:
    """A difference of probabilities in percentage points, signed."""
    return "" if not math.isfinite(x) else f"{100 * x:+.1f} pp"


def _num(x: Any) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return esc(x)
    if not math.isfinite(v):
        return ""
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.3g}"


def summary_table(summary: pd.DataFrame) -> str:
    """The summary as an HTML table: estimate and 95% interval (binary) or 5/50/95% range."""
    rows = []
    for _, r in summary.iterrows():
        if bool(r["binary"]):
            est, rng = _pct(r["p"]), f"{_pct(r['p_lo'])} to {_pct(r['p_hi'])}"
            mcse = _pct(r["mcse"])
        else:
            est = _num(r["q50"])
            rng = f"{_num(r['q05'])} to {_num(r['q95'])} (mean {_num(r['mean'])})"
            mcse = _num(r["mcse"])
        rows.append({"outcome": f"{esc(r['label'])}<br><code>{esc(r['outcome'])}</code>",
                     "kind": "probability" if bool(r["binary"]) else "quantity (median)",
                     "estimate": est, "range": esc(rng), "runs": str(int(r["n"])),
                     "MC s.e.": mcse})
    return table_html(rows, ["outcome", "kind", "estimate", "range", "runs", "MC s.e."],
                      numeric=["estimate", "runs", "MC s.e."], cls="summary") + (
        "<p>Probability ranges are Wilson 95% intervals over runs; quantity ranges are the "
        "5th to 95th percentiles of runs. MC s.e. is the Monte Carlo standard error of the "
        "estimate (it shrinks with more runs; the spread of outcomes does not).</p>")


def _actor_info(m: Mapping[str, Any], sc: Scenario | None) -> tuple[dict[str, str],
                                                                    dict[str, str]]:
    if sc:
        return {a: x.name for a, x in sc.actors.items()}, charts.actor_colors(sc)
    actors = m.get("actors") or []
    if isinstance(actors, Mapping):  # {id: {name, color}} as the ensemble writes it
        info = {str(k): v if isinstance(v, Mapping) else {} for k, v in actors.items()}
        return ({k: str(v.get("name") or k) for k, v in info.items()},
                {k: str(v["color"]) for k, v in info.items() if v.get("color")})
    return {str(a): str(a) for a in actors}, {}


def _series_sections(series: Mapping[str, pd.DataFrame], m: Mapping[str, Any],
                     sc: Scenario | None) -> list[Section]:
    names, colors = _actor_info(m, sc)
    out = []
    for key, title in (("strength", "Strength over time"), ("territory", "Territory over time")):
        df = series.get(key)
        if df is not None and not df.empty:
            out.append(Section(key, title, figure_html(charts.fan_chart(df, key, names, colors))))
    control = series.get("control")
    if control is not None and not control.empty:
        if sc:
            html_ = figure_html(charts.control_map(control, sc)) + (
                "<p>Each marker is a region at its longitude and latitude; its colour is the "
                "actor most likely to control it, its size and opacity that probability. "
                "Hover for every actor's share of runs; the slider moves through the days.</p>")
        else:
            html_ = '<p class="note">The control map needs region positions from the scenario.</p>'
        out.append(Section("control", "Control of regions", html_))
    return out


def _compact(value: Any) -> str:
    """A condition, effect or override as one short line: `controls(actor=x, region=y)`."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True, exclude_none=True,
                                 exclude_defaults=True)
    if isinstance(value, Mapping):
        if _is_fact(value):
            return _num(value["value"])  # its provenance is in the facts table
        return ", ".join(f"{k}({_compact(v)})" if isinstance(v, Mapping) and not _is_fact(v)
                         else f"{k}={_compact(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "[" + "; ".join(_compact(v) for v in value) + "]"
    return _num(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else str(value)


def _is_fact(value: Mapping[str, Any]) -> bool:
    return "value" in value and set(value) <= set(Fact.model_fields)


def _source_ref(sc: Scenario, sid: str | None) -> str:
    if not sid:
        return ""
    s = sc.sources.get(sid)
    return f"{esc(s.outlet)} [<code>{esc(sid)}</code>]" if s else f"<code>{esc(sid)}</code>"


def _relations_section(sc: Scenario) -> Section:
    names = {a: x.name for a, x in sc.actors.items()}
    rels = [{"between": esc(" – ".join(names[a] for a in r.between)), "stance": esc(r.stance),
             "source": _source_ref(sc, r.source), "note": esc(r.note)}
            for r in sc.relations.values()]
    sups = []
    for r in sc.relations.values():
        for sid, x in r.support.items():
            rng, _ = _range(x.amount)
            end = x.end_day if x.end_day is not None else "horizon"
            sups.append({"from → to": esc(f"{names[x.from_]} → {names[x.to]}"),
                         "kind": esc(x.kind), "amount": _num(x.amount.value),
                         "range": esc(rng), "days": esc(f"{x.start_day}–{end}"),
                         "where": esc(x.region or "most threatened"),
                         "condition": esc(_compact(x.condition) if x.condition else ""),
                         "source": _source_ref(sc, x.source), "id": f"<code>{esc(sid)}</code>"})
    text = figure_html(charts.relations_network(sc))
    text += "<h3>Stances</h3>" + (table_html(rels, ["between", "stance", "source", "note"])
                                  if rels else "<p>No relations declared (all neutral).</p>")
    if sups:
        text += "<h3>Support commitments</h3>" + table_html(
            sups, ["from → to", "kind", "amount", "range", "days", "where", "condition",
                   "source", "id"], numeric=["amount"])
    return Section("relations", "Relations and support", text)


def _events_section(sc: Scenario) -> Section:
    rows = []
    for eid, e in sc.events.items():
        when = " and ".join(x for x in (f"day {e.on_day}" if e.on_day is not None else "",
                                        f"when {_compact(e.when)}" if e.when else "") if x)
        rng, _ = _range(e.probability)
        rows.append({"event": f"<code>{esc(eid)}</code>", "when": esc(when),
                     "probability": _pct(e.probability.value) + (f" ({esc(rng)})" if rng else ""),
                     "what happens": esc(e.description),
                     "effects": esc(_compact(e.effects)), "source": _source_ref(sc, e.source)})
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


def _range(f: Fact) -> tuple[str, str]:
    if f.low is None or f.high is None:
        return "", ""
    return f"{_num(f.low)} to {_num(f.high)}", str(f.dist or "triangular")


def _fact_row(fid: str, f: Fact, sc: Scenario) -> dict[str, str]:
    rng, dist = _range(f)
    return {"fact": f"<code>{esc(fid)}</code>", "value": _num(f.value), "range": esc(rng),
            "distribution": esc(dist), "source": _source_cell(sc, f), "note": esc(f.note or "")}


def _facts_section(sc: Scenario) -> Section:
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
                                             "value": _num(f.value)} for fid, f in dflt],
                                           ["fact", "value"], numeric=["value"]) + "</details>")
    return Section("facts", "Assumptions and facts", text)


def _sampled_section(runs: pd.DataFrame, sc: Scenario | None) -> Section:
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
        rng, dist = _range(f) if f else ("", "")
        rows.append({"fact": f"<code>{esc(fid)}</code>", "declared": _num(f.value) if f else "",
                     "declared range": esc(f"{rng} ({dist})" if rng else ""),
                     "sampled 5%": _num(q05), "median": _num(q50), "95%": _num(q95),
                     "runs": str(len(x))})
    return Section("sampled", "Sampled uncertain facts",
                   f"<p>{len(cols)} facts with a range were drawn afresh in each run.</p>"
                   + table_html(rows, ["fact", "declared", "declared range", "sampled 5%",
                                       "median", "95%", "runs"],
                                numeric=["declared", "sampled 5%", "median", "95%", "runs"]))


def _bibliography(sc: Scenario) -> Section:
    rows = [{"id": f"<code>{esc(sid)}</code>", "outlet": esc(s.outlet), "title": esc(s.title),
             "date": esc(s.date or ""), "link": _link(s.url), "note": esc(s.note)}
            for sid, s in sc.sources.items()]
    return Section("sources", "Bibliography",
                   table_html(rows, ["id", "outlet", "title", "date", "link", "note"], cls="bib")
                   if rows else "<p>The scenario lists no sources.</p>")


_MANIFEST_KEYS = ("scenario_id", "scenario_file", "scenario_sha256", "variant", "seed", "design",
                  "runs_planned", "runs_completed", "runs_failed", "days", "batch_size",
                  "backend", "workers", "version", "command", "status", "started", "finished")


def _manifest_section(m: Mapping[str, Any]) -> Section:
    rows = [{"key": esc(k), "value": f"<code>{esc(m.get(k))}</code>"} for k in _MANIFEST_KEYS
            if k in m]
    t = m.get("timings")
    if isinstance(t, Mapping):
        batches = t.get("batches") or {}
        secs = [float(v) for v in batches.values()] if isinstance(batches, Mapping) else []
        text = f"total {_num(t.get('total', 0))} s"
        if secs:
            text += (f"; {len(secs)} batches, mean {sum(secs) / len(secs):.2f} s, "
                     f"slowest {max(secs):.2f} s")
        rows.append({"key": "timings", "value": esc(text)})
    rows.append({"key": "report written", "value": esc(
        dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))})
    return Section("manifest", "How this was run (manifest)",
                   table_html(rows, ["key", "value"], cls="manifest"))


# --------------------------------------------------------------------------------------------
# Variant comparison
# --------------------------------------------------------------------------------------------


def write_comparison_report(path: str | Path, summaries: Mapping[str, pd.DataFrame],
                            diffs: pd.DataFrame, title: str,
                            manifests: Mapping[str, Mapping[str, Any]] | None = None,
                            notes: Sequence[str] = ()) -> Path:
    """Write a variant comparison page to `path` and return it.

    Args:
        summaries: variant -> summary table; the first entry is the baseline.
        diffs: columns outcome, variant, diff, lo, hi (and optionally a, b, method, label),
            one row per outcome and non-baseline variant.
        title: page title.
        manifests: variant -> manifest, shown as a table of what was run.
        notes: sentences shown at the top (e.g. how the intervals were computed).
    """
    probs, delta = charts.variant_comparison(summaries, diffs)
    intro = "".join(f'<p class="note">{esc(n)}</p>' for n in notes)
    baseline = next(iter(summaries), "")
    binary = {str(o) for s in summaries.values() for o, b in zip(s["outcome"], s["binary"],
                                                                 strict=True) if bool(b)}
    rows = []
    for _, r in diffs.iterrows():
        # Probabilities read as percentages, their differences as percentage points.
        val, dif = (_pct, _pp) if str(r["outcome"]) in binary else (_num, _num)
        rows.append({"outcome": esc(r.get("label") or r["outcome"]), "variant": esc(r["variant"]),
                     "baseline": val(r["a"]) if "a" in r else "",
                     "variant value": val(r["b"]) if "b" in r else "",
                     "difference": dif(r["diff"]),
                     "95% interval": f"{dif(r['lo'])} to {dif(r['hi'])}",
                     "method": esc(r.get("method", ""))})
    sections = [
        Section("compare", f"Variants against {baseline}", intro + figure_html(probs)
                + figure_html(delta)
                + table_html(rows, ["outcome", "variant", "baseline", "variant value",
                                    "difference", "95% interval", "method"],
                             numeric=["baseline", "variant value", "difference"])),
    ]
    sections += [Section(f"v-{i}", f"Variant: {v}", summary_table(s))
                 for i, (v, s) in enumerate(summaries.items())]
    if manifests:
        keys = ("seed", "runs_completed", "runs_failed", "days", "scenario_sha256", "version")
        mrows = [{"variant": esc(v), **{k: esc(m.get(k)) for k in keys}}
                 for v, m in manifests.items()]
        sections.append(Section("manifests", "How these were run",
                                table_html(mrows, ["variant", *keys])))
    return _write(Path(path), render_page(title, sections))
