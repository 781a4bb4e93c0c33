"""The numba kernels (sim/model/kernels/) against the NumPy rules they replaced.

Each kernel runs on random, realistic batches (mostly empty cells, forces of hundreds to tens
of thousands, remnants under one person, mixed stances, uncontrolled regions) and is compared
with tests/reference_phases.py, the pre-kernel engine's composition of the sim/model/rules/
functions. Floats agree to rounding (the kernels sum in another order); booleans and choices
agree exactly. A replication must also give the same bits alone as inside a batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from sim.model import kernels
from sim.model.compile import STANCE_CODES, WAR
from sim.model.constants import DEFAULT as K
from sim.model.engine import GeoModel
from sim.model.rules.combat import load_constants
from sim.model.rules.decisions import logit_choice, reach
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario, Stance
from tests import reference_phases as ref
from tests.reference_engine import NumpyGeoModel

CC = load_constants()
ALLY = STANCE_CODES[Stance.alliance]
COOP = STANCE_CODES[Stance.cooperation]
# Stance codes and how often a pair of actors has each (war often enough to have fronts).
CODES = np.array([STANCE_CODES[s] for s in Stance], dtype=np.int8)
CODE_P = np.array([{Stance.alliance: 0.15, Stance.cooperation: 0.15, Stance.neutrality: 0.15,
                    Stance.rivalry: 0.1, Stance.war: 0.45}[s] for s in Stance])
TOL: dict[str, Any] = {"rtol": 1e-10, "atol": 1e-12}
FAST = settings(max_examples=30, deadline=None)
SEEDS = hst.integers(0, 2**32 - 1)
SHAPES = hst.tuples(hst.integers(1, 5), hst.integers(2, 6), hst.integers(2, 12))  # R, A, G
MORALE_ARGS = (CC.morale_neutral, CC.morale_weight, CC.morale_floor)


def _stances(rng: np.random.Generator, R: int, A: int, per_rep: bool) -> np.ndarray:
    """Symmetric stance codes, alliance on the diagonal: (1, A, A), or (R, A, A) where about a
    third of the pairs differ between replications."""
    def draw() -> np.ndarray:
        st = rng.choice(CODES, size=(A, A), p=CODE_P).astype(np.int8)
        st = np.triu(st, 1)
        st = st + st.T
        np.fill_diagonal(st, ALLY)
        return st

    base = draw()
    if not per_rep:
        return base[None].copy()
    st = np.repeat(base[None], R, axis=0)
    for r in range(R):
        redraw = np.triu(rng.random((A, A)) < 0.3, 1)
        redraw |= redraw.T
        st[r][redraw] = draw()[redraw]
    return st


def _case(seed: int, R: int, A: int, G: int, per_rep: bool) -> dict[str, Any]:
    """A random batch state with everything the kernels read."""
    rng = np.random.default_rng(seed)
    occupied = rng.random((R, A, G)) < 0.3
    F = np.where(occupied, np.exp(rng.uniform(np.log(100.0), np.log(30_000.0), (R, A, G))), 0.0)
    crumbs = rng.random((R, A, G)) < 0.05
    F[crumbs] = rng.uniform(0.0, 1.0, int(crumbs.sum()))
    adj = np.triu(rng.random((G, G)) < 0.35, 1)
    adj |= adj.T
    rch = reach(adj)
    nb_ptr, nb_idx = kernels.neighbourhoods(rch)
    reserve = np.where(rng.random((R, A)) < 0.6, rng.uniform(0.0, 50_000.0, (R, A)), 0.0)
    strength0 = F.sum(axis=2) + reserve + rng.uniform(0.0, 20_000.0, (R, A))
    losses = strength0 * rng.uniform(0.0, 0.4, (R, A))
    lost_share = np.divide(losses, strength0, out=np.zeros_like(losses), where=strength0 > 0)
    hostility = np.where(rng.random((A, A)) < 0.3, rng.uniform(0.5, 3.0, (A, A)), 0.0)
    np.fill_diagonal(hostility, 0.0)
    days = int(rng.choice([1, 3, 7]))
    loss_today = np.where(occupied & (rng.random((R, A, G)) < 0.2),
                          F * rng.uniform(0.0, 0.3, (R, A, G)), 0.0)
    wiped = ~occupied & (rng.random((R, A, G)) < 0.03)  # lost everything there today
    loss_today[wiped] = rng.uniform(1.0, 500.0, int(wiped.sum()))
    return {
        "F": F, "morale": rng.uniform(0.0, 1.0, (R, A, G)),
        "morale0": rng.uniform(0.2, 0.95, (R, A)),
        "readiness": rng.uniform(0.2, 1.0, (R, A)), "quality": rng.uniform(0.5, 1.5, (R, A)),
        "st": _stances(rng, R, A, per_rep),
        "control": rng.integers(-1, A, (R, G)).astype(np.int8),
        "adj": adj, "reach": rch, "nb_ptr": nb_ptr, "nb_idx": nb_idx,
        "reserve": reserve, "losses": losses, "lost_share": lost_share,
        "cas_tol": rng.uniform(0.05, 0.5, (R, A)),
        "posture": rng.integers(0, 3, (R, G)).astype(np.int8),
        "terrain": rng.integers(0, len(CC.terrain_effect), G),
        "air": np.where(rng.random((R, A)) < 0.5, rng.uniform(0.0, 150.0, (R, A)), 0.0),
        "intel": rng.uniform(0.0, 1.0, (R, A)),
        "hostility": hostility,
        "goals": np.where(rng.random((A, G)) < 0.2, rng.uniform(0.5, 3.0, (A, G)), 0.0),
        "value": rng.uniform(0.5, 5.0, (R, G)),
        "entry": rng.random((A, G)) < 0.25,
        "attacking": rng.random((R, A)) < 0.3,
        "loss_today": loss_today,
        "momentum": rng.uniform(-1.0, 1.0, (R, A)),
        "aggression": rng.uniform(0.0, 1.0, (R, A)),
        "days": days,
        "rng": rng,
    }


# ------------------------------------------------------------------------ kernel wrappers


def _options_kernel(x: dict[str, Any]) -> dict[str, np.ndarray]:
    F = x["F"]
    out = {name: np.full_like(F, np.nan) for name in
           ("ep", "threat", "p_win", "utility", "att_power", "att_pers", "def_pers")}
    out["legal"] = np.zeros(F.shape, bool)
    kernels.options(F, x["reserve"], x["morale"], x["readiness"] * x["quality"], x["st"], WAR,
                    x["control"], x["nb_ptr"], x["nb_idx"], K.commit_share,
                    K.min_attack_personnel, K.min_power_ratio, x["cas_tol"], x["lost_share"],
                    *MORALE_ARGS, x["posture"], x["terrain"], x["air"],
                    np.minimum(x["intel"], 1.0), x["hostility"], x["goals"], x["value"],
                    *kernels.combat_args(CC), K.air_reference, K.opportunity_weight,
                    K.loss_aversion, K.advance_ratio, out["ep"], out["threat"], out["legal"],
                    out["p_win"], out["utility"], out["att_power"], out["att_pers"],
                    out["def_pers"])
    return out


def _options_reference(x: dict[str, Any]) -> dict[str, np.ndarray]:
    o = ref.options(x["F"], x["morale"], x["readiness"], x["quality"], x["st"], x["control"],
                    x["reach"], K.commit_share, K.min_attack_personnel, K.min_power_ratio,
                    x["lost_share"], x["cas_tol"], CC)
    strength = x["F"].sum(axis=2) + x["reserve"]
    o["p_win"], o["utility"] = ref.evaluate(
        o["legal"], o["att_power"], o["att_pers"], o["ep"], x["F"], strength, x["posture"],
        x["terrain"], x["air"], np.minimum(x["intel"], 1.0), x["st"], x["cas_tol"],
        x["lost_share"], x["hostility"], x["goals"], x["value"], CC, K)
    return o


def _morale_kernel(x: dict[str, Any]) -> dict[str, np.ndarray]:
    F, morale, losses = x["F"].copy(), x["morale"].copy(), x["losses"].copy()
    flat = np.full(F.size, -1, np.int64)
    d = x["days"]
    n = kernels.morale_phase(F, morale, x["morale0"], x["loss_today"], x["momentum"], losses,
                             x["readiness"] * x["quality"], x["aggression"], x["st"], WAR,
                             ALLY, COOP, x["nb_ptr"], x["nb_idx"], *MORALE_ARGS,
                             K.morale_recovery * d, K.loss_shock, K.isolation_shock * d,
                             K.rout_threshold, flat)
    broken = np.zeros(F.shape, bool)
    broken[np.unravel_index(flat[:n], F.shape)] = True
    assert np.array_equal(flat[:n], np.flatnonzero(broken))  # listed in C order
    return {"F": F, "morale": morale, "losses": losses, "broken": broken}


def _morale_reference(x: dict[str, Any]) -> dict[str, np.ndarray]:
    d = x["days"]
    return ref.morale_phase(x["F"], x["morale"], x["morale0"], x["loss_today"], x["momentum"],
                            x["losses"], x["readiness"], x["quality"], x["aggression"], x["st"],
                            x["reach"], CC, K.morale_recovery * d, K.loss_shock,
                            K.isolation_shock * d, K.rout_threshold)


def _row(x: dict[str, Any], r: int) -> dict[str, Any]:
    """Replication r of a batch case, as a batch of one (stances (1, A, A) stay shared)."""
    per_rep = ("F", "morale", "morale0", "readiness", "quality", "control", "reserve", "losses",
               "lost_share", "cas_tol", "loss_today", "momentum", "aggression", "posture",
               "air", "intel", "value")
    y = dict(x)
    for name in per_rep:
        y[name] = x[name][r:r + 1].copy()
    if x["st"].shape[0] > 1:
        y["st"] = x["st"][r:r + 1].copy()
    return y


def _assert_same(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    for name, w in want.items():
        g = got[name]
        assert g.shape == w.shape, name
        if w.dtype == bool or np.issubdtype(w.dtype, np.integer):
            np.testing.assert_array_equal(g, w, err_msg=name)
        else:
            np.testing.assert_allclose(g, w, err_msg=name, **TOL)


# ------------------------------------------------------------------------------- tests


@FAST
@given(seed=SEEDS, shape=SHAPES, per_rep=hst.booleans())
def test_options_matches_numpy_options_and_evaluate(seed, shape, per_rep):
    """options gives the old _options' enemy power, threat, attack power, legality, and the
    old _evaluate's P(win) and utility (0 off legal cells)."""
    x = _case(seed, *shape, per_rep)
    want = _options_reference(x)
    got = _options_kernel(x)
    _assert_same(got, want)


