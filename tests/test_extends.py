"""Variant files: a fact given in full replaces the base fact whole."""

from sim.scenario.loader import load_scenario

BASE = """
scenario: {id: b, title: B, as_of: 2020-01-01, horizon_days: 10}
sources: {s: {outlet: S}}
actors:
  red: {name: Red, kind: state,
        forces: {reserve: {value: 2000, low: 1000, high: 3000, source: s}}}
regions:
  x: {name: X, lat: 1, lon: 1, terrain: open, value: 2, controller: red}
"""


def test_fact_mapping_in_variant_file_replaces_the_base_fact(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "v.yaml").write_text(
        "extends: base.yaml\n"
        "actors: {red: {forces: {reserve: {value: 0, assumption: true, note: none}}}}\n"
        "regions: {x: {name: Renamed}}\n"
    )
    sc = load_scenario(tmp_path / "v.yaml")
    fact = sc.actors["red"].forces.reserve
    assert (fact.value, fact.low, fact.high, fact.source) == (0, None, None, None)
    assert fact.assumption
    # An ordinary mapping still merges key by key (a region keeps its other fields).
    assert sc.regions["x"].name == "Renamed" and sc.regions["x"].value.value == 2
