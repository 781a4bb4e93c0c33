"""The one-page briefing: headline table, three charts, the key drivers with their sources,
and the caveats, laid out to print on one A4 or US Letter page (the area both share:
190 x 259 mm inside 10 mm margins). Pure: the report's content in, HTML out."""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np

from sim.analysis import charts, collect, drivers
from sim.analysis.formatting import pct
from sim.analysis.page import Section, esc, figure_html, render_page, table_html
from sim.scenario.refs import facts

WIDTH, HEIGHT = 350, 215  # px of each small chart (two side by side fit 190 mm)
WIDE, BAR_PX = 710, 26  # the outcome chart: full width, BAR_PX per outcome
FAN_ACTORS = 3  # actors in the fan
SURVIVAL_REGIONS = 3  # regions in the survival chart
PRINT_CSS = """<style>
@page { margin: 10mm; }
body.briefing { max-width: 720px; padding: 8px; font-size: 11px; line-height: 1.3; }
body.briefing h1 { font-size: 18px; } body.briefing h2 { font-size: 13px; margin: 6px 0 3px; }
body.briefing .subtitle { font-size: 11px; margin: 0 0 4px; }
body.briefing table { font-size: 10px; margin: 2px 0 4px; }
body.briefing th, body.briefing td { padding: 1px 4px; }
body.briefing .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 4px; }
body.briefing .figure { margin: 0; page-break-inside: avoid; }
body.briefing ul { margin: 2px 0; padding-left: 16px; }
@media print { body.briefing section { break-before: auto; page-break-before: auto; }
  body.briefing { max-width: none; } }
</style>"""


def briefing_page(c: Any, title: str) -> str:
    """The briefing as a whole HTML page (see the module docstring)."""
    if c.summary is None:
        return render_page(title, [Section("b", "Briefing", "<p>No completed runs.</p>")],
                           head=PRINT_CSS, contents=False)
    prob = charts.outcomes.probability_rows(c.summary)
    rows = [{"outcome": esc(r["label"] or r["outcome"]), "probability": pct(r["p"]),
             "95% interval": f"{pct(r['p_lo'])} to {pct(r['p_hi'])}"}
            for _, r in prob.iterrows()]
    table = table_html(rows, ["outcome", "probability", "95% interval"],
                       numeric=["probability", "95% interval"], collapse=0)
    bars = _outcome_chart(prob)
    small = [f for f in (_fan(c), _falls(c)) if f is not None]
    figs = (figure_html(bars, "brief-outcomes") if bars is not None else "") + (
        '<div class="grid">' + "".join(figure_html(f, f"brief-{i}") for i, f in
                                       enumerate(small)) + "</div>")
    lines = _key_drivers(c, prob)
    body = (table + figs + "<h2>Key drivers</h2>" + (f"<ul>{''.join(lines)}</ul>" if lines
            else "<p>No fact or event moves an outcome distinguishably from noise.</p>")
            + "<h2>Caveats</h2>" + _caveats(c))
    html = render_page(title, [Section("briefing", "Briefing", body)], head=PRINT_CSS,
                       subtitle=_line(c), contents=False)
    return html.replace("<body>", '<body class="briefing">', 1)


def _static(fig: Any, width: int, height: int, title: str) -> Any:
    """A chart made for paper: fixed size, small type, no buttons or sliders (print shows
    neither), legend under the plot where it cannot cover data."""
    fig.update_layout(width=width, height=height, margin=dict(l=10, r=10, t=32, b=10),
                      font=dict(size=10), title=dict(text=title, font=dict(size=12)),
                      updatemenus=(), sliders=(), hovermode=False,
                      legend=dict(orientation="h", x=0, y=-0.2, yanchor="top",
                                  font=dict(size=9), title=""))
    fig.update_xaxes(title_font=dict(size=10), title_standoff=2)
    fig.update_yaxes(title_font=dict(size=10), title_standoff=2)
    return fig


