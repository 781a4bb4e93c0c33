"""sim.analysis.drivers: the effect of each fact and event, its interval, noise and ranking."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sim.analysis import drivers
from tests.analysis import synthetic as syn

FACTS = {"a": syn.fact(source="wire"), "b": syn.fact(assumption=True)}
SOURCES = {"wire": SimpleNamespace(outlet="Wire Service")}


@pytest.fixture(scope="module")
def runs():
    return syn.driven_runs()


@pytest.fixture(scope="module")
def table(runs):
    return drivers.drivers(syn.aggregate_of(runs), "x", True, FACTS, SOURCES)


def test_fifths_and_event_groups_match_the_runs(runs, table):
    rows = table.set_index("id")
    low, high = runs[runs["fact:a"] < 0.2], runs[runs["fact:a"] > 0.8]
    assert rows.loc["a", "low"] == pytest.approx(low["out:x"].mean())
    assert rows.loc["a", "high"] == pytest.approx(high["out:x"].mean())
    assert rows.loc["a", "n_low"] == len(low) and rows.loc["a", "n_high"] == len(high)
    fired = runs["event:e"] < float("inf")  # a finite day: the event fired
    assert rows.loc["e", "high"] == pytest.approx(runs.loc[fired, "out:x"].mean())
    assert rows.loc["e", "low"] == pytest.approx(runs.loc[~fired, "out:x"].mean())
    assert rows.loc["e", "kind"] == "event"
    assert rows.loc["e", "range_text"] == f"fired in {fired.mean():.1%} of runs"


def test_a_real_effect_has_an_interval_excluding_zero(table):
    a = table.set_index("id").loc["a"]
    assert not a["noise"] and 0 < a["lo"] < a["diff"] < a["hi"]
    assert a["diff"] == pytest.approx(0.64, abs=0.06)  # 0.8 x (0.9 - 0.1)


def test_an_effect_indistinguishable_from_noise_is_marked(table):
    b = table.set_index("id").loc["b"]
    assert b["noise"] and b["lo"] < 0 < b["hi"]
    text = drivers.sentence(b, "X happens", True)
    assert text.endswith("indistinguishable from noise at this number of runs")


def test_one_ranking_real_effects_by_size_then_noise(table):
    assert table["id"].tolist() == ["a", "e", "b"]
    real = table[~table["noise"]]
    assert list(real.index) == list(range(len(real)))  # every real row before any noise row
    assert real["diff"].abs().is_monotonic_decreasing


def test_each_row_names_its_source_and_range(table):
    rows = table.set_index("id")
    assert rows.loc["a", "source"] == "Wire Service [wire]"
    assert rows.loc["b", "source"] == "assumption"
    for fid in ("a", "b"):
        text = rows.loc[fid, "range_text"]
        assert "lowest fifth < 0.2, highest fifth > 0.8" in text
        assert "range 0 to 1" in text and "triangular" in text


def test_bonferroni_widens_the_interval_with_the_number_of_candidates(runs):
    agg = syn.aggregate_of(runs)
    wide = drivers.drivers(agg, "x", True).set_index("id").loc["a"]
    agg.events, agg.event_counts, agg.event_sums = [], None, {}  # two candidates, not three
    narrow = drivers.drivers(agg, "x", True).set_index("id").loc["a"]
    assert narrow["diff"] == pytest.approx(wide["diff"])
    assert wide["lo"] < narrow["lo"] and narrow["hi"] < wide["hi"]


def test_no_candidates_gives_an_empty_table(runs):
    agg = syn.aggregate_of(runs.drop(columns=["event:e"]))
    agg.facts = []
    assert drivers.drivers(agg, "x", True).empty
