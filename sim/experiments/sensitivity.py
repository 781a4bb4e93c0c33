"""Sensitivity analysis: which uncertain facts move each outcome, and under which conditions.

Three analyses, all over the scenario's uncertain facts (`compile_scenario(sc).uncertain`):

1. One-at-a-time (OAT) low/high sweep -> tornado table. For each fact, replications
   0..K-1 are run with every other fact sampled as usual but this fact fixed at its `low`,
   then at its `high`; the same seed and replication indices are used throughout (common
   random numbers), so out_high - out_low is a paired difference with a tight interval.
   `baseline` is the ensemble with nothing fixed (same reps), not a run at best estimates.
2. A global measure over the joint uncertainty:
   - "sobol": first-order (S1) and total (ST) Sobol indices (Sobol 2001) with Saltelli's
     (2010) estimators via SALib. Saltelli samples in [0, 1]^D are mapped to each fact's
     distribution with `sim.model.sampling.quantile`. Second-order indices are not computed, so a
     base sample of N costs N (D + 2) model evaluations (not N (2D + 2)).
     Replications of one Saltelli block (A_j, AB_j^i, B_j) share their random numbers
     (combat, decisions, events), so within-block differences are due to the facts alone.
   - "spearman": Spearman rank correlation of each fact with the outcome on a Latin
     hypercube sample; "src": standardised rank regression coefficients (SRRC) on the same
     sample (Saltelli et al. 2008, *Global Sensitivity Analysis: The Primer*, ch. 1; Iman &
     Conover 1979). Cheap, but they only see monotonic effects.
3. Scenario discovery: PRIM (Friedman & Fisher 1999) as implemented in the EMA Workbench
   (Kwakkel 2017) on the global sample; for each outcome (binary, or a quantity above its
   median or a given threshold) the box of conditions on facts under which it is most likely,
   restricted to a few facts and a minimum coverage. PRIM peels over the 12 facts with the
   largest global index for that outcome (screening first keeps spurious restrictions out).

Fixing facts uses the engine's "given samples" hook: the facts a replication would draw are
rewritten and given to the model (`run_rewritten`). Runs go through sim.experiments.ensemble
with a picklable batch function
(`OatBatch`, `SobolBatch`), so they stream to results folders on any backend.
"""

from __future__ import annotations

import functools
import math
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UsageError
from sim.model.batch import runs_table
from sim.model.compile import compile_scenario
from sim.model.engine import BatchResult, GeoModel, Sampling
from sim.model.sampling import UncertainFact, quantile, rep_keys, sample_facts

METHODS = ("sobol", "src", "spearman")
SOBOL_MIN_AUTO = 64  # base sample size from which "auto" picks Sobol over Spearman
SOBOL_MIN = 8  # below this SALib's bootstrap intervals are meaningless
PRIM_SCREEN = 12  # facts PRIM peels over per outcome: the top ones by global index
TORNADO_COLUMNS = ["outcome", "fact", "label", "low_value", "high_value", "out_low", "out_high",
                   "baseline", "swing", "swing_lo", "swing_hi"]
INDEX_COLUMNS = ["outcome", "fact", "method", "index", "index_conf", "signed", "s1", "s1_conf"]


# --------------------------------------------------------------------------------------------
# Running with facts fixed or given (the engine hook, kept here)
# --------------------------------------------------------------------------------------------


def run_rewritten(scenario: Any, noise_reps: np.ndarray, seed: int, days: int | None,
                  rewrite: Callable[[np.ndarray], np.ndarray]) -> pd.DataFrame:
    """A runs table (engine contract, no series) for replications whose facts are rewritten.

    `noise_reps` are the replication indices whose random numbers are used (they may repeat);
    the facts they would draw are passed through `rewrite(samples) -> samples` and given to
    the model (the engine's "given samples" hook).
    """
    reps = np.asarray(noise_reps, dtype=np.int64)
    compiled = compile_scenario(scenario)
    drawn = sample_facts(compiled.uncertain, seed, reps, rep_keys(seed, reps))
    model = GeoModel(scenario, reps, seed, days, Sampling(samples=rewrite(drawn)),
                     compiled=compiled)
    model.run()
    return runs_table(model)


