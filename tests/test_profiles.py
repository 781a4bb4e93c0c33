"""Shared assumption profiles (sim/scenario/profiles.py): filling, precedence, lookup, errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.scenario.loader import load
from sim.scenario.profiles import FIELDS, PROJECT_PROFILES, check_profile, search_dirs
from sim.scenario.yamlpos import load_with_positions

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[1]

SCENARIO = """\
scenario: {id: p, title: Profiles, as_of: 2020-01-01, horizon_days: 10}
sources: {wire: {outlet: Wire}}
actors:
  red:
    name: Red
    kind: state
    profile: test_army
    forces:
      morale: {value: 0.9, source: wire}
      cohesion: {pay: {value: 0.1, source: wire}}
  blue: {name: Blue, kind: armed_group}
regions:
  a: {name: A, lat: 1, lon: 1, terrain: open, controller: red,
     garrisons: {red: {value: 100, source: wire}}}
"""


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load(path)
    return str(info.value).splitlines()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A scenario beside a profiles/ folder holding tests/data/profiles/test_army.yaml."""
    shutil.copytree(DATA / "profiles", tmp_path / "profiles")
    (tmp_path / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    return tmp_path


def test_profile_fills_what_the_actor_leaves_out_and_the_actor_wins(folder):
    sc = load(folder / "s.yaml").scenario
    red, blue = sc.actors["red"], sc.actors["blue"]
    assert red.forces.morale.value == 0.9 and red.forces.morale.source == "wire"  # own value
    assert red.forces.cohesion.pay is not None and red.forces.cohesion.pay.value == 0.1
    training = red.forces.cohesion.training
    assert training is not None and training.value == 0.4 and training.assumption
    assert red.forces.readiness.high == 0.8  # the profile's range comes too
    assert red.forces.quality.note == "profile test_army: Judgement."
    assert red.aggression.value == 0.6 and red.casualty_tolerance.value == 0.35
    assert red.forces.speed_km_day is not None and red.forces.supply_days is not None
    assert red.profile == "test_army"
    assert blue.forces.morale.value == 0.6 and blue.forces.speed_km_day is None  # no profile


def test_profile_facts_pass_strict_mode_and_change_the_hash(folder):
    first = load(folder / "s.yaml", strict=True)
    path = folder / "profiles" / "test_army.yaml"
    path.write_text(path.read_text().replace("value: 0.9,", "value: 0.8,"), encoding="utf-8")
    second = load(folder / "s.yaml", strict=True)
    assert second.scenario.actors["red"].forces.quality.value == 0.8
    assert first.sha256 != second.sha256


def test_a_bad_value_in_a_profile_is_reported_in_the_profile_file(folder):
    path = folder / "profiles" / "test_army.yaml"
    path.write_text(path.read_text().replace("value: 0.6, assumption", "value: 1.6, assumption"),
                    encoding="utf-8")
    assert problems(folder / "s.yaml") == [
        f"{path}:14:1: actors.red.aggression: a share value must be <= 1 (got 1.6)"]


def test_unknown_profile_names_where_it_looked_and_what_exists(folder):
    text = SCENARIO.replace("profile: test_army", "profile: test_armee")
    (folder / "s.yaml").write_text(text, encoding="utf-8")
    [line] = problems(folder / "s.yaml")
    assert line.startswith(f"{folder / 's.yaml'}:7:5: actors.red.profile: unknown profile "
                           f"'test_armee' (looked in {folder / 'profiles'}, ")
    assert "allowed: conscript_army, elite_unit, " in line and "test_army" in line


def test_profile_facts_must_be_assumptions_with_a_note(folder):
    path = folder / "profiles" / "test_army.yaml"
    text = path.read_text().replace("quality: {value: 0.9, assumption: true, note: Judgement.}",
                                    "quality: {value: 0.9, source: wire}")
    path.write_text(text.replace("  supply_days:", "  supply_dayz:"), encoding="utf-8")
    assert problems(folder / "s.yaml") == [
        f"{path}:7:3: forces.quality: a profile fact needs assumption: true and a note saying "
        "what it rests on (got a mapping without them)",
        f"{path}:13:3: forces.supply_dayz: unknown field 'supply_dayz' (allowed: readiness, "
        "quality, morale, cohesion, speed_km_day, supply_days)",
    ]


def test_profile_needs_its_header():
    located = load_with_positions(DATA / "profiles" / "test_army.yaml")
    assert check_profile(located) == []
    located.data.pop("profile")
    [problem] = check_profile(located)
    assert problem.path == "profile" and "missing required field" in problem.message


def test_lookup_order_beside_the_file_then_its_parent_then_the_project(tmp_path):
    scenario = tmp_path / "history" / "x.yaml"
    assert search_dirs(scenario) == [tmp_path / "history" / "profiles", tmp_path / "profiles",
                                     PROJECT_PROFILES]
    # The project's own history folder finds the project's profiles once, not twice.
    dirs = search_dirs(ROOT / "scenarios" / "history" / "01-kyiv.yaml")
    assert dirs[-1] == PROJECT_PROFILES and len(dirs) == 2


def test_every_shipped_profile_is_valid_and_complete():
    """The library's profiles give every profile field, each an assumption with a note."""
    files = sorted(PROJECT_PROFILES.glob("*.yaml"))
    assert {f.stem for f in files} >= {"conscript_army", "professional_army", "elite_unit",
                                       "militia", "insurgent_group", "hollow_army"}
    for path in files:
        located = load_with_positions(path)
        assert check_profile(located) == [], path.name
        for field in FIELDS:
            node = located.data
            for key in field:
                node = node[key]
            assert node["assumption"] is True and node["note"].strip(), (path.name, field)
