"""Fused kernels for the dense, every-cell work of a step, compiled with numba.

The rules are stated once, as vectorised NumPy functions in sim/model/rules/ (the reference, with
docs/model.md). Applied to whole (R, actors, regions) arrays they cost about 150 array passes
per step, each a trip through memory for a few flops; profiling showed that this, not the
model's logic, was where ensemble time went. Each kernel here does one phase's dense work in a
single pass per replication, skipping cells without forces, and tests/test_kernels.py checks
that it gives the reference rules' results.

Conventions:
- every loop is over replications first and each replication only reads its own rows, so a
  replication gives the same numbers alone or in a batch of any size (no fastmath: no
  reassociation of sums);
- relations come as stance codes `st` of shape (S, A, A), S = 1 when every replication has the
  same stances (then row 0 serves all) or S = R;
- region neighbourhoods ("a region and its neighbours", the reach) come as CSR arrays
  `nb_ptr`, `nb_idx` (see :func:`neighbourhoods`).
"""

from sim.model.kernels._common import combat_args, kernel, neighbourhoods
from sim.model.kernels.combat import REC_FIELDS, air_strikes, battles
from sim.model.kernels.control import control_changes, territory
from sim.model.kernels.decisions import logit_choice, options
from sim.model.kernels.morale import morale_phase
from sim.model.kernels.movement import movement, retreat, walk_in

__all__ = [
    "air_strikes",
    "battles",
    "combat_args",
    "control_changes",
    "kernel",
    "logit_choice",
    "morale_phase",
    "movement",
    "neighbourhoods",
    "options",
    "REC_FIELDS",
    "retreat",
    "territory",
    "walk_in",
]
