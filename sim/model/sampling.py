"""Randomness: counter-based draws keyed by (root seed, replication, day, purpose, index).

Every random number of replication k is a pure function of the root seed, k, the day, a
purpose code and an index. So replication k gives the same result whether it runs alone, in a
batch of ten thousand, on one worker or on a dask cluster, and a class can replay replication
#4711 exactly. Each replication's key comes from ``numpy.random.SeedSequence(seed,
spawn_key=(k,))``: independent streams the NumPy way (SPEC 7), never Python's ``hash()``.
The draws themselves are SplitMix64 finalisers over a 64-bit counter, vectorised with NumPy
(a cheap, well-tested mixing function; see Steele, Lea & Flood, "Fast splittable
pseudorandom number generators", OOPSLA 2014).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from scipy import special

from sim.model.formulas import kernel
from sim.scenario.schema import Dist, Fact

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_TO_UNIT = 2.0**-53


class Purpose(IntEnum):
    """What a draw is for; keeps the streams of different rules apart."""

    FACT = 1
    COMBAT_WIN = 2
    COMBAT_NOISE_ATT = 3
    COMBAT_NOISE_DEF = 4
    DECISION = 5
    EVENT = 6
    MORALE = 7
    LHS = 8


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser (bijective avalanche mix of 64-bit words)."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def rep_keys(seed: int, reps: Sequence[int] | np.ndarray) -> np.ndarray:
    """One 64-bit key per replication, from SeedSequence(seed, spawn_key=(rep,))."""
    reps = np.asarray(reps, dtype=np.int64)
    out = np.empty(reps.shape[0], dtype=np.uint64)
    for i, k in enumerate(reps.tolist()):
        ss = np.random.SeedSequence(int(seed), spawn_key=(int(k),))
        out[i] = ss.generate_state(1, dtype=np.uint64)[0]
    return out


def uniforms(keys: np.ndarray, day: int, purpose: Purpose, n: int = 1) -> np.ndarray:
    """Uniform draws in (0, 1), shape (len(keys), n); draw j depends on (key, day, purpose, j)."""
    return uniforms_at(keys, day, purpose, np.arange(n, dtype=np.uint64))


def uniforms_at(keys: np.ndarray, day: int, purpose: Purpose, index: np.ndarray) -> np.ndarray:
    """Like :func:`uniforms` for arbitrary draw indices (any 16-bit-shifted 64-bit values)."""
    counter = (
        np.uint64(day & 0xFFFFFFFF) << np.uint64(32)
        | np.uint64(int(purpose) & 0xFFFF) << np.uint64(16)
    ) ^ (np.asarray(index, dtype=np.uint64) * _GOLD)
    with np.errstate(over="ignore"):
        mixed = _mix(counter * _GOLD + _GOLD)
    out = np.empty((keys.shape[0], mixed.shape[0]))
    _unit_draws(np.ascontiguousarray(keys, np.uint64), mixed, out)
    return out


_S11, _S27, _S30, _S31 = np.uint64(11), np.uint64(27), np.uint64(30), np.uint64(31)


@kernel
def _unit_draws(keys, mixed, out):  # pragma: no cover
    """out[r, j] = ((mix(keys[r] ^ mixed[j]) >> 11) + 0.5) 2^-53: the loop form of _mix over
    every (replication, draw) pair, without (R, n) uint64 temporaries (the hot path draws
    several of these a step). +0.5 keeps draws off 0 exactly, so inverse CDFs never return
    -inf."""
    for r in range(keys.shape[0]):
        for j in range(mixed.shape[0]):
            z = keys[r] ^ mixed[j]
            z = (z ^ (z >> _S30)) * _M1
            z = (z ^ (z >> _S27)) * _M2
            z = z ^ (z >> _S31)
            out[r, j] = (float(z >> _S11) + 0.5) * _TO_UNIT


@dataclass(frozen=True)
class UncertainFact:
    """A fact whose value is drawn per replication."""

    id: str
    fact: Fact


def sample_facts(
    facts: Sequence[UncertainFact],
    seed: int,
    reps: np.ndarray,
    keys: np.ndarray,
    design: str = "mc",
    n_total: int | None = None,
) -> np.ndarray:
    """Draw every uncertain fact for every replication: array (len(reps), len(facts)).

    ``mc`` draws independently; ``lhs`` (Latin hypercube, McKay et al. 1979) puts replication k
    of fact j in stratum perm_j[k] of ``n_total`` equal-probability strata, so each fact's range
    is covered evenly; perm_j depends only on (seed, j), so a batch needs no other batch.
    """
    if not facts:
        return np.zeros((len(reps), 0))
    # Each fact's draw is keyed by its id, not its position: adding, removing or fixing one
    # fact (a variant) leaves every other fact's draws unchanged (common random numbers).
    u = uniforms_at(keys, 0, Purpose.FACT, np.array([fact_key(f.id) for f in facts], np.uint64))
    if design == "lhs":
        if n_total is None or n_total < 1:
            raise ValueError("lhs design needs n_total (the run's total replications)")
        u = _latin_hypercube(u, facts, seed, reps, n_total)
    elif design != "mc":
        raise ValueError(f"unknown design {design!r} (allowed: mc, lhs)")
    return np.column_stack([quantile(f.fact, u[:, j]) for j, f in enumerate(facts)])


def fact_key(fact_id: str) -> int:
    """A stable 32-bit key for a fact id (the same in every process; never Python's hash())."""
    return int.from_bytes(hashlib.blake2b(fact_id.encode(), digest_size=4).digest(), "little")


def _latin_hypercube(
    u: np.ndarray, facts: Sequence[UncertainFact], seed: int, reps: np.ndarray, n_total: int
) -> np.ndarray:
    out = np.empty_like(u)
    for j, f in enumerate(facts):
        gen = np.random.Generator(
            np.random.Philox(np.random.SeedSequence(int(seed), spawn_key=(2**31, fact_key(f.id))))
        )
        perm = gen.permutation(n_total)
        out[:, j] = (perm[reps % n_total] + u[:, j]) / n_total
    return out


def quantile(fact: Fact, u: np.ndarray) -> np.ndarray:
    """Inverse CDF of the fact's distribution at probabilities ``u`` (vectorised)."""
    if not fact.uncertain:
        return np.full(u.shape, fact.value)
    lo, hi, mode = float(fact.low), float(fact.high), fact.value  # type: ignore[arg-type]
    dist = fact.dist or Dist.triangular
    z90 = 1.6448536269514722  # low/high are the 5th/95th percentiles for normal and lognormal
    if dist is Dist.uniform:
        return lo + u * (hi - lo)
    if dist is Dist.triangular:
        c = (mode - lo) / (hi - lo)
        left = lo + np.sqrt(u * (hi - lo) * (mode - lo))
        right = hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode))
        return np.where(u < c, left, right)
    if dist is Dist.pert:  # Beta-PERT with lambda = 4 (Vose 2008)
        a = 1 + 4 * (mode - lo) / (hi - lo)
        b = 1 + 4 * (hi - mode) / (hi - lo)
        return lo + (hi - lo) * special.betaincinv(a, b, u)
    if dist is Dist.normal:
        sd = (hi - lo) / (2 * z90)
        return _normal_ppf(u, (lo + hi) / 2, sd)
    mu, sd = (np.log(lo) + np.log(hi)) / 2, (np.log(hi) - np.log(lo)) / (2 * z90)
    return np.exp(_normal_ppf(u, mu, sd))


def _normal_ppf(u: np.ndarray, loc: float, scale: float) -> np.ndarray:
    """scipy.stats.norm.ppf(u, loc, scale), bit for bit (its formula: ndtri(u) * scale + loc),
    without importing scipy.stats: that import took a third of a worker's start-up."""
    return np.asarray(special.ndtri(u) * scale + loc, dtype=np.float64)