@dataclass(frozen=True)
class OatBatch:
    """Batch function for the OAT sweep: global rep r is replication r % per of setting
    r // per; setting s fixes fact column `settings[s][0]` at `settings[s][1]` (-1: none)."""

    per: int
    settings: tuple[tuple[int, float], ...]

    def __call__(self, scenario: Any, reps: np.ndarray, seed: int, days: int | None = None,
                 **_: Any) -> BatchResult:
        reps = np.asarray(reps, dtype=np.int64)
        setting, inner = reps // self.per, reps % self.per
        # One model for the whole batch (settings side by side): building a GeoModel costs
        # more than stepping a few replications, so one model per setting would be slow.
        df = run_rewritten(scenario, inner, seed, days, functools.partial(
            _fix_rows, setting=setting, settings=self.settings))
        df["rep"] = reps
        df.insert(1, "setting", setting)
        df.insert(2, "inner", inner)
        return BatchResult(df, {})


def _fix_rows(samples: np.ndarray, setting: np.ndarray,
              settings: Sequence[tuple[int, float]]) -> np.ndarray:
    """Rows of setting s get fact column settings[s][0] set to settings[s][1] (-1: none)."""
    for s in np.unique(setting):
        col, value = settings[int(s)]
        if col >= 0:
            samples[setting == s, col] = value
    return samples


