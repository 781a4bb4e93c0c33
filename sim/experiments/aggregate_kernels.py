"""The counting loops of the report aggregates (sim/experiments/aggregate.py), numba-compiled.

Counts are integers, so these give exactly what NumPy's bincount over flat indices gave, in
one pass and without (rows x columns) int64 temporaries (the series of a 1,250-replication
batch have 1.8 million values and the control table 4.8 million; the temporaries cost more in
page faults than the counting). Callers check the indices are in range first.
"""

from __future__ import annotations

import numpy as np

from sim.model.formulas import kernel


@kernel
def count_cells(day_i, bins, shift, top, out):  # pragma: no cover
    """out[day_i[i], j, clip(bins[i, j] + shift, 0, top)] += 1 for every row i and column j:
    a histogram per recorded day and column (shift 1 and top = actors turns controller codes
    -1..actors-1 into 0 = nobody, 1.. = actor)."""
    for i in range(bins.shape[0]):
        d = day_i[i]
        for j in range(bins.shape[1]):
            b = min(max(bins[i, j] + shift, 0), top)
            out[d, j, b] += 1


@kernel
def first_changes(rep_i, day_i, codes, shift, top, grid, out):  # pragma: no cover
    """out[j, k] += 1 for every replication whose controller of region j first differs from
    its first recorded day's on recorded day k (k = number of days: never).

    grid (replications, days, regions) must be zeros; it gets each row's codes (clipped as in
    count_cells; a later row of the same replication and day replaces an earlier one), and a
    day without a row counts as code 0."""
    for i in range(codes.shape[0]):
        for j in range(codes.shape[1]):
            grid[rep_i[i], day_i[i], j] = min(max(codes[i, j] + shift, 0), top)
    n_days = grid.shape[1]
    for r in range(grid.shape[0]):
        for j in range(grid.shape[2]):
            first = n_days
            for d in range(n_days):
                if grid[r, d, j] != grid[r, 0, j]:
                    first = d
                    break
            out[j, first] += 1


@kernel
def group_sums(groups, y, out):  # pragma: no cover
    """out[0, g] += y[i], out[1, g] += y[i]^2 and out[2, g] += 1 for g = groups[i, j], every
    row i with a finite y[i] and every j, in row order (as bincount adds its weights)."""
    for i in range(groups.shape[0]):
        v = y[i]
        if not np.isfinite(v):
            continue
        for j in range(groups.shape[1]):
            g = groups[i, j]
            out[0, g] += v
            out[1, g] += v ** 2
            out[2, g] += 1.0
