"""The conflict model: a Mesa model whose state is arrays over R replications.

`GeoModel.step()` runs one scenario step (e.g. a day) in seven documented phases (see
docs/model.md): 1 economy, 2 support and events, 3 decisions, 4 movement, 5 combat and air
strikes, 6 morale and rout, 7 control and bookkeeping. Rules are pure functions in
sim/model/rules/; this module orders them and applies their results to the state.

`simulate()` runs a batch of replications and returns tidy tables (the engine contract in
docs/architecture.md); `run_single()` runs one replication with a narrative.
"""

from __future__ import annotations

from typing import Any

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Network

from agents.actor import ActorAgent
from sim.model import kernels, narrative
from sim.model.compile import STANCE_CODES, SUPPORT_CODES, WAR, Compiled, compile_scenario
from sim.model.constants import DEFAULT, ModelConstants
from sim.model.outcomes import snapshot_days, territory
from sim.model.rules import combat as cb
from sim.model.rules.conditions import holds
from sim.model.rules.decisions import (
    HOLD,
    Options,
    enemy_power,
    reach,
)
from sim.model.rules.economy import economy_step
from sim.model.rules.support import air_strike_losses, troop_delivery
from sim.model.sampling import Purpose, rep_keys, sample_facts, uniforms
from sim.model.state import State, initial_state
from sim.scenario.schema import Scenario, Stance, SupportKind

FRIENDLY = (STANCE_CODES[Stance.alliance], STANCE_CODES[Stance.cooperation])