@dataclass(frozen=True)
class SobolBatch:
    """Batch function for a Saltelli design: global rep r is row r of the design; rows of a
    block (r // (D + 2)) share that block's random numbers (common random numbers)."""

    n_base: int
    sample_seed: int

    def __call__(self, scenario: Any, reps: np.ndarray, seed: int, days: int | None = None,
                 **_: Any) -> BatchResult:
        from sim.model.compile import compile_scenario

        facts = compile_scenario(scenario).uncertain
        reps = np.asarray(reps, dtype=np.int64)
        u = saltelli_unit(self.n_base, len(facts), self.sample_seed)[reps]
        values = to_facts(u, facts)
        df = run_rewritten(scenario, reps // (len(facts) + 2), seed, days, lambda _: values)
        df["rep"] = reps
        df.insert(1, "block", reps // (len(facts) + 2))
        return BatchResult(df, {})


@functools.lru_cache(maxsize=4)
def saltelli_unit(n_base: int, d: int, seed: int) -> np.ndarray:
    """Saltelli's design (SALib, no second order) in [0, 1]^d: n_base (d + 2) rows."""
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": d, "names": [f"x{j}" for j in range(d)], "bounds": [[0, 1]] * d}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib warns when n_base is not a power of two
        u = sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed)
    return np.asarray(u)


def to_facts(u: np.ndarray, facts: Sequence[UncertainFact]) -> np.ndarray:
    """Map unit-cube rows to fact values through each fact's inverse CDF."""
    # Sobol points can be exactly 0; inverse CDFs of unbounded laws are infinite there.
    u = np.clip(u, 1e-9, 1 - 1e-9)
    return np.column_stack([quantile(f.fact, u[:, j]) for j, f in enumerate(facts)])


# --------------------------------------------------------------------------------------------
# Pure statistics
# --------------------------------------------------------------------------------------------


def tornado_table(oat_runs: pd.DataFrame, facts: Sequence[UncertainFact],
                  outcomes: Sequence[str]) -> pd.DataFrame:
    """Tornado rows from an OAT sweep's runs (columns setting, rep, out:<id>).

    Setting 0 is the baseline; `inner` is the replication index within a setting; settings
    2j+1 and 2j+2 fix fact j at its low and its high.
    Per outcome, rows are sorted by |swing| (out_high - out_low), largest first; swing_lo/hi
    is the paired 95% t interval of the swing over the common replications.
    """
    from sim.analysis.stats import _t_half

    ok = oat_runs[oat_runs["status"] == "ok"] if "status" in oat_runs else oat_runs
    per = {s: g.set_index("inner") for s, g in ok.groupby("setting")}
    rows = []
    for oid in outcomes:
        col = f"out:{oid}"
        base = float(per[0][col].mean())
        for j, f in enumerate(facts):
            lo_t, hi_t = per.get(2 * j + 1), per.get(2 * j + 2)
            if lo_t is None or hi_t is None:
                continue
            d = (hi_t[col] - lo_t[col]).dropna()
            swing = float(d.mean()) if len(d) else math.nan
            half = _t_half(float(d.std(ddof=1)) / math.sqrt(len(d)), len(d) - 1) \
                if len(d) > 1 else math.nan
            low, high = ends(f)
            rows.append(dict(outcome=oid, fact=f.id, label=f.id, low_value=low,
                             high_value=high, out_low=float(lo_t[col].mean()),
                             out_high=float(hi_t[col].mean()), baseline=base, swing=swing,
                             swing_lo=swing - half, swing_hi=swing + half))
    df = pd.DataFrame(rows, columns=TORNADO_COLUMNS)
    df["_abs"] = df["swing"].abs()
    order = {o: i for i, o in enumerate(outcomes)}
    df = df.sort_values(["outcome", "_abs"], key=lambda s: s.map(order) if s.name == "outcome"
                        else s, ascending=[True, False], kind="stable")
    return df.drop(columns="_abs").reset_index(drop=True)


def rank_indices(x: pd.DataFrame, y: pd.Series | np.ndarray, method: str) -> pd.DataFrame:
    """Spearman rank correlations or standardised rank regression coefficients of y on x.

    Returns columns fact, signed, index (= |signed|), index_conf (95% half-width: Fisher z
    for Spearman, OLS standard error x 1.96 for SRRC). A constant y or x gives 0 (no signal).
    """
    from scipy import stats as sps

    n, d = x.shape
    rx = x.rank().to_numpy(float)
    ry = pd.Series(np.asarray(y, float)).rank().to_numpy(float)
    sx, sy = rx.std(0), ry.std()
    if method == "spearman":
        if sy == 0:
            signed = np.zeros(d)
        else:
            zx = np.where(sx > 0, (rx - rx.mean(0)) / np.where(sx > 0, sx, 1), 0.0)
            signed = (zx * ((ry - ry.mean()) / sy)[:, None]).mean(0)
        z = np.arctanh(np.clip(signed, -0.999999, 0.999999))
        half = 1.959964 / math.sqrt(max(n - 3, 1))
        conf = (np.tanh(z + half) - np.tanh(z - half)) / 2
    elif method == "src":
        if n <= d + 1:
            raise UsageError(f"src needs more runs than facts + 1 ({n} runs, {d} facts); "
                             "use --method spearman or more --runs")
        keep = sx > 0
        zx = (rx[:, keep] - rx[:, keep].mean(0)) / sx[keep]
        zy = (ry - ry.mean()) / sy if sy > 0 else np.zeros(n)
        coef, *_ = np.linalg.lstsq(zx, zy, rcond=None)
        resid = zy - zx @ coef
        s2 = float(resid @ resid) / max(n - zx.shape[1] - 1, 1)
        se = np.sqrt(np.clip(np.diag(np.linalg.pinv(zx.T @ zx)) * s2, 0, None))
        signed, conf = np.zeros(d), np.zeros(d)
        signed[keep] = coef
        conf[keep] = float(sps.norm.ppf(0.975)) * se
    else:
        raise ValueError(f"unknown rank method {method!r}")
    return pd.DataFrame({"fact": list(x.columns), "signed": signed, "index": np.abs(signed),
                         "index_conf": conf})


def sobol_indices(y: np.ndarray, d: int, names: Sequence[str], seed: int = 0) -> pd.DataFrame:
    """S1 and ST (SALib, Saltelli 2010 / Jansen estimators) from outputs in Saltelli order.

    Returns columns fact, index (ST), index_conf, s1, s1_conf. A constant output (no
    variance) gives zeros: no fact moves it.
    """
    from SALib.analyze import sobol as sobol_analyze

    y = np.asarray(y, float)
    if not np.isfinite(y).all() or np.var(y) == 0:
        z = np.zeros(d)
        return pd.DataFrame({"fact": list(names), "index": z, "index_conf": z, "s1": z,
                             "s1_conf": z})
    problem = {"num_vars": d, "names": list(names), "bounds": [[0, 1]] * d}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        si = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=200,
                                   seed=seed)
    return pd.DataFrame({"fact": list(names), "index": si["ST"], "index_conf": si["ST_conf"],
                         "s1": si["S1"], "s1_conf": si["S1_conf"]})