def _outcome_chart(prob: Any) -> Any:
    """Chart 1: each probability outcome with its 95% interval, full width (the labels are
    long: wrapped, so none is cut)."""
    if prob.empty:
        return None
    fig = charts.outcome_bars(prob)
    for trace in fig.data:
        trace.y = tuple(_wrap(str(y)) for y in trace.y)
    fig.data[1].textfont = dict(size=10)
    _static(fig, WIDE, 60 + BAR_PX * len(prob), "Probability of each outcome (95% interval)")
    fig.update_xaxes(title=None)
    return fig


def _wrap(text: str, width: int = 34) -> str:
    return "<br>".join(textwrap.wrap(text, width)[:2]) or text


def _fan(c: Any) -> Any:
    """Chart 2: the fan of the key series (territory, else strength) for the actors that
    hold the most of it at the end (more bands than that do not read at this size)."""
    key = next((k for k in ("territory", "strength") if k in c.agg.series), None)
    if key is None:
        return None
    q = collect.series_quantiles(c.agg, key)
    names = c.actor_names()
    last = {a: float(q[(a, 0.5)].iloc[-1]) for a in names if (a, 0.5) in q}
    top = sorted((a for a in last if float(q[(a, 0.95)].max()) > 0),
                 key=lambda a: -last[a])[:FAN_ACTORS]
    if not top:
        return None
    fig = charts.fan_from_quantiles(q, key, {a: names[a] for a in top}, c.colors)
    return _static(fig, WIDTH, HEIGHT, f"{key.capitalize()}: median, 50% and 90% of runs")


def _falls(c: Any) -> Any:
    """Chart 3: survival of the regions that change hands most often (share of runs in which
    the day-0 controller still holds it; "never" censored at the horizon)."""
    agg, sc = c.agg, c.scenario
    if agg.control is None or agg.first_change is None:
        return None
    regions = agg.control[0]
    surv = collect.survival(agg.first_change, agg.days)
    order = np.argsort(surv[:, -1], kind="stable")[:SURVIVAL_REGIONS]
    names = {r: (sc.regions[r].name if sc and r in sc.regions else r) for r in regions}
    curves = {names[regions[i]]: (agg.days, surv[i]) for i in order}
    fig = charts.survival_chart(curves, "", "held by the day-0 controller")
    return _static(fig, WIDTH, HEIGHT, "Regions that change hands most: still held")


def _key_drivers(c: Any, prob: Any) -> list[str]:
    """Up to four sentences: the largest real driver of each outcome, with its source."""
    specs = dict(facts(c.scenario)) if c.scenario else {}
    sources = c.scenario.sources if c.scenario else {}
    lines = []
    for _, row in prob.iterrows():
        if not 0 < float(row["p"]) < 1:
            continue
        label = str(row["label"] or row["outcome"])
        d = drivers.drivers(c.agg, str(row["outcome"]), True, specs, sources)
        real = d[~d["noise"]] if len(d) else d
        if real.empty:
            continue
        r = real.iloc[0]
        lines.append(f"<li>{esc(drivers.sentence(r, label, True))}"
                     + (f" (source: {esc(r['source'])}; {esc(r['range_text'])})"
                        if r["source"] else f" ({esc(r['range_text'])})") + ".</li>")
        if len(lines) == 4:
            break
    return lines


def _line(c: Any) -> str:
    m = c.manifest
    return (f"{esc(m.get('variant') or 'baseline')} · seed {esc(m.get('seed'))} · "
            f"{c.agg.ok:,} runs of {esc(m.get('days'))} days")


def _caveats(c: Any) -> str:
    items = ["A model of stated assumptions, not a forecast: probabilities are shares of "
             "simulated runs under the scenario's facts and ranges.",
             "Drivers co-vary with outcomes across runs; they are not controlled experiments.",
             "Facts marked as assumptions in the scenario have no source (see the report)."]
    if c.agg.failed:
        items.append(f"{c.agg.failed:,} runs failed and are left out.")
    if c.manifest.get("status") not in (None, "complete"):
        items.append(f"The run is not complete ({esc(c.manifest.get('status'))}).")
    return "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"