@pytest.mark.parametrize("seed", [5, 77])
def test_options_leaves_detail_arrays_alone_when_not_asked(seed):
    """Without detail arrays (shape (0, A, G)) options still gives the same decisions."""
    x = _case(seed, 4, 5, 9, False)
    full = _options_kernel(x)
    F = x["F"]
    out = {name: np.full_like(F, np.nan) for name in ("ep", "threat", "p_win", "utility")}
    legal = np.zeros(F.shape, bool)
    none = np.empty((0, *F.shape[1:]))
    kernels.options(F, x["reserve"], x["morale"], x["readiness"] * x["quality"], x["st"], WAR,
                    x["control"], x["nb_ptr"], x["nb_idx"], K.commit_share,
                    K.min_attack_personnel, K.min_power_ratio, x["cas_tol"], x["lost_share"],
                    *MORALE_ARGS, x["posture"], x["terrain"], x["air"],
                    np.minimum(x["intel"], 1.0), x["hostility"], x["goals"], x["value"],
                    *kernels.combat_args(CC), K.air_reference, K.opportunity_weight,
                    K.loss_aversion, K.advance_ratio, out["ep"], out["threat"], legal,
                    out["p_win"], out["utility"], none, none, none)
    for name in out:
        assert np.array_equal(out[name], full[name]), name
    assert np.array_equal(legal, full["legal"])