def choose_method(method: str, runs: int, d: int) -> tuple[str, int]:
    """(method, Sobol base size N) for --method (auto|sobol|src|spearman) and --runs.

    N is the largest power of two with N (d + 2) <= runs; "auto" picks Sobol when
    N >= SOBOL_MIN_AUTO, otherwise Spearman.
    """
    n = 2 ** int(math.floor(math.log2(runs / (d + 2)))) if runs >= d + 2 else 0
    if method == "auto":
        method = "sobol" if n >= SOBOL_MIN_AUTO else "spearman"
    if method not in METHODS:
        raise UsageError(f"--method must be one of auto, {', '.join(METHODS)} (got {method})")
    if method == "sobol" and n < SOBOL_MIN:
        raise UsageError(f"--method sobol needs --runs >= {SOBOL_MIN * (d + 2)} for {d} facts "
                         f"(N (D + 2) evaluations with N >= {SOBOL_MIN}); got {runs}")
    return method, n


# --------------------------------------------------------------------------------------------
# PRIM scenario discovery
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrimBox:
    """A PRIM box: where `outcome` holds with `density` (vs `base_rate` overall)."""

    outcome: str
    target: str  # what "the outcome happens" means, e.g. "= 1" or "> 0.31 (median)"
    density: float
    base_rate: float
    coverage: float
    n: int
    limits: tuple[tuple[str, float | None, float | None], ...]  # fact, lower, upper

    def text(self, fmt: Callable[[float], str] | None = None) -> str:
        """`haditha_falls: 62% of runs (vs 41% overall, coverage 55%) when a > 2,400 ...`."""
        fmt = fmt or _fmt
        conds = []
        for fact, lo, hi in self.limits:
            if lo is not None and hi is not None:
                conds.append(f"{fmt(lo)} < {fact} < {fmt(hi)}")
            elif lo is not None:
                conds.append(f"{fact} > {fmt(lo)}")
            elif hi is not None:
                conds.append(f"{fact} < {fmt(hi)}")
        when = " and ".join(conds) or "(no restriction found)"
        return (f"{self.outcome} {self.target}: {_pct(self.density)} of runs (vs "
                f"{_pct(self.base_rate)} overall, coverage {_pct(self.coverage)}) when {when}")


def prim_box(x: pd.DataFrame, y: np.ndarray, outcome: str, target: str = "= 1",
             min_coverage: float = 0.5, max_dims: int = 3,
             peel_alpha: float = 0.05) -> PrimBox | None:
    """The simplest PRIM box on the peeling trajectory (EMA Workbench, pasting not used).

    Among trajectory boxes with coverage >= `min_coverage` and at most `max_dims` restricted
    facts, the one with the highest density (ties: fewer restrictions). None when `y` is
    constant (nothing to discover).
    """
    y = np.asarray(y, bool)
    if y.all() or not y.any():
        return None
    prim = _prim_module()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alg = prim.Prim(x.reset_index(drop=True), y, peel_alpha=peel_alpha)
        box = alg.find_box()
    traj = box.peeling_trajectory
    ok = traj[(traj["coverage"] >= min_coverage) & (traj["res_dim"] <= max_dims)]
    if ok.empty:
        ok = traj.iloc[[0]]
    best = ok.sort_values(["density", "res_dim"], ascending=[False, True], kind="stable").iloc[0]
    i = int(best["id"])
    lims, full = box.box_lims[i], box.box_lims[0]
    limits = []
    for col in x.columns:
        lo, hi = float(lims[col].iloc[0]), float(lims[col].iloc[1])
        lo_r = lo > float(full[col].iloc[0])
        hi_r = hi < float(full[col].iloc[1])
        if lo_r or hi_r:
            limits.append((str(col), lo if lo_r else None, hi if hi_r else None))
    return PrimBox(outcome, target, float(best["density"]), float(y.mean()),
                   float(best["coverage"]), int(best["n"]), tuple(limits))


def _prim_module() -> Any:
    os.environ.setdefault("MPLBACKEND", "Agg")  # never open a window from a library call
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "ipyparallel not installed" on import
        from ema_workbench.analysis import prim
    return prim


def prim_target(values: np.ndarray, binary: bool,
                threshold: float | None = None) -> tuple[np.ndarray, str]:
    """The boolean PRIM target of an outcome and how it reads ("= 1", "> 2,400 (median)")."""
    v = np.asarray(values, float)
    if binary:
        return v > 0.5, "= 1"
    if threshold is None:
        t = float(np.nanmedian(v))
        return v > t, f"> {_fmt(t)} (median)"
    return v > threshold, f"> {_fmt(threshold)}"


