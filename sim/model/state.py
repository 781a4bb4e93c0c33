"""The model state: every quantity an array over R replications.

Axes: R replications, A actors, G regions (file order of the scenario), E events,
S support commitments. `F[r, a, g]` is the personnel of actor a in region g in replication r.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from sim.model.compile import Compiled
from sim.model.formulas import WAR
from sim.model.vectorised import felt_loss_share

LOSS_KINDS = ("killed", "wounded", "captured", "deserted")  # the loss_kinds axis


@dataclass
class State:
    day: int
    F: np.ndarray  # (R, A, G) personnel present
    reserve: np.ndarray  # (R, A) personnel not yet placed
    morale: np.ndarray  # (R, A, G) local morale 0..1
    morale0: np.ndarray  # (R, A) the actor's baseline morale (recovery target)
    readiness: np.ndarray  # (R, A)
    quality: np.ndarray  # (R, A)
    air: np.ndarray  # (R, A) own air-strike capacity, sorties/day
    intel: np.ndarray  # (R, A) 0..1
    funds: np.ndarray  # (R, A) USD million
    control: np.ndarray  # (R, G) int8, -1 none
    control0: np.ndarray  # (G,) day-0 controllers
    posture: np.ndarray  # (R, G) int8 defender posture of the holder
    held_days: np.ndarray  # (R, G) days since control last changed
    stance: np.ndarray  # (R, A, A) int8
    losses: np.ndarray  # (R, A) cumulative killed, wounded, captured and deserted
    recovered: np.ndarray  # (R, A) of those losses, the part made good (reconstitution)
    strength0: np.ndarray  # (R, A) day-0 strength
    momentum: np.ndarray  # (R, A) recent battle results, -1..1
    event_done: np.ndarray  # (R, E) bool
    sent: np.ndarray  # (R, S) troops delivered so far per commitment
    ever: np.ndarray  # (R, A, G) bool: actor controlled region at some day
    supply: np.ndarray  # (R, A, G) stocks of each force, 1 full .. 0 exhausted
    progress: np.ndarray  # (R, G) share of the region's depth its attacker holds
    attacked: np.ndarray  # (R, G) bool: fought over this step
    engaged_days: np.ndarray  # (R, G) days the engagement over the region has gone on
    restricted: np.ndarray  # (R, A, G) bool: the actor stays out of the region
    loss_kinds: np.ndarray  # (R, A, 4) losses killed, wounded, captured, deserted
    taken_day: np.ndarray  # (R, A, G) first day after day 0 the actor took it (inf: never)
    event_day: np.ndarray  # (R, E) day the event fired (inf: not fired)
    connected: np.ndarray  # (R, A, G) bool: a friendly road leads to one of its bases
    dirty: np.ndarray  # (R,) bool: control or stances changed since connections were searched

    @property
    def R(self) -> int:  # noqa: N802
        return int(self.F.shape[0])

    def war(self) -> np.ndarray:
        """(R, A, A) bool: pairs at war."""
        return self.stance == WAR

    def strength(self) -> np.ndarray:
        """(R, A) personnel in all regions plus reserve."""
        return self.F.sum(axis=2) + self.reserve

    def felt_losses(self) -> np.ndarray:
        """(R, A) losses still felt, as a share of day-0 strength
        (formulas_campaign.felt_loss_share): what the casualty tolerance is measured against."""
        return felt_loss_share(self.losses, self.recovered, self.strength0)


def initial_state(c: Compiled, p: dict[str, np.ndarray]) -> State:
    """Day-0 state of a batch from its parameter arrays (see Compiled.params)."""
    r = p["garrison"].shape[0]
    a, g = c.A, c.G
    # Personnel counted on paper include ghosts: only the effective share exists (and fights).
    effective = np.where(c.paper, p["effective_share"], 1.0)  # (R, A)
    F = p["garrison"] * effective[:, :, None]
    reserve = p["reserve"] * effective
    control = np.broadcast_to(c.control0.astype(np.int8), (r, g)).copy()
    ever = np.zeros((r, a, g), bool)
    has = control >= 0
    rows, cols = np.nonzero(has)
    ever[rows, control[has], cols] = True
    return State(
        day=0,
        F=F,
        reserve=reserve,
        morale=np.repeat(p["morale"][:, :, None], g, axis=2),
        morale0=p["morale"].copy(),
        readiness=p["readiness"].copy(),
        quality=p["quality"].copy(),
        air=p["air"].copy(),
        intel=p["intel"].copy(),
        funds=p["funds"].copy(),
        control=control,
        control0=c.control0.copy(),
        posture=np.broadcast_to(c.posture0.astype(np.int8), (r, g)).copy(),
        held_days=np.zeros((r, g), np.int32),
        stance=np.broadcast_to(c.stance0, (r, a, a)).copy(),
        losses=np.zeros((r, a)),
        recovered=np.zeros((r, a)),
        strength0=F.sum(axis=2) + reserve,
        momentum=np.zeros((r, a)),
        event_done=np.zeros((r, len(c.events)), bool),
        sent=np.zeros((r, len(c.supports))),
        ever=ever,
        supply=np.ones((r, a, g)),
        progress=np.zeros((r, g)),
        attacked=np.zeros((r, g), bool),
        engaged_days=np.zeros((r, g)),
        restricted=np.broadcast_to(c.restricted0, (r, a, g)).copy(),
        loss_kinds=np.zeros((r, a, len(LOSS_KINDS))),
        taken_day=np.full((r, a, g), np.inf),
        event_day=np.full((r, len(c.events)), np.inf),
        connected=np.ones((r, a, g), bool),
        dirty=np.ones(r, bool),
    )


def repeat_state(state: State, rep: int, n: int) -> State:
    """A state of n replications, each a copy of replication `rep` of `state`."""
    values: dict[str, Any] = {}
    for f in fields(State):
        v = getattr(state, f.name)
        if isinstance(v, np.ndarray) and f.name != "control0":
            values[f.name] = np.repeat(v[rep:rep + 1], n, axis=0)
        else:
            values[f.name] = v.copy() if isinstance(v, np.ndarray) else v
    return State(**values)