@FAST
@given(seed=SEEDS, shape=SHAPES)
def test_logit_choice_kernel_picks_what_the_rule_picks(seed, shape):
    """kernels.logit_choice picks the same target or hold as decisions.logit_choice."""
    R, A, G = shape
    rng = np.random.default_rng(seed)
    R *= 20  # many draws: a choice rule is tested on its picks
    utility = rng.normal(0.0, 1.5, (R, A, G)) - rng.uniform(0.0, 3.0, (R, A, 1))
    legal = rng.random((R, A, G)) < rng.uniform(0.0, 0.8, (R, A, 1))  # some rows all illegal
    hold = K.hold_utility * (1.0 - rng.uniform(0.0, 1.0, (R, A)))
    beta = rng.uniform(0.1, 10.0, (R, A)) * K.utility_scale
    u = rng.random((R, A))
    for a in range(A):  # per actor, with the engine's (R, G) views of (R, A, G) arrays
        want = logit_choice(utility[:, a, :], legal[:, a, :], hold[:, a], beta[:, a], u[:, a])
        got = np.full(R, -2, np.int64)
        kernels.logit_choice(utility[:, a, :], legal[:, a, :], hold[:, a], beta[:, a], u[:, a],
                             got)
        np.testing.assert_array_equal(got, want)


