"""Forces falling back, outside a battle: broken forces after phase 6 and exhausted actors
giving up ground at the end of phase 4 (docs/model.md, phases 4 and 6). Both end in
phases.retreat; this module holds the bookkeeping around it so the engine stays an order of
phases."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import phases
from sim.model.formulas import ROUT_COMPOSURE
from sim.model.state import LOSS_KINDS

if TYPE_CHECKING:
    from sim.model.engine import GeoModel


def retreat_cells(model: GeoModel, stances: np.ndarray, rows: np.ndarray, actors: np.ndarray,
                  regions: np.ndarray) -> None:
    """phases.retreat for each (rows[i], actors[i], regions[i]), actor after actor
    (phases.retreat_each)."""
    phases.retreat_each(model.state_arrays(), stances, model.compiled.adj,
                        np.ascontiguousarray(rows, np.int64),
                        np.ascontiguousarray(actors, np.int64),
                        np.ascontiguousarray(regions, np.int64))


def withdraw_exhausted(model: GeoModel, step: phases.StepInputs,
                       threat: np.ndarray | None) -> None:
    """An actor whose felt losses (not yet made good) passed its casualty tolerance gives up
    ground it took: its forces in threatened regions it did not hold on day 0 fall back (as in
    a retreat, without desertion; phases.withdraw). A narrated run says when an actor passes
    its tolerance or, its losses made good, comes back under it."""
    if model.log:
        model.log.exhaustion(model.state.felt_losses()[0], model.params["cas_tol"][0])
    if threat is None:
        return
    taken = model.compiled.control0[None, :] != np.arange(model.compiled.A)[:, None]
    phases.withdraw(model.state_arrays(), step.stances, model.compiled.adj, taken, threat,
                    model.params["cas_tol"])


def rout(model: GeoModel, step: phases.StepInputs, broken: np.ndarray) -> None:
    """Broken forces (flat indices from phases.morale_phase) lose rout_desertion of their
    number (counted as deserted), spread panic through their actor (phases.spread_panic),
    and the rest retreat with ROUT_COMPOSURE x their baseline morale."""
    s = model.state
    rows, actors, regions = np.unravel_index(broken, s.F.shape)
    routed = s.F[rows, actors, regions].copy()
    deserters = routed * model.kconst.rout_desertion
    s.F[rows, actors, regions] -= deserters
    np.add.at(s.losses, (rows, actors), deserters)
    kind = np.full_like(rows, LOSS_KINDS.index("deserted"))
    np.add.at(s.loss_kinds, (rows, actors, kind), deserters)
    if model.log:
        model.log.rout(actors, regions, deserters)
    phases.spread_panic(model.state_arrays(), model.sampled(), model.kconst,
                        np.ascontiguousarray(rows, np.int64),
                        np.ascontiguousarray(actors, np.int64), routed)
    s.morale[rows, actors, regions] = s.morale0[rows, actors] * ROUT_COMPOSURE
    retreat_cells(model, step.stances, rows, actors, regions)
