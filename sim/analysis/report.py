"""The HTML report of a results folder (the reporting chain's writer).

`write_report(dir)` writes `dir/report.html` and `dir/briefing.html` from the folder's
aggregates (sim.analysis.collect; memory does not grow with the number of runs) and the
scenario the run stored (`scenario.resolved.yaml`): summary, why (drivers of each headline
outcome), when (survival of every region's day-0 controller, timing outcomes), fans over
time, the control map on real coastlines and borders, the scenario's relations, events,
facts with provenance and bibliography, and the manifest. One self-contained file each
(plotly.js and the map topology embedded): they open offline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis import charts, collect
from sim.analysis import scenario_sections as scen
from sim.analysis.formatting import day, num, pct
from sim.analysis.page import (
    Section,
    collecting_figures,
    esc,
    figure_html,
    render_page,
    table_html,
    write_atomic,
)
from sim.analysis.stats import summarise_aggregate
from sim.errors import SimError
from sim.experiments.results import RESOLVED_SCENARIO, read_manifest
from sim.scenario.schema import Scenario

# The names other modules (the wargame, the sensitivity and compare commands) import here.
__all__ = ["Section", "default_fact_paths", "esc", "figure_html", "render_page",
           "report_sections", "summary_table", "table_html", "write_comparison_report",
           "write_report"]
default_fact_paths = scen.default_fact_paths
HEADLINE_DRIVERS = 6  # drivers shown per outcome (the collapsed table holds every one)


def write_report(results_dir: str | Path, export: bool = False) -> Path:
    """Write `results_dir/report.html` (and `briefing.html`) and return the report's path;
    with `export`, also every chart as `charts/<name>.png` and `.svg` (sim.analysis.export).

    Raises:
        ResultsError: the folder is missing or is not a readable results folder.
    """
    from sim.analysis.briefing import briefing_page

    folder = Path(results_dir)
    manifest = read_manifest(folder)
    scenario, notes = stored_scenario(folder)
    content = ReportContent.read(folder, manifest, scenario, notes)
    title = scenario.scenario.title if scenario else str(manifest.get("scenario_id", "?"))
    with collecting_figures() as figures:
        sections = report_sections(content)
    page = render_page(title, sections, subtitle=_subtitle(manifest, scenario),
                       head=content.head())
    if export:
        from sim.analysis.export import export_figures

        geo = content.geography.assets_script() if content.geography else ""
        export_figures(figures, folder / "charts", geo)
    write_atomic(folder / "briefing.html", briefing_page(content, title))
    return write_atomic(folder / "report.html", page)


def stored_scenario(folder: Path) -> tuple[Scenario | None, list[str]]:
    """The scenario the run used, from the folder's scenario.resolved.yaml (never the
    scenario file named in the manifest, which may have changed since)."""
    from sim.scenario.loader import load

    path = folder / RESOLVED_SCENARIO
    if not path.is_file():
        return None, [f"This results folder holds no {RESOLVED_SCENARIO} (written by runs "
                      "since the report stopped reading the scenario file): facts, map, "
                      "relations and bibliography are omitted."]
    try:
        return load(path).scenario, []
    except SimError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None, [f"{RESOLVED_SCENARIO} does not load ({first}): scenario sections "
                      "omitted."]


class ReportContent:
    """Everything the report's sections read (built once from the folder)."""

    def __init__(self, manifest: dict[str, Any], scenario: Scenario | None, agg: Any,
                 sample: pd.DataFrame, notes: Sequence[str] = ()):
        self.manifest, self.scenario, self.agg, self.sample = manifest, scenario, agg, sample
        self.notes = list(notes)
        specs = manifest.get("outcomes") or (scenario.outcomes if scenario else {})
        self.outcomes: Mapping[str, Any] = specs
        self.summary = summarise_aggregate(agg, specs) if agg is not None and agg.ok else None
        self.geography = _geography(scenario)
        self.colors = charts.actor_colors(scenario) if scenario else _manifest_colors(manifest)

    @classmethod
    def read(cls, folder: Path, manifest: dict[str, Any], scenario: Scenario | None,
             notes: Sequence[str] = ()) -> ReportContent:
        agg = collect.collect(folder, scenario, manifest)
        sample = collect.sample_runs(folder, limit=5000)
        if "status" in sample:
            sample = sample[sample["status"] == "ok"]
        return cls(manifest, scenario, agg, sample, notes)

    def head(self) -> str:
        """The map topology for plotly.js (only when there is a map)."""
        if self.geography is None:
            return ""
        return f"<script>{self.geography.assets_script()}</script>"

    def actor_names(self) -> dict[str, str]:
        if self.scenario:
            return {a: x.name for a, x in self.scenario.actors.items()}
        actors = self.manifest.get("actors") or {}
        return {str(k): str((v or {}).get("name") or k) if isinstance(v, Mapping) else str(k)
                for k, v in (actors.items() if isinstance(actors, Mapping) else
                             ((a, {}) for a in actors))}


