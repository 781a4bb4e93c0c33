"""The engine as it was before the numba kernels (commit 2928b15, sim/model/engine.py), as a test
oracle: every phase composed from the NumPy rules of sim/model/rules/. tests/test_kernels.py runs it
beside sim.model.engine.GeoModel on the same seeds and checks that whole runs agree.

Only the class name, the Options it builds (a newer field) and the re-exports at the end were
changed. Do not "fix" it: it is the reference.
"""

# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

from typing import Any

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Network

from agents.actor import ActorAgent
from sim.model import narrative
from sim.model.compile import STANCE_CODES, SUPPORT_CODES, WAR, Compiled, compile_scenario
from sim.model.constants import DEFAULT, ModelConstants
from sim.model.outcomes import snapshot_days, territory
from sim.model.rules import combat as cb
from sim.model.rules.conditions import holds
from sim.model.rules.decisions import (
    HOLD,
    Options,
    attack_utility,
    enemy_power,
    reach,
    target_value,
)
from sim.model.rules.economy import economy_step
from sim.model.rules.morale import morale_update, routs
from sim.model.rules.movement import redeploy, retreat_destination
from sim.model.rules.support import air_strike_losses, air_superiority, troop_delivery
from sim.model.sampling import Purpose, rep_keys, sample_facts, uniforms
from sim.scenario.schema import Scenario, Stance, SupportKind
from sim.model.state import State, initial_state

FRIENDLY = (STANCE_CODES[Stance.alliance], STANCE_CODES[Stance.cooperation])