def _pct(p: float) -> str:
    """A share as a percentage; rare outcomes keep a decimal so 0.2% does not read 0%."""
    return f"{p:.1%}" if p < 0.1 else f"{p:.0%}"


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


# --------------------------------------------------------------------------------------------
# Orchestration
# --------------------------------------------------------------------------------------------


@dataclass
class Sensitivity:
    """Everything a sensitivity run found (tables are pure DataFrames)."""

    folder: Any
    method: str
    evaluations: dict[str, int]
    tornado: pd.DataFrame
    indices: pd.DataFrame
    boxes: list[PrimBox]
    notes: list[str]
    outcomes: dict[str, dict[str, Any]]


def oat_settings(facts: Sequence[UncertainFact]) -> tuple[tuple[int, float], ...]:
    """Setting 0: nothing fixed; then (fact j at low), (fact j at high) for every j."""
    out: list[tuple[int, float]] = [(-1, math.nan)]
    for j, f in enumerate(facts):
        low, high = ends(f)
        out += [(j, low), (j, high)]
    return tuple(out)


def ends(f: UncertainFact) -> tuple[float, float]:
    """(low, high) of an uncertain fact (both are set: that is what makes it uncertain)."""
    assert f.fact.low is not None and f.fact.high is not None
    return float(f.fact.low), float(f.fact.high)


def global_indices(runs: pd.DataFrame, method: str, facts: Sequence[UncertainFact],
                   outcomes: Sequence[str], seed: int = 0) -> pd.DataFrame:
    """Per-outcome indices from a global sample's runs (Saltelli order for "sobol")."""
    ok = runs.sort_values("rep", kind="stable")
    names = [f.id for f in facts]
    parts = []
    for oid in outcomes:
        y = ok[f"out:{oid}"].to_numpy(float)
        if method == "sobol":
            df = sobol_indices(y, len(facts), names, seed)
            df["signed"] = math.nan
            label = "sobol ST"
        else:
            df = rank_indices(ok[[f"fact:{n}" for n in names]].set_axis(names, axis=1), y,
                              method)
            df["s1"], df["s1_conf"] = math.nan, math.nan
            label = "|SRRC|" if method == "src" else "|Spearman rho|"
        df.insert(0, "outcome", oid)
        df["method"] = label
        parts.append(df.sort_values("index", ascending=False, kind="stable"))
    return pd.concat(parts, ignore_index=True)[INDEX_COLUMNS] if parts else \
        pd.DataFrame(columns=INDEX_COLUMNS)


def discovery_sample(runs: pd.DataFrame, method: str, d: int) -> pd.DataFrame:
    """Rows fit for PRIM: all of an LHS sample; only the A and B rows of a Saltelli design
    (the AB rows are recombinations, not fresh draws)."""
    if method != "sobol":
        return runs
    pos = runs["rep"].to_numpy() % (d + 2)
    return runs[(pos == 0) | (pos == d + 1)]


def discover(runs: pd.DataFrame, facts: Sequence[UncertainFact],
             outcomes: Mapping[str, Mapping[str, Any]],
             thresholds: Mapping[str, float] | None = None,
             indices: pd.DataFrame | None = None, screen: int = PRIM_SCREEN) -> list[PrimBox]:
    """A PRIM box per outcome (skipping outcomes that never or always happen).

    With `indices` (from `global_indices`), PRIM sees only each outcome's `screen` facts with
    the largest global index: with ~100 facts and ~1,000 runs, peeling over every fact finds
    spurious restrictions on facts that do not matter (and is slow).
    """
    names = [f.id for f in facts]
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    x = ok[[f"fact:{n}" for n in names]].set_axis(names, axis=1)
    out = []
    for oid, spec in outcomes.items():
        cols = names
        if indices is not None and len(names) > screen:
            top = indices[indices["outcome"] == oid].nlargest(screen, "index")["fact"]
            cols = [n for n in names if n in set(top)]
        y, target = prim_target(ok[f"out:{oid}"].to_numpy(float), bool(spec.get("binary")),
                                (thresholds or {}).get(oid))
        box = prim_box(x[cols], y, oid, target)
        if box is not None:
            out.append(box)
    return out


