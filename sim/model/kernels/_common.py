"""What every kernel shares: the numba decorator, neighbourhoods, combat power, relation
lists and clipping."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

# cache: compiled code is kept next to this file, so worker processes load it instead of
# compiling; nogil: a kernel does not hold up other threads (dask's worker threads).
# error_model="numpy": no zero-division checks in the loops (every division is guarded).
kernel = njit(cache=True, nogil=True, error_model="numpy")


def combat_args(cc: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The combat constants the kernels read: (scalars, posture effects, terrain effects).

    Scalars, in order: win_intercept, ratio_slope, river_effect, air_coef, surprise_coef,
    ln(att_loss_base), att_loss_exp, ln(att_loser_mult), att_loss_sigma, ln(def_loss_base),
    def_loss_exp, ln(def_loser_mult), def_loss_sigma, loss_noise_corr rho, sqrt(1 - rho^2),
    ln(max_daily_loss_share): the logs sim.model.rules.combat takes, taken here the same way
    (NumPy), once.
    """
    rho = cc.loss_noise_corr
    scalars = np.array([cc.win_intercept, cc.ratio_slope, cc.river_effect, cc.air_coef,
                        cc.surprise_coef, np.log(cc.att_loss_base), cc.att_loss_exp,
                        np.log(cc.att_loser_mult), cc.att_loss_sigma, np.log(cc.def_loss_base),
                        cc.def_loss_exp, np.log(cc.def_loser_mult), cc.def_loss_sigma, rho,
                        np.sqrt(1.0 - rho**2), np.log(cc.max_daily_loss_share)],
                       dtype=np.float64)
    return (scalars, np.asarray(cc.posture_effect, np.float64),
            np.asarray(cc.terrain_effect, np.float64))


def neighbourhoods(reach: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR form of a (G, G) reach matrix: the regions h with reach[h, g] > 0, for each g."""
    cols = [np.nonzero(reach[:, g] > 0)[0] for g in range(reach.shape[0])]
    ptr = np.zeros(len(cols) + 1, np.int64)
    ptr[1:] = np.cumsum([len(c) for c in cols])
    idx = np.concatenate(cols).astype(np.int64) if cols else np.zeros(0, np.int64)
    return ptr, idx


@kernel
def cell_power(f: float, rq: float, m: float, neutral: float, weight: float, floor: float) -> float:
    """Combat power of one cell, as sim.model.rules.combat.combat_power (same operation order)."""
    mf = (m - neutral) * weight + 1.0
    if mf < floor:
        mf = floor
    p = mf * rq * f
    return p if p > 0.0 else 0.0


@kernel
def partners(st, s, code1, code2, out, count):  # pragma: no cover
    """For every actor b, the actors a with st[s, a, b] in (code1, code2): out[b, :count[b]]."""
    A = st.shape[1]
    for b in range(A):
        n = 0
        for a in range(A):
            rel = st[s, a, b]
            if rel in (code1, code2):
                out[b, n] = a
                n += 1
        count[b] = n


@kernel
def clip1(x: float) -> float:
    """x clipped to [-1, 1] (air superiority and surprise terms)."""
    return min(max(x, -1.0), 1.0)


@kernel
def clip_row(morale, r):  # pragma: no cover
    """Clip replication r's morale to [0, 1] (after a battle's shocks)."""
    A, G = morale.shape[1], morale.shape[2]
    for a in range(A):
        for g in range(G):
            morale[r, a, g] = min(max(morale[r, a, g], 0.0), 1.0)