@FAST
@given(seed=SEEDS, shape=SHAPES, per_rep=hst.booleans())
def test_movement_matches_numpy_movement(seed, shape, per_rep):
    """movement redeploys forces and reserves, mixes morale and marks ground as _movement did."""
    x = _case(seed, *shape, per_rep)
    threat = _options_reference(x)["threat"]
    d = x["days"]
    rates = (min(1.0, K.redeploy_rate * d), min(1.0, K.reserve_rate * d), K.rear_keep)
    want = ref.movement(x["F"], x["reserve"], x["morale"], x["morale0"], threat, x["attacking"],
                        x["control"], x["st"], x["goals"], x["entry"], *rates)
    F, reserve, morale = x["F"].copy(), x["reserve"].copy(), x["morale"].copy()
    ground = np.zeros(F.shape, bool)
    kernels.movement(F, reserve, morale, x["morale0"], threat, x["attacking"], x["control"],
                     x["st"], ALLY, COOP, x["goals"], x["entry"], *rates, ground)
    # Where nothing arrives the kernel leaves morale as it was; the old code recomputed
    # m * F / F there, hence a tolerance rather than equality.
    _assert_same({"F": F, "reserve": reserve, "morale": morale, "ground": ground}, want)


@FAST
@given(seed=SEEDS, shape=SHAPES, per_rep=hst.booleans())
def test_morale_phase_matches_numpy_morale_and_rout(seed, shape, per_rep):
    """morale_phase removes remnants, updates morale and marks routs as _morale_and_rout did."""
    x = _case(seed, *shape, per_rep)
    _assert_same(_morale_kernel(x), _morale_reference(x))


@pytest.mark.parametrize("per_rep", [False, True])
@pytest.mark.parametrize("seed", [3, 2026])
def test_replication_alone_equals_replication_in_batch(seed, per_rep):
    """options and morale_phase give a replication the same bits alone as in a batch."""
    x = _case(seed, 8, 5, 10, per_rep)
    batch = {"options": _options_kernel(x), "morale": _morale_kernel(x)}
    for r in range(8):
        y = _row(x, r)
        alone = {"options": _options_kernel(y), "morale": _morale_kernel(y)}
        for phase, outputs in alone.items():
            for name, value in outputs.items():
                assert np.array_equal(value[0], batch[phase][name][r]), (phase, name, r)


# --------------------------------------------------------------- whole runs, both engines

ROOT = Path(__file__).resolve().parents[1]
TRUCE = """
  truce:
    description: Half the time the ally stops fighting the rebels on day 8
    on_day: 8
    probability: 0.5
    effects:
      - set_stance: {between: [ally, rebels], stance: neutrality}
"""


def _front(tmp_path: Path, step_days: int) -> Scenario:
    """The engine fixture with a truce in half the replications (so stances differ between
    replications: the kernels' (R, A, A) path) and the given step length."""
    text = (ROOT / "tests" / "engine" / "front.yaml").read_text(encoding="utf-8")
    text = text.replace("events:\n", "events:" + TRUCE, 1)
    text = text.replace("  horizon_days: 40\n", f"  horizon_days: 40\n  step_days: {step_days}\n")
    path = tmp_path / "front-truce.yaml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


def _assert_same_runs(sc: Scenario, reps: np.ndarray, seed: int) -> None:
    numpy_model = NumpyGeoModel(sc, reps, seed=seed)
    numpy_model.run()
    model = GeoModel(sc, reps, seed=seed)
    model.run()
    a, b = numpy_model.state, model.state
    for name in ("F", "morale", "reserve", "losses", "momentum", "funds", "sent"):
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=1e-9, atol=1e-6,
                                   err_msg=name)
    for name in ("control", "posture", "held_days", "ever", "stance", "event_done"):
        np.testing.assert_array_equal(getattr(b, name), getattr(a, name), err_msg=name)


def test_reference_scenario_runs_like_the_numpy_engine():
    """180 days of the reference scenario give the pre-kernel engine's state (60 replications):
    every phase's kernel together, through thousands of battles, routs and changes of hands."""
    sc = load_scenario(ROOT / "scenarios" / "iraq-2014.yaml")
    _assert_same_runs(sc, np.arange(200, 260), seed=3)


@pytest.mark.parametrize("step_days", [1, 3])
def test_fixture_with_diverging_stances_runs_like_the_numpy_engine(tmp_path, step_days):
    """With stances differing between replications and multi-day steps, runs still agree."""
    sc = _front(tmp_path, step_days)
    numpy_model = NumpyGeoModel(sc, np.arange(40), seed=5)
    numpy_model.run()
    assert not numpy_model._stance_uniform  # the per-replication path was exercised
    _assert_same_runs(sc, np.arange(40), seed=5)
