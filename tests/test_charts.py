"""Charts: inspect each figure's traces and data against the tables they were drawn from."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from sim.analysis import charts
from sim.analysis.colors import EXTRA, near_duplicates
from sim.scenario.schema import Stance
from tests import report_fixtures as rf


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return rf.scenario(tmp_path_factory.mktemp("sc"))


def _by_name(fig, name):
    found = [t for t in fig.data if t.name == name]
    assert len(found) == 1, [t.name for t in fig.data]
    return found[0]


# --------------------------------------------------------------------------------------------
# Outcomes
# --------------------------------------------------------------------------------------------


def test_outcome_bars_lengths_and_asymmetric_intervals_match_summary():
    summary = rf.summary_table()
    fig = charts.outcome_bars(summary)
    bar, values = fig.data
    binary = summary[summary["binary"]]
    assert bar.type == "bar"
    assert list(values.text) == ["30%", "65%"]
    np.testing.assert_allclose(values.x, binary["p_hi"])  # written past the whisker
    np.testing.assert_allclose(bar.x, binary["p"])
    np.testing.assert_allclose(bar.error_x.array, binary["p_hi"] - binary["p"])
    np.testing.assert_allclose(bar.error_x.arrayminus, binary["p"] - binary["p_lo"])
    assert bar.error_x.symmetric is False
    # An empty label falls back to the outcome id; quantities are not drawn as probabilities.
    assert list(bar.y) == ["Alpha falls", "bravo_retaken"]
    assert tuple(fig.layout.xaxis.range) == (0, 1.08)  # room for the value labels


def test_quantity_ranges_median_with_5_95_whiskers():
    summary = rf.summary_table()
    fig = charts.quantity_ranges(summary)
    quantities = summary[~summary["binary"]].reset_index(drop=True)
    assert len(fig.data) == len(quantities)
    for trace, (_, row) in zip(fig.data, quantities.iterrows(), strict=True):
        assert trace.x[0] == pytest.approx(row["q50"])
        assert trace.error_x.array[0] == pytest.approx(row["q95"] - row["q50"])
        assert trace.error_x.arrayminus[0] == pytest.approx(row["q50"] - row["q05"])
    # Each quantity on its own axis (shares and head counts do not share a scale).
    assert len({t.xaxis for t in fig.data}) == len(quantities)


# --------------------------------------------------------------------------------------------
# Fan charts
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["strength", "territory"])
def test_fan_chart_median_inside_nested_bands(name):
    df = rf.series_tables(n=30)[name]
    fig = charts.fan_chart(df, name, {"blue": "Blue State", "red": "Red Group"},
                           {"blue": "#1f77b4"})
    for actor in ("blue", "red"):
        parts = {t.meta["band"]: t for t in fig.data if t.meta["actor"] == actor}
        assert set(parts) == {"90%", "50%", "median"}
        median = np.asarray(parts["median"].y, float)
        days = np.asarray(parts["median"].x)
        expected = df.groupby("day")[actor].median().sort_index()
        np.testing.assert_array_equal(days, expected.index)
        np.testing.assert_allclose(median, expected.to_numpy(), rtol=1e-6)
        k = len(days)
        bands = {b: np.asarray(parts[b].y, float) for b in ("90%", "50%")}
        up90, lo90 = bands["90%"][:k], bands["90%"][k:][::-1]
        up50, lo50 = bands["50%"][:k], bands["50%"][k:][::-1]
        assert np.all(lo90 <= lo50 + 1e-6) and np.all(lo50 <= median + 1e-6)
        assert np.all(median <= up50 + 1e-6) and np.all(up50 <= up90 + 1e-6)
        assert parts["90%"].fill == "toself"
    assert _by_name(fig, "Blue State").line.color == "#1f77b4"
    assert _by_name(fig, "Red Group").line.color == charts.OKABE_ITO[1]  # palette fallback


def test_fan_chart_ignores_actors_missing_from_the_table_or_always_zero():
    df = rf.series_tables(n=5)["territory"]
    df["green"] = 0.0
    fig = charts.fan_chart(df, "territory", ["blue", "green", "nobody"])
    assert {t.meta["actor"] for t in fig.data} == {"blue"}


# --------------------------------------------------------------------------------------------
# Control map
# --------------------------------------------------------------------------------------------


def test_control_probabilities_match_direct_count():
    df = rf.series_tables(n=25)["control"]
    p = charts.control_probabilities(df, rf.REGIONS, len(rf.ACTORS))
    days = sorted(df["day"].unique())
    assert p.shape == (len(days), len(rf.REGIONS), len(rf.ACTORS))
    last = df[df["day"] == days[-1]]
    for r, region in enumerate(rf.REGIONS):
        for a in range(len(rf.ACTORS)):
            assert p[-1, r, a] == pytest.approx((last[region] == a).mean())
    assert np.all(p.sum(axis=2) <= 1 + 1e-12)


def test_control_map_one_marker_per_region_with_probabilities(scenario):
    df = rf.series_tables(n=25)["control"]
    fig = charts.control_map(df, scenario)
    regions = _by_name(fig, "regions")
    assert len(regions.lon) == len(scenario.regions)
    assert list(regions.lon) == [r.lon for r in scenario.regions.values()]
    assert list(regions.lat) == [r.lat for r in scenario.regions.values()]
    expected = charts.control_probabilities(df, list(scenario.regions), len(scenario.actors))[-1]
    cd = np.asarray(regions.customdata, float)
    np.testing.assert_allclose(cd, expected, atol=1e-4)
    assert np.all(cd.sum(axis=1) <= 1 + 1e-9)
    for text, row in zip(regions.hovertext, cd, strict=True):
        shown = [float(x) / 100 for x in re.findall(r": (\d+)%", text)]
        assert sum(shown) == pytest.approx(1.0, abs=0.03)  # actors + 'no controller'
        for actor, p in zip(scenario.actors.values(), row, strict=True):
            assert (f"{actor.name}: {p:.0%}" in text) == (p > 0)
    roads = _by_name(fig, "roads")
    assert len(roads.lon) == 3 * len(scenario.links)
    assert fig.layout.geo.projection.type == "mercator"  # a geo map, no mapbox tiles


def test_control_map_colours_certain_controller_and_slider_days(scenario):
    n, days = 10, [0, 10, 20]
    df = pd.DataFrame({"rep": np.repeat(np.arange(n), 3), "day": np.tile(days, n)})
    for region in scenario.regions:
        df[region] = np.int8(-1)
    df.loc[df["day"] == 20, "alpha"] = np.int8(1)  # red holds alpha in every run on day 20
    fig = charts.control_map(df, scenario)
    regions = _by_name(fig, "regions")
    alpha = list(scenario.regions).index("alpha")
    assert regions.marker.color[alpha] == charts.actor_colors(scenario)["red"]
    assert regions.marker.opacity[alpha] == pytest.approx(1.0)
    others = [c for i, c in enumerate(regions.marker.color) if i != alpha]
    assert set(others) == {charts.NONE_COLOR}
    (slider,) = fig.layout.sliders
    assert [s.label for s in slider.steps] == ["0", "10", "20"]
    assert slider.active == 2
    first = charts.control_map(df, scenario, day=3)
    assert first.layout.sliders[0].active == 0
    assert set(_by_name(first, "regions").marker.color) == {charts.NONE_COLOR}


def test_control_map_slider_is_capped_but_keeps_first_and_last_day(scenario):
    days = np.arange(0, 200)
    df = pd.DataFrame({"rep": 0, "day": days})
    for region in scenario.regions:
        df[region] = np.int8(0)
    steps = charts.control_map(df, scenario).layout.sliders[0].steps
    assert len(steps) <= 61
    assert [s.label for s in steps[:3]] == ["0", "5", "10"]  # a round stride
    assert steps[-1].label == "199"
    steps = charts.control_map(df, scenario, day=33).layout.sliders[0].steps
    assert "33" in [s.label for s in steps]  # the day asked for is one of the steps


# --------------------------------------------------------------------------------------------
# Relations network
# --------------------------------------------------------------------------------------------


def test_relations_network_edges_styles_and_support_arrows(scenario):
    fig = charts.relations_network(scenario)
    edges = [t for t in fig.data if t.meta and "relation" in t.meta]
    assert len(edges) == len(scenario.relations)
    for t in edges:
        stance = Stance(scenario.relations[t.meta["relation"]].stance)
        assert t.line.color == charts.STANCE_STYLE[stance]["color"]
        assert t.line.dash == charts.STANCE_STYLE[stance]["dash"]
    war = next(t for t in edges if t.meta["relation"] == "blue-red")
    assert war.line.dash == "solid" and war.line.width >= 4
    arrows = [a for a in fig.layout.annotations if a.name.startswith("support:")]
    boxes = {a.name: a.text for a in fig.layout.annotations if a.name.startswith("inbox:")}
    # green gives blue troops and air strikes: one arrow, both listed beside the receiver
    assert [a.name for a in arrows] == ["support:green->blue"]
    assert list(boxes) == ["inbox:blue"]
    assert "from Green State" in boxes["inbox:blue"]
    assert "troops 2,000" in boxes["inbox:blue"]
    assert "air strikes 20 sorties/day" in boxes["inbox:blue"]
    pos = charts.circle_layout(list(scenario.actors))
    (arrow,) = arrows  # points from the giver (green) towards the receiver (blue)
    head, tail = np.array([arrow.x, arrow.y]), np.array([arrow.ax, arrow.ay])
    assert np.linalg.norm(head - pos["blue"]) < np.linalg.norm(tail - pos["blue"])
    assert np.linalg.norm(tail - pos["green"]) < np.linalg.norm(head - pos["green"])
    nodes = _by_name(fig, "actors")
    assert list(nodes.text) == [a.name for a in scenario.actors.values()]
    assert list(nodes.hovertext)[1] == "Red Group (armed_group)"


@pytest.mark.parametrize(("name", "short"), [
    ("Islamic State of Iraq and al-Sham (ISIS), with allied Sunni insurgents", "ISIS"),
    ("Iraqi government forces (army and police)", "Iraqi government forces"),
    ("Iran", "Iran"),
    ("Al-Qaim (Qaim-Albu Kamal crossing)", "Al-Qaim"),
    ("A very long name without any brackets at all", "A very long name without an…"),
])
def test_short_name(name, short):
    assert charts.short_name(name) == short


def test_map_labels_move_below_when_a_neighbour_sits_above():
    pos = charts._label_positions([0.0, 0.05, 5.0], [0.0, 0.2, 3.0])
    assert pos == ["bottom center", "top center", "top center"]


def test_circle_layout_is_deterministic_on_the_unit_circle():
    ids = ["a", "b", "c", "d", "e"]
    pos = charts.circle_layout(ids)
    assert pos == charts.circle_layout(ids)
    assert pos["a"] == pytest.approx((0.0, 1.0))
    assert all(math.hypot(*p) == pytest.approx(1.0) for p in pos.values())
    assert len({(round(x, 6), round(y, 6)) for x, y in pos.values()}) == len(ids)


def test_actor_colors_are_the_safe_palette_nearest_the_files_own(scenario):
    colors = charts.actor_colors(scenario)
    assert colors["blue"] == "#0072B2" and colors["red"] == "#000000"  # nearest safe colours
    assert len(set(colors.values())) == len(colors)
    assert set(colors.values()) <= set(charts.OKABE_ITO) | set(EXTRA)
    own = charts.actor_colors(scenario, own=True)
    assert own["blue"] == "#1f77b4" and own["red"] == "black"  # the file's, when asked


def test_near_duplicate_colours_are_found():
    pairs = near_duplicates({"iraq": "#1f5fa8", "usa": "#3c6e9f", "isis": "#222222"})
    assert [(a, b) for a, b, _ in pairs] == [("iraq", "usa")]
    assert near_duplicates(dict(zip("abcdefgh", charts.OKABE_ITO, strict=True))) == []


# --------------------------------------------------------------------------------------------
# Variants and sensitivity
# --------------------------------------------------------------------------------------------


def test_variant_comparison_bars_and_differences():
    base = rf.summary_table()
    alt = base.copy()
    alt.loc[alt["binary"], ["p", "p_lo", "p_hi"]] = [[0.5, 0.4, 0.6], [0.2, 0.12, 0.3]]
    diffs = pd.DataFrame({"outcome": ["alpha_falls", "bravo_retaken", "blue_strength"],
                          "variant": "alt", "diff": [0.2, -0.45, -300.0],
                          "lo": [0.05, -0.6, -500.0], "hi": [0.35, -0.3, -100.0]})
    probs, delta = charts.variant_comparison({"baseline": base, "alt": alt}, diffs)
    assert [t.name for t in probs.data] == ["baseline", "alt"]
    np.testing.assert_allclose(probs.data[0].x, [0.3, 0.65])
    np.testing.assert_allclose(probs.data[1].x, [0.5, 0.2])
    np.testing.assert_allclose(probs.data[1].error_x.array, [0.1, 0.1])
    np.testing.assert_allclose(probs.data[1].error_x.arrayminus, [0.1, 0.08])
    (bar,) = delta.data  # the quantity (head count) is not put on a probability axis
    np.testing.assert_allclose(bar.x, [0.2, -0.45])
    np.testing.assert_allclose(bar.error_x.array, [0.15, 0.15])
    np.testing.assert_allclose(bar.error_x.arrayminus, [0.15, 0.15])
    assert list(bar.y) == ["Alpha falls", "bravo_retaken"]


def _oat() -> pd.DataFrame:
    rows = []
    for f, lo, hi in (("a", 0.40, 0.45), ("b", 0.10, 0.90), ("c", 0.55, 0.30), ("d", 0.5, 0.5)):
        rows.append(dict(outcome="alpha_falls", fact=f"facts.{f}", label=f"fact {f}",
                         low_value=1.0, high_value=2.0, out_low=lo, out_high=hi, baseline=0.42))
    rows.append(dict(outcome="other", fact="facts.a", label="", low_value=1.0, high_value=2.0,
                     out_low=10.0, out_high=20.0, baseline=15.0))
    return pd.DataFrame(rows)


def test_tornado_sorted_by_swing_and_anchored_at_baseline():
    fig = charts.tornado(_oat())
    low = [t for t in fig.data if t.name == "fact at low"]
    high = [t for t in fig.data if t.name == "fact at high"]
    assert len(low) == len(high) == 2
    assert list(low[0].y) == ["fact b", "fact c", "fact a", "fact d"]  # swings .8 .25 .05 0
    np.testing.assert_allclose(np.asarray(low[0].x) + low[0].base, [0.10, 0.55, 0.40, 0.5])
    np.testing.assert_allclose(np.asarray(high[0].x) + high[0].base, [0.90, 0.30, 0.45, 0.5])
    assert high[0].width < low[0].width  # both ends stay visible when on the same side
    assert list(low[1].y) == ["facts.a"]  # no label: the fact id
    assert high[1].base == 15.0
    assert charts.tornado(_oat(), top=2).data[0].y == ("fact b", "fact c")


def test_sensitivity_ranking_descending_with_confidence():
    df = pd.DataFrame({"outcome": "o", "fact": ["x", "y", "z"], "index": [0.1, 0.6, 0.3],
                       "index_conf": [0.05, 0.1, 0.02], "method": "sobol ST"})
    fig = charts.sensitivity_ranking(df)
    (bar,) = fig.data
    assert list(bar.y) == ["y", "z", "x"]
    np.testing.assert_allclose(bar.x, [0.6, 0.3, 0.1])
    np.testing.assert_allclose(bar.error_x.array, [0.1, 0.02, 0.05])
    assert "sobol ST" in fig.layout.title.text


def test_template_is_print_and_projector_friendly():
    fig = charts.outcome_bars(rf.summary_table())
    layout = fig.layout.template.layout
    assert layout.paper_bgcolor == "white" and layout.plot_bgcolor == "white"
    assert layout.font.size >= 16
    assert list(layout.colorway) == list(charts.OKABE_ITO)
