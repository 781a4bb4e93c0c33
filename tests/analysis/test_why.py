"""sim.analysis.why: the report's "why" (drivers, events) and "when" (survival, timing)
sections on small runs tables with known answers."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest

from sim.analysis import why
from sim.analysis.page import collecting_figures
from sim.analysis.stats import summarise_aggregate
from tests.analysis import synthetic as syn


def _content(runs, series=None, horizon=10):
    agg = syn.aggregate_of(runs, series, horizon)
    return SimpleNamespace(agg=agg, scenario=None, summary=summarise_aggregate(agg, syn.OUTCOMES))


def test_when_section_survival_censoring_and_median_day():
    c = _content(syn.timed_runs(), {"control": syn.control_series()})
    with collecting_figures() as figs:
        html = why.when_section(c).html
    curves = {t.name: t for t in figs["when-regions"].data}
    assert list(curves) == ["r"]  # s never changes hands: tabulated, not drawn
    np.testing.assert_allclose(curves["r"].y, [1.0, 0.5, 0.25])
    cells = re.findall(r"<tr><td>(\w)</td><td class=\"num\">([^<]*)</td><td>([^<]*)</td>", html)
    assert cells == [("r", "75.0%", "day 5"), ("s", "0%", "not by day 10")]


def test_timing_outcome_curve_keeps_never_censored():
    c = _content(syn.timed_runs(), {"control": syn.control_series()})
    with collecting_figures() as figs:
        why.when_section(c)
    (curve,) = figs["when-outcomes"].data
    y = np.asarray(curve.y)
    # happened on day 3 in 2 of 4 runs, on day 7 in 1, never in 1: ends at 25%, not 0
    assert y[0] == 1.0 and y[3] == 0.5 and y[7] == 0.25 and y[-1] == 0.25


def test_events_read_event_columns_fired_when_finite():
    runs = syn.driven_runs(n=400)
    c = _content(runs)
    html = why.why_section(c).html
    fired = np.isfinite(runs["event:e"])
    share = f"{fired.mean():.1%}"
    with_, without = runs.loc[fired, "out:x"].mean(), runs.loc[~fired, "out:x"].mean()
    row = re.search(r"<tr><td><code>e</code></td>(.*?)</tr>", html.split("Events: how")[1])
    assert row is not None
    assert share in row.group(1)
    assert f"{100 * with_:.1f}% / {100 * without:.1f}%" in row.group(1)


def test_runs_without_event_columns_say_so():
    c = _content(syn.driven_runs(n=200).drop(columns=["event:e"]))
    html = why.why_section(c).html
    assert "no <code>event:&lt;id&gt;</code> columns" in html


def test_noise_rows_are_marked_and_ranked_last():
    c = _content(syn.driven_runs())
    html = why.why_section(c).html
    part = html.split("<h3>X happens")[1].split("<h3>")[0]
    ranks = re.findall(r"<td class=\"num\">(\d+)</td><td><code>(\w)</code>", part)
    assert ranks == [("1", "a"), ("2", "e"), ("3", "b")]
    b_row = part.split("<code>b</code>")[1].split("</tr>")[0]
    assert "(noise)" in b_row and "(noise)" not in part.split("<code>b</code>")[0]


def test_an_outcome_no_fact_moves_gets_the_noise_note():
    runs = syn.driven_runs(n=300)
    runs["out:x"] = (np.random.default_rng(0).random(len(runs)) < 0.5).astype(float)
    html = why.why_section(_content(runs)).html
    assert "distinguishably from noise" in html.split("<h3>X happens")[1]


@pytest.mark.parametrize("p, text", [(0.0, "Never happens"), (1.0, "Always happens")])
def test_outcomes_that_never_or_always_happen_need_no_explaining(p, text):
    runs = syn.driven_runs(n=100)
    runs["out:x"] = p
    html = why.why_section(_content(runs)).html
    assert f"{text} in these runs: nothing to explain" in html
