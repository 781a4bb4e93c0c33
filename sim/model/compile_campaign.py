"""The campaign fields of a scenario as engine arrays: cohesion, movement, supply, depth.

Each actor's cohesion signals, speed and supply stocks, and each region's depth become
parameter arrays (sampled per replication where they carry a range, like every fact); the
road network becomes travel distances and link counts; bases, restricted regions and the
regions on the way to each goal become (actors, regions) arrays. Fields a scenario leaves out
take neutral defaults (named below, documented in docs/model.md), so a scenario without any
campaign field runs as before on these rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.scenario.schema import Fact, PersonnelBasis, Scenario

if TYPE_CHECKING:
    from sim.model.compile import _Builder

# Cohesion defaults: the middle of each 0-1 scale, so that will to fight is 0.5 (neutral:
# every brittleness multiplier 1) where a scenario reports no signal.
NEUTRAL_SIGNAL = 0.5
DEFAULT_SPEED_KM_DAY = 30.0  # motorised movement along a main road (assumption)
DEFAULT_SUPPLY_DAYS = 10.0  # days of stocks a cut-off force has (assumption)
# Default depth of a region (a scenario's depth_km replaces it; assumptions): a city's built-up
# extent sqrt(population / URBAN_DENSITY) (a square city), else half the mean length of its
# links (the region reaches half way to its neighbours), at least MIN_DEPTH_KM.
URBAN_DENSITY = 5000.0  # inhabitants per km2 of a built-up area
URBAN_DEPTH_KM = 4.0  # a city of unknown population
MIN_DEPTH_KM = 2.0
# A road's speed relative to a main road (assumption): minor roads, cross-country.
ROAD_SPEED = {"main": 1.0, "minor": 0.6, "none": 0.3}

# Per-actor campaign arrays: name -> (path under actors.<id>., low, high, default).
ACTOR_PARAMS: dict[str, tuple[str, float, float | None, float]] = {
    "effective_share": ("forces.cohesion.effective_share", 0, 1, 1.0),
    "pay": ("forces.cohesion.pay", 0, 1, NEUTRAL_SIGNAL),
    "desertion": ("forces.cohesion.desertion_per_day", 0, 1, 0.0),
    "training": ("forces.cohesion.training", 0, 1, NEUTRAL_SIGNAL),
    "leadership": ("forces.cohesion.leadership", 0, 1, NEUTRAL_SIGNAL),
    "commitment": ("forces.cohesion.commitment", 0, 1, NEUTRAL_SIGNAL),
    "speed": ("forces.speed_km_day", 1e-3, None, DEFAULT_SPEED_KM_DAY),
    "supply_days": ("forces.supply_days", 1e-3, None, DEFAULT_SUPPLY_DAYS),
}


def _optional(obj: Any, dotted: str) -> Fact | None:
    for part in dotted.split("."):
        obj = getattr(obj, part)
        if obj is None:
            return None
    assert isinstance(obj, Fact)
    return obj


def add_campaign_params(builder: _Builder, scenario: Scenario) -> None:
    """Per-actor cohesion, speed and supply arrays and per-region depth, as slots."""
    n_a, n_g = len(scenario.actors), len(scenario.regions)
    for name in ACTOR_PARAMS:
        builder.base[name] = np.zeros(n_a)
    for aid, actor in scenario.actors.items():
        for name, (path, lo, hi, default) in ACTOR_PARAMS.items():
            fact = _optional(actor, path) or Fact(value=default)
            builder.put(f"actors.{aid}.{path}", fact, name, (builder.ai[aid],), lo, hi)
    builder.base["depth"] = np.zeros(n_g)
    for gid, region in scenario.regions.items():
        fact = region.depth_km or Fact(value=default_depth_km(scenario, gid))
        builder.put(f"regions.{gid}.depth_km", fact, "depth", (builder.gi[gid],), 1e-3)


def default_depth_km(scenario: Scenario, gid: str) -> float:
    """A region's depth when the scenario gives none (see URBAN_DENSITY, MIN_DEPTH_KM)."""
    region = scenario.regions[gid]
    if region.terrain.value == "urban":
        people = region.population.value
        return max(float(np.sqrt(people / URBAN_DENSITY)) if people > 0 else URBAN_DEPTH_KM,
                   MIN_DEPTH_KM)
    lengths = [link.km for link in scenario.links if gid in link.between]
    return max(0.5 * float(np.mean(lengths)) if lengths else MIN_DEPTH_KM, MIN_DEPTH_KM)