def run_sensitivity(path: str, runs: int, seed: int = 1, variant: str | None = None,
                    days: int | None = None, method: str = "auto",
                    outcomes: Sequence[str] | None = None, workers: int = 1,
                    oat_reps: int | None = None, out: Any = None, backend: str = "local",
                    thresholds: Mapping[str, float] | None = None,
                    on_stage: Callable[[str], None] | None = None) -> Sensitivity:
    """Run the OAT sweep, the global sample and PRIM; write runs into `out` (results folders
    `oat/` and `sample/`). See the module docstring for the methods.

    Args:
        path: scenario file; variant: a variant of it to analyse.
        runs: model evaluations of the global sample (Sobol: N (D + 2) <= runs).
        method: "auto", "sobol", "src" or "spearman".
        outcomes: outcome ids to analyse (default: all declared).
        oat_reps: replications per fact end (default max(20, runs // (2D + 1)), at most 200;
            0 skips the sweep).
        thresholds: outcome id -> PRIM threshold for quantities (default: the median).
    """
    from pathlib import Path

    from sim.experiments import ensemble, results
    from sim.model.compile import compile_scenario
    from sim.scenario.loader import load

    loaded = load(path, variant)
    sc = loaded.scenario
    facts = compile_scenario(sc).uncertain
    if not facts:
        raise UsageError(f"{path}: no uncertain facts (nothing has a low/high range)")
    chosen = _outcome_ids(sc, outcomes)
    meth, n_base = choose_method(method, runs, len(facts))
    d = len(facts)
    if oat_reps is None:
        oat_reps = min(200, max(20, runs // (2 * d + 1)))
    folder = Path(out) if out else Path("results") / sc.scenario.id / \
        f"sensitivity-{results.default_dir('.', '', seed).name}"
    say = on_stage or (lambda _: None)
    evaluations: dict[str, int] = {}
    tornado = pd.DataFrame(columns=TORNADO_COLUMNS)
    if oat_reps > 0:
        n_oat = (2 * d + 1) * oat_reps
        say(f"one-at-a-time sweep: {d} facts x low/high x {oat_reps} reps + baseline "
            f"= {n_oat:,} evaluations")
        plan = ensemble.RunPlan(Path(path), variant, seed, n_oat, days)
        ensemble.run(plan, ensemble.make_backend(backend, workers), out=folder / "oat",
                     loaded=loaded, batch_fn=OatBatch(oat_reps, oat_settings(facts)))
        tornado = tornado_table(results.ResultsReader(folder / "oat").runs(), facts, chosen)
        evaluations["oat"] = n_oat
    n_glob = n_base * (d + 2) if meth == "sobol" else runs
    say(f"global sample ({meth}): {n_glob:,} evaluations"
        + (f" = N (D + 2) with N = {n_base}, D = {d}" if meth == "sobol" else " (LHS)"))
    plan = ensemble.RunPlan(Path(path), variant, seed, n_glob, days,
                            "mc" if meth == "sobol" else "lhs")
    fn = SobolBatch(n_base, seed) if meth == "sobol" else None
    ensemble.run(plan, ensemble.make_backend(backend, workers), out=folder / "sample",
                 loaded=loaded, batch_fn=fn)
    evaluations["global"] = n_glob
    sample = results.ResultsReader(folder / "sample").runs()
    indices = global_indices(sample, meth, facts, chosen, seed)
    say("PRIM scenario discovery")
    specs = {o: {"label": sc.outcomes[o].label or o, "binary": sc.outcomes[o].is_binary}
             for o in chosen}
    boxes = discover(discovery_sample(sample, meth, d), facts, specs, thresholds,
                     indices)
    notes = [f"{d} uncertain facts; global method {meth}; seed {seed}"
             + (f"; variant {variant}" if variant else "")]
    return Sensitivity(folder, meth, evaluations, tornado, indices, boxes, notes, specs)


def _outcome_ids(sc: Any, wanted: Sequence[str] | None) -> list[str]:
    declared = list(sc.outcomes)
    if not wanted:
        return declared
    bad = [o for o in wanted if o not in declared]
    if bad:
        raise UsageError(f"unknown outcome {', '.join(repr(b) for b in bad)} "
                         f"(allowed: {', '.join(declared)})")
    return list(dict.fromkeys(wanted))