def _geography(scenario: Scenario | None) -> Any:
    if scenario is None:
        return None
    from sim.analysis.geography import geography_for

    return geography_for({r: (x.lon, x.lat) for r, x in scenario.regions.items()})


def _manifest_colors(m: Mapping[str, Any]) -> dict[str, str]:
    from sim.analysis.colors import palette_for

    actors = m.get("actors") or {}
    ids = list(actors)
    given = {str(a): (actors[a] or {}).get("color") if isinstance(actors, Mapping) else None
             for a in ids}
    return palette_for(given)


def _subtitle(m: Mapping[str, Any], sc: Scenario | None) -> str:
    parts = []
    if sc:
        parts.append(f"Situation as of {esc(sc.scenario.as_of)}")
    parts += [f"variant <b>{esc(m.get('variant') or 'baseline')}</b>",
              f"seed {esc(m.get('seed'))}",
              f"{num(m.get('runs_completed'))} runs of {esc(m.get('days'))} days"]
    return " · ".join(parts)


def report_sections(content: ReportContent) -> list[Section]:
    """Every section of an ensemble report (pure: no I/O)."""
    from sim.analysis import why

    c, sc, m = content, content.scenario, content.manifest
    intro = "".join(f'<p class="note">{esc(n)}</p>' for n in [*c.notes, *_run_notes(c)])
    intro += _scenario_intro(sc, m.get("variant"))
    if c.summary is None:
        intro += '<p class="note">No completed runs in this folder: nothing to summarise.</p>'
        return [Section("summary", "Summary", intro), scen.manifest_section(m)]
    out = [Section("summary", "Summary", intro + summary_table(c.summary, m.get("days"))),
           Section("outcomes", "Outcomes", _outcome_figures(c.summary))]
    out += [why.why_section(c), why.when_section(c)]
    out += _series_sections(c)
    if sc:
        out.append(scen.relations_section(sc))
        if sc.events:
            out.append(scen.events_section(sc))
        out.append(scen.facts_section(sc))
    out.append(scen.sampled_section(c.sample, sc))
    if sc:
        out.append(scen.bibliography(sc))
    out.append(scen.manifest_section(m))
    return out


def _scenario_intro(sc: Scenario | None, variant: str | None) -> str:
    text = f"<p>{esc(sc.scenario.description)}</p>" if sc and sc.scenario.description else ""
    if sc and variant in sc.variants:
        v = sc.variants[variant]
        changes = ", ".join(f"{k} = {scen.compact(x)}" for k, x in v.set.items())
        text += (f"<p><b>Variant {esc(variant)}: {esc(v.title)}.</b> {esc(v.description)} "
                 f"Changes: {esc(changes)}</p>")
    return text


def _run_notes(c: ReportContent) -> list[str]:
    """Warnings about the run itself: unfinished, or replications that failed."""
    m, out = c.manifest, []
    done = (c.agg.ok + c.agg.failed) if c.agg is not None else 0
    status = m.get("status")
    if status and status != "complete":
        out.append(f"This run is not complete (status: {status}): the report covers the "
                   f"{done:,} of {num(m.get('runs_planned'))} planned runs written so far.")
    if c.agg is not None and c.agg.failed:
        top = max(c.agg.errors.items(), key=lambda kv: kv[1]) if c.agg.errors else None
        why = f" Most common error: {top[0]} ({top[1]:,}x)." if top else ""
        out.append(f"{c.agg.failed:,} of {done:,} runs failed and are left out of every "
                   f"statistic below.{why}")
    return out


