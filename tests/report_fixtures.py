"""Small synthetic scenario, result tables and results folder for the chart and report tests.

The tables follow the engine and results-folder contracts of docs/architecture.md, so the
charts and the report are tested without running the engine. Numbers are random but seeded.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.scenario.loader import load
from sim.scenario.schema import Scenario

SCENARIO = {
    "scenario": {"id": "testland", "title": "Testland <crisis> & test", "as_of": "2014-06-10",
                 "horizon_days": 30, "description": "A tiny made-up scenario for tests."},
    "sources": {
        "wire": {"outlet": "Wire Service", "title": "Army strength", "date": "2014-06-11",
                 "url": "https://example.org/wire", "note": "Estimates vary."},
        "think": {"outlet": "Think Tank", "title": "Group strength", "date": "2014-05-01"},
    },
    "actors": {
        "blue": {"name": "Blue State", "kind": "state", "color": "#1f77b4",
                 "forces": {"reserve": {"value": 5000, "low": 3000, "high": 8000,
                                        "source": "wire", "reported": "2014-06-11"},
                            "morale": {"value": 0.4, "assumption": True,
                                       "note": "Low after defeats."}}},
        "red": {"name": "Red Group", "kind": "armed_group", "color": "black",
                "forces": {"reserve": {"value": 2000, "low": 1000, "high": 4000,
                                       "dist": "pert", "source": "think"}}},
        "green": {"name": "Green State", "kind": "state", "forces": {"reserve": 1000}},
    },
    "regions": {
        "alpha": {"name": "Alpha", "lat": 33.3, "lon": 44.4, "terrain": "urban",
                  "controller": "blue", "garrisons": {"blue": 3000}},
        "bravo": {"name": "Bravo", "lat": 36.3, "lon": 43.1, "terrain": "urban",
                  "controller": "red", "garrisons": {"red": 1500}},
        "charlie": {"name": "Charlie", "lat": 34.6, "lon": 43.7, "terrain": "open",
                    "controller": "blue", "garrisons": {"blue": 500}},
        "delta": {"name": "Delta", "lat": 33.4, "lon": 43.3, "terrain": "desert"},
    },
    "links": [{"between": ["alpha", "charlie"], "km": 170},
              {"between": ["charlie", "bravo"], "km": 220},
              {"between": ["alpha", "delta"], "km": 110}],
    "relations": {
        "blue-red": {"between": ["blue", "red"], "stance": "war"},
        "blue-green": {"between": ["blue", "green"], "stance": "alliance", "support": {
            "troops": {"from": "green", "to": "blue", "kind": "troops", "amount": 2000},
            "air": {"from": "green", "to": "blue", "kind": "air_strikes", "amount": 20}}},
        "red-green": {"between": ["red", "green"], "stance": "rivalry"},
    },
    "events": {
        "rally": {"description": "Blue rallies <b>", "on_day": 5, "source": "wire",
                  "probability": {"value": 0.5, "low": 0.2, "high": 0.8, "assumption": True},
                  "effects": [{"morale": {"actor": "blue", "delta": 0.1}}]},
    },
    "variants": {
        "no-air": {"title": "No air support", "description": "Green flies no strikes.",
                   "set": {"relations.blue-green.support.air.amount": 0}},
    },
    "outcomes": {
        "alpha_falls": {"kind": "control", "label": "Alpha falls to Red", "region": "alpha",
                        "by": ["red"]},
        "bravo_retaken": {"kind": "control", "label": "Bravo retaken", "region": "bravo",
                          "by": ["blue", "green"]},
        "red_territory": {"kind": "territory", "label": "Red's territory", "actor": "red"},
        "blue_strength": {"kind": "strength", "label": "Blue's strength", "actor": "blue"},
    },
}

ACTORS = list(SCENARIO["actors"])
REGIONS = list(SCENARIO["regions"])
OUTCOMES = {oid: {"label": o["label"], "kind": o["kind"], "binary": o["kind"] == "control"}
            for oid, o in SCENARIO["outcomes"].items()}


def write_scenario(folder: Path) -> Path:
    path = folder / "testland.yaml"
    path.write_text(yaml.safe_dump(SCENARIO, sort_keys=False), encoding="utf-8")
    return path


def scenario(folder: Path) -> Scenario:
    return load(write_scenario(folder)).scenario


def runs_table(n: int = 40, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"rep": np.arange(n, dtype="int64"), "status": "ok", "error": ""})
    df["fact:actors.blue.forces.reserve"] = rng.uniform(3000, 8000, n)
    df["fact:actors.red.forces.reserve"] = rng.uniform(1000, 4000, n)
    df["fact:events.rally.probability"] = rng.uniform(0.2, 0.8, n)
    df["out:alpha_falls"] = (rng.random(n) < 0.3).astype(float)
    df["out:bravo_retaken"] = (rng.random(n) < 0.6).astype(float)
    df["out:red_territory"] = rng.beta(2, 5, n)
    df["out:blue_strength"] = rng.normal(6000, 800, n)
    # The day each event fired, +inf when it did not (the engine's event:<id> columns).
    df["event:rally"] = np.where(rng.random(n) < 0.5, 5.0, np.inf)
    return df


def series_tables(n: int = 40, days: int = 30, every: int = 5,
                  seed: int = 2) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    day = np.arange(0, days + 1, every, dtype="int32")
    rep = np.repeat(np.arange(n, dtype="int64"), len(day))
    dd = np.tile(day, n)
    base = {"rep": rep, "day": dd}
    strength = pd.DataFrame(base)
    territory = pd.DataFrame(base)
    for k, a in enumerate(ACTORS):
        drift = rng.normal(0, 40, n).repeat(len(day)) * dd
        strength[a] = np.maximum(0, 4000 - 1000 * k + drift).astype("float32")
        territory[a] = rng.dirichlet(np.ones(3), len(dd))[:, k].astype("float32")
    control = pd.DataFrame(base)
    for r in REGIONS:
        control[r] = rng.integers(-1, len(ACTORS), len(dd)).astype("int8")
    return {"strength": strength, "territory": territory, "control": control}


def summary_table() -> pd.DataFrame:
    """A summary following the contract, with hand-picked numbers (no stats code involved)."""
    nan = float("nan")
    return pd.DataFrame([
        dict(outcome="alpha_falls", label="Alpha falls", binary=True, n=100, p=0.3, p_lo=0.22,
             p_hi=0.4, mean=nan, q05=nan, q50=nan, q95=nan, mcse=0.046),
        dict(outcome="bravo_retaken", label="", binary=True, n=100, p=0.65, p_lo=0.55,
             p_hi=0.73, mean=nan, q05=nan, q50=nan, q95=nan, mcse=0.048),
        dict(outcome="red_territory", label="Red's territory", binary=False, n=100, p=nan,
             p_lo=nan, p_hi=nan, mean=0.3, q05=0.1, q50=0.28, q95=0.6, mcse=0.01),
        dict(outcome="blue_strength", label="Blue's strength", binary=False, n=100, p=nan,
             p_lo=nan, p_hi=nan, mean=6000.0, q05=4700.0, q50=6010.0, q95=7300.0, mcse=80.0),
    ])


def write_results(folder: Path, scenario_file: Path | str, n: int = 40, batches: int = 2,
                  seed: int = 7, variant: str | None = None, resolved: bool = True) -> Path:
    """A results folder per the contract, written directly with pandas/pyarrow (no
    aggregates: the report computes them from the parts), with the scenario it "ran"
    stored as scenario.resolved.yaml unless `resolved` is false."""
    runs = runs_table(n)
    series = series_tables(n)
    (folder / "runs").mkdir(parents=True)
    for b, reps in enumerate(np.array_split(np.arange(n), batches)):
        runs[runs["rep"].isin(reps)].to_parquet(folder / "runs" / f"part-{b:05d}.parquet")
        for name, df in series.items():
            (folder / "series" / name).mkdir(parents=True, exist_ok=True)
            df[df["rep"].isin(reps)].to_parquet(folder / "series" / name / f"part-{b:05d}.parquet")
    manifest = {
        "scenario_id": "testland", "scenario_file": str(scenario_file),
        "scenario_sha256": "0" * 64, "variant": None, "seed": seed, "design": "mc",
        "runs_planned": n, "runs_completed": n, "runs_failed": 0, "days": 30,
        "batch_size": n // batches, "backend": "local", "workers": 1, "version": "0.1.0",
        "command": "geosim run testland.yaml --runs 40", "started": "2026-01-01T00:00:00+00:00",
        "finished": "2026-01-01T00:00:05+00:00", "status": "complete",
        "timings": {"batches": {"00000": 1.5, "00001": 2.5}, "total": 4.0},
        "actors": {a: {"name": x["name"], "color": x.get("color", "#888888")}
                   for a, x in SCENARIO["actors"].items()},
        "regions": {r: {"name": x["name"], "lat": x["lat"], "lon": x["lon"]}
                    for r, x in SCENARIO["regions"].items()},
        "outcomes": OUTCOMES,
    }
    manifest["variant"] = variant
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    if resolved:
        from sim.experiments.results import write_resolved_scenario

        write_resolved_scenario(folder, load(scenario_file, variant).scenario)
    return folder
