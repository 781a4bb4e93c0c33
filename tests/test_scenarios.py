"""Checks on the shipped scenario files (scenarios/*.yaml).

Generic checks run on every file and every declared variant: it validates, every number it
states carries provenance, every source it lists is used, the road graph is connected and road
distances are not shorter than the straight line. The reference scenario iraq-2014 is then
checked against its brief: required actors and regions, the anchor article's key facts (cited),
and the consistency of the paper strengths with the article's 15-to-1 ratio.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import deque
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel

from sim.errors import ScenarioError
from sim.model.sampling import quantile
from sim.scenario.loader import load_scenario as _load_uncached
from sim.scenario.refs import facts, walk
from sim.scenario.schema import ActorKind, Fact, Scenario, SupportKind

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml"))
REFERENCE = SCENARIOS / "iraq-2014.yaml"


@cache
def load_scenario(path: Path, variant: str | None = None) -> Scenario:
    """Load once per (file, variant): scenarios are frozen, and loading is the slow part."""
    return _load_uncached(path, variant)


def _variants(path: Path) -> list[str]:
    # An invalid file has no variants to list; its base case then fails with the problems.
    try:
        return sorted(load_scenario(path).variants)
    except ScenarioError:
        return []


FILE_VARIANTS = [(f, None) for f in FILES] + [(f, v) for f in FILES for v in _variants(f)]


def _case_id(case: tuple[Path, str | None]) -> str:
    return f"{case[0].name}:{case[1] or 'base'}"


@pytest.fixture(scope="module")
def ref() -> Scenario:
    return load_scenario(REFERENCE)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _explicit_fact_paths(sc: Scenario) -> set[str]:
    """Paths of facts that differ from their field's schema default (i.e. the file states them).

    A fact left at its default (an event's probability 1, an organisation's readiness) is the
    engine's convention, not a claim about the world, so it needs no source.
    """
    out: set[str] = set()
    for path, obj in walk(sc):
        if not isinstance(obj, BaseModel):
            continue
        for name, info in type(obj).model_fields.items():
            value = getattr(obj, name)
            key = ".".join(str(k) for k in (*path, info.alias or name))
            if isinstance(value, Fact):
                required = info.is_required()
                if required or value != info.get_default(call_default_factory=True):
                    out.add(key)
            elif isinstance(value, dict):
                out.update(f"{key}.{k}" for k, v in value.items() if isinstance(v, Fact))
    return out


def _neighbours(sc: Scenario) -> dict[str, set[str]]:
    nb: dict[str, set[str]] = {r: set() for r in sc.regions}
    for link in sc.links:
        a, b = link.between
        nb[a].add(b)
        nb[b].add(a)
    return nb


def _great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _all_text(sc: Scenario) -> str:
    """Every string in the scenario (notes, descriptions, source entries), joined."""
    return "\n".join(v for _, v in walk(sc) if isinstance(v, str))


# --------------------------------------------------------------------------------------------
# Generic checks: every file, every variant
# --------------------------------------------------------------------------------------------


def test_there_are_scenario_files() -> None:
    assert REFERENCE in FILES


@pytest.mark.parametrize("case", FILE_VARIANTS, ids=_case_id)
def test_file_and_variant_validate_and_every_stated_number_has_provenance(
    case: tuple[Path, str | None],
) -> None:
    sc = load_scenario(*case)
    explicit = _explicit_fact_paths(sc)
    missing = [p for p, f in facts(sc) if p in explicit and not f.source and not f.assumption]
    assert not missing, f"facts with neither source nor assumption: {missing}"
    unexplained = [p for p, f in facts(sc) if p in explicit and f.assumption and not f.note]
    assert not unexplained, f"assumptions without a note saying why: {unexplained}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_variant_changes_something(path: Path) -> None:
    base = load_scenario(path)
    for name in base.variants:
        changed = load_scenario(path, name)
        assert changed.model_dump(exclude={"variants"}) != base.model_dump(exclude={"variants"}), (
            f"variant {name} of {path.name} changes nothing"
        )


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_listed_source_is_cited(path: Path) -> None:
    sc = load_scenario(path)
    cited = {v for p, v in walk(sc) if p and p[-1] in ("source", "geography_source") and v}
    notes = _all_text(sc.model_copy(update={"sources": {}}))
    unused = [s for s in sc.sources if s not in cited and s not in notes]
    assert not unused, f"sources listed but never cited: {unused}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_road_graph_is_connected(path: Path) -> None:
    sc = load_scenario(path)
    nb = _neighbours(sc)
    start = next(iter(sc.regions))
    seen, todo = {start}, deque([start])
    while todo:
        for other in nb[todo.popleft()] - seen:
            seen.add(other)
            todo.append(other)
    assert seen == set(sc.regions), f"unreachable from {start}: {sorted(set(sc.regions) - seen)}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_road_distances_are_at_least_the_straight_line(path: Path) -> None:
    # Catches swapped coordinates and typos in km: a road cannot be shorter than the great
    # circle, and a road more than 2.5x longer would not be "along the main road".
    sc = load_scenario(path)
    for link in sc.links:
        a, b = (sc.regions[r] for r in link.between)
        gc = _great_circle_km(a.lat, a.lon, b.lat, b.lon)
        assert gc <= link.km <= 2.5 * gc + 10, f"{link.between}: {link.km} km, {gc:.0f} km direct"


# --------------------------------------------------------------------------------------------
# The reference scenario against its brief
# --------------------------------------------------------------------------------------------

REQUIRED_ACTORS = {
    "isis": ActorKind.armed_group,
    "iraq": ActorKind.state,
    "kurds": ActorKind.armed_group,
    "pmf": ActorKind.armed_group,
    "iran": ActorKind.state,
    "syria": ActorKind.state,
    "usa": ActorKind.state,
    "arab_league": ActorKind.organisation,
}
REQUIRED_REGIONS = {
    "baghdad", "mosul", "tikrit", "samarra", "fallujah", "ramadi", "kirkuk", "erbil", "baqubah",
    "tal_afar", "al_qaim", "haditha", "amerli", "sinjar", "raqqa", "deir_ez_zor",
}
ARTICLE = "breitbart-2014-06-17"


def test_reference_has_required_actors_regions_and_variants(ref: Scenario) -> None:
    assert {a: ref.actors[a].kind for a in REQUIRED_ACTORS if a in ref.actors} == REQUIRED_ACTORS
    assert set(ref.regions) >= REQUIRED_REGIONS
    assert len(ref.regions) >= 14
    assert len(ref.variants) >= 4
    assert ref.scenario.as_of == dt.date(2014, 6, 15)
    assert (ref.scenario.horizon_days, ref.scenario.step_days) == (180, 1)


def test_reference_controllers_on_day_0_follow_the_fact_sheet(ref: Scenario) -> None:
    expected = {"baghdad": "iraq", "mosul": "isis", "tikrit": "isis", "fallujah": "isis",
                "kirkuk": "kurds", "erbil": "kurds", "sinjar": "kurds", "raqqa": "isis",
                "samarra": "iraq", "haditha": "iraq", "al_qaim": "iraq", "deir_ez_zor": None}
    assert {r: ref.regions[r].controller for r in expected} == expected


def test_article_iran_2000_troops_is_cited_with_its_range(ref: Scenario) -> None:
    fact = ref.actors["iran"].forces.reserve
    assert fact.value == 2000 and fact.source == ARTICLE
    assert fact.low is not None and fact.high is not None
    assert fact.low <= 150 and fact.high >= 3000  # the sheet's disagreement: 150 to 3,000


def test_article_us_275_personnel_in_baghdad_is_cited(ref: Scenario) -> None:
    fact = ref.regions["baghdad"].garrisons["usa"]
    assert fact.value == 275 and fact.source
    assert ref.actors["usa"].forces.air_strikes.value == 0  # not there to fight ISIS


def test_article_15_to_1_ratio_is_recorded_and_paper_strengths_match_it(ref: Scenario) -> None:
    assert re.search(r"15[- ]to[- ]1", ref.sources[ARTICLE].note)
    iraq_reserve = ref.actors["iraq"].forces.reserve
    note = iraq_reserve.note or ""
    assert re.search(r"15[- ]to[- ]1", note) and ARTICLE in note
    iraq_paper = iraq_reserve.value + sum(
        r.garrisons["iraq"].value for r in ref.regions.values() if "iraq" in r.garrisons)
    isis_in_iraq = sum(r.garrisons["isis"].value for r in ref.regions.values()
                       if "isis" in r.garrisons and r.country == "Iraq")
    assert iraq_paper / isis_in_iraq == pytest.approx(15, rel=0.1)
    # ...while readiness carries why the paper ratio misled (ghost soldiers, desertion).
    assert ref.actors["iraq"].forces.readiness.value < 0.5


def test_syrian_strikes_are_uncertain_and_use_iranian_intelligence(ref: Scenario) -> None:
    strikes = [e for e in ref.events.values()
               if any(fx.air_strike and fx.air_strike.actor == "syria" for fx in e.effects)]
    assert strikes and all(e.probability.value < 1 and e.source for e in strikes)
    rel = next(r for r in ref.relations.values() if set(r.between) == {"iran", "syria"})
    assert any(s.from_ == "iran" and s.kind is SupportKind.intelligence and s.source == ARTICLE
               for s in rel.support.values())


def test_us_air_strikes_start_on_8_august(ref: Scenario) -> None:
    day_54 = (dt.date(2014, 8, 8) - ref.scenario.as_of).days
    us_air = [s for r in ref.relations.values() for s in r.support.values()
              if s.from_ == "usa" and s.kind is SupportKind.air_strikes]
    assert us_air and min(s.start_day for s in us_air) <= day_54
    assert all(s.start_day > 0 for s in us_air)  # nothing before the political decision


def test_arab_league_is_diplomatic_only(ref: Scenario) -> None:
    league = ref.actors["arab_league"]
    assert league.forces.reserve.value == 0 and league.forces.air_strikes.value == 0
    assert not any("arab_league" in r.garrisons for r in ref.regions.values())
    assert not any(s.from_ == "arab_league" for r in ref.relations.values()
                   for s in r.support.values())
    assert any("arab_league" in r.between and r.source for r in ref.relations.values())


def test_wide_disagreements_are_kept_as_ranges(ref: Scenario) -> None:
    # Facts are sampled independently, so a sum of narrow ranges hides a wide disagreement.
    # The sampled ISIS total must still reach from the June anchor (~10,000 in Iraq with
    # allies, plus the Syrian garrisons) to the CIA's September 20,000-31,500.
    isis_facts = [ref.actors["isis"].forces.reserve] + [
        r.garrisons["isis"] for r in ref.regions.values() if "isis" in r.garrisons]
    rng = np.random.default_rng(0)
    total = sum(quantile(f, rng.random(4000)) for f in isis_facts)
    p05, p95 = np.percentile(total, [5, 95])
    assert p05 <= 15_000 and p95 >= 25_000, (p05, p95)
    funds = ref.actors["isis"].economy.funds
    assert funds.low == 0 and funds.high == 480  # Mosul bank cash: "never happened" .. $480 M
    for fact in (ref.actors["iraq"].forces.readiness, ref.actors["kurds"].forces.reserve,
                 ref.actors["pmf"].economy.recruitment_per_day,
                 ref.actors["isis"].economy.recruitment_per_day):
        assert fact.uncertain


def test_no_iran_file_extends_the_reference_and_removes_iranian_means() -> None:
    sc = load_scenario(SCENARIOS / "iraq-2014-no-iran.yaml")
    assert sc.scenario.id != "iraq-2014"
    assert set(sc.regions) == set(load_scenario(REFERENCE).regions)
    assert sc.actors["iran"].forces.reserve.value == 0
    iranian = [s for r in sc.relations.values() for s in r.support.values() if s.from_ == "iran"]
    assert iranian and all(s.amount.value == 0 for s in iranian)


def test_analyst_note_lists_every_assumption_and_variant(ref: Scenario) -> None:
    doc = (SCENARIOS.parent / "docs" / "iraq-2014.md").read_text(encoding="utf-8")
    missing = [p for p, f in facts(ref) if f.assumption and f"`{p}`" not in doc]
    assert not missing, f"assumptions missing from docs/iraq-2014.md: {missing}"
    assert all(f"`{v}`" in doc for v in ref.variants)