class GeoModel(mesa.Model):
    """Actors with resources, alliances and goals on a network of regions.

    Args:
        scenario: a validated scenario (variant already applied).
        reps: global indices of the replications to run together (default: [0]).
        seed: the root seed; replication k's randomness depends only on (seed, k).
        days: horizon override (default: the scenario's horizon_days).
        design: "mc" or "lhs" sampling of uncertain facts.
        n_total: total replications of the run (needed by lhs).
        constants: engine constants (docs/model.md).
        narrate: keep a dated narrative (only sensible for one replication).
    """

    def __init__(
        self,
        scenario: Scenario,
        reps: np.ndarray | list[int] | None = None,
        seed: int = 0,
        days: int | None = None,
        design: str = "mc",
        n_total: int | None = None,
        constants: ModelConstants = DEFAULT,
        combat_constants: cb.CombatConstants | None = None,
        narrate: bool = False,
        compiled: Compiled | None = None,
    ):
        super().__init__(rng=seed)
        self.sc = scenario
        self.c = compiled or compile_scenario(scenario)
        self.k = constants
        self.cc = combat_constants or cb.load_constants()
        self.reps = np.asarray([0] if reps is None else reps, dtype=np.int64)
        self.R = len(self.reps)
        self.seed = int(seed)
        self.horizon = int(days if days is not None else scenario.scenario.horizon_days)
        self.step_days = scenario.scenario.step_days
        self.keys = rep_keys(seed, self.reps)
        self.samples = sample_facts(self.c.uncertain, seed, self.reps, self.keys, design, n_total)
        self.p = self.c.params(self.samples)
        self.state: State = initial_state(self.c, self.p)
        self.reach = reach(self.c.adj)
        self._nb_ptr, self._nb_idx = kernels.neighbourhoods(self.reach)
        self._combat_args = kernels.combat_args(self.cc)
        self.space = self._network()
        self.actors = [
            ActorAgent(self, i, aid, spec) for i, (aid, spec) in enumerate(scenario.actors.items())
        ]
        self._stance_uniform = True
        self.narrate = narrate
        self.log = narrative.Narrator(self) if narrate else None
        self.air_for = np.zeros((self.R, self.c.A))
        self.intel_bonus = np.zeros((self.R, self.c.A))
        self.territory0 = territory(self)
        self.snapshots: dict[int, dict[str, np.ndarray]] = {}
        self._snapshot_days = snapshot_days(self.c.outcomes, self.horizon)

    # ---------------------------------------------------------------------------- structure

    def _network(self) -> Network:
        """Regions and links as Mesa's network space (positions: lon/lat, no random layout)."""
        graph = nx.Graph()
        for i, (gid, r) in enumerate(self.sc.regions.items()):
            graph.add_node(i, id=gid, name=r.name)
        for link in self.sc.links:
            i = self.c.region_ids.index(link.between[0])
            j = self.c.region_ids.index(link.between[1])
            graph.add_edge(i, j, km=link.km)
        layout = {i: (r.lon, r.lat) for i, r in enumerate(self.sc.regions.values())}
        return Network(graph, layout=layout, random=self.random)

    @property
    def day(self) -> int:
        return self.state.day

    def _stances(self) -> np.ndarray:
        """Stance codes for the kernels: (1, A, A) when every replication has the same."""
        return self.state.stance[:1] if self._stance_uniform else self.state.stance

    def _morale_args(self) -> tuple[float, float, float]:
        return self.cc.morale_neutral, self.cc.morale_weight, self.cc.morale_floor

    def power(self) -> np.ndarray:
        s = self.state
        return cb.combat_power(s.F, s.readiness[:, :, None], s.quality[:, :, None], s.morale,
                               self.cc)

    # Relations. Stances only change through events, so usually every replication has the same
    # (A, A) matrices; the 2-D fast path avoids (R, A, A) gathers in the hot loop.

    def war(self) -> np.ndarray:
        """Pairs at war: (A, A) when stances are the same in every replication, else (R, A, A)."""
        st = self.state.stance[0] if self._stance_uniform else self.state.stance
        return st == WAR

    def friendly(self) -> np.ndarray:
        """Same actor, alliance or cooperation: (A, A) or (R, A, A) like :meth:`war`."""
        st = self.state.stance[0] if self._stance_uniform else self.state.stance
        return (st == FRIENDLY[0]) | (st == FRIENDLY[1])

    def friendly_ground(self, rows: np.ndarray | None = None) -> np.ndarray:
        """(n, A, G) bool: regions held by the actor or a friend (all rows, or `rows`)."""
        control = self.state.control if rows is None else self.state.control[rows]
        holder = np.clip(control, 0, None)
        fr = self.friendly()
        if fr.ndim == 2:
            ground = np.moveaxis(fr[:, holder], 0, 1)
        else:
            fr = fr if rows is None else fr[rows]
            ground = np.take_along_axis(fr, holder[:, None, :].repeat(self.c.A, 1), axis=2)
        return ground & (control >= 0)[:, None, :]

    # ---------------------------------------------------------------------------- the step

    def step(self) -> None:
        """Advance every replication by one scenario step (phases 1-7)."""
        s = self.state
        d = self.step_days
        self._economy(d)
        self._support_and_events()
        options = self._options()
        u = uniforms(self.keys, s.day, Purpose.DECISION, self.c.A)
        # Every actor agent decides (Mesa's AgentSet, in file order; each uses its own draws).
        self.agents.do("decide", options, u)
        self._movement()
        loss_today = np.zeros_like(s.F)
        self._air_strikes(loss_today)
        self._combat(loss_today)
        self._morale_and_rout(loss_today)
        self._control()
        s.day += d

    def run(self, on_step: Any = None) -> None:
        """Run to the horizon; `on_step(model)` is called after day 0 and every step."""
        if on_step:
            on_step(self)
        while self.state.day < self.horizon:
            self.step()
            if self.state.day in self._snapshot_days:
                self.snapshots[self.state.day] = self.current_snapshot()
            if on_step:
                on_step(self)

    def current_snapshot(self) -> dict[str, np.ndarray]:
        """What outcomes measure: control, territory, strength and losses now."""
        s = self.state
        return {"control": s.control.copy(), "territory": territory(self),
                "strength": s.strength(), "losses": s.losses.copy()}

    # Phase 1 ---------------------------------------------------------------------------

    def _economy(self, days: int) -> None:
        s, p = self.state, self.p
        s.funds, recruits = economy_step(s.funds, p["income"], p["upkeep"], s.strength(),
                                         p["recruit"], days)
        s.reserve += recruits

    # Phase 2 ---------------------------------------------------------------------------

    def _support_and_events(self) -> None:
        s, c = self.state, self.c
        self.air_for[:] = 0.0
        self.intel_bonus[:] = 0.0
        threat = None
        for j, sup in enumerate(c.supports):
            active = np.full(self.R, sup.start <= s.day <= sup.end)
            if sup.condition is not None and active.any():
                active &= holds(sup.condition, s, c)
            if not active.any():
                continue
            amount = self.p[sup.amount]
            if sup.kind == SUPPORT_CODES[SupportKind.troops]:
                if threat is None:  # the threat assessed at the last decision phase
                    threat = getattr(self, "_step_threat", None)
                    threat = self._threat() if threat is None else threat
                self._deliver_troops(j, sup, amount, active, threat)
            elif sup.kind == SUPPORT_CODES[SupportKind.air_strikes]:
                self.air_for[:, sup.receiver] += np.where(active, amount, 0.0)
            elif sup.kind == SUPPORT_CODES[SupportKind.intelligence]:
                self.intel_bonus[:, sup.receiver] += np.where(active, amount, 0.0)
            else:
                s.funds[:, sup.receiver] += np.where(active, amount * self.step_days, 0.0)
        self._events()

    def _deliver_troops(self, j: int, sup: Any, amount: np.ndarray, active: np.ndarray,
                        threat: np.ndarray) -> None:
        s = self.state
        arrive = troop_delivery(amount, s.sent[:, j], sup.ramp, active, self.step_days)
        if sup.region >= 0:
            dest = np.full(self.R, sup.region)
        else:  # the receiver's most threatened region it or a friend holds; none: wait
            ground = self.friendly_ground()[:, sup.receiver, :]
            dest = np.where(ground, threat[:, sup.receiver, :], -1.0).argmax(axis=1)
            arrive = np.where(ground.any(axis=1), arrive, 0.0)
        s.F[np.arange(self.R), sup.giver, dest] += arrive
        s.sent[:, j] += arrive
        if self.log:
            self.log.arrival(sup, arrive, dest)

    def _events(self) -> None:
        s, c = self.state, self.c
        if not c.events:
            return
        u = uniforms(self.keys, s.day, Purpose.EVENT, len(c.events))
        for e, ev in enumerate(c.events):
            due = ~s.event_done[:, e]
            if ev.day >= 0:
                due &= (s.day <= ev.day < s.day + self.step_days)
            if ev.condition is not None and due.any():
                due &= holds(ev.condition, s, c)
            if not due.any():
                continue
            s.event_done[:, e] |= due
            fire = due & (u[:, e] < self.p[ev.probability])
            if fire.any():
                for eff in ev.effects:
                    self._apply_effect(eff, fire)
                if self.log:
                    self.log.event(ev)

    def _apply_effect(self, eff: Any, fire: np.ndarray) -> None:
        s, r = self.state, np.nonzero(fire)[0]
        # Effects without an amount (stance, handover) never read it.
        amt = self.p[eff.amount][r] if eff.amount else np.zeros(len(r))
        if eff.kind == "reinforce":
            s.F[r, eff.actor, eff.region] += amt
        elif eff.kind == "morale":
            s.morale[r, eff.actor, :] = np.clip(s.morale[r, eff.actor, :] + amt[:, None], 0, 1)
            s.morale0[r, eff.actor] = np.clip(s.morale0[r, eff.actor] + amt, 0, 1)
        elif eff.kind == "readiness":
            s.readiness[r, eff.actor] = np.clip(s.readiness[r, eff.actor] + amt, 0, 1)
        elif eff.kind == "funds":
            s.funds[r, eff.actor] = np.maximum(s.funds[r, eff.actor] + amt, 0)
        elif eff.kind == "air_capacity":
            s.air[r, eff.actor] = np.maximum(s.air[r, eff.actor] + amt, 0)
        elif eff.kind == "set_stance":
            s.stance[r, eff.actor, eff.other] = eff.stance
            s.stance[r, eff.other, eff.actor] = eff.stance
            self._stance_uniform = bool((s.stance == s.stance[:1]).all())
        elif eff.kind == "handover":
            self._set_control(r, np.full(len(r), eff.region), eff.actor)
        elif eff.kind == "air_strike":
            present = s.F[r, :, eff.region] * (np.arange(self.c.A) == eff.other)
            lost = air_strike_losses(amt, s.intel[r, eff.actor], present, self.k.kills_per_sortie)
            s.F[r, :, eff.region] -= lost
            s.losses[r] += lost

    # Phase 3 ---------------------------------------------------------------------------

    def _threat(self) -> np.ndarray:
        """(R, A, G) enemy power in each region and its neighbours."""
        ep = enemy_power(self.power(), self.war())
        return ep @ self.reach

    def _air_pool(self) -> np.ndarray:
        return self.state.air + self.air_for

    def _intel(self) -> np.ndarray:
        """(R, A) intelligence this step: own plus support, at most 1."""
        return np.minimum(self.state.intel + self.intel_bonus, 1.0)

    def _options(self, detail: bool = False) -> Options:
        """Every actor's legal attacks and their utilities (phase 3: kernels.options, the rules
        of sim/model/rules/decisions.py). `detail` also keeps every option's attack power and
        personnel and the defenders' personnel (for a wargame's views; the ensemble skips
        them)."""
        s, k, c = self.state, self.k, self.c
        ep, threat, p_win, utility = (np.empty_like(s.F) for _ in range(4))
        legal = np.empty(s.F.shape, bool)
        shape = s.F.shape if detail else (0, *s.F.shape[1:])
        att_power, att_pers, def_pers = (np.empty(shape) for _ in range(3))
        lost_share = np.divide(s.losses, s.strength0, out=np.zeros_like(s.losses),
                               where=s.strength0 > 0)
        kernels.options(s.F, s.reserve, s.morale, s.readiness * s.quality, self._stances(), WAR,
                        s.control, self._nb_ptr, self._nb_idx, k.commit_share,
                        k.min_attack_personnel, k.min_power_ratio, self.p["cas_tol"],
                        lost_share, *self._morale_args(), s.posture, c.terrain,
                        self._air_pool(), self._intel(),
                        c.hostility_goal, c.goals, self.p["value"], *self._combat_args,
                        k.air_reference, k.opportunity_weight, k.loss_aversion, k.advance_ratio,
                        ep, threat, legal, p_win, utility, att_power, att_pers, def_pers)
        # Reused later in the step: movement (nothing moves in between) and air-strike
        # targeting (strikes are planned at decision time).
        self._step_ep = ep
        self._step_threat = threat
        hold = k.hold_utility * (1.0 - self.p["aggression"])
        return Options(att_power, att_pers, ep, legal, utility, hold, p_win, def_pers)

    # Phase 4 ---------------------------------------------------------------------------

    def _movement(self) -> None:
        """Redeployment and reserves (kernels.movement); attacking actors stay put."""
        s, k, d = self.state, self.k, self.step_days
        attacking = np.stack([a.target for a in self.actors], axis=1) != HOLD  # (R, A)
        ground = self._step_ground = np.empty(s.F.shape, bool)
        kernels.movement(s.F, s.reserve, s.morale, s.morale0, self._step_threat, attacking,
                         s.control, self._stances(), *FRIENDLY, self.c.goals, self.c.entry,
                         min(1.0, k.redeploy_rate * d), min(1.0, k.reserve_rate * d),
                         k.rear_keep, ground)

    # Phase 5 ---------------------------------------------------------------------------

    def _air_strikes(self, loss_today: np.ndarray) -> None:
        """Each actor's sorties (own + allied support) hit the enemy force nearest its ground
        (kernels.air_strikes; targets from the enemy power assessed at decision time)."""
        s = self.state
        sorties = self._air_pool()
        if not (sorties > 0).any():
            return
        kernels.air_strikes(s.F, s.losses, loss_today, sorties,
                            self._intel(), self._step_ground,
                            self._step_ep, self._stances(), WAR, self._nb_ptr, self._nb_idx,
                            self.k.kills_per_sortie * self.step_days)

    def _combat(self, loss_today: np.ndarray) -> None:
        """Every actor with a target attacks it, in actor order (kernels.battles: the rules of
        sim/model/rules/combat.py, then advance, retreat and change of hands)."""
        s, c, k = self.state, self.c, self.k
        targets = np.stack([agent.target for agent in self.actors], axis=1)
        if not (targets != HOLD).any():
            return
        draws = [uniforms(self.keys, s.day, p, c.A) for p in
                 (Purpose.COMBAT_WIN, Purpose.COMBAT_NOISE_ATT, Purpose.COMBAT_NOISE_DEF)]
        n = self.R if self.log else 0
        rec = np.zeros((n, c.A, len(kernels.REC_FIELDS)))
        rec_def = np.zeros((n, c.A, c.A))
        kernels.battles(s.F, s.morale, s.losses, loss_today, s.momentum, s.control, s.posture,
                        s.held_days, s.ever, targets, s.readiness * s.quality, self._air_pool(),
                        self._intel(), self.p["value"],
                        self._stances(), WAR, *FRIENDLY, c.adj, c.river, c.terrain,
                        self._nb_ptr, self._nb_idx, draws[0], cb.normal_score(draws[1]),
                        cb.normal_score(draws[2]), *self._combat_args,
                        *self._morale_args(), k.commit_share, k.min_attack_personnel,
                        k.air_reference, k.advance_ratio, min(self.step_days, 3),
                        k.victory_boost, k.defeat_shock, k.region_loss_shock, rec, rec_def)
        if self.log:
            self._narrate_battles(rec[0], rec_def[0])

    def _narrate_battles(self, rec: np.ndarray, rec_def: np.ndarray) -> None:
        """Replication 0's battles, in actor order, from kernels.battles' records."""
        assert self.log is not None
        f = {name: i for i, name in enumerate(kernels.REC_FIELDS)}
        for a in range(self.c.A):
            x = rec[a]
            if not x[f["fought"]]:
                continue
            h = int(x[f["region"]])
            res = cb.CombatResult(p_win=x[[f["p_win"]]], attacker_wins=x[[f["won"]]] > 0,
                                  att_loss=x[[f["att_loss"]]], def_loss=x[[f["def_loss"]]])
            factors = {"posture": int(x[f["posture"]]), "air": float(x[f["air"]]),
                       "surprise": float(x[f["surprise"]]), "river": bool(x[f["river"]]),
                       "roll": float(x[f["roll"]])}
            self.log.battle(a, h, res, float(x[f["att_pers"]]), float(x[f["def_pers"]]),
                            rec_def[a], float(x[f["power_ratio"]]), factors,
                            bool(x[f["advance"]]))
            old = int(x[f["old_holder"]])
            if old != -2:
                self.log.control(np.array([0]), np.array([h]), np.array([old]), a)

    def _retreat(self, b: int, rows: np.ndarray, g: np.ndarray) -> None:
        """Actor b's forces in region g[i] leave it; nowhere to go means dispersed/captured
        (kernels.retreat)."""
        s = self.state
        kernels.retreat(s.F, s.morale, s.losses, s.control, self._stances(), *FRIENDLY,
                        self.c.adj, b, np.ascontiguousarray(rows, np.int64),
                        np.ascontiguousarray(g, np.int64))

    def _set_control(self, rows: np.ndarray, g: np.ndarray, a: int) -> None:
        s = self.state
        old = s.control[rows, g].copy()
        change = old != a
        rows, g, old = rows[change], g[change], old[change]
        s.control[rows, g] = a
        s.posture[rows, g] = 0  # a new holder starts with a hasty defence
        s.held_days[rows, g] = 0
        s.ever[rows, a, g] = True
        # Losing a region hurts the loser's morale everywhere, in proportion to its value.
        lost = old >= 0
        vshare = self.p["value"][rows, g] / self.p["value"][rows].sum(1)
        shock = np.broadcast_to((self.k.region_loss_shock * vshare[lost])[:, None],
                                (int(lost.sum()), self.c.G))
        # subtract.at: one replication may lose several regions in one call.
        np.subtract.at(s.morale, (rows[lost], old[lost]), shock)
        hit = np.unique(rows[lost])  # only these rows changed
        s.morale[hit] = np.clip(s.morale[hit], 0.0, 1.0)
        if self.log:
            self.log.control(rows, g, old, a)

    # Phase 6 ---------------------------------------------------------------------------

    def _morale_and_rout(self, loss_today: np.ndarray) -> None:
        s, k = self.state, self.k
        # Remnants of under one person are gone (killed, captured or dispersed); morale and
        # rout as in sim/model/rules/morale.py, fused (kernels.morale_phase).
        broken = np.empty(s.F.size, np.int64)
        n = kernels.morale_phase(s.F, s.morale, s.morale0, loss_today, s.momentum, s.losses,
                                 s.readiness * s.quality, self.p["aggression"], self._stances(),
                                 WAR, *FRIENDLY, self._nb_ptr, self._nb_idx,
                                 *self._morale_args(), k.morale_recovery * self.step_days,
                                 k.loss_shock, k.isolation_shock * self.step_days,
                                 k.rout_threshold, broken)
        if n == 0:
            return
        rr, aa, gg = np.unravel_index(broken[:n], s.F.shape)
        deserters = s.F[rr, aa, gg] * k.rout_desertion
        s.F[rr, aa, gg] -= deserters
        np.add.at(s.losses, (rr, aa), deserters)
        if self.log:
            self.log.rout(aa, gg, deserters)
        # A broken force regains some composure once out of the fight; it carries this morale
        # to where it falls back.
        s.morale[rr, aa, gg] = s.morale0[rr, aa] * 0.5
        for b in np.unique(aa):
            sel = aa == b
            self._retreat(int(b), rr[sel], gg[sel])

    # Phase 7 ---------------------------------------------------------------------------

    def _control(self) -> None:
        """Empty regions pass to the enemy present in them, or to an adjacent enemy that has a
        goal there; quiet holding fortifies."""
        s, c, k = self.state, self.c, self.k
        new = np.empty(s.control.shape, np.int64)
        walk = np.empty(s.control.shape, bool)
        kernels.control_changes(s.F, s.control, self._stances(), WAR, *FRIENDLY, c.adj, c.goals,
                                new, walk)
        rr, gg = np.nonzero(new >= 0)
        if rr.size:
            # Walking in: an occupying detachment moves from the neighbour with most forces.
            wr, wg = np.nonzero(walk)
            kernels.walk_in(s.F, c.adj, wr, wg, new[wr, wg], k.occupy_share)
            new = new[rr, gg]
            for a in np.unique(new):
                sel = new == a
                self._set_control(rr[sel], gg[sel], int(a))
        s.held_days += self.step_days
        s.posture = np.maximum(s.posture, np.where(s.held_days >= k.fortress_days, 2, np.where(
            s.held_days >= k.fortify_days, 1, 0))).astype(np.int8)


# The batch API lives in sim/model/batch.py; it is re-exported here because
# `sim.model.engine.simulate`
# is the engine contract (docs/architecture.md).
from sim.model.batch import BatchResult, SingleRun, run_single, simulate  # noqa: E402

__all__ = ["BatchResult", "GeoModel", "SingleRun", "run_single", "simulate", "territory"]
