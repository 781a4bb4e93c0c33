"""The report's "why" and "when" sections (pure: the report's content in, HTML out).

Why: per headline outcome, the uncertain facts and events that move it most
(sim.analysis.drivers), each with its source and range and an interval that says when the
effect is noise; how often each event fired and each outcome with and without it.
When: per region, the survival curve of its day-0 controller (the day it first changes
hands, "never" kept as censored at the horizon), and the timing outcomes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.analysis import charts, collect, drivers
from sim.analysis.formatting import day, pct
from sim.analysis.page import Section, esc, figure_html, table_html
from sim.scenario.refs import facts

TOP = 6  # drivers drawn per outcome
MAX_CURVES = 10  # survival curves drawn (the table lists every region)


def why_section(c: Any) -> Section:
    """Section "Why": the drivers of each probability outcome, then the events table."""
    agg, summary = c.agg, c.summary
    fact_specs = dict(facts(c.scenario)) if c.scenario else {}
    sources = c.scenario.sources if c.scenario else {}
    parts = [f"<p>For each outcome: the outcome over the runs where an uncertain fact fell "
             f"in the lowest fifth of its range against those in the highest fifth, and over "
             f"the runs where an event fired against those where it did not. Intervals are "
             f"simultaneous 95% over all {len(agg.facts) + len(agg.events)} candidates "
             "(Bonferroni); a hollow marker and grey row mean the difference cannot be told "
             "apart from Monte Carlo noise with this many runs. Rows are ranked: real "
             "effects by size, then the rest. A co-variation across runs, not a controlled "
             "experiment: <code>geosim sensitivity</code> fixes facts one at a time.</p>"]
    if not agg.facts and not agg.events:
        parts.append('<p class="note">No uncertain facts were sampled and no event firing '
                     "was recorded: nothing varies between runs but the dice.</p>")
        return Section("why", "Why: what moves each outcome", "".join(parts))
    prob = charts.outcomes.probability_rows(summary)
    for _, row in prob.iterrows():
        parts.append(_outcome_drivers(agg, row, fact_specs, sources))
    parts.append(_events_table(c, prob))
    return Section("why", "Why: what moves each outcome", "".join(parts))


def _outcome_drivers(agg: Any, row: Any, fact_specs: dict, sources: Any) -> str:
    oid, label = str(row["outcome"]), str(row["label"] or row["outcome"])
    head = f"<h3>{esc(label)} ({pct(row['p'])})</h3>"
    if not 0 < float(row["p"]) < 1:
        return head + f"<p>{'Never' if row['p'] == 0 else 'Always'} happens in these runs: " \
                      "nothing to explain.</p>"
    d = drivers.drivers(agg, oid, True, fact_specs, sources)
    if d.empty:
        return head + "<p>No driver data recorded for this outcome.</p>"
    real = d[~d["noise"]]
    lines = [f"<li>{esc(drivers.sentence(r, label, True))}"
             + (f"; source {esc(r['source'])}" if r["source"] else "")
             + f" ({esc(r['range_text'])}).</li>" for _, r in real.head(3).iterrows()]
    if real.empty:
        text = (f'<p class="note">With {agg.ok:,} runs, no uncertain fact or event moves '
                f'"{esc(label)}" distinguishably from noise: more runs would narrow the '
                "intervals, or it is decided by the dice (combat, decisions).</p>")
    else:
        text = f"<ul>{''.join(lines)}</ul>"
    fig = charts.drivers_chart(d.head(TOP), f"What moves: {label}", binary=True)
    return head + text + figure_html(fig, f"why-{oid}") + _drivers_table(d)


def _drivers_table(d: Any) -> str:
    rows = [{"rank": str(i + 1),
             "fact or event": f"<code>{esc(r['id'])}</code>",
             "low fifth / not fired": pct(r["low"]), "high fifth / fired": pct(r["high"]),
             "difference [simultaneous 95%]": (f"{100 * r['diff']:+.1f} pp "
                                               f"[{100 * r['lo']:+.1f}, {100 * r['hi']:+.1f}]"
                                               + (" (noise)" if r["noise"] else "")),
             "source": esc(r["source"]), "range": esc(r["range_text"])}
            for i, (_, r) in enumerate(d.iterrows())]
    return table_html(rows, ["rank", "fact or event", "low fifth / not fired",
                             "high fifth / fired", "difference [simultaneous 95%]", "source",
                             "range"], numeric=["rank"], what="facts and events, ranked")


def _events_table(c: Any, prob: Any) -> str:
    agg = c.agg
    if agg.event_counts is None:
        names = ", ".join(c.scenario.events) if c.scenario and c.scenario.events else ""
        return ("<h3>Events</h3><p class=\"note\">These runs did not record which events "
                "fired (the runs table has no <code>event:&lt;id&gt;</code> columns), so "
                "event frequencies and the outcome with and without each event are not "
                f"shown{': ' + esc(names) if names else ''}.</p>")
    rows = []
    for e, eid in enumerate(agg.events):
        n_not, n_fired = agg.event_counts[e]
        row = {"event": f"<code>{esc(eid)}</code>",
               "fired": pct(n_fired / max(n_not + n_fired, 1))}
        for _, o in prob.iterrows():
            s = agg.event_sums.get(str(o["outcome"]))
            if s is None:
                continue
            without = s[0, e, 0] / s[2, e, 0] if s[2, e, 0] else float("nan")
            with_ = s[0, e, 1] / s[2, e, 1] if s[2, e, 1] else float("nan")
            row[str(o["label"] or o["outcome"])] = f"{pct(with_)} / {pct(without)}"
        rows.append(row)
    cols = list(rows[0]) if rows else ["event", "fired"]
    return ("<h3>Events: how often each fired, and each outcome with / without it</h3>"
            + table_html(rows, cols, numeric=cols[1:], what="events"))


def when_section(c: Any) -> Section:
    """Section "When": survival of each region's day-0 controller, and timing outcomes."""
    agg, sc = c.agg, c.scenario
    parts: list[str] = []
    if agg.control is not None and agg.first_change is not None:
        regions = agg.control[0]
        names = {r: (sc.regions[r].name if sc and r in sc.regions else r) for r in regions}
        surv = collect.survival(agg.first_change, agg.days)
        changed = 1 - surv[:, -1]
        order = [i for i in np.argsort(-changed, kind="stable") if changed[i] > 0]
        curves = {names[regions[i]]: (agg.days, surv[i]) for i in order[:MAX_CURVES]}
        parts.append("<p>For each region, the share of runs in which the controller it had on "
                     "day 0 still holds it, day by day (the day it first changes hands). Runs "
                     "in which it never changes hands are censored at the horizon: a curve "
                     "ends at their share instead of falling to zero.</p>")
        if curves:
            fig = charts.survival_chart(curves, "Regions: share of runs not yet changed hands",
                                        "held by the day-0 controller")
            parts.append(figure_html(fig, "when-regions"))
        rows = [{"region": esc(names[regions[i]]), "changes hands by the horizon":
                 pct(changed[i]), "median day of change": _median_day(agg.days, surv[i],
                                                                      agg.horizon)}
                for i in np.argsort(-changed, kind="stable")]
        parts.append(table_html(rows, ["region", "changes hands by the horizon",
                                       "median day of change"],
                                numeric=["changes hands by the horizon"], what="regions"))
    parts.append(_timing_outcomes(c))
    return Section("when", "When: the day regions change hands", "".join(parts))


def _median_day(days: np.ndarray, surv: np.ndarray, horizon: int) -> str:
    below = np.nonzero(surv <= 0.5)[0]
    return day(days[below[0]]) if below.size else day(float("inf"), horizon)


def _timing_outcomes(c: Any) -> str:
    rows = c.summary[c.summary["timing"].fillna(False).astype(bool)]
    if rows.empty:
        return ""
    curves = {}
    for _, r in rows.iterrows():
        o = c.agg.outcomes.get(str(r["outcome"]))
        if o is None or o.days is None:
            continue
        total = o.n + o.pos_inf
        curves[str(r["label"] or r["outcome"])] = (
            np.arange(len(o.days)), 1 - np.cumsum(o.days) / max(total, 1))
    if not curves:
        return ""
    fig = charts.survival_chart(curves, "Timing outcomes: share of runs in which it has not "
                                "happened yet")
    return "<h3>Timing outcomes</h3>" + figure_html(fig, "when-outcomes")