def travel_km(scenario: Scenario, index: dict[str, int]) -> np.ndarray:
    """(G, G) shortest road distance in main-road km (km / road speed; Floyd-Warshall over
    the links; inf where not connected, 0 on the diagonal)."""
    n = len(index)
    dist = np.full((n, n), np.inf)
    np.fill_diagonal(dist, 0.0)
    for link in scenario.links:
        i, j = index[link.between[0]], index[link.between[1]]
        d = link.km / ROAD_SPEED[link.road.value]
        dist[i, j] = dist[j, i] = min(dist[i, j], d)
    for k in range(n):
        dist = np.minimum(dist, dist[:, k:k + 1] + dist[k:k + 1, :])
    return dist


def hop_counts(adj: np.ndarray) -> np.ndarray:
    """(G, G) number of links on the shortest path (a large number where not connected)."""
    n = adj.shape[0]
    hops = np.full((n, n), n + 1, dtype=np.int64)
    for start in range(n):
        hops[start, start] = 0
        frontier, seen = [start], {start}
        depth = 0
        while frontier:
            depth += 1
            nxt = [j for i in frontier for j in np.nonzero(adj[i])[0] if j not in seen]
            seen.update(nxt)
            hops[start, nxt] = depth
            frontier = list(dict.fromkeys(nxt))
    return hops


def bases(scenario: Scenario, actors: dict[str, int], regions: dict[str, int],
          entry: np.ndarray) -> np.ndarray:
    """(A, G) bool: where each actor's supply comes from (its `bases`, else its entry
    regions, which default to the regions it holds or garrisons on day 0)."""
    out = entry.copy()
    for aid, actor in scenario.actors.items():
        if actor.bases:
            out[actors[aid]] = False
            for gid in actor.bases:
                out[actors[aid], regions[gid]] = True
    return out


def restricted(scenario: Scenario, actors: dict[str, int],
               regions: dict[str, int]) -> np.ndarray:
    """(A, G) bool: regions an actor stays out of from day 0."""
    out = np.zeros((len(actors), len(regions)), bool)
    for aid, actor in scenario.actors.items():
        if actor.restricted_regions is not None:
            for gid in actor.restricted_regions.regions:
                out[actors[aid], regions[gid]] = True
    return out


def paper_basis(scenario: Scenario) -> np.ndarray:
    """(A,) bool: the actor's personnel are counted on paper (ghosts included)."""
    return np.array([a.forces.personnel_basis is PersonnelBasis.paper
                     for a in scenario.actors.values()], bool)


# A region k links short of a goal is worth GOAL_PATH_DECAY^k of the goal to the actor:
# the way to an objective is an objective (assumption; operational art, not a fitted value).
GOAL_PATH_DECAY = 0.5


def path_decay(hops: np.ndarray) -> np.ndarray:
    """(G, G) GOAL_PATH_DECAY^hops(h, g): what a goal region g lends a region h on the way to
    it (formulas_campaign.goal_path_value; ~0 where not connected)."""
    return GOAL_PATH_DECAY ** hops.astype(np.float64)


def goal_lists(goals: np.ndarray) -> np.ndarray:
    """(A, K) int64: each actor's goal regions (goals > 0) in region order, padded with -1 to
    the longest list (K >= 1), so a kernel visits an actor's few goals, not every region."""
    lists = [np.nonzero(row > 0)[0] for row in goals]
    out = np.full((goals.shape[0], max([len(x) for x in lists] + [1])), -1, dtype=np.int64)
    for a, idx in enumerate(lists):
        out[a, :len(idx)] = idx
    return out
