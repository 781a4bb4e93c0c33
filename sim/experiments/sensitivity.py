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
from pathlib import Path
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


@dataclass(frozen=True, kw_only=True)
class SensitivityOptions:
    """What `run_sensitivity` analyses and how it runs: given to it as keywords.

    Attributes:
        method: "auto", "sobol", "src" or "spearman".
        outcomes: outcome ids to analyse (default: all declared).
        oat_reps: replications per fact end (default max(20, runs // (2D + 1)), at most 200;
            0 skips the sweep).
        thresholds: outcome id -> PRIM threshold for quantities (default: the median).
        workers, backend: how the runs go (sim.experiments.ensemble.make_backend).
        out: the sensitivity folder (default results/<scenario>/sensitivity-<time>-<seed>).
        on_stage: called with a line announcing each stage.
    """

    method: str = "auto"
    outcomes: Sequence[str] | None = None
    oat_reps: int | None = None
    thresholds: Mapping[str, float] | None = None
    workers: int = 1
    backend: str = "local"
    out: Any = None
    on_stage: Callable[[str], None] | None = None

    def say(self, line: str) -> None:
        if self.on_stage is not None:
            self.on_stage(line)


@dataclass(frozen=True)
class _Study:
    """One sensitivity run: the scenario loaded once, the facts and where runs go."""

    path: str
    variant: str | None
    seed: int
    days: int | None
    loaded: Any
    facts: Sequence[UncertainFact]
    folder: Path
    opts: SensitivityOptions

    def run(self, name: str, runs: int, design: str = "mc", batch_fn: Any = None) -> pd.DataFrame:
        """Run `runs` evaluations into the results folder `name` and read its runs table."""
        from sim.experiments import ensemble, results

        plan = ensemble.RunPlan(Path(self.path), self.variant, self.seed, runs, self.days,
                                design)
        ensemble.run(plan, ensemble.make_backend(self.opts.backend, self.opts.workers),
                     out=self.folder / name, loaded=self.loaded, batch_fn=batch_fn)
        return results.ResultsReader(self.folder / name).runs()


def run_sensitivity(path: str, runs: int, seed: int = 1, variant: str | None = None,
                    days: int | None = None, **options: Any) -> Sensitivity:
    """Run the OAT sweep, the global sample and PRIM; write runs into the folder `out`
    (results folders `oat/` and `sample/`). See the module docstring for the methods.

    Args:
        path: scenario file; variant: a variant of it to analyse.
        runs: model evaluations of the global sample (Sobol: N (D + 2) <= runs).
        **options: the fields of `SensitivityOptions`; an unknown one raises TypeError.
    """
    from sim.experiments import results
    from sim.scenario.loader import load

    opts = SensitivityOptions(**options)
    loaded = load(path, variant)
    sc = loaded.scenario
    facts = compile_scenario(sc).uncertain
    if not facts:
        raise UsageError(f"{path}: no uncertain facts (nothing has a low/high range)")
    chosen = _outcome_ids(sc, opts.outcomes)
    meth, n_base = choose_method(opts.method, runs, len(facts))
    folder = Path(opts.out) if opts.out else Path("results") / sc.scenario.id / \
        f"sensitivity-{results.default_dir('.', '', seed).name}"
    study = _Study(path, variant, seed, days, loaded, facts, folder, opts)
    evaluations: dict[str, int] = {}
    tornado = _oat_sweep(study, runs, chosen, evaluations)
    sample = _global_sample(study, meth, n_base if meth == "sobol" else runs, evaluations)
    indices = global_indices(sample, meth, facts, chosen, seed)
    opts.say("PRIM scenario discovery")
    specs = {o: {"label": sc.outcomes[o].label or o, "binary": sc.outcomes[o].is_binary}
             for o in chosen}
    boxes = discover(discovery_sample(sample, meth, len(facts)), facts, specs,
                     opts.thresholds, indices)
    notes = [f"{len(facts)} uncertain facts; global method {meth}; seed {seed}"
             + (f"; variant {variant}" if variant else "")]
    return Sensitivity(folder, meth, evaluations, tornado, indices, boxes, notes, specs)


def _oat_sweep(study: _Study, runs: int, chosen: list[str],
               evaluations: dict[str, int]) -> pd.DataFrame:
    """The one-at-a-time sweep's tornado table (empty when it is skipped)."""
    d = len(study.facts)
    oat_reps = study.opts.oat_reps
    if oat_reps is None:
        oat_reps = min(200, max(20, runs // (2 * d + 1)))
    if oat_reps <= 0:
        return pd.DataFrame(columns=TORNADO_COLUMNS)
    n_oat = (2 * d + 1) * oat_reps
    study.opts.say(f"one-at-a-time sweep: {d} facts x low/high x {oat_reps} reps + baseline "
                   f"= {n_oat:,} evaluations")
    oat = study.run("oat", n_oat, batch_fn=OatBatch(oat_reps, oat_settings(study.facts)))
    evaluations["oat"] = n_oat
    return tornado_table(oat, study.facts, chosen)


def _global_sample(study: _Study, meth: str, n: int,
                   evaluations: dict[str, int]) -> pd.DataFrame:
    """The runs table of the global sample: Saltelli's design on a base sample of n when
    `meth` is "sobol", else a Latin hypercube of n runs."""
    d = len(study.facts)
    sobol = meth == "sobol"
    n_glob = n * (d + 2) if sobol else n
    study.opts.say(f"global sample ({meth}): {n_glob:,} evaluations"
                   + (f" = N (D + 2) with N = {n}, D = {d}" if sobol else " (LHS)"))
    sample = study.run("sample", n_glob, "mc" if sobol else "lhs",
                       SobolBatch(n, study.seed) if sobol else None)
    evaluations["global"] = n_glob
    return sample


def _outcome_ids(sc: Any, wanted: Sequence[str] | None) -> list[str]:
    declared = list(sc.outcomes)
    if not wanted:
        return declared
    bad = [o for o in wanted if o not in declared]
    if bad:
        raise UsageError(f"unknown outcome {', '.join(repr(b) for b in bad)} "
                         f"(allowed: {', '.join(declared)})")
    return list(dict.fromkeys(wanted))
