"""A wargame: teams give orders for their actors, the engine adjudicates each turn.

`Game` wraps a :class:`GameModel` (the analysts' GeoModel with R = 1 and a narrative) and
plays turns of `turn_days` days. Orders are checked against the state at the start of the turn
on a copy (all-or-nothing: an invalid order leaves the game untouched), then applied in team
order when the turn is adjudicated. Actors no team plays keep the model's policy; a played
actor attacks only what its team orders (in the order given, one engagement a day, the next
target once the first is taken) and otherwise holds. Between orders its staff follows the
model's standing rules: rear forces and reserves flow to threatened fronts, beaten forces fall
back.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from sim.errors import OrdersError, UsageError, check_at_least
from sim.model import narrative
from sim.model.batch import central_samples
from sim.model.engine import GeoModel, Sampling, territory
from sim.model.formulas import HOLD
from sim.model.phases import DecisionArrays
from sim.scenario.schema import Scenario
from sim.wargame import aid
from sim.wargame.orders import Order
from sim.wargame.rules import Plan, apply_order, friendly_ground

# --------------------------------------------------------------------------------- the model


class RecordingNarrator(narrative.Narrator):
    """The model's narrator, also keeping each engagement, rout and arrival as a record."""

    def __init__(self, model: GeoModel):
        super().__init__(model)
        self.records: list[dict[str, Any]] = []

    def _rec(self, kind: str, **data: Any) -> None:
        self.records.append({"kind": kind, "day": int(self.m.state.day),
                             "text": self.lines[-1].split(")  ", 1)[-1] if self.lines else "",
                             **data})

    def battle(self, a: int, h: int, res: Any, att: float, dfn: float, def_by: np.ndarray,
               power_ratio: float, factors: dict[str, Any], advance: bool) -> None:
        super().battle(a, h, res, att, dfn, def_by, power_ratio, factors, advance)
        ids = self.m.compiled.actor_ids
        won = bool(res.attacker_wins[0])
        self._rec("battle", attacker=ids[a], region=self.m.compiled.region_ids[h],
                  attackers=float(att), defenders=float(dfn),
                  defenders_by={ids[b]: float(x) for b, x in enumerate(def_by) if x >= 1},
                  men_ratio=float(att / max(dfn, 1.0)), power_ratio=float(power_ratio),
                  p_win=float(res.p_win[0]), roll=float(factors["roll"]),
                  factors={k: (v.item() if hasattr(v, "item") else v)
                           for k, v in factors.items() if k != "roll"},
                  result="advance" if advance else "won, no advance" if won else "held",
                  att_loss=float(res.att_loss[0]), def_loss=float(res.def_loss[0]))

    def rout(self, actors: np.ndarray, regions: np.ndarray, deserters: np.ndarray) -> None:
        for a, g, d in zip(actors, regions, deserters, strict=True):
            super().rout(np.array([a]), np.array([g]), np.array([d]))
            self._rec("rout", actor=self.m.compiled.actor_ids[int(a)],
                      region=self.m.compiled.region_ids[int(g)], deserters=float(d))

    def arrival(self, sup: Any, arrive: np.ndarray, dest: np.ndarray) -> None:
        before = len(self.lines)
        super().arrival(sup, arrive, dest)
        if len(self.lines) > before:
            self._rec("arrival", actor=self.m.compiled.actor_ids[sup.giver],
                      region=self.m.compiled.region_ids[int(dest[0])])

    def event(self, ev: Any) -> None:
        super().event(ev)
        self._rec("event", id=ev.id)

    def control(self, rows: np.ndarray, g: np.ndarray, old: np.ndarray, a: int) -> None:
        ids = self.m.compiled.actor_ids
        for gi, oi in zip(g, old, strict=True):
            super().control(rows[:1], np.array([gi]), np.array([oi]), a)
            self._rec("control", region=self.m.compiled.region_ids[int(gi)], actor=ids[a],
                      previous=ids[int(oi)] if oi >= 0 else None)

    def directed_strikes(self, sorties: np.ndarray, disabled: np.ndarray) -> None:
        super().directed_strikes(sorties, disabled)
        for a, g in zip(*np.nonzero(sorties > 0), strict=True):
            self._rec("strike", actor=self.m.compiled.actor_ids[a],
                      region=self.m.compiled.region_ids[g], sorties=float(sorties[a, g]),
                      disabled=float(disabled[a, g]))

    def note(self, text: str, kind: str = "note", **data: Any) -> None:
        """A line of the wargame's own (diplomacy, umpire injects)."""
        self._say(text)
        self._rec(kind, **data)


