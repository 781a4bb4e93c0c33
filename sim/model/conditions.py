"""Declarative conditions (support and event triggers) evaluated on the state, per replication.

A condition is data from the scenario file (sim.scenario.schema.Condition); evaluating it gives one
boolean per replication. There is no eval: each key maps to one vectorised test.
"""

from __future__ import annotations

import numpy as np

from sim.model.compile import Compiled
from sim.model.formulas import WAR
from sim.model.state import State
from sim.scenario.schema import Condition


def within_links(adj: np.ndarray, region: int, links: int) -> np.ndarray:
    """(G,) bool: regions at most `links` links from `region` (breadth-first on the graph)."""
    reach = np.zeros(adj.shape[0], bool)
    reach[region] = True
    for _ in range(links):
        reach = reach | adj[reach].any(axis=0)
    return reach


def holds(cond: Condition, s: State, c: Compiled) -> np.ndarray:
    """(R,) bool: whether `cond` holds in each replication."""
    ai = {a: i for i, a in enumerate(c.actor_ids)}
    gi = {g: i for i, g in enumerate(c.region_ids)}
    if cond.enemy_within is not None:
        ew = cond.enemy_within
        area = within_links(c.adj, gi[ew.region], ew.links)
        enemies = s.stance[:, ai[ew.of], :] == WAR  # (R, A)
        present = s.F[:, :, area].sum(axis=2) > 0  # (R, A)
        return (enemies & present).any(axis=1)
    if cond.controls is not None:
        return s.control[:, gi[cond.controls.region]] == ai[cond.controls.actor]
    if cond.lost is not None:
        g, a = gi[cond.lost.region], ai[cond.lost.actor]
        return (s.control0[g] == a) & (s.control[:, g] != a)
    if cond.strength_below is not None:
        a = ai[cond.strength_below.actor]
        return s.strength()[:, a] < cond.strength_below.share * s.strength0[:, a]
    if cond.day_at_least is not None:
        return np.full(s.R, s.day >= cond.day_at_least)
    if cond.all is not None:
        return np.logical_and.reduce([holds(x, s, c) for x in cond.all])
    if cond.any is not None:
        return np.logical_or.reduce([holds(x, s, c) for x in cond.any])
    assert cond.not_ is not None  # the schema guarantees exactly one key
    return ~holds(cond.not_, s, c)
