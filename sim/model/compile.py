"""Turn a validated Scenario into arrays the vectorised engine uses.

Actors and regions get integer indices in file order. Every fact the engine uses is placed in a
named parameter array; facts with a range become *slots* filled per replication from the
sampled values, so a batch of R replications gets arrays with a leading axis of length R.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.model import compile_campaign as campaign
from sim.model.combat_constants import POSTURE_CODES, TERRAIN_CODES
from sim.model.sampling import UncertainFact
from sim.scenario.schema import (
    Condition,
    Effect,
    Fact,
    GoalKind,
    Outcome,
    Scenario,
    Stance,
    SupportKind,
)

STANCE_CODES = {s: i for i, s in enumerate(Stance)}
"""alliance=0, cooperation=1, neutrality=2, rivalry=3, war=4 (the codes formulas.py uses)."""
WAR = STANCE_CODES[Stance.war]
SUPPORT_CODES = {k: i for i, k in enumerate(SupportKind)}
GOAL_CODES = {k: i for i, k in enumerate(GoalKind)}
CUT_END_SHARE = 0.75  # of a cut goal's weight, on each end of the link (assumption)

# Per-actor parameter arrays and the fact (under actors.<id>.) that fills each.
_ACTOR_PARAMS: dict[str, tuple[str, float, float | None]] = {
    "reserve": ("forces.reserve", 0, None),
    "readiness": ("forces.readiness", 0, 1),
    "quality": ("forces.quality", 0, None),
    "morale": ("forces.morale", 0, 1),
    "air": ("forces.air_strikes", 0, None),
    "intel": ("forces.intelligence", 0, 1),
    "funds": ("economy.funds", 0, None),
    "income": ("economy.income_per_day", 0, None),
    "upkeep": ("economy.upkeep_per_soldier_day", 0, None),
    "recruit": ("economy.recruitment_per_day", 0, None),
    "cas_tol": ("casualty_tolerance", 0, 1),
    "rationality": ("rationality", 0, None),
    "aggression": ("aggression", 0, 1),
}


@dataclass(frozen=True)
class Slot:
    fact: int  # column in the sampled-facts matrix
    array: str
    index: tuple[int, ...]
    lo: float | None
    hi: float | None


@dataclass(frozen=True)
class CSupport:
    id: str
    giver: int
    receiver: int
    kind: int
    amount: str  # parameter array name holding the amount per replication
    start: int
    end: int
    ramp: int
    region: int  # -1: the receiver's most threatened region
    condition: Condition | None


@dataclass(frozen=True)
class CEffect:
    kind: str
    actor: int = -1
    other: int = -1  # second actor (stance) or target actor (air strike)
    region: int = -1
    amount: str = ""  # parameter array name
    stance: int = -1
    regions: tuple[int, ...] = ()  # withdraw, restrict
    allow: bool = False  # restrict: true lifts the restriction


@dataclass(frozen=True)
class CEvent:
    id: str
    day: int  # -1: not scheduled
    condition: Condition | None
    probability: str  # parameter array name
    effects: tuple[CEffect, ...]
    description: str


@dataclass
class Compiled:
    """Static structure plus central parameter values and the slots of uncertain facts."""

    scenario: Scenario
    actor_ids: tuple[str, ...]
    region_ids: tuple[str, ...]
    adj: np.ndarray  # (G, G) bool
    km: np.ndarray  # (G, G) float, inf where not linked
    river: np.ndarray  # (G, G) bool
    terrain: np.ndarray  # (G,) int
    posture0: np.ndarray  # (G,) int
    control0: np.ndarray  # (G,) int, -1 none
    stance0: np.ndarray  # (A, A) int
    entry: np.ndarray  # (A, G) bool: where reserves and reinforcements may enter
    goals: np.ndarray  # (A, G) float: value of holding each region to each actor
    hostility_goal: np.ndarray  # (A, A) float: weight of defeating / limiting each actor
    travel: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (G, G) main-road km
    hops: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64))  # (G, G)
    bases: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))  # (A, G) supply
    restricted0: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))  # (A, G)
    paper: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # (A,) paper basis
    path_decay: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (G, G)
    goal_regions: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), np.int64))  # (A, K)
    base: dict[str, np.ndarray] = field(default_factory=dict)
    slots: list[Slot] = field(default_factory=list)
    uncertain: list[UncertainFact] = field(default_factory=list)
    supports: list[CSupport] = field(default_factory=list)
    events: list[CEvent] = field(default_factory=list)
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    @property
    def A(self) -> int:  # noqa: N802 - array-axis names read best in capitals
        return len(self.actor_ids)

    @property
    def G(self) -> int:  # noqa: N802
        return len(self.region_ids)

    def params(self, samples: np.ndarray) -> dict[str, np.ndarray]:
        """Parameter arrays for a batch: each base array with a leading replication axis."""
        r = samples.shape[0]
        out = {k: np.broadcast_to(v, (r, *v.shape)).copy() for k, v in self.base.items()}
        for s in self.slots:
            col = samples[:, s.fact]
            if s.lo is not None or s.hi is not None:
                col = np.clip(col, s.lo, s.hi)
            key: tuple[Any, ...] = (slice(None), *s.index)
            out[s.array][key] = col
        return out

    def fact_ids(self) -> list[str]:
        return [u.id for u in self.uncertain]


class _Builder:
    def __init__(self, sc: Scenario):
        self.sc = sc
        self.ai = {a: i for i, a in enumerate(sc.actors)}
        self.gi = {g: i for i, g in enumerate(sc.regions)}
        self.base: dict[str, np.ndarray] = {}
        self.slots: list[Slot] = []
        self.uncertain: list[UncertainFact] = []
        self._fact_col: dict[str, int] = {}

    def put(self, fid: str, fact: Fact, array: str, index: tuple[int, ...],
            lo: float | None = 0, hi: float | None = None) -> None:
        self.base[array][index] = fact.value
        if fact.uncertain:
            if fid not in self._fact_col:
                self._fact_col[fid] = len(self.uncertain)
                self.uncertain.append(UncertainFact(fid, fact))
            self.slots.append(Slot(self._fact_col[fid], array, index, lo, hi))

    def scalar(self, name: str, fid: str, fact: Fact, lo: float | None = 0,
               hi: float | None = None) -> str:
        self.base[name] = np.zeros(())
        self.put(fid, fact, name, (), lo, hi)
        return name


def compile_scenario(sc: Scenario) -> Compiled:
    """Build the engine's arrays from a validated scenario."""
    b = _Builder(sc)
    n_a, n_g = len(sc.actors), len(sc.regions)
    for name in _ACTOR_PARAMS:
        b.base[name] = np.zeros(n_a)
    for aid, actor in sc.actors.items():
        for name, (path, lo, hi) in _ACTOR_PARAMS.items():
            fact = _get(actor, path)
            b.put(f"actors.{aid}.{path}", fact, name, (b.ai[aid],), lo, hi)
    b.base["garrison"] = np.zeros((n_a, n_g))
    b.base["value"] = np.zeros(n_g)
    for gid, region in sc.regions.items():
        g = b.gi[gid]
        b.put(f"regions.{gid}.value", region.value, "value", (g,))
        for aid, fact in region.garrisons.items():
            b.put(f"regions.{gid}.garrisons.{aid}", fact, "garrison", (b.ai[aid], g))
    adj, km, river = _links(sc, b.gi)
    c = Compiled(
        scenario=sc,
        actor_ids=tuple(sc.actors),
        region_ids=tuple(sc.regions),
        adj=adj,
        km=km,
        river=river,
        terrain=np.array([TERRAIN_CODES[r.terrain.value] for r in sc.regions.values()]),
        posture0=np.array([POSTURE_CODES[r.posture.value] for r in sc.regions.values()]),
        control0=np.array([b.ai[r.controller] if r.controller else -1
                           for r in sc.regions.values()]),
        stance0=_stances(sc, b.ai),
        entry=_entry(sc, b.ai, b.gi),
        goals=np.zeros((n_a, n_g)),
        hostility_goal=np.zeros((n_a, n_a)),
        outcomes=dict(sc.outcomes),
    )
    _goals(sc, c, b.ai, b.gi)
    campaign.add_campaign_params(b, sc)
    c.travel = campaign.travel_km(sc, b.gi)
    c.hops = campaign.hop_counts(adj)
    c.bases = campaign.bases(sc, b.ai, b.gi, c.entry)
    c.restricted0 = campaign.restricted(sc, b.ai, b.gi)
    c.paper = campaign.paper_basis(sc)
    c.path_decay = campaign.path_decay(c.hops)
    c.goal_regions = campaign.goal_lists(c.goals)
    c.supports = _supports(sc, b)
    c.events = _events(sc, b)
    c.base, c.slots, c.uncertain = b.base, b.slots, b.uncertain
    return c