class GameModel(GeoModel):
    """GeoModel for one replication with the hooks a wargame needs.

    Per turn, team plans add directed air strikes and support given by order (air sorties and
    intelligence flow for the turn's steps); everything else is the analysts' model. It
    extends the engine's public phase hooks (support_and_events, air_pool); ordered strikes
    use the engine's directed sorties (air_directed).
    """

    def __init__(self, scenario: Scenario, seed: int, days: int):
        # A game plays every fact at its reported value (docs/wargame.md).
        super().__init__(scenario, [0], seed, days, Sampling(samples=central_samples(scenario)),
                         narrate=True)
        self.log: RecordingNarrator = RecordingNarrator(self)
        self.plans: dict[int, Plan] = {}

    def current_options(self) -> DecisionArrays:
        """This step's attack options of every actor (legal targets, p_win), read-only."""
        return self.options(self.step_inputs(), detail=True)

    def support_and_events(self) -> None:
        super().support_and_events()
        for a, plan in self.plans.items():
            for b, x in plan.air_given.items():
                self.air_for[:, b] += x
                self.air_for[:, a] -= x
            for b, x in plan.intel_given.items():
                self.intel_bonus[:, b] += x
        for a, plan in self.plans.items():
            if plan.strike is not None:  # all of a's sorties go where its team ordered
                self.air_directed[:, a, :] = 0.0
                self.air_directed[:, a, plan.strike] = self.air_pool()[:, a]

    def air_pool(self) -> np.ndarray:
        # Sorties given away by order leave the giver's own pool; it cannot go below none.
        return np.maximum(super().air_pool(), 0.0)


def state_hash(model: GeoModel) -> str:
    """sha256 of every array of the state (and the day): equal hashes, equal games."""
    h = hashlib.sha256()
    s = model.state
    for f in fields(s):
        v = getattr(s, f.name)
        h.update(f.name.encode())
        h.update(np.ascontiguousarray(v).tobytes() if isinstance(v, np.ndarray) else
                 repr(v).encode())
    return h.hexdigest()


# ------------------------------------------------------------------------------------ the game


