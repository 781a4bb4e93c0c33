"""The phase kernels: the dense, every-cell work of a step, compiled with numba.

Each kernel does one phase's work in a single pass per replication, calling the rules of
sim/model/formulas.py (each stated once there) and skipping cells without forces. They take
the typed containers of sim/model/phases/arrays.py. Conventions:

- every loop is over replications first and each replication only reads its own rows, so a
  replication gives the same numbers alone or in a batch of any size (no fastmath: no
  reassociation of sums);
- relations come as stance codes of shape (S, A, A), S = 1 when every replication has the
  same stances (then row 0 serves all) or S = R;
- region neighbourhoods ("a region and its neighbours", the reach) come as CSR arrays
  `nb_ptr`, `nb_idx` (arrays.neighbourhoods).
"""

from sim.model.phases.air import air_strikes, cap_directed, directed_strikes
from sim.model.phases.arrays import (
    REC_FIELDS,
    BattleRecords,
    CombatDraws,
    DecisionArrays,
    Geometry,
    Sampled,
    StateArrays,
    StepInputs,
    decision_arrays,
    neighbourhoods,
    reach,
)
from sim.model.phases.combat import battles
from sim.model.phases.common import strike_region_batch
from sim.model.phases.control import control_changes, fortify, hand_over, territory
from sim.model.phases.decisions import choose, options
from sim.model.phases.morale import economy, morale_phase
from sim.model.phases.movement import movement, retreat, retreat_each, walk_in, withdraw
from sim.model.phases.supply import spread_panic, supply_phase

__all__ = [
    "REC_FIELDS",
    "BattleRecords",
    "CombatDraws",
    "DecisionArrays",
    "Geometry",
    "Sampled",
    "StateArrays",
    "StepInputs",
    "air_strikes",
    "battles",
    "choose",
    "control_changes",
    "decision_arrays",
    "cap_directed",
    "directed_strikes",
    "economy",
    "fortify",
    "hand_over",
    "morale_phase",
    "movement",
    "neighbourhoods",
    "options",
    "reach",
    "retreat",
    "retreat_each",
    "spread_panic",
    "strike_region_batch",
    "supply_phase",
    "territory",
    "walk_in",
    "withdraw",
]