def _get(obj: Any, dotted: str) -> Fact:
    for part in dotted.split("."):
        obj = getattr(obj, part)
    assert isinstance(obj, Fact)
    return obj


def _links(sc: Scenario, gi: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(gi)
    adj = np.zeros((n, n), bool)
    km = np.full((n, n), np.inf)
    river = np.zeros((n, n), bool)
    for link in sc.links:
        i, j = gi[link.between[0]], gi[link.between[1]]
        adj[i, j] = adj[j, i] = True
        km[i, j] = km[j, i] = link.km
        river[i, j] = river[j, i] = link.river
    return adj, km, river


def _stances(sc: Scenario, ai: dict[str, int]) -> np.ndarray:
    n = len(ai)
    st = np.full((n, n), STANCE_CODES[Stance.neutrality], dtype=np.int8)
    np.fill_diagonal(st, STANCE_CODES[Stance.alliance])
    for rel in sc.relations.values():
        i, j = ai[rel.between[0]], ai[rel.between[1]]
        st[i, j] = st[j, i] = STANCE_CODES[rel.stance]
    return st


def _entry(sc: Scenario, ai: dict[str, int], gi: dict[str, int]) -> np.ndarray:
    entry = np.zeros((len(ai), len(gi)), bool)
    for aid, actor in sc.actors.items():
        a = ai[aid]
        if actor.forces.entry_regions:
            for gid in actor.forces.entry_regions:
                entry[a, gi[gid]] = True
        else:
            for gid, region in sc.regions.items():
                if aid in region.garrisons or region.controller == aid:
                    entry[a, gi[gid]] = True
    return entry


def _goals(sc: Scenario, c: Compiled, ai: dict[str, int], gi: dict[str, int]) -> None:
    """Goal weights as arrays: region goals add to `goals`, actor goals to `hostility_goal`.

    hold/protect/take all make a region worth holding; `take` and `protect` weigh 1.5x because
    they express an active intent (assumption, see docs/model.md); a `cut` goal gives each end
    of its link CUT_END_SHARE of its weight (holding one end cuts the road).
    """
    factor = {GoalKind.hold: 1.0, GoalKind.protect: 1.5, GoalKind.take: 1.5}
    for aid, actor in sc.actors.items():
        a = ai[aid]
        for goal in actor.goals:
            if goal.region is not None:
                c.goals[a, gi[goal.region]] += goal.weight * factor[goal.kind]
            elif goal.link is not None:  # cut a road: either end, held, cuts it
                for end in goal.link:
                    c.goals[a, gi[end]] += goal.weight * CUT_END_SHARE
            elif goal.actor is not None:
                c.hostility_goal[a, ai[goal.actor]] += goal.weight


def _supports(sc: Scenario, b: _Builder) -> list[CSupport]:
    out = []
    horizon = sc.scenario.horizon_days
    for rid, rel in sc.relations.items():
        for sid, sup in rel.support.items():
            fid = f"relations.{rid}.support.{sid}.amount"
            name = b.scalar(f"support:{rid}.{sid}", fid, sup.amount)
            out.append(CSupport(
                id=f"{rid}.{sid}", giver=b.ai[sup.from_], receiver=b.ai[sup.to],
                kind=SUPPORT_CODES[sup.kind], amount=name, start=sup.start_day,
                end=sup.end_day if sup.end_day is not None else horizon, ramp=sup.ramp_days,
                region=b.gi[sup.region] if sup.region else -1, condition=sup.condition,
            ))
    return out


def _events(sc: Scenario, b: _Builder) -> list[CEvent]:
    out = []
    for eid, ev in sc.events.items():
        prob = b.scalar(f"event:{eid}.p", f"events.{eid}.probability", ev.probability, 0, 1)
        effects = tuple(
            _effect(b, f"events.{eid}.effects.{i}", eff) for i, eff in enumerate(ev.effects)
        )
        out.append(CEvent(eid, ev.on_day if ev.on_day is not None else -1, ev.when, prob,
                          effects, ev.description))
    return out


def _effect(b: _Builder, fid: str, eff: Effect) -> CEffect:
    if eff.reinforce:
        r = eff.reinforce
        name = b.scalar(f"{fid}.amount", f"{fid}.reinforce.personnel", r.personnel)
        return CEffect("reinforce", actor=b.ai[r.actor], region=b.gi[r.region], amount=name)
    if eff.air_strike:
        s = eff.air_strike
        name = b.scalar(f"{fid}.amount", f"{fid}.air_strike.sorties", s.sorties)
        return CEffect("air_strike", actor=b.ai[s.actor], other=b.ai[s.target],
                       region=b.gi[s.region], amount=name)
    if eff.set_stance:
        x, y = eff.set_stance.between
        return CEffect("set_stance", actor=b.ai[x], other=b.ai[y],
                       stance=STANCE_CODES[eff.set_stance.stance])
    if eff.handover:
        return CEffect("handover", actor=b.ai[eff.handover.actor],
                       region=b.gi[eff.handover.region])
    if eff.aggression:
        name = b.scalar(f"{fid}.amount", f"{fid}.aggression.value", eff.aggression.value, 0, 1)
        return CEffect("aggression", actor=b.ai[eff.aggression.actor], amount=name)
    if eff.withdraw:
        return CEffect("withdraw", actor=b.ai[eff.withdraw.actor],
                       regions=tuple(b.gi[g] for g in eff.withdraw.regions))
    if eff.restrict:
        return CEffect("restrict", actor=b.ai[eff.restrict.actor],
                       regions=tuple(b.gi[g] for g in eff.restrict.regions),
                       allow=eff.restrict.allow)
    for kind in ("morale", "readiness", "funds", "air_capacity"):
        d = getattr(eff, kind)
        if d is not None:
            name = b.scalar(f"{fid}.amount", f"{fid}.{kind}.delta", d.delta, None, None)
            return CEffect(kind, actor=b.ai[d.actor], amount=name)
    raise AssertionError(f"unhandled effect {eff!r}")  # schema guarantees exactly one key

