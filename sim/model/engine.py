"""The conflict model: a Mesa model whose state is arrays over R replications.

`GeoModel.step()` runs one scenario step (e.g. a day) in seven documented phases (see
docs/model.md): 1 economy, 2 support and events, 3 decisions, 4 movement, 5 air strikes and
combat, 6 morale and rout, 7 control and bookkeeping. The rules are the formulas of
sim/model/formulas.py, run by the phase kernels of sim/model/phases/; this module orders the
phases and owns the state.

Public hooks for code that drives the model differently (the wargame, sensitivity analysis):
`Sampling(samples=...)` runs given sampled facts; `start_from(other)` starts from another
model's state; `air_pool`, `intelligence`, `options`, `support_and_events` and
`air_strikes` are the phase methods a subclass may extend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Network

from agents.actor import ActorAgent
from sim.model import events, fall_back, narrative, phases
from sim.model.combat_constants import CombatConstants, load_constants
from sim.model.compile import Compiled, compile_scenario
from sim.model.constants import DEFAULT, ModelConstants, kernel_constants
from sim.model.formulas import HOLD, WAR
from sim.model.formulas_campaign import reconstitute
from sim.model.outcomes import snapshot_days, territory
from sim.model.sampling import Purpose, rep_keys, sample_facts, uniforms
from sim.model.state import State, initial_state, repeat_state
from sim.model.vectorised import (
    brittleness,
    held_by_friend,
    normal_score,
    will_to_fight,
)
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Sampling:
    """How a model gets its uncertain facts: drawn by `design` ("mc" or "lhs", which needs
    the run's total `n_total`), or `samples` given as (replications x facts) values."""

    design: str = "mc"
    n_total: int | None = None
    samples: np.ndarray | None = None


class _StepBuffers(NamedTuple):
    """Arrays every step writes, allocated once per model."""

    decisions: phases.DecisionArrays
    loss_today: np.ndarray  # (R, A, G)
    ground: np.ndarray  # (R, A, G) bool
    broken: np.ndarray  # (R A G,) flat indices of routed forces
    new_holder: np.ndarray  # (R, G)
    walk: np.ndarray  # (R, G) bool
    directed: np.ndarray  # (R, A, G) sorties flown at a region this step
    disabled: np.ndarray  # (R, A, G) personnel they disabled


class GeoModel(mesa.Model):
    """Actors with resources, alliances and goals on a network of regions.

    Args:
        scenario: a validated scenario (variant already applied).
        reps: global indices of the replications to run together (default: [0]).
        seed: the root seed; replication k's randomness depends only on (seed, k).
        days: horizon override (default: the scenario's horizon_days).
        sampling: how uncertain facts are drawn or given (:class:`Sampling`).
        constants: engine constants (docs/model.md).
        combat_constants: the fitted combat constants (default: the shipped fit).
        narrate: keep a dated narrative (only sensible for one replication).
        compiled: the scenario compiled already (saves the work for many models).
    """

    def __init__(self, scenario: Scenario, reps: np.ndarray | list[int] | None = None,
                 seed: int = 0, days: int | None = None, sampling: Sampling = Sampling(),
                 constants: ModelConstants = DEFAULT,
                 combat_constants: CombatConstants | None = None, narrate: bool = False,
                 compiled: Compiled | None = None):
        super().__init__(rng=seed)
        self.spec = scenario
        self.compiled = compiled or compile_scenario(scenario)
        self.constants = constants
        self.combat_constants = combat_constants or load_constants()
        self.reps = np.asarray([0] if reps is None else reps, dtype=np.int64)
        self.R = len(self.reps)
        self.seed = int(seed)
        self.horizon = int(days if days is not None else scenario.scenario.horizon_days)
        self.step_days = scenario.scenario.step_days
        self.kconst = kernel_constants(constants, self.combat_constants, self.step_days)
        self.keys = rep_keys(seed, self.reps)
        self.samples = (np.asarray(sampling.samples, np.float64) if sampling.samples is not None
                        else sample_facts(self.compiled.uncertain, seed, self.reps, self.keys,
                                          sampling.design, sampling.n_total))
        self._start(self.compiled.params(self.samples))
        self.reach = phases.reach(self.compiled.adj)
        nb_ptr, nb_idx = phases.neighbourhoods(self.reach)
        c = self.compiled
        self.geometry = phases.Geometry(c.adj, c.river, c.terrain, nb_ptr, nb_idx, c.goals,
                                        c.hostility_goal, c.entry, c.travel, c.bases,
                                        c.path_decay, c.goal_regions)
        self.space = self._network()
        self.actors = [ActorAgent(self, i, aid, spec)
                       for i, (aid, spec) in enumerate(scenario.actors.items())]
        self.log = narrative.Narrator(self) if narrate else None
        self.snapshots: dict[int, dict[str, np.ndarray]] = {}
        self._snapshot_days = snapshot_days(self.compiled.outcomes, self.horizon)
        self._threat: np.ndarray | None = None  # assessed at the last decision phase
        # Arrays every step writes, allocated once: fresh (R, A, G) arrays each step cost more
        # in page faults than the kernels spend on them.
        shape = (self.R, self.compiled.A, self.compiled.G)
        self._buffers = _StepBuffers(phases.decision_arrays(shape, False), np.zeros(shape),
                                     np.empty(shape, bool), np.empty(int(np.prod(shape)),
                                                                     np.int64),
                                     np.empty(shape[::2], np.int64), np.empty(shape[::2], bool),
                                     np.empty(shape), np.empty(shape))

    def _start(self, params: dict[str, np.ndarray]) -> None:
        """Day 0 from the parameter arrays (will to fight derived from the cohesion signals)."""
        params["will"] = will_to_fight(params["pay"], params["training"], params["leadership"],
                                       params["commitment"])
        params["brittleness"] = brittleness(params["will"])
        self.params = params
        self.state: State = initial_state(self.compiled, params)
        self.stance_uniform = True
        self.air_for = np.zeros((self.R, self.compiled.A))
        self.intel_bonus = np.zeros((self.R, self.compiled.A))
        # (R, A, G) sorties of the step directed at a region (air_for includes them)
        self.air_directed = np.zeros((self.R, self.compiled.A, self.compiled.G))
        self.territory0 = territory(self)

    def start_from(self, other: GeoModel, rep: int = 0) -> None:
        """Given state: every replication continues from replication `rep` of `other` (its
        state and parameters; own dice), e.g. the wargame's shadow ensembles."""
        self.state = repeat_state(other.state, rep, self.R)
        self.params = {name: np.repeat(v[rep:rep + 1], self.R, axis=0)
                       for name, v in other.params.items()}
        self.territory0 = np.repeat(other.territory0[rep:rep + 1], self.R, axis=0)
        self.stance_uniform = bool((self.state.stance == self.state.stance[:1]).all())

    def _network(self) -> Network:
        """Regions and links as Mesa's network space (positions: lon/lat, no random layout)."""
        graph = nx.Graph()
        for i, (gid, region) in enumerate(self.spec.regions.items()):
            graph.add_node(i, id=gid, name=region.name)
        index = {gid: i for i, gid in enumerate(self.compiled.region_ids)}
        for link in self.spec.links:
            graph.add_edge(index[link.between[0]], index[link.between[1]], km=link.km)
        layout = {i: (r.lon, r.lat) for i, r in enumerate(self.spec.regions.values())}
        return Network(graph, layout=layout, random=self.random)

    # ------------------------------------------------------------------ state views

    @property
    def day(self) -> int:
        return self.state.day

    def state_arrays(self) -> phases.StateArrays:
        s = self.state
        return phases.StateArrays(s.F, s.reserve, s.morale, s.morale0, s.control, s.posture,
                                  s.held_days, s.losses, s.recovered, s.strength0, s.momentum,
                                  s.ever, s.supply, s.progress, s.attacked, s.engaged_days,
                                  s.restricted, s.loss_kinds, s.taken_day, s.connected, s.dirty)

    def sampled(self) -> phases.Sampled:
        p = self.params
        return phases.Sampled(p["value"], p["cas_tol"], p["aggression"], p["depth"], p["will"],
                              p["brittleness"], p["desertion"], p["speed"], p["supply_days"])

    def stances(self) -> np.ndarray:
        """Stance codes for the kernels: (1, A, A) when every replication has the same."""
        return self.state.stance[:1] if self.stance_uniform else self.state.stance

    def stances_changed(self) -> None:
        """Call after changing stances: kernels then read them per replication if needed, and
        supply routes are searched again."""
        self.stance_uniform = bool((self.state.stance == self.state.stance[:1]).all())
        self.state.dirty[:] = True

    def step_inputs(self) -> phases.StepInputs:
        """What phases 3-7 share this step (after support has flowed)."""
        s = self.state
        loss_today = self._buffers.loss_today
        loss_today.fill(0.0)
        return phases.StepInputs(self.stances(), s.readiness * s.quality, self.air_pool(),
                                 self.intelligence(), loss_today,
                                 float(s.day + self.step_days))

    def air_pool(self) -> np.ndarray:
        """(R, A) sorties this step: own capacity plus supported sorties."""
        return self.state.air + self.air_for

    def intelligence(self) -> np.ndarray:
        """(R, A) intelligence this step: own plus support, at most 1."""
        return np.minimum(self.state.intel + self.intel_bonus, 1.0)

    def power(self) -> np.ndarray:
        """(R, A, G) combat power of every force (formulas.combat_power)."""
        from sim.model.vectorised import combat_power

        s = self.state
        return combat_power(s.F, s.readiness[:, :, None], s.quality[:, :, None], s.morale,
                            self.combat_constants)

    def war(self) -> np.ndarray:
        """Pairs at war: (A, A) when stances are the same in every replication, else (R, A, A)."""
        return self.stances()[0] == WAR if self.stance_uniform else self.state.stance == WAR

    def friendly_ground(self, rows: np.ndarray | None = None) -> np.ndarray:
        """(n, A, G) bool: regions held by the actor or a friend (all rows, or `rows`)."""
        control = self.state.control if rows is None else self.state.control[rows]
        stance = self.state.stance if rows is None else self.state.stance[rows]
        holder = np.clip(control, 0, None).astype(np.int64)
        by_holder = np.take_along_axis(stance, holder[:, None, :].repeat(self.compiled.A, 1),
                                       axis=2)
        return held_by_friend(np.arange(self.compiled.A)[:, None], control[:, None, :],
                              by_holder)

    def last_threat(self) -> np.ndarray:
        """(R, A, G) enemy power in each region's reach, as assessed at the last decision
        phase (before the first one: assessed now)."""
        if self._threat is None:
            self._threat = self.options(self.step_inputs()).threat
        return self._threat

    # ------------------------------------------------------------------ the step

    def step(self) -> None:
        """Advance every replication by one scenario step (phases 1-7)."""
        s = self.state
        phases.economy(s.funds, s.reserve, s.strength(), self.params["income"],
                       self.params["upkeep"], self.params["recruit"], float(self.step_days))
        reconstitute(s.recovered, s.losses, self.kconst.reconstitution_step)
        self.support_and_events()
        step = self.step_inputs()
        phases.supply_phase(self.state_arrays(), step, self.sampled(), self.geometry,
                            self.kconst)
        decisions = self.options(step)
        self._threat = decisions.threat  # reused by movement and next step's troop arrivals
        u = uniforms(self.keys, s.day, Purpose.DECISION, self.compiled.A)
        # Every actor agent decides (Mesa's AgentSet, in file order; each uses its own draws).
        self.agents.do("decide", decisions, u)
        attacking = self.targets() != HOLD
        ground = self._buffers.ground
        phases.movement(self.state_arrays(), step, self.sampled(), self.geometry, self.kconst,
                        self._threat, attacking, ground)
        self.withdraw_exhausted(step)
        self.air_strikes(step, decisions.enemy_power, ground)
        self.combat(step)
        self.morale_and_rout(step)
        self.control_phase(step)
        s.day += self.step_days

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
                "strength": s.strength(), "losses": s.losses.copy(), "ever": s.ever.copy(),
                "loss_kinds": s.loss_kinds.copy()}

    def targets(self) -> np.ndarray:
        """(R, A) this step's target region of every actor, or HOLD."""
        return np.stack([agent.target for agent in self.actors], axis=1)

    # Phase 2 ---------------------------------------------------------------------------

    def support_and_events(self) -> None:
        """Support commitments flow, then due events fire (sim/model/events.py)."""
        events.flow_support(self)
        events.fire_events(self)

    # Phase 3 ---------------------------------------------------------------------------

    def options(self, step: phases.StepInputs, detail: bool = False) -> phases.DecisionArrays:
        """Every actor's threat, legal attacks and their P(win) and utility (phases.options).
        `detail` also keeps every option's attack power and personnel and the defenders'
        personnel (for a wargame's views; the ensemble skips them)."""
        out = (phases.decision_arrays(self.state.F.shape, True) if detail
               else self._buffers.decisions)
        phases.options(self.state_arrays(), step, self.sampled(), self.geometry, self.kconst,
                       out)
        return out

    def withdraw_exhausted(self, step: phases.StepInputs) -> None:
        """Phase 4, end: exhausted actors give up ground they took (fall_back)."""
        fall_back.withdraw_exhausted(self, step, self._threat)

    # Phase 5 ---------------------------------------------------------------------------

    def air_strikes(self, step: phases.StepInputs, enemy_power: np.ndarray,
                    ground: np.ndarray) -> None:
        """Sorties directed at a region strike there (phases.directed_strikes); each actor's
        other sorties hit the enemy force nearest its ground (phases.air_strikes; targets
        from the enemy power assessed at decision time)."""
        air = step.air
        if self.air_directed.any():
            directed, disabled = self._buffers.directed, self._buffers.disabled
            air = np.empty_like(step.air)
            phases.cap_directed(self.air_directed, step.air, directed, air)
            phases.directed_strikes(self.state_arrays(), step, self.kconst, directed, disabled)
            if self.log:
                self.log.directed_strikes(directed[0], disabled[0])
        if not (air > 0).any():
            return
        phases.air_strikes(self.state_arrays(), step._replace(air=air), self.geometry,
                           self.kconst, enemy_power, ground, step.loss_today)

    def combat(self, step: phases.StepInputs) -> None:
        """Every actor with a target attacks it, in actor order (phases.battles)."""
        targets = self.targets()
        attacking = targets != HOLD
        if not attacking.any():
            return
        draws = phases.CombatDraws(
            uniforms(self.keys, self.state.day, Purpose.COMBAT_WIN, self.compiled.A),
            self._loss_noise(Purpose.COMBAT_NOISE_ATT, attacking),
            self._loss_noise(Purpose.COMBAT_NOISE_DEF, attacking))
        actors = self.compiled.A
        n = self.R if self.log else 0
        records = phases.BattleRecords(np.zeros((n, actors, len(phases.REC_FIELDS))),
                                       np.zeros((n, actors, actors)))
        phases.battles(self.state_arrays(), step, self.sampled(), self.geometry, self.kconst,
                       targets, draws, records)
        if self.log:
            self.log.battles(records.fields[0], records.defenders[0])

    def _loss_noise(self, purpose: Purpose, attacking: np.ndarray) -> np.ndarray:
        """(R, A) normal scores of this step's loss-noise draws where the actor attacks (the
        battles read no others; 0 elsewhere, which saves the inverse CDF of the rest)."""
        z = np.zeros(attacking.shape)
        u = uniforms(self.keys, self.state.day, purpose, self.compiled.A)
        z[attacking] = normal_score(u[attacking])
        return z

    def set_control(self, rows: np.ndarray, regions: np.ndarray, holder: int) -> None:
        """Regions change hands in the given replications (phases.hand_over), narrated."""
        rows = np.ascontiguousarray(rows, np.int64)
        regions = np.ascontiguousarray(regions, np.int64)
        old = self.state.control[rows, regions].copy()
        phases.hand_over(self.state_arrays(), self.sampled(), self.kconst, rows, regions,
                         holder, float(self.state.day + self.step_days))
        if self.log:
            change = old != holder
            self.log.control(rows[change], regions[change], old[change], holder)

    # Phase 6 ---------------------------------------------------------------------------

    def morale_and_rout(self, step: phases.StepInputs) -> None:
        """Morale moves (phases.morale_phase); broken forces rout (fall_back.rout)."""
        broken = self._buffers.broken
        n = phases.morale_phase(self.state_arrays(), step, self.sampled(), self.geometry,
                                self.kconst, broken)
        if n > 0:
            fall_back.rout(self, step, broken[:n])

    # Phase 7 ---------------------------------------------------------------------------

    def control_phase(self, step: phases.StepInputs) -> None:
        """Empty regions pass to the enemy present in them, or to an adjacent enemy that has a
        goal there (walking in); quiet holding fortifies."""
        s = self.state
        new, walk = self._buffers.new_holder, self._buffers.walk
        phases.control_changes(self.state_arrays(), step, self.geometry, new, walk)
        rr, gg = np.nonzero(new >= 0)
        if rr.size:
            wr, wg = np.nonzero(walk)
            phases.walk_in(s.F, s.morale, self.compiled.adj, wr, wg, new[wr, wg],
                           self.kconst.occupy_share)
            holders = new[rr, gg]
            for a in np.unique(holders):
                sel = holders == a
                self.set_control(rr[sel], gg[sel], int(a))
        phases.fortify(self.state_arrays(), self.step_days, self.kconst)


# The batch API lives in sim/model/batch.py; re-exported here because
# `sim.model.engine.simulate` is the engine contract (docs/architecture.md).
from sim.model.batch import BatchResult, SingleRun, run_single, simulate  # noqa: E402

__all__ = ["BatchResult", "GeoModel", "Sampling", "SingleRun", "run_single", "simulate",
           "territory"]
