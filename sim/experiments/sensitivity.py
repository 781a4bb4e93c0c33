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
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UsageError
from sim.experiments.discovery import (  # noqa: F401 (re-exported)
    PRIM_SCREEN,
    PrimBox,
    discover,
    prim_box,
    prim_target,
)
from sim.experiments.sensitivity_stats import (  # noqa: F401 (re-exported)
    INDEX_COLUMNS,
    METHODS,
    SOBOL_MIN,
    SOBOL_MIN_AUTO,
    TORNADO_COLUMNS,
    choose_method,
    discovery_sample,
    ends,
    global_indices,
    rank_indices,
    sobol_indices,
    tornado_table,
)
from sim.model.batch import runs_table
from sim.model.compile import compile_scenario
from sim.model.engine import BatchResult, GeoModel, Sampling
from sim.model.sampling import UncertainFact, quantile, rep_keys, sample_facts

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
