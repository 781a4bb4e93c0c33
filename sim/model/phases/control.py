"""Phase 7 kernels and the change of hands: which regions change hands, territory shares,
fortification."""

from __future__ import annotations

from sim.model.formulas import WAR, friendly, inline, kernel, posture_after, region_loss_shock
from sim.model.phases.common import clip_morale_row, stance_row


@inline
def change_hands(state, sampled, k, where, day):  # pragma: no cover
    """Region g of replication r passes to `holder`, where = (r, g, holder) (battles,
    walk-ins, handovers) on `day`: a hasty defence, held_days 0, no engagement in progress,
    `ever` set, the first day taken recorded; the previous holder's morale drops everywhere
    by formulas.region_loss_shock. Nothing happens if `holder` already holds it."""
    r, g, holder = where
    old = state.control[r, g]
    if old == holder:
        return
    state.control[r, g] = holder
    state.dirty[r] = True  # supply routes may have changed
    state.posture[r, g] = 0
    state.held_days[r, g] = 0
    state.progress[r, g] = 0.0
    state.engaged_days[r, g] = 0.0
    state.ever[r, holder, g] = True
    if day < state.taken_day[r, holder, g]:
        state.taken_day[r, holder, g] = day
    if old >= 0:
        total_value = 0.0
        for h in range(state.F.shape[2]):
            total_value += sampled.value[r, h]
        shock = region_loss_shock(sampled.value[r, g], total_value,
                                  sampled.brittleness[r, old], k)
        for h in range(state.F.shape[2]):
            state.morale[r, old, h] -= shock
        clip_morale_row(state.morale, r)


@kernel
def hand_over(state, sampled, k, rows, regions, holder, day):  # pragma: no cover
    """change_hands for each (rows[i], regions[i]) to `holder` on `day`, in order."""
    for i in range(rows.shape[0]):
        change_hands(state, sampled, k, (rows[i], regions[i], holder), day)


@kernel
def control_changes(state, step, geo, new_holder, walk):  # pragma: no cover
    """Phase 7: which held regions change hands this step.

    A region is undefended when neither its holder nor a friend of the holder has personnel
    in it. It passes to the holder's enemy with most personnel inside; with none inside, to
    the enemy with most personnel in the neighbouring regions among those with a goal there
    (walk[r, g]: it must send a detachment). First actor on ties. new_holder[r, g] = that
    actor, or -1 when the region does not change hands.
    """
    R, A, G = state.F.shape
    for r in range(R):
        row = stance_row(step.stances, r)
        for g in range(G):
            new_holder[r, g] = -1
            walk[r, g] = False
            holder = state.control[r, g]
            if holder < 0:
                continue
            held = 0.0
            for b in range(A):
                if friendly(step.stances[row, holder, b]):
                    held += state.F[r, b, g]
            if held > 0.0:
                continue
            best = -1
            most = 0.0
            for a in range(A):
                if (step.stances[row, holder, a] == WAR and state.F[r, a, g] > most
                        and not state.restricted[r, a, g]):
                    most = state.F[r, a, g]
                    best = a
            if best < 0:
                best = _walker(state, step, geo, r, g, row, holder)
                walk[r, g] = best >= 0
            new_holder[r, g] = best


@inline
def _walker(state, step, geo, r, g, row, holder):  # pragma: no cover
    """The holder's enemy with a goal on g and most personnel next to it, or -1."""
    best = -1
    most = 0.0
    for a in range(state.F.shape[1]):
        if (step.stances[row, holder, a] != WAR or not geo.goals[a, g] > 0
                or state.restricted[r, a, g]):
            continue
        near = 0.0
        for h in range(state.F.shape[2]):
            if geo.adj[g, h]:
                near += state.F[r, a, h]
        if near > most:
            most = near
            best = a
    return best


@kernel
def fortify(state, days, k):  # pragma: no cover
    """Every region's held_days grows by the step; posture rises (formulas.posture_after);
    an engagement fought this step counts the step in engaged_days, one that paused loses
    progress_decay of its progress and starts its approach again (engaged_days 0)."""
    R, G = state.control.shape
    # Three passes over the row, each with one kind of update: numba gives a loop whose body
    # branches between writes to different arrays a reference count per cell (10x the time).
    keep = 1.0 - k.progress_decay_step
    for r in range(R):
        for g in range(G):
            state.held_days[r, g] += days
            state.posture[r, g] = posture_after(state.posture[r, g], state.held_days[r, g], k)
        for g in range(G):
            if state.attacked[r, g]:
                state.engaged_days[r, g] += days
            else:
                state.engaged_days[r, g] = 0.0  # a new attack approaches again
        for g in range(G):
            if not state.attacked[r, g]:
                state.progress[r, g] *= keep
            state.attacked[r, g] = False


@kernel
def territory(control, value, out):  # pragma: no cover
    """out[r, a] = share of replication r's total strategic value in regions held by a."""
    R, A = out.shape
    for r in range(R):
        total = 0.0
        for a in range(A):
            out[r, a] = 0.0
        for g in range(control.shape[1]):
            total += value[r, g]
            holder = control[r, g]
            if holder >= 0:
                out[r, holder] += value[r, g]
        for a in range(A):
            out[r, a] /= total
