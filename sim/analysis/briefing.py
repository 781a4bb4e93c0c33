"""The one-page briefing: headline table, three charts, the key drivers with their sources,
and the caveats, laid out to print on one A4 or US Letter page (the area both share:
190 x 259 mm inside 10 mm margins). Pure: the report's content in, HTML out."""

from __future__ import annotations

from typing import Any

from sim.analysis import charts, drivers
from sim.analysis.formatting import pct
from sim.analysis.page import Section, esc, figure_html, render_page, table_html
from sim.scenario.refs import facts

WIDTH, HEIGHT = 340, 250  # px of each small chart (two side by side fit 190 mm)
PRINT_CSS = """<style>
@page { margin: 10mm; }
body.briefing { max-width: 720px; padding: 8px; font-size: 11px; line-height: 1.3; }
body.briefing h1 { font-size: 18px; } body.briefing h2 { font-size: 13px; margin: 6px 0 3px; }
body.briefing .subtitle { font-size: 11px; margin: 0 0 4px; }
body.briefing table { font-size: 10px; margin: 2px 0 4px; }
body.briefing th, body.briefing td { padding: 1px 4px; }
body.briefing .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 4px; }
body.briefing .figure { margin: 0; }
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
    figs = [_small(charts.outcome_bars(c.summary), "Probability of each outcome")]
    key, lines = _key_drivers(c, prob)
    if key is not None:
        figs.append(_small(key, key.layout.title.text))
    if c.agg.control is not None and c.scenario is not None:
        regions, counts = c.agg.control
        keep = [i for i, r in enumerate(regions) if r in c.scenario.regions]
        fig = charts.control_map_of(c.agg.days, charts.probabilities_from_counts(counts)[
            :, keep], [regions[i] for i in keep], c.scenario, c.colors, geography=c.geography)
        fig.layout.sliders = ()
        fig.update_layout(showlegend=False, title="Most likely controller, last day")
        figs.append(_small(fig, None))
    grid = '<div class="grid">' + "".join(figure_html(f, f"brief-{i}")
                                          for i, f in enumerate(figs)) + "</div>"
    body = (table + grid + "<h2>Key drivers</h2>" + (f"<ul>{''.join(lines)}</ul>" if lines
            else "<p>No fact or event moves an outcome distinguishably from noise.</p>")
            + "<h2>Caveats</h2>" + _caveats(c))
    html = render_page(title, [Section("briefing", "Briefing", body)], head=PRINT_CSS + c.head(),
                       subtitle=_line(c), contents=False)
    return html.replace("<body>", '<body class="briefing">', 1)


def _small(fig: Any, title: str | None) -> Any:
    fig.update_layout(width=WIDTH, height=HEIGHT, margin=dict(l=10, r=10, t=36, b=24),
                      font=dict(size=10), title=dict(font=dict(size=12)))
    if title:
        fig.update_layout(title_text=title)
    return fig


def _key_drivers(c: Any, prob: Any) -> tuple[Any, list[str]]:
    specs = dict(facts(c.scenario)) if c.scenario else {}
    sources = c.scenario.sources if c.scenario else {}
    lines, chart = [], None
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
                     + (f" (source: {esc(r['source'])})" if r["source"] else "") + ".</li>")
        if chart is None:
            chart = charts.drivers_chart(real.head(4), f"What moves: {label}", binary=True)
            chart.update_layout(showlegend=False)
        if len(lines) == 4:
            break
    return chart, lines


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
