"""Phase 7 kernels: which regions change hands, and territory shares."""

from __future__ import annotations

from sim.model.kernels._common import kernel


@kernel
def control_changes(F, control, st, war_code, ally_code, coop_code, adj, goals, new_holder,
                    walk):  # pragma: no cover
    """Phase 7: which held regions change hands this step.

    A region is undefended when neither its holder nor a friend of the holder (alliance,
    cooperation) has personnel in it. It passes to the holder's enemy with most personnel
    inside; with none inside, to the enemy with most personnel in the neighbouring regions
    among those with a goal there (walk[r, g] = True: it must send a detachment). First actor
    on ties. new_holder[r, g] = that actor, or -1 when the region does not change hands.
    """
    R, A, G = F.shape
    for r in range(R):
        s = r if st.shape[0] > 1 else 0
        for g in range(G):
            new_holder[r, g] = -1
            walk[r, g] = False
            holder = control[r, g]
            if holder < 0:
                continue
            held = 0.0
            for b in range(A):
                if st[s, holder, b] in (ally_code, coop_code):
                    held += F[r, b, g]
            if held > 0.0:
                continue
            best = -1
            most = 0.0
            for a in range(A):
                if st[s, holder, a] == war_code and F[r, a, g] > most:
                    most = F[r, a, g]
                    best = a
            if best < 0:
                for a in range(A):
                    if st[s, holder, a] != war_code or not goals[a, g] > 0:
                        continue
                    near = 0.0
                    for h in range(G):
                        if adj[g, h]:
                            near += F[r, a, h]
                    if near > most:
                        most = near
                        best = a
                walk[r, g] = best >= 0
            new_holder[r, g] = best


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
