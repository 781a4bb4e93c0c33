"""The notebook API: load a scenario, run an ensemble, get DataFrames. No CLI involved.

Example::

    from sim.api import load_scenario, run_ensemble

    ens = run_ensemble("scenarios/iraq-2014.yaml", runs=2000, seed=7)  # all cores
    ens.summary()            # one row per outcome (sim.analysis.stats.summarise)
    ens.runs                 # one row per replication: facts drawn and outcomes
    ens.series["control"]    # who holds each region (actor ids), per replication and day
    ens.path                 # the results folder under results/ (Parquet parts + manifest)
    ens.plot.control_map()   # the report's own plotly figures (see `Plots`)
"""

from __future__ import annotations

import hashlib
import os
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

    @property
    def plot(self) -> Plots:
        """The report's charts of this ensemble, as plotly figures."""
        return Plots(self.path)

    def summary(self) -> pd.DataFrame:
        """The outcome table (n, p with Wilson 95% interval, mean and quantiles, MC error)."""
        from sim.analysis.stats import summarise

        return summarise(self.runs, self.manifest.get("outcomes") or {})

    @classmethod
    def open(cls, path: str | Path) -> Ensemble:
        """Read an existing results folder (from the CLI or an earlier session)."""
        from sim.experiments.results import load_results

        r = load_results(path)
        series = dict(r.series)
        if "control" in series:
            series["control"] = _control_ids(series["control"], list(r.manifest.get("actors")
                                                                     or []))
        return cls(Path(path), r.manifest, r.runs, series)


def _control_ids(df: pd.DataFrame, actors: list[str]) -> pd.DataFrame:
    """Control codes (index into the actor order, -1 nobody) as actor ids (None: nobody),
    categorical so a million rows stay small."""
    out = df[["rep", "day"]].copy()
    for col in df.columns.drop(["rep", "day"]):
        out[col] = pd.Categorical.from_codes(df[col].astype("int64"), categories=actors) \
            if actors else df[col]
    return out


class Plots:
    """`ens.plot.<chart>()`: the same plotly figures the report draws, from the folder's
    aggregates (memory does not grow with the runs)."""

    def __init__(self, path: Path):
        self._path = path
        self._content: object = None

    def _c(self) -> object:
        if self._content is None:
            from sim.analysis.report import ReportContent, stored_scenario
            from sim.experiments.results import read_manifest

            scenario, notes = stored_scenario(self._path)
            self._content = ReportContent.read(self._path, read_manifest(self._path),
                                               scenario, notes)
        return self._content

    def _figures(self) -> dict[str, object]:
        from sim.analysis.page import collecting_figures
        from sim.analysis.report import report_sections

        with collecting_figures() as figures:
            report_sections(self._c())  # type: ignore[arg-type]
        return figures

    def names(self) -> list[str]:
        """Every chart the report draws (e.g. "outcomes", "why-baghdad_falls", "control-map")."""
        return list(self._figures())

    def get(self, name: str) -> object:
        """The report's chart `name` (see `names`)."""
        figures = self._figures()
        if name not in figures:
            raise UsageError(f"no chart {name!r} (have: {', '.join(figures)})")
        return figures[name]

    def outcomes(self) -> object:
        return self.get("outcomes")

    def quantities(self) -> object:
        return self.get("quantities")

    def strength(self) -> object:
        return self.get("strength")

    def territory(self) -> object:
        return self.get("territory")

    def control_map(self) -> object:
        return self.get("control-map")

    def when(self) -> object:
        return self.get("when-regions")

    def why(self, outcome: str) -> object:
        return self.get(f"why-{outcome}")

    def relations(self) -> object:
        return self.get("relations")


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """How `run_ensemble` runs: given to it as keywords (`workers=2, out="results/x"`).

    Attributes:
        workers: worker processes for backend "local" or "dask" (default: all cores).
        backend: "local" (processes, default), "serial" (in this process) or "dask".
        design: "mc" or "lhs".
        out: results folder; default `results/<scenario id>/<time>-<seed>` as the CLI.
        series_every: record time series every k days.
        scheduler: address of a running dask scheduler (implies backend "dask").
    """

    workers: int | None = None
    backend: str = "local"
    design: str = "mc"
    out: str | Path | None = None
    series_every: int = 1
    scheduler: str | None = None


def run_ensemble(path_or_scenario: str | Path | Scenario, runs: int = 1000, seed: int = 1,
                 variant: str | None = None, days: int | None = None,
                 **options: Any) -> Ensemble:
    """Run a Monte Carlo ensemble and return its tables.

    Args:
        path_or_scenario: a scenario file, or a validated Scenario (a variant must then be
            applied already; such a run cannot be resumed, as there is no file to re-load).
        runs: replications (indices 0..runs-1).
        seed: root seed; the same seed gives the same tables for any workers or backend.
        variant: variant to apply (file input only).
        days: horizon override.
        **options: the fields of `RunOptions` (workers, backend, design, out, series_every,
            scheduler); an unknown one raises TypeError.
    """
    from sim.experiments import ensemble
    from sim.experiments.results import default_dir

    opts = RunOptions(**options)
    loaded, file = _loaded(path_or_scenario, variant)
    plan = ensemble.RunPlan(file, variant, seed, runs, days, opts.design, None,
                            opts.series_every)
    folder = Path(opts.out) if opts.out else default_dir("results", loaded.scenario.scenario.id,
                                                         seed)
    runner = ensemble.make_backend("dask" if opts.scheduler else opts.backend,
                                   opts.workers or os.cpu_count() or 1, opts.scheduler)
    ensemble.run(plan, runner, out=folder, loaded=loaded)
    return Ensemble.open(folder)


def _loaded(path_or_scenario: str | Path | Scenario,
            variant: str | None) -> tuple[LoadedScenario, Path | None]:
    """The scenario to run and its file (None for a Scenario object, which has none)."""
    from sim.experiments import ensemble

    if not isinstance(path_or_scenario, Scenario):
        file = Path(path_or_scenario)
        return ensemble._load(file, variant), file
    if variant is not None:
        raise UsageError("variant applies to a scenario file; pass the file path instead")
    digest = hashlib.sha256(dump_scenario(path_or_scenario).encode()).hexdigest()
    return LoadedScenario(path_or_scenario, None, None, digest), None  # type: ignore[arg-type]