@dataclass
class TurnReport:
    """What happened in one turn, for the screen, the save file and the after-action report."""

    turn: int
    day_from: int
    day_to: int
    date_from: str
    date_to: str
    orders: dict[str, list[str]]
    dropped: list[str]
    lines: list[str]
    records: list[dict[str, Any]]
    control_changes: list[dict[str, Any]]
    strength: dict[str, list[float]]  # actor -> [start, end]
    territory: dict[str, list[float]]
    control: dict[str, str | None]  # at the end of the turn
    state_hash: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Game:
    """A scenario played by teams, turn by turn.

    Args:
        scenario: the validated scenario (variant applied).
        seed: root seed; the game is replication 0 of this seed, played with orders.
        teams: actor ids played by teams, in the order they give orders.
        turn_days: days per turn (a multiple of the scenario's step).
        turns: number of turns.
    """

    scenario: Scenario
    seed: int
    teams: list[str]
    turn_days: int
    turns: int
    model: GameModel = field(init=False)
    reports: list[TurnReport] = field(default_factory=list, init=False)
    history: list[dict[str, list[Order]]] = field(default_factory=list, init=False)
    # Open ceasefire offers (offering actor, offered actor) -> turn offered.
    offers: dict[tuple[int, int], int] = field(default_factory=dict, init=False)
    inject_history: list[list[dict[str, Any]]] = field(default_factory=list, init=False)
    pending_injects: list[dict[str, Any]] = field(default_factory=list, init=False)
    _marks: tuple[int, int] = field(default=(0, 0), init=False)  # log lengths at turn end

    def __post_init__(self) -> None:
        sc = self.scenario
        check_teams(sc, self.teams)
        step = sc.scenario.step_days
        if self.turn_days < step or self.turn_days % step:
            raise UsageError(f"--turn-days {self.turn_days}: must be a multiple of the "
                             f"scenario's step ({step} days)")
        if self.turns < 1:
            raise UsageError(f"--turns {self.turns}: must be at least 1")
        check_at_least("--seed", self.seed, 0)  # the counter-based draws take no negative seed
        self.model = GameModel(sc, self.seed, self.turns * self.turn_days)
        self.index = {aid: i for i, aid in enumerate(self.model.compiled.actor_ids)}

    @property
    def turn(self) -> int:
        """The next turn to play (1-based); turns + 1 when the game is over."""
        return len(self.reports) + 1

    @property
    def over(self) -> bool:
        return len(self.reports) >= self.turns

    def date(self, day: int) -> str:
        return f"{self.scenario.scenario.as_of + dt.timedelta(days=day):%d %b %Y}"

    # ---------------------------------------------------------------------------- orders

    def check(self, team: str, orders: list[Order]) -> None:
        """Raise OrdersError for the first impossible order; the game is never changed."""
        saved = copy.deepcopy(self.model.state)
        try:
            self._apply(team, orders)
        finally:
            self.model.state = saved

    def new_plan(self, team: str) -> Plan:
        """An empty plan for the team's turn, knowing the ceasefire offers open to it."""
        a = self.index[team]
        return Plan(offered_by=frozenset(x for x, y in self.offers if y == a))

    def inject(self, inject: Any) -> str:
        """Apply an umpire's inject now (sim/wargame/injects.py); it is saved with the turn."""
        from sim.wargame.injects import apply_inject, to_mapping

        text = apply_inject(self, inject)
        self.pending_injects.append(to_mapping(inject))
        return text

    def _apply(self, team: str, orders: list[Order]) -> Plan:
        a = self.index[team]
        plan = self.new_plan(team)
        for i, order in enumerate(orders, 1):
            try:
                apply_order(self.model, a, order, plan)
            except OrdersError as exc:
                raise OrdersError(f"order {i} ({order.text()}): {exc}") from None
        return plan

    # ---------------------------------------------------------------------------- a turn

    def play_turn(self, orders: dict[str, list[Order]]) -> TurnReport:
        """Apply every team's orders (in team order) and run `turn_days` days."""
        if self.over:
            raise UsageError(f"the game is over (all {self.turns} turns played)")
        m = self.model
        # From the end of the last turn: the umpire's injects since then belong to this turn.
        day0, (lines0, recs0) = m.state.day, self._marks
        control0 = m.state.control[0].copy()
        strength0, terr0 = m.state.strength()[0].copy(), territory(m)[0].copy()
        plans, dropped = self._apply_all(orders)
        undo = aid.begin_turn(self, plans)
        m.plans = {self.index[t]: p for t, p in plans.items()}
        for _ in range(self.turn_days // m.step_days):
            self._set_orders(plans)
            m.step()
            if m.state.day in m._snapshot_days:  # outcomes measured before the last day
                m.snapshots[m.state.day] = m.current_snapshot()
        m.plans = {}
        aid.end_turn(m, undo)
        for agent in m.actors:
            agent.orders = None
        report = self._report(orders, dropped, day0, lines0, recs0, control0, strength0, terr0)
        self.reports.append(report)
        self.history.append({t: list(orders.get(t, [])) for t in self.teams})
        self._marks = (len(m.log.lines), len(m.log.records))
        self.inject_history.append(self.pending_injects)
        self.pending_injects = []
        return report

    def _apply_all(self, orders: dict[str, list[Order]]) -> tuple[dict[str, Plan], list[str]]:
        """Every team's orders; one made impossible by an earlier team's is dropped and told."""
        plans, dropped = {}, []
        for team in self.teams:
            plan = self.new_plan(team)
            for i, order in enumerate(orders.get(team, []), 1):
                try:
                    apply_order(self.model, self.index[team], order, plan)
                except OrdersError as exc:
                    dropped.append(f"{team} order {i} ({order.text()}) not carried out: {exc}")
            plans[team] = plan
        return plans, dropped

    def _set_orders(self, plans: dict[str, Plan]) -> None:
        """Each played actor attacks its first ordered target not yet in friendly hands."""
        for team, plan in plans.items():
            a = self.index[team]
            ground = friendly_ground(self.model, a)
            target = next((g for g in plan.attacks if not ground[g]
                           or self._enemy_in(a, g)), HOLD)
            self.model.actors[a].orders = int(target)

    def _enemy_in(self, a: int, g: int) -> bool:
        s = self.model.state
        return bool((s.F[0, :, g] * s.war()[0, a]).sum() >= 1)

    def _report(self, orders: dict[str, list[Order]], dropped: list[str], day0: int,
                lines0: int, recs0: int, control0: np.ndarray, strength0: np.ndarray,
                terr0: np.ndarray) -> TurnReport:
        m = self.model
        ids, regions = m.compiled.actor_ids, m.compiled.region_ids
        ctrl = m.state.control[0]
        changes = [{"region": regions[g], "from": ids[control0[g]] if control0[g] >= 0 else None,
                    "to": ids[ctrl[g]] if ctrl[g] >= 0 else None}
                   for g in np.nonzero(ctrl != control0)[0]]
        strength1, terr1 = m.state.strength()[0], territory(m)[0]
        return TurnReport(
            turn=self.turn, day_from=int(day0), day_to=int(m.state.day),
            date_from=self.date(day0), date_to=self.date(m.state.day),
            orders={t: [o.text() for o in orders.get(t, [])] for t in self.teams},
            dropped=dropped, lines=m.log.lines[lines0:], records=m.log.records[recs0:],
            control_changes=changes,
            strength={a: [float(strength0[i]), float(strength1[i])] for i, a in enumerate(ids)},
            territory={a: [float(terr0[i]), float(terr1[i])] for i, a in enumerate(ids)},
            control=control(m), state_hash=state_hash(m),
        )


def control(m: GeoModel) -> dict[str, str | None]:
    ctrl = m.state.control[0]
    return {g: (m.compiled.actor_ids[ctrl[i]] if ctrl[i] >= 0 else None)
            for i, g in enumerate(m.compiled.region_ids)}


def check_teams(sc: Scenario, teams: list[str]) -> None:
    """Raise UsageError unless every team is a distinct, playable actor of the scenario."""
    if not teams:
        raise UsageError("--teams: give at least one actor id, e.g. --teams "
                         + ",".join(list(sc.actors)[:2]))
    playable = [a for a, x in sc.actors.items() if x.playable]
    for t in teams:
        if t not in sc.actors:
            raise UsageError(f"--teams: unknown actor '{t}' (playable actors: "
                             f"{', '.join(playable)})")
        if not sc.actors[t].playable:
            raise UsageError(f"--teams: actor '{t}' is not playable in this scenario "
                             f"(playable actors: {', '.join(playable)})")
    if len(set(teams)) != len(teams):
        raise UsageError("--teams: an actor is listed twice")
