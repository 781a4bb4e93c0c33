"""Mesa agents for the actors of a scenario: states, armed groups and organisations.

An ActorAgent is one actor across all R replications: its state lives in the model's arrays
(row `index` of every (R, A, ...) array), so one agent call decides for every replication at
once. The agent holds its identity, goals and relations and chooses its action each step with
the logit policy (sim.model.formulas.logit_pick); a wargame team can override that choice
with orders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model import phases
from sim.model.formulas import HOLD
from sim.scenario.schema import Actor

if TYPE_CHECKING:
    from sim.model.engine import GeoModel
    from sim.model.phases import DecisionArrays


class ActorAgent(mesa.Agent):
    """A state, armed group or organisation, vectorised over replications."""

    model: GeoModel

    def __init__(self, model: GeoModel, index: int, actor_id: str, spec: Actor):
        super().__init__(model)
        self.index = index
        self.actor_id = actor_id
        self.spec = spec
        # Orders from a wargame team for the coming step: region index to attack, or HOLD.
        self.orders: int | None = None
        self.target = np.full(model.R, HOLD, dtype=np.int64)

    @property
    def name(self) -> str:
        return self.spec.name

    def decide(self, options: DecisionArrays, u: np.ndarray) -> None:
        """Choose this step's target region (or HOLD) in every replication.

        `u`: (R, A) uniform draws of this step's decision phase; this actor uses column `index`.
        """
        a = self.index
        u = u[:, a]
        if self.orders is not None:
            legal = options.legal[:, a, self.orders] if self.orders >= 0 else np.ones(len(u), bool)
            self.target = np.where(legal, self.orders, HOLD).astype(np.int64)
            return
        # beta = rationality x utility_scale: the logit's sharpness (docs/model.md, phase 3).
        beta = self.model.params["rationality"][:, a] * self.model.constants.utility_scale
        self.target = np.empty(len(u), dtype=np.int64)
        phases.choose(options.utility[:, a, :], options.legal[:, a, :],
                      options.hold_utility[:, a], beta, u, self.target)

    def strength(self) -> np.ndarray:
        """(R,) personnel in all regions plus reserve."""
        s = self.model.state
        return s.F[:, self.index, :].sum(axis=1) + s.reserve[:, self.index]