class NumpyGeoModel(mesa.Model):
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

    def _reinforceable(self, ground: np.ndarray) -> np.ndarray:
        """(R, A, G) where an actor sends reinforcements: its own regions, its allies'
        (stance alliance), and a cooperating partner's only where the actor has a goal there.

        Cooperation is help, not a blank cheque: a partner's troops do not garrison every town
        the other side holds (assumption, docs/model.md)."""
        control = self.state.control
        own = control[:, None, :] == np.arange(self.c.A)[None, :, None]
        st = self.state.stance[0] if self._stance_uniform else self.state.stance
        allied = st == STANCE_CODES[Stance.alliance]
        holder = np.clip(control, 0, None)
        if allied.ndim == 2:
            by_ally = np.moveaxis(allied[:, holder], 0, 1)
        else:
            by_ally = np.take_along_axis(allied, holder[:, None, :].repeat(self.c.A, 1), axis=2)
        return ground & (own | by_ally | (self.c.goals > 0)[None])

    def _holder_relation(self, rel: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """(n, G, A): `rel` between each region's holder and every actor."""
        control = self.state.control if rows is None else self.state.control[rows]
        holder = np.clip(control, 0, None)
        if rel.ndim == 2:
            return rel[holder]
        rel = rel if rows is None else rel[rows]
        return rel[np.arange(len(holder))[:, None], holder]

    def _row_relation(self, rel: np.ndarray, rows: np.ndarray, a: int) -> np.ndarray:
        """(n, A): `rel` of actor a with every actor in replications `rows`."""
        if rel.ndim == 2:
            return np.broadcast_to(rel[a], (len(rows), self.c.A))
        return rel[rows, a, :]

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
        self._combat(options, loss_today)
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

    def _options(self) -> Options:
        """Every actor's legal attacks and their utilities (phase 3, see decisions.py)."""
        s, k = self.state, self.k
        P = self.power()
        war = self.war()
        ep = enemy_power(P, war)
        # Reused later in the step: movement (nothing moves in between) and air-strike
        # targeting (strikes are planned at decision time).
        self._step_ep = ep
        self._step_threat = ep @ self.reach
        att_power = k.commit_share * (P @ self.reach)
        att_pers = k.commit_share * (s.F @ self.reach)
        enemy_held = self._holder_relation(war).transpose(0, 2, 1) & (s.control >= 0)[:, None, :]
        lost_share = np.divide(s.losses, s.strength0, out=np.zeros_like(s.losses),
                               where=s.strength0 > 0)
        legal = ((ep > 0) | enemy_held) & (att_pers >= k.min_attack_personnel)
        legal &= att_power >= k.min_power_ratio * ep
        legal &= (lost_share < self.p["cas_tol"])[:, :, None]
        utility = np.zeros_like(att_power)
        p_win = np.zeros_like(att_power)
        idx = np.nonzero(legal)
        if idx[0].size:
            # Only legal options are evaluated: usually a small share of (R, A, G).
            p_win[idx], utility[idx] = self._evaluate(idx, att_power[idx], att_pers[idx],
                                                      ep[idx], war, lost_share)
        hold = k.hold_utility * (1.0 - self.p["aggression"])
        return Options(att_power, att_pers, ep, legal, utility, hold, p_win,
                       np.empty((0, *ep.shape[1:])))

    def _evaluate(self, idx: tuple[np.ndarray, ...], att_power: np.ndarray,
                  att_pers: np.ndarray, ep: np.ndarray, war: np.ndarray,
                  lost_share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P(win) and utility of the attacks (replication r, actor a, region g) in `idx`."""
        s, c, k = self.state, self.c, self.k
        r, a, g = idx
        # Per-actor quantities are computed on (R, A) or (R, A, G) arrays with one product
        # each, then read at the legal options: cheaper than gathering (n, A) rows.
        air = self._air_pool()
        enemy_air = enemy_power(air[:, :, None], war)[:, :, 0]
        air_sup = air_superiority(air[r, a], enemy_air[r, a], k.air_reference)
        intel = np.minimum(s.intel + self.intel_bonus, 1.0)
        wars = war[None] if war.ndim == 2 else war
        enemy_intel = np.where(wars, intel[:, None, :], 0.0).max(axis=2)
        surprise = 0.5 * (intel[r, a] - enemy_intel[r, a])
        p = cb.win_probability(att_power, ep, s.posture[r, g], c.terrain[g], False, air_sup,
                               surprise, self.cc)
        def_pers = enemy_power(s.F, war)[r, a, g]
        # Expected (mean) loss if the attack fails: the median times the lognormal mean factor.
        att_loss, _ = cb.daily_losses(att_pers, def_pers, att_power, ep, False, self.cc, 0.5)
        loss_frac = att_loss * np.exp(0.5 * self.cc.att_loss_sigma**2) / att_pers
        tol_left = np.maximum(self.p["cas_tol"][r, a] - lost_share[r, a], 0.02)
        # Where each actor's enemies keep their forces: hostility-weighted share of strength.
        share = s.F / np.maximum(s.strength(), 1.0)[:, :, None]
        enemy_share = enemy_power(share, c.hostility_goal)[r, a, g]
        value = target_value(c.goals[a, g], self.p["value"][r, g],
                             self.p["value"].mean(1)[r], enemy_share, k.opportunity_weight)
        utility = attack_utility(p, att_power, ep, value, loss_frac, tol_left, k.loss_aversion,
                                 k.advance_ratio)
        return p, utility

    # Phase 4 ---------------------------------------------------------------------------

    def _movement(self) -> None:
        s, k = self.state, self.k
        attacking = np.stack([a.target for a in self.actors], axis=1) != HOLD  # (R, A)
        threat = self._step_threat
        ground = self._step_ground = self.friendly_ground()
        can_enter = (ground & self.c.entry[None]).any(axis=2)
        d = self.step_days
        F_new, reserve_new = redeploy(s.F, s.reserve, threat, self._reinforceable(ground),
                                      can_enter, self.c.goals,
                                      min(1.0, k.redeploy_rate * d), min(1.0, k.reserve_rate * d),
                                      k.rear_keep)
        # Forces committed to an attack this step do not also redeploy.
        keep = attacking[:, :, None]
        F_new = np.where(keep, s.F, F_new)
        # Arriving forces bring the actor's baseline morale: mix by headcount.
        incoming = np.maximum(F_new - s.F, 0.0)
        total = s.F + incoming
        s.morale = np.divide(s.morale * s.F + s.morale0[:, :, None] * incoming, total,
                             out=s.morale.copy(), where=total > 0)
        s.F = F_new
        s.reserve = np.where(attacking, s.reserve, reserve_new)

    # Phase 5 ---------------------------------------------------------------------------

    def _air_strikes(self, loss_today: np.ndarray) -> None:
        """Each actor's sorties (own + allied support) hit the enemy force nearest its ground."""
        s, c, k = self.state, self.c, self.k
        sorties = self._air_pool()
        if not (sorties > 0).any():
            return
        war = self.war()
        ground = self._step_ground | (s.F > 0)
        near = (ground.astype(float) @ self.reach) > 0  # (R, A, G) regions in reach of ground
        ep = self._step_ep  # targets chosen at decision time
        intel = np.minimum(s.intel + self.intel_bonus, 1.0)
        for a in range(c.A):
            rows = np.nonzero(sorties[:, a] > 0)[0]
            if rows.size == 0:
                continue
            score = np.where(near[rows, a], ep[rows, a], 0.0)
            tgt = score.argmax(axis=1)
            ok = score[np.arange(rows.size), tgt] > 0
            rows, tgt = rows[ok], tgt[ok]
            if rows.size == 0:
                continue
            present = s.F[rows, :, tgt] * self._row_relation(war, rows, a)
            lost = air_strike_losses(sorties[rows, a], intel[rows, a], present,
                                     k.kills_per_sortie * self.step_days)
            s.F[rows, :, tgt] -= lost
            s.losses[rows] += lost
            loss_today[rows, :, tgt] += lost

    def _combat(self, options: Options, loss_today: np.ndarray) -> None:
        for agent in self.actors:
            rows = np.nonzero(agent.target != HOLD)[0]
            if rows.size:
                self._battle(agent.index, rows, agent.target[rows], loss_today)

    def _battle(self, a: int, rows: np.ndarray, h: np.ndarray, loss_today: np.ndarray) -> None:
        """Actor a attacks region h[i] in replication rows[i]: one engagement per step."""
        s, c, k, cc = self.state, self.c, self.k, self.cc
        war = self._row_relation(self.war(), rows, a)  # (n, A) who a fights
        origins = self.reach[h] > 0  # (n, G)
        att_pers_g = k.commit_share * s.F[rows, a, :] * origins  # (n, G)
        att_pers = att_pers_g.sum(axis=1)
        keep = att_pers >= k.min_attack_personnel * 0.5
        if not keep.any():
            return
        rows, h, war = rows[keep], h[keep], war[keep]
        att_pers_g, att_pers = att_pers_g[keep], att_pers[keep]
        mor = (s.morale[rows, a, :] * att_pers_g).sum(1) / np.maximum(att_pers, 1e-9)
        att_pow = cb.combat_power(att_pers, s.readiness[rows, a], s.quality[rows, a], mor, cc)
        def_pers_b = s.F[rows, :, h] * war  # (n, A)
        def_pow_b = cb.combat_power(def_pers_b, s.readiness[rows], s.quality[rows],
                                    s.morale[rows, :, h], cc)
        def_pers, def_pow = def_pers_b.sum(1), def_pow_b.sum(1)
        air = self._air_pool()[rows]
        air_sup = air_superiority(air[:, a], (air * war).sum(1), k.air_reference)
        intel = np.minimum(s.intel + self.intel_bonus, 1.0)[rows]
        surprise = 0.5 * (intel[:, a] - np.where(war, intel, 0.0).max(1))
        river = self._river(rows, a, h)
        u = uniforms(self.keys[rows], s.day, Purpose.COMBAT_WIN, c.A)[:, a]
        un = uniforms(self.keys[rows], s.day, Purpose.COMBAT_NOISE_ATT, c.A)[:, a]
        ud = uniforms(self.keys[rows], s.day, Purpose.COMBAT_NOISE_DEF, c.A)[:, a]
        res = cb.adjudicate(att_pers, def_pers, att_pow, def_pow, s.posture[rows, h],
                            c.terrain[h], river, air_sup, surprise, cc, u, un, ud)
        att_loss = res.att_loss * min(self.step_days, 3)
        def_loss = res.def_loss * min(self.step_days, 3)
        # Losses fall on each origin and each defender in proportion to what it committed.
        a_share = att_pers_g / np.maximum(att_pers, 1e-9)[:, None]
        a_lost = np.minimum(att_loss[:, None] * a_share, s.F[rows, a, :])
        s.F[rows, a, :] -= a_lost
        d_share = def_pers_b / np.maximum(def_pers, 1e-9)[:, None]
        d_lost = np.minimum(def_loss[:, None] * d_share, s.F[rows, :, h])
        s.F[rows, :, h] -= d_lost
        s.losses[rows, a] += a_lost.sum(1)
        s.losses[rows] += d_lost
        loss_today[rows, a, :] += a_lost
        loss_today[rows, :, h] += d_lost
        # A winner advances only where it is still the stronger side after the day's losses;
        # otherwise the defender gives ground inside the region but keeps it (assumption:
        # the CDB90 "winner" is mission accomplishment, not always a change of hands).
        left_att = cb.combat_power(att_pers - a_lost.sum(1), s.readiness[rows, a],
                                   s.quality[rows, a], mor, cc)
        left_def = def_pow * np.maximum(1 - d_lost.sum(1) / np.maximum(def_pers, 1e-9), 0)
        advance = res.attacker_wins & (left_att >= k.advance_ratio * left_def)
        if self.log:
            factors = {"posture": s.posture[rows[0], h[0]], "air": float(air_sup[0]),
                       "surprise": float(surprise[0]), "river": bool(river[0]),
                       "roll": float(u[0])}
            self.log.battle(a, int(h[0]), res, att_pers[0], def_pers[0], def_pers_b[0],
                            float(att_pow[0] / max(def_pow[0], 1e-9)), factors, bool(advance[0]))
        self._after_battle(a, rows, h, res.attacker_wins, advance, war, att_pers_g - a_lost)

    def _river(self, rows: np.ndarray, a: int, h: np.ndarray) -> np.ndarray:
        """True where every origin of the attack reaches h across a river."""
        present = self.state.F[rows, a, :] > 0
        origins = present & (self.c.adj[h] | (np.arange(self.c.G) == h[:, None]))
        dry = origins & ~self.c.river[h]
        return origins.any(1) & ~dry.any(1)

    def _after_battle(self, a: int, rows: np.ndarray, h: np.ndarray, won: np.ndarray,
                      advance: np.ndarray, war: np.ndarray, committed: np.ndarray) -> None:
        s, k = self.state, self.k
        s.momentum[rows, a] = 0.7 * s.momentum[rows, a] + 0.3 * np.where(won, 1.0, -1.0)
        s.momentum[rows] = np.where(war & won[:, None], 0.7 * s.momentum[rows] - 0.3,
                                    s.momentum[rows])
        s.morale[rows, a, :] += np.where(won, k.victory_boost, -k.defeat_shock)[:, None] * (
            committed > 0)
        beaten = war & (s.F[rows, :, h] > 0) & advance[:, None]
        s.morale[rows, :, h] -= k.defeat_shock * beaten
        np.clip(s.morale, 0.0, 1.0, out=s.morale)
        w = np.nonzero(advance)[0]
        if w.size == 0:
            return
        r, hw = rows[w], h[w]
        for b in range(self.c.A):
            leaving = beaten[w, b]
            if leaving.any():
                self._retreat(b, r[leaving], hw[leaving])
        # The attackers' committed survivors advance into the region.
        moved = committed[w] * (np.arange(self.c.G) != hw[:, None])
        s.F[r, a, :] -= moved
        s.F[r, a, hw] += moved.sum(1)
        self._set_control(r, hw, a)

    def _retreat(self, b: int, rows: np.ndarray, g: np.ndarray) -> None:
        """Actor b's forces in region g[i] leave it; nowhere to go means dispersed/captured."""
        s = self.state
        friendly = self.friendly_ground(rows)[:, b, :]
        dest = retreat_destination(self.c.adj, g, friendly, s.F[rows, b, :])
        moving = s.F[rows, b, g].copy()
        s.F[rows, b, g] = 0.0
        ok = dest >= 0
        r, d, m = rows[ok], dest[ok], moving[ok]
        # The retreating force brings its morale: mix with the destination's by headcount.
        # np.add.at: a replication may appear more than once (several regions at a time).
        weight = np.zeros_like(s.morale[:, b, :])
        np.add.at(weight, (r, d), m)
        carried = np.zeros_like(weight)
        np.add.at(carried, (r, d), m * s.morale[r, b, g[ok]])
        total = s.F[:, b, :] + weight
        s.morale[:, b, :] = np.divide(s.morale[:, b, :] * s.F[:, b, :] + carried, total,
                                      out=s.morale[:, b, :].copy(), where=weight > 0)
        np.add.at(s.F, (r, b, d), m)  # type: ignore[arg-type]  # numpy stubs: index tuples
        np.add.at(s.losses, (rows[~ok], b), moving[~ok])  # type: ignore[arg-type]

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
        np.clip(s.morale, 0.0, 1.0, out=s.morale)
        if self.log:
            self.log.control(rows, g, old, a)

    # Phase 6 ---------------------------------------------------------------------------

    def _morale_and_rout(self, loss_today: np.ndarray) -> None:
        s, k = self.state, self.k
        # Remnants of under one person are gone (killed, captured or dispersed).
        crumbs = s.F < 1.0
        s.losses += (s.F * crumbs).sum(axis=2)
        s.F[crumbs] = 0.0
        P = self.power()
        # A passive enemy threatens less: enemy power counts in proportion to its aggression.
        near = enemy_power(P * self.p["aggression"][:, :, None], self.war()) @ self.reach
        own = enemy_power(P, self.friendly()) @ self.reach
        s.morale = morale_update(s.morale, s.morale0, loss_today, s.F, own, near, s.momentum,
                                 k.morale_recovery * self.step_days, k.loss_shock,
                                 k.isolation_shock * self.step_days)
        broken = routs(s.morale, s.F, k.rout_threshold)
        if not broken.any():
            return
        rr, aa, gg = np.nonzero(broken)
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
        # Personnel friendly to each actor in each region, read at each region's holder.
        friendly_f = enemy_power(s.F, self.friendly())  # (R, A, G)
        holder = np.clip(s.control, 0, None)
        held_by_friends = np.take_along_axis(friendly_f, holder[:, None, :], axis=1)[:, 0, :]
        undefended = (held_by_friends <= 0) & (s.control >= 0)
        rr, gg = np.nonzero(undefended)
        if rr.size:
            adj_f = s.F @ c.adj.astype(float)  # (R, A, G) personnel in neighbouring regions
            # Only undefended regions can change hands here: evaluate just those.
            holder = s.control[rr, gg]
            enemies = self.war()[holder] if self._stance_uniform else s.war()[rr, holder]
            inside = s.F[rr, :, gg] * enemies  # (n, A)
            # Walking into an empty region takes a reason: only enemies with a goal there do.
            adjacent = adj_f[rr, :, gg] * enemies * (c.goals[:, gg].T > 0)
            take = (inside.sum(1) > 0) | (adjacent.sum(1) > 0)
            rr, gg, inside, adjacent = rr[take], gg[take], inside[take], adjacent[take]
        if rr.size:
            by_inside = inside.sum(1) > 0
            new = np.where(by_inside, inside.argmax(1), adjacent.argmax(1))
            # Walking in: an occupying detachment moves from the neighbour with most forces.
            for i in np.nonzero(~by_inside)[0]:
                r, g, a = rr[i], gg[i], new[i]
                nb = np.where(c.adj[g], s.F[r, a, :], 0.0)
                src = int(nb.argmax())
                det = nb[src] * k.occupy_share
                s.F[r, a, src] -= det
                s.F[r, a, g] += det
            for a in np.unique(new):
                sel = new == a
                self._set_control(rr[sel], gg[sel], int(a))
        s.held_days += self.step_days
        s.posture = np.maximum(s.posture, np.where(s.held_days >= k.fortress_days, 2, np.where(
            s.held_days >= k.fortify_days, 1, 0))).astype(np.int8)
