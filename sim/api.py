"""The notebook API: load a scenario, run an ensemble, get DataFrames. No CLI involved.

Example::

    from sim.api import load_scenario, run_ensemble

    ens = run_ensemble("scenarios/iraq-2014.yaml", runs=2000, seed=7, workers=2,
                       backend="local")
    ens.summary()            # one row per outcome (sim.analysis.stats.summarise)
    ens.runs                 # one row per replication: facts drawn and outcomes
    ens.series["control"]    # who holds each region, per replication and day
    ens.path                 # the results folder (Parquet parts + manifest.json)
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import UsageError
from sim.scenario.loader import LoadedScenario, dump_scenario
from sim.scenario.loader import load as _load
from sim.scenario.schema import Scenario


def load_scenario(path: str | Path, variant: str | None = None) -> Scenario:
    """Load and validate a scenario file (optionally with a variant applied)."""
    return _load(path, variant).scenario


@dataclass
class Ensemble:
    """A finished ensemble read back from its results folder."""

    path: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame
    series: dict[str, pd.DataFrame] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """The outcome table (n, p with Wilson 95% interval, mean and quantiles, MC error)."""
        from sim.analysis.stats import summarise

        return summarise(self.runs, self.manifest.get("outcomes") or {})

    @classmethod
    def open(cls, path: str | Path) -> Ensemble:
        """Read an existing results folder (from the CLI or an earlier session)."""
        from sim.experiments.results import load_results

        r = load_results(path)
        return cls(Path(path), r.manifest, r.runs, r.series)


def run_ensemble(path_or_scenario: str | Path | Scenario, runs: int = 1000, seed: int = 1,
                 variant: str | None = None, days: int | None = None, workers: int = 1,
                 backend: str = "serial", design: str = "mc", out: str | Path | None = None,
                 series_every: int = 1, scheduler: str | None = None) -> Ensemble:
    """Run a Monte Carlo ensemble and return its tables.

    Args:
        path_or_scenario: a scenario file, or a validated Scenario (a variant must then be
            applied already; such a run cannot be resumed, as there is no file to re-load).
        runs: replications (indices 0..runs-1).
        seed: root seed; the same seed gives the same tables for any workers or backend.
        variant: variant to apply (file input only).
        days: horizon override.
        workers: worker processes for backend "local" or "dask".
        backend: "serial" (in this process), "local" (processes) or "dask".
        design: "mc" or "lhs".
        out: results folder; default a new temporary folder (kept, see `.path`).
        series_every: record time series every k days.
        scheduler: address of a running dask scheduler (implies backend "dask").
    """
    from sim.experiments import ensemble

    if isinstance(path_or_scenario, Scenario):
        if variant is not None:
            raise UsageError("variant applies to a scenario file; pass the file path instead")
        sc = path_or_scenario
        text = dump_scenario(sc).encode()
        digest = hashlib.sha256(text).hexdigest()
        loaded = LoadedScenario(sc, None, None, digest)  # type: ignore[arg-type]
        file = None
    else:
        file = Path(path_or_scenario)
        loaded = ensemble._load(file, variant)
    plan = ensemble.RunPlan(file, variant, seed, runs, days, design, None, series_every)
    # The writer accepts an empty folder, so mkdtemp's unique folder is used as it is.
    folder = Path(out) if out else Path(tempfile.mkdtemp(prefix=f"geosim-{seed}-"))
    runner = ensemble.make_backend("dask" if scheduler else backend, workers, scheduler)
    ensemble.run(plan, runner, out=folder, loaded=loaded)
    return Ensemble.open(folder)
