"""The typed containers the phase kernels take (NamedTuples of arrays: numba reads them as
structs, so a kernel takes five of these instead of forty positional arrays).

Axes: R replications, A actors, G regions, S = 1 or R rows of stances (1 when every
replication has the same stances, then row 0 serves all).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class StateArrays(NamedTuple):
    """The model state the kernels read and update in place (sim.model.state.State)."""

    F: np.ndarray  # (R, A, G) personnel present
    reserve: np.ndarray  # (R, A)
    morale: np.ndarray  # (R, A, G)
    morale0: np.ndarray  # (R, A) baseline morale
    control: np.ndarray  # (R, G) int8 holder, -1 none
    posture: np.ndarray  # (R, G) int8
    held_days: np.ndarray  # (R, G) int32
    losses: np.ndarray  # (R, A) cumulative
    recovered: np.ndarray  # (R, A) losses made good
    strength0: np.ndarray  # (R, A) day-0 strength
    momentum: np.ndarray  # (R, A)
    ever: np.ndarray  # (R, A, G) bool
    supply: np.ndarray  # (R, A, G) stocks, 1 full .. 0 exhausted
    progress: np.ndarray  # (R, G) share of the region's depth its attacker holds
    attacked: np.ndarray  # (R, G) bool: fought over this step
    engaged_days: np.ndarray  # (R, G) days the engagement over the region has gone on
    restricted: np.ndarray  # (R, A, G) bool: the actor stays out
    loss_kinds: np.ndarray  # (R, A, 4) killed, wounded, captured, deserted
    taken_day: np.ndarray  # (R, A, G) first day the actor took the region (inf: never)
    connected: np.ndarray  # (R, A, G) bool: a friendly road leads to a base
    dirty: np.ndarray  # (R,) bool: control or stances changed (search connections again)


class StepInputs(NamedTuple):
    """What this step's kernels share: relations and combat multipliers of the step."""

    stances: np.ndarray  # (S, A, A) int8 stance codes
    readiness_quality: np.ndarray  # (R, A) readiness x quality
    air: np.ndarray  # (R, A) sorties/day: own capacity + support
    intel: np.ndarray  # (R, A) intelligence incl. support, at most 1
    loss_today: np.ndarray  # (R, A, G) personnel lost this step (strikes, battles)
    day: float  # the day the step ends on: a change of hands in it is seen on that day


class Sampled(NamedTuple):
    """Per-replication parameters the kernels read (sampled facts)."""

    value: np.ndarray  # (R, G) strategic value of each region
    casualty_tolerance: np.ndarray  # (R, A)
    aggression: np.ndarray  # (R, A)
    depth: np.ndarray  # (R, G) km to fight through to take the region
    will: np.ndarray  # (R, A) will to fight (formulas_campaign.will_to_fight)
    brittleness: np.ndarray  # (R, A) 2 (1 - will)
    desertion: np.ndarray  # (R, A) share deserting per day
    speed: np.ndarray  # (R, A) km/day along a main road
    supply_days: np.ndarray  # (R, A) days of stocks


class Geometry(NamedTuple):
    """The scenario's fixed index arrays."""

    adj: np.ndarray  # (G, G) bool links
    river: np.ndarray  # (G, G) bool: the link crosses a river
    terrain: np.ndarray  # (G,) int terrain codes
    nb_ptr: np.ndarray  # CSR of the reach (a region and its neighbours): pointers
    nb_idx: np.ndarray  # CSR indices
    goals: np.ndarray  # (A, G) goal weight of each region to each actor
    hostility_goal: np.ndarray  # (A, A) weight of defeating / limiting each actor
    entry: np.ndarray  # (A, G) bool: where reserves may enter
    travel: np.ndarray  # (G, G) shortest distance in main-road km
    bases: np.ndarray  # (A, G) bool: where each actor's supply comes from
    path_decay: np.ndarray  # (G, G) GOAL_PATH_DECAY^hops: a goal's value on the way to it
    goal_regions: np.ndarray  # (A, K) each actor's goal regions, padded with -1


class DecisionArrays(NamedTuple):
    """Phase 3's outputs, (R, A, G) each but hold_utility (R, A); the detail arrays are
    (0, A, G) unless wanted."""

    enemy_power: np.ndarray
    threat: np.ndarray
    legal: np.ndarray
    p_win: np.ndarray
    utility: np.ndarray
    hold_utility: np.ndarray
    att_power: np.ndarray  # detail
    att_personnel: np.ndarray  # detail
    def_personnel: np.ndarray  # detail


class CombatDraws(NamedTuple):
    """Per (replication, attacking actor): the win uniform and the two loss noise scores."""

    u_win: np.ndarray  # (R, A) uniforms
    z_att: np.ndarray  # (R, A) standard normal scores
    z_def: np.ndarray  # (R, A)


class BattleRecords(NamedTuple):
    """Each battle's fields (REC_FIELDS) for the narrative; (0, ...) when not recorded."""

    fields: np.ndarray  # (R, A, len(REC_FIELDS))
    defenders: np.ndarray  # (R, A, A) defenders' personnel by actor


REC_FIELDS = ("fought", "region", "att_pers", "def_pers", "power_ratio", "posture", "air",
              "surprise", "river", "roll", "p_win", "won", "att_loss", "def_loss", "advance",
              "old_holder")


def decision_arrays(shape: tuple[int, int, int], detail: bool) -> DecisionArrays:
    """Fresh output arrays for phase 3 (detail: also attack power/personnel, defenders)."""
    detail_shape = shape if detail else (0, *shape[1:])
    return DecisionArrays(
        enemy_power=np.empty(shape), threat=np.empty(shape), legal=np.empty(shape, bool),
        p_win=np.empty(shape), utility=np.empty(shape), hold_utility=np.empty(shape[:2]),
        att_power=np.empty(detail_shape), att_personnel=np.empty(detail_shape),
        def_personnel=np.empty(detail_shape))


def neighbourhoods(reach: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR form of a (G, G) reach matrix: the regions h with reach[h, g] > 0, for each g."""
    cols = [np.nonzero(reach[:, g] > 0)[0] for g in range(reach.shape[0])]
    ptr = np.zeros(len(cols) + 1, np.int64)
    ptr[1:] = np.cumsum([len(c) for c in cols])
    idx = np.concatenate(cols).astype(np.int64) if cols else np.zeros(0, np.int64)
    return ptr, idx


def reach(adj: np.ndarray) -> np.ndarray:
    """(G, G) float: a region and its neighbours (adjacency plus identity)."""
    return (adj | np.eye(adj.shape[0], dtype=bool)).astype(np.float64)
