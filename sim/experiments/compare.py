"""What-if comparison: variants (or two scenario files) run with common random numbers.

Every variant is run as an ordinary ensemble (sim.experiments.ensemble, one results folder each)
with the
same root seed and the same replication indices 0..runs-1. The engine draws every random
number of replication k from (seed, k, day, purpose), so replication k of the baseline and of
a variant see the same dice: the same fact draws (where the variant leaves a fact's range
alone), the same combat luck, the same event rolls. Differences are then estimated from the
paired per-replication differences (sim.analysis.stats.compare, "paired"), whose variance is far
smaller than that of two independent ensembles (common random numbers, Law & Kelton,
*Simulation Modeling and Analysis*, ch. 11; Glasserman & Yao 1992).

One caveat: fact draws are indexed by a fact's position among the uncertain facts. A variant
that makes an uncertain fact certain (a plain number) or adds a range shifts the positions of
the facts after it, so those facts are drawn afresh: the comparison stays valid (each
replication is still a fair draw) but less tightly paired for them.

Layout of a comparison folder::

    results/<scenario id>/compare-<YYYYmmdd-HHMMSS>-<seed>/
      comparison.json     what was compared, how, and the differences table
      <name>/             one ordinary results folder per variant (manifest.json, runs/...)
      report.html         written by the CLI (sim.analysis.report.write_comparison_report)
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import UsageError, check_at_least

BASELINE = "baseline"
COMPARISON = "comparison.json"


@dataclass(frozen=True)
class Arm:
    """One side of a comparison: a scenario file with an optional variant, shown as `name`."""

    name: str
    file: Path
    variant: str | None = None


@dataclass
class Comparison:
    """A finished comparison: where it lives, each arm's summary, and differences to the first.

    Attributes:
        folder: the comparison folder.
        arms: the arms in order; the first is the reference (baseline).
        summaries: arm name -> sim.analysis.stats.summarise table.
        diffs: one row per outcome and non-reference arm: outcome, label, binary, variant,
            method, n_a, n_b, a (reference), b (arm), diff (b - a), lo, hi (95%), excludes_zero.
        manifests: arm name -> that arm's results manifest.
    """

    folder: Path
    arms: list[Arm]
    summaries: dict[str, pd.DataFrame]
    diffs: pd.DataFrame
    manifests: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        return self.arms[0].name


def check_variants(path: str | Path, variants: Sequence[str]) -> None:
    """Raise a one-line UsageError naming the allowed variants if any is unknown."""
    from sim.scenario.loader import load

    allowed = sorted(load(path).scenario.variants)
    unknown = [v for v in variants if v not in allowed]
    if unknown:
        names = ", ".join(allowed) or "none declared"
        raise UsageError(f"{path}: unknown variant {', '.join(repr(u) for u in unknown)} "
                         f"(allowed: {names})")
    dupes = sorted({v for v in variants if list(variants).count(v) > 1})
    if dupes:
        raise UsageError(f"variant {', '.join(dupes)} given twice")


def variant_arms(path: str | Path, variants: Sequence[str],
                 include_baseline: bool = True) -> list[Arm]:
    """The arms of a variant comparison (baseline first unless excluded)."""
    if not variants and not include_baseline:
        raise UsageError("nothing to compare: give variants or keep the baseline")
    check_variants(path, variants)
    # A variant may itself be called "baseline"; the scenario without a variant then yields.
    base = BASELINE if BASELINE not in variants else "no-variant"
    arms = [Arm(base, Path(path))] if include_baseline else []
    arms += [Arm(v, Path(path), v) for v in variants]
    if len(arms) < 2:
        raise UsageError("a comparison needs at least two arms (baseline and one variant)")
    return arms


def file_arms(path_a: str | Path, path_b: str | Path) -> list[Arm]:
    """Two scenario files as arms, named by their file stems (suffixed when they clash)."""
    a, b = Path(path_a), Path(path_b)
    for p in (a, b):
        if not p.is_file():
            raise UsageError(f"{p}: no such scenario file")
    na, nb = _safe(a.stem), _safe(b.stem)
    if na == nb:
        na, nb = f"{na}-a", f"{nb}-b"
    return [Arm(na, a), Arm(nb, b)]


def compare_variants(path: str | Path, variants: Sequence[str], runs: int, seed: int,
                     days: int | None = None, workers: int = 1, include_baseline: bool = True,
                     out: str | Path | None = None, backend: str = "local",
                     on_arm: Callable[[str], None] | None = None) -> Comparison:
    """Run the baseline and each variant of one scenario file with common random numbers.

    Args:
        path: scenario file.
        variants: ids of variants declared in the file's `variants:`.
        runs: replications per arm (indices 0..runs-1 in every arm).
        seed: root seed shared by every arm.
        days: horizon override.
        workers: worker processes per ensemble.
        include_baseline: compare against the scenario without a variant (else against the
            first variant).
        out: comparison folder (default results/<scenario>/compare-<stamp>-<seed>).
        backend: "local", "serial" or "dask" (sim.experiments.ensemble.make_backend).
        on_arm: called with each arm's name before it runs (progress).
    """
    arms = variant_arms(path, variants, include_baseline)
    return run_arms(arms, runs, seed, days, workers, out, backend, on_arm)


def compare_files(path_a: str | Path, path_b: str | Path, runs: int, seed: int,
                  days: int | None = None, workers: int = 1, out: str | Path | None = None,
                  backend: str = "local",
                  on_arm: Callable[[str], None] | None = None) -> Comparison:
    """Run two scenario files (e.g. a file and one that `extends:` it) with common random
    numbers; differences are file B minus file A. Arguments as in `compare_variants`."""
    return run_arms(file_arms(path_a, path_b), runs, seed, days, workers, out, backend, on_arm)


def run_arms(arms: Sequence[Arm], runs: int, seed: int, days: int | None, workers: int,
             out: str | Path | None, backend: str = "local",
             on_arm: Callable[[str], None] | None = None) -> Comparison:
    """Run each arm as an ensemble into `<folder>/<arm name>/` and compare them."""
    from sim.experiments import ensemble
    from sim.scenario.loader import load

    check_at_least("--runs", runs, 2, " for a paired comparison")
    check_at_least("--workers", workers, 1)
    loaded = [load(a.file, a.variant) for a in arms]
    folder = Path(out) if out else default_folder(loaded[0].scenario.scenario.id, seed)
    if (folder / COMPARISON).exists():
        raise UsageError(f"{folder}: already holds a comparison (choose another --out)")
    folder.mkdir(parents=True, exist_ok=True)
    started = _now()
    for arm, ld in zip(arms, loaded, strict=True):
        if on_arm:
            on_arm(arm.name)
        plan = ensemble.RunPlan(arm.file, arm.variant, seed, runs, days, series_every=7)
        ensemble.run(plan, ensemble.make_backend(backend, workers), out=folder / arm.name,
                     loaded=ld)
    result = read_arms(folder, arms)
    write_manifest(result, seed=seed, runs=runs, days=days, started=started)
    return result


def read_arms(folder: Path, arms: Sequence[Arm]) -> Comparison:
    """Summaries and paired differences of arms already run into `folder`."""
    from sim.analysis.stats import summarise
    from sim.experiments.results import ResultsReader

    tables: dict[str, pd.DataFrame] = {}
    manifests: dict[str, dict[str, Any]] = {}
    for arm in arms:
        reader = ResultsReader(folder / arm.name)
        tables[arm.name] = reader.runs()
        manifests[arm.name] = reader.manifest
    outcomes = manifests[arms[0].name].get("outcomes") or {}
    summaries = {n: summarise(t, manifests[n].get("outcomes") or outcomes)
                 for n, t in tables.items()}
    diffs = differences(tables, outcomes)
    return Comparison(folder, list(arms), summaries, diffs, manifests)


def differences(tables: Mapping[str, pd.DataFrame], outcomes: Mapping[str, Any]) -> pd.DataFrame:
    """Differences of every arm to the first, per outcome (paired when the reps match).

    Pure: `tables` maps arm name -> runs table (first = reference); `outcomes` as for
    sim.analysis.stats.compare. Outcomes missing from an arm's table are skipped for that arm.
    """
    from sim.analysis.stats import COMPARE_COLUMNS, compare

    names = list(tables)
    ref = tables[names[0]]
    parts = []
    for name in names[1:]:
        common = {o: s for o, s in outcomes.items() if f"out:{o}" in tables[name]}
        d = compare(ref, tables[name], common)
        d.insert(3, "variant", name)
        parts.append(d)
    if not parts:
        return pd.DataFrame(columns=[*COMPARE_COLUMNS[:3], "variant", *COMPARE_COLUMNS[3:],
                                     "excludes_zero"])
    out = pd.concat(parts, ignore_index=True)
    # Strict inequality: an interval [0, 0] (identical arms) does not exclude zero.
    out["excludes_zero"] = (out["lo"] > 0) | (out["hi"] < 0)
    return out


def default_folder(scenario_id: str, seed: int, root: str | Path = "results",
                   now: dt.datetime | None = None) -> Path:
    """`<root>/<scenario id>/compare-<YYYYmmdd-HHMMSS>-<seed>` (UTC)."""
    now = now or dt.datetime.now(dt.UTC)
    return Path(root) / scenario_id / f"compare-{now:%Y%m%d-%H%M%S}-{seed}"


def write_manifest(c: Comparison, **extra: Any) -> Path:
    """Write `comparison.json`: the arms, their folders, the settings and the differences."""
    data = {
        "kind": "comparison",
        "reference": c.reference,
        "arms": [{"name": a.name, "file": str(a.file.resolve()), "variant": a.variant,
                  "folder": a.name} for a in c.arms],
        "design": "common random numbers: same seed and replication indices in every arm",
        **extra,
        "finished": _now(),
        "command": " ".join(sys.argv),
        "differences": json.loads(c.diffs.to_json(orient="records")),
    }
    path = c.folder / COMPARISON
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def open_comparison(folder: str | Path) -> Comparison:
    """Read a comparison folder back (its comparison.json and each arm's results)."""
    folder = Path(folder)
    try:
        data = json.loads((folder / COMPARISON).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{folder}: not a comparison folder ({exc})") from None
    arms = [Arm(a["name"], Path(a["file"]), a.get("variant")) for a in data["arms"]]
    return read_arms(folder, arms)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name) or "scenario"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