def _outcome_figures(summary: pd.DataFrame) -> str:
    parts = []
    if len(charts.outcomes.probability_rows(summary)):
        parts.append(figure_html(charts.outcome_bars(summary), "outcomes"))
    if len(charts.outcomes.quantity_rows(summary)):
        parts.append(figure_html(charts.quantity_ranges(summary), "quantities"))
    return "".join(parts) or "<p>No outcomes declared.</p>"


def summary_table(summary: pd.DataFrame, horizon: Any = None) -> str:
    """The summary as an HTML table: estimate and 95% interval (binary) or 5/50/95% range;
    timing outcomes as the chance it happened by the horizon and the median day."""
    rows = []
    for _, r in summary.iterrows():
        timing = bool(r.get("timing")) if "timing" in r else False
        if bool(r["binary"]) or timing:
            est, rng, mcse = pct(r["p"]), f"{pct(r['p_lo'])} to {pct(r['p_hi'])}", pct(r["mcse"])
            kind = "probability"
            if timing:
                kind = "timing: happens by the horizon"
                rng += (f"; day {day(r['q05'], horizon)} / median {day(r['q50'], horizon)} "
                        f"/ {day(r['q95'], horizon)} (5/50/95%, censored)")
        else:
            est, kind = num(r["q50"]), "quantity (median)"
            rng = f"{num(r['q05'])} to {num(r['q95'])} (mean {num(r['mean'])})"
            mcse = num(r["mcse"])
        rows.append({"outcome": f"{esc(r['label'])}<br><code>{esc(r['outcome'])}</code>",
                     "kind": kind, "estimate": est, "range": esc(rng),
                     "runs": f"{int(r['n']):,}", "MC s.e.": mcse})
    return table_html(rows, ["outcome", "kind", "estimate", "range", "runs", "MC s.e."],
                      numeric=["estimate", "runs", "MC s.e."], cls="summary", collapse=0) + (
        "<p>Probability ranges are Wilson 95% intervals over runs; quantity ranges are the "
        "5th to 95th percentiles of runs (read from histograms with 1% relative bins). "
        "MC s.e. is the Monte Carlo standard error of the estimate (it shrinks with more "
        "runs; the spread of outcomes does not). Shares closer than 0.5% to 0 or 100% read "
        '"&lt;0.5%" / "&gt;99.5%".</p>')


def _series_sections(c: ReportContent) -> list[Section]:
    names, out = c.actor_names(), []
    agg = c.agg
    for key, title in (("strength", "Strength over time"), ("territory", "Territory over time")):
        if agg is not None and key in agg.series:
            q = collect.series_quantiles(agg, key)
            fig = charts.fan_from_quantiles(q, key, names, c.colors)
            out.append(Section(key, title, figure_html(fig, key)))
    if agg is None or agg.control is None:
        return out
    if c.scenario is None:
        out.append(Section("control", "Control of regions", '<p class="note">The control map '
                           "needs region positions from the scenario.</p>"))
        return out
    regions, counts = agg.control
    probs = charts.probabilities_from_counts(counts)
    keep = [i for i, r in enumerate(regions) if r in c.scenario.regions]
    fig = charts.control_map_of(agg.days, probs[:, keep], [regions[i] for i in keep],
                                c.scenario, c.colors, geography=c.geography)
    text = figure_html(fig, "control-map") + (
        "<p>Each marker is a region at its position, coloured by the actor most likely to "
        "control it (size and opacity: that probability; hover for every actor's share of "
        "runs); the shaded cells are the land nearest each region (not surveyed "
        "boundaries). Coastlines and borders: Natural Earth 1:10m (public domain), "
        "embedded in this page. The slider moves through the days.</p>")
    out.append(Section("control", "Control of regions", text))
    return out


def write_comparison_report(*args: Any, **kwargs: Any) -> Path:
    """See sim.analysis.compare_report.write_comparison_report."""
    from sim.analysis.compare_report import write_comparison_report as write

    return write(*args, **kwargs)


def _finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False
