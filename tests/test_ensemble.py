"""sim.experiments.ensemble: batching, reproducibility across backends, failures, interrupts
and resume.

Plumbing tests use small batch functions defined here (they honour the engine contract and
can fail or kill their worker on purpose); the reproducibility tests run the real engine on
the reference scenario.
"""

from __future__ import annotations

import errno
import os
import signal
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.errors import ResultsError, RunStoppedError, UsageError
from sim.experiments import atomic_files, ensemble, results

ROOT = Path(__file__).resolve().parents[1]
# GEOSIM_TEST_SCENARIO points the end-to-end tests at another scenario file (development aid).
REFERENCE = Path(os.environ.get("GEOSIM_TEST_SCENARIO", ROOT / "scenarios" / "iraq-2014.yaml"))

TINY = """\
scenario: {id: tiny, title: Tiny, as_of: 2014-06-01, horizon_days: 20}
actors:
  red: {name: Red, kind: armed_group, forces: {reserve: {value: 900, low: 500, high: 2000}}}
  blue: {name: Blue, kind: state}
regions:
  a: {name: A, lat: 36, lon: 43, terrain: urban, controller: blue, garrisons: {blue: 500}}
  b: {name: B, lat: 35, lon: 44, terrain: open, controller: red, garrisons: {red: 300}}
links: [{between: [a, b], km: 100}]
outcomes:
  a_falls: {kind: control, label: A falls, region: a, by: [red]}
  red_men: {kind: strength, label: Red strength, actor: red}
"""


class _Result:
    def __init__(self, runs, series):
        self.runs, self.series = runs, series


def fake_simulate(scenario, reps, seed, days=None, design="mc", n_total=None, series_every=1):
    """A contract-shaped engine: every number is a function of (seed, rep) only."""
    reps = np.asarray(reps, dtype=np.int64)
    u = np.array([np.random.default_rng([seed, int(r)]).random() for r in reps])
    runs = pd.DataFrame({"rep": reps, "status": "ok", "error": "",
                         "fact:actors.red.forces.reserve": 500 + 1500 * u,
                         "out:a_falls": (u < 0.4).astype(float), "out:red_men": 1000 * u})
    day = np.array([0, days or scenario.scenario.horizon_days], dtype=np.int32)
    strength = pd.DataFrame({"rep": np.repeat(reps, 2), "day": np.tile(day, len(reps)),
                             "red": np.repeat(u, 2).astype(np.float32)})
    return _Result(runs, {"strength": strength})


def failing_simulate(scenario, reps, seed, **kw):
    """Raises for any batch holding rep 13 (so only rep 13 should end up as an error)."""
    if 13 in np.asarray(reps):
        raise ValueError("rep 13 is cursed")
    return fake_simulate(scenario, reps, seed, **kw)


def killing_simulate(scenario, reps, seed, **kw):
    """Kills its own worker process the first time it sees rep 20 (a worker lost mid-run)."""
    marker = Path(tempfile.gettempdir()) / f"geosim-test-killed-{seed}"
    if 20 in np.asarray(reps) and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return fake_simulate(scenario, reps, seed, **kw)


def interrupting_simulate(scenario, reps, seed, **kw):
    """Ctrl-C arriving while the batch holding rep 30 runs."""
    if 30 in np.asarray(reps):
        raise KeyboardInterrupt
    return fake_simulate(scenario, reps, seed, **kw)


def lhs_checking_simulate(scenario, reps, seed, design="mc", n_total=None, **kw):
    assert design == "lhs" and n_total == 50, (design, n_total)
    return fake_simulate(scenario, reps, seed, design=design, n_total=n_total, **kw)


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def _run(plan, backend, out, fn=fake_simulate):
    return results.load_results(ensemble.run(plan, backend, out=out, batch_fn=fn))


# ---------------------------------------------------------------------------- planning


def test_batch_ranges_cover_every_rep_once():
    ranges = ensemble.batch_ranges(1001, 250)
    assert [r[0] for r in ranges] == [0, 1, 2, 3, 4]
    covered = np.concatenate([np.arange(a, b) for _, a, b in ranges])
    assert covered.tolist() == list(range(1001))


@pytest.mark.parametrize("runs, workers, days, expected", [
    (100_000, 2, 180, 2000),   # capped: memory per batch stays bounded
    (10_000, 2, 180, 1250),    # ~4 batches per worker
    (500, 2, 180, 100),        # at least 100 reps per task
    (4_000, 2, 180, 500),
    (40, 2, 180, 40),          # never more than the run
    (100_000, 2, 3650, 547),   # long horizons: fewer reps per batch
])
def test_auto_batch_size(runs, workers, days, expected):
    assert ensemble.auto_batch_size(runs, workers, days) == expected


@pytest.mark.parametrize("field, value, message", [
    ("runs", 0, "--runs must be at least 1"), ("days", 0, "--days must be at least 1"),
    ("design", "grid", "--design must be one of mc, lhs"),
    ("batch_size", -1, "--batch-size"), ("series_every", 0, "--series-every"),
])
def test_plan_check_rejects_impossible_plans(tiny, field, value, message):
    plan = ensemble.RunPlan(tiny, **{field: value})
    with pytest.raises(UsageError, match=message):
        plan.check()


def test_make_backend_picks_by_name_and_workers():
    assert isinstance(ensemble.make_backend("local", 1), ensemble.SerialBackend)
    assert isinstance(ensemble.make_backend("local", 2), ensemble.ProcessBackend)
    assert isinstance(ensemble.make_backend("serial", 4), ensemble.SerialBackend)
    assert isinstance(ensemble.make_backend("local", 2, "tcp://h:1"), ensemble.DaskBackend)
    with pytest.raises(UsageError, match="--backend must be one of"):
        ensemble.make_backend("mpi", 2)


# ---------------------------------------------------------------------------- plumbing


def test_a_single_batch_runs_in_process_and_the_manifest_says_so(tiny, tmp_path):
    """A pool cannot share out one batch; the run skips its start-up and records "serial"."""
    one = _run(ensemble.RunPlan(tiny, seed=1, runs=30), ensemble.ProcessBackend(2),
               tmp_path / "one", fake_simulate)
    assert (one.manifest["backend"], one.manifest["workers"]) == ("serial", 1)
    assert one.manifest["runs_completed"] == 30
    split = _run(ensemble.RunPlan(tiny, seed=1, runs=30, batch_size=10),
                 ensemble.ProcessBackend(2), tmp_path / "split", fake_simulate)
    assert (split.manifest["backend"], split.manifest["workers"]) == ("local", 2)
    pd.testing.assert_frame_equal(one.runs, split.runs)


def test_manifest_records_the_plan_and_the_scenario(tiny, tmp_path):
    plan = ensemble.RunPlan(tiny, seed=5, runs=30, batch_size=8, series_every=3)
    m = _run(plan, ensemble.SerialBackend(), tmp_path / "o").manifest
    from sim.scenario.loader import load

    assert m["scenario_sha256"] == load(tiny).sha256
    assert (m["scenario_id"], m["seed"], m["runs_planned"], m["batch_size"]) == ("tiny", 5, 30, 8)
    assert (m["runs_completed"], m["runs_failed"], m["status"]) == (30, 0, "complete")
    assert (m["days"], m["series_every"], m["backend"], m["workers"]) == (20, 3, "serial", 1)
    assert len(m["timings"]["batches"]) == 4 and m["timings"]["total"] > 0
    assert list(m["actors"]) == ["red", "blue"] and list(m["regions"]) == ["a", "b"]
    assert m["outcomes"]["a_falls"] == {"label": "A falls", "kind": "control", "binary": True}
    assert m["scenario_file"] == str(tiny.resolve()) and m["version"]


@pytest.mark.parametrize("backend", [ensemble.SerialBackend(), ensemble.ProcessBackend(2)],
                         ids=["serial", "processes"])
def test_a_raising_batch_is_isolated_rep_by_rep(tiny, tmp_path, backend):
    plan = ensemble.RunPlan(tiny, seed=2, runs=40, batch_size=10)
    r = _run(plan, backend, tmp_path / "o", failing_simulate)
    assert r.runs["rep"].tolist() == list(range(40))  # nothing dropped
    bad = r.runs[r.runs["status"] == "error"]
    assert bad["rep"].tolist() == [13]
    assert bad["error"].iloc[0] == "ValueError: rep 13 is cursed"
    assert (r.manifest["runs_completed"], r.manifest["runs_failed"]) == (39, 1)
    good = _run(plan, ensemble.SerialBackend(), tmp_path / "good")
    ok = r.runs["status"] == "ok"
    pd.testing.assert_frame_equal(r.runs[ok], good.runs[ok])
    assert 13 not in set(r.series["strength"]["rep"])


CALLS: list[int] = []


def two_bad_reps_simulate(scenario, reps, seed, **kw):
    CALLS.append(len(reps))
    if {5, 40} & set(np.asarray(reps).tolist()):
        raise RuntimeError("bad rep in batch")
    return fake_simulate(scenario, reps, seed, **kw)


def test_failing_reps_are_isolated_by_halving_not_one_call_per_rep(tiny, tmp_path):
    CALLS.clear()
    plan = ensemble.RunPlan(tiny, seed=2, runs=64, batch_size=64)
    r = _run(plan, ensemble.SerialBackend(), tmp_path / "o", two_bad_reps_simulate)
    assert r.runs.loc[r.runs["status"] == "error", "rep"].tolist() == [5, 40]
    assert r.runs["rep"].tolist() == list(range(64))
    assert len(CALLS) < 30  # 64 single-rep calls without halving
    assert sum(n for n in CALLS[1:] if n == 1) <= 4


def test_a_killed_worker_does_not_lose_the_run(tiny, tmp_path):
    seed = int.from_bytes(os.urandom(4), "little")  # fresh marker file for this test run
    plan = ensemble.RunPlan(tiny, seed=seed, runs=60, batch_size=10)
    backend = ensemble.ProcessBackend(2)
    try:
        r = _run(plan, backend, tmp_path / "o", killing_simulate)
    finally:
        (Path(tempfile.gettempdir()) / f"geosim-test-killed-{seed}").unlink(missing_ok=True)
    assert backend.restarts == 1
    want = _run(plan, ensemble.SerialBackend(), tmp_path / "want")
    pd.testing.assert_frame_equal(r.runs, want.runs)
    assert r.manifest["runs_completed"] == 60


def test_interrupt_leaves_a_readable_partial_result_that_resume_completes(tiny, tmp_path):
    plan = ensemble.RunPlan(tiny, seed=3, runs=50, batch_size=10)
    out = tmp_path / "o"
    with pytest.raises(KeyboardInterrupt):
        ensemble.run(plan, ensemble.SerialBackend(), out=out, batch_fn=interrupting_simulate)
    part = results.load_results(out)
    assert part.manifest["status"] == "interrupted"
    assert part.runs["rep"].tolist() == list(range(30))  # batches 0-2 whole, nothing after
    ensemble.resume(out, ensemble.SerialBackend(), batch_fn=fake_simulate)
    done = results.load_results(out)
    want = _run(plan, ensemble.SerialBackend(), tmp_path / "want")
    pd.testing.assert_frame_equal(done.runs, want.runs)
    pd.testing.assert_frame_equal(done.series["strength"], want.series["strength"])
    assert done.manifest["status"] == "complete" and done.manifest["runs_completed"] == 50
    assert sorted(done.manifest["timings"]["batches"]) == [f"{i:05d}" for i in range(5)]


def test_resume_refuses_a_changed_scenario(tiny, tmp_path):
    out = tmp_path / "o"
    plan = ensemble.RunPlan(tiny, seed=3, runs=50, batch_size=10)
    with pytest.raises(KeyboardInterrupt):
        ensemble.run(plan, ensemble.SerialBackend(), out=out, batch_fn=interrupting_simulate)
    tiny.write_text(TINY.replace("horizon_days: 20", "horizon_days: 21"))
    with pytest.raises(ResultsError, match="changed since the run started") as exc:
        ensemble.resume(out, ensemble.SerialBackend(), batch_fn=fake_simulate)
    assert "\n" not in str(exc.value)


def test_lhs_plans_pass_the_total_to_every_batch(tiny, tmp_path):
    plan = ensemble.RunPlan(tiny, seed=1, runs=50, batch_size=20, design="lhs")
    r = _run(plan, ensemble.SerialBackend(), tmp_path / "o", lhs_checking_simulate)
    assert r.manifest["design"] == "lhs" and len(r.runs) == 50


def test_sigterm_becomes_keyboard_interrupt_and_the_handler_is_restored():
    before = signal.getsignal(signal.SIGTERM)
    with ensemble.sigterm_as_interrupt(), pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(2)  # the handler raises long before this ends
    assert signal.getsignal(signal.SIGTERM) is before


# ------------------------------------------------------- issue 14: full disk, damage, NaN, dask


def fill_the_disk(after: int, failures: int = 10**9) -> None:
    """After `after` files written into a results folder, the next `failures` writes fail with
    ENOSPC once their temporary file holds some bytes (as a disk filling up mid-write does).
    One failure: the large part fails and, its temporary file removed, the small manifest
    still fits."""
    calls = {"n": 0}
    original = atomic_files.atomic_write

    def atomic_write(path, write):
        calls["n"] += 1
        if not after < calls["n"] <= after + failures:
            return original(path, write)

        def half_then_full(tmp):
            Path(tmp).write_bytes(b"half a file")
            raise OSError(errno.ENOSPC, "No space left on device")

        return original(path, half_then_full)

    atomic_files.atomic_write = atomic_write


@pytest.fixture
def full_disk(monkeypatch):
    """fill_the_disk for this process, undone after the test."""
    monkeypatch.setattr(atomic_files, "atomic_write", atomic_files.atomic_write)
    return fill_the_disk


def disk_filling_simulate(scenario, reps, seed, **kw):
    """The disk fills up in the worker that runs rep 20 (workers write their own parts)."""
    if 20 in np.asarray(reps):
        fill_the_disk(after=0)
    return fake_simulate(scenario, reps, seed, **kw)


def _assert_stopped_for_a_full_disk(exc, out, kept):
    message = str(exc)
    assert "\n" not in message and "Traceback" not in message, message
    assert "the disk is full" in message and f"{kept} of 5 batches are saved" in message
    assert message.endswith(f"finish it with: geosim run --resume {out}"), message
    assert list(out.rglob("*.tmp")) == []  # no half-written file is left


def test_a_full_disk_stops_the_run_in_one_line_and_resume_completes_it(tiny, tmp_path,
                                                                      full_disk):
    plan = ensemble.RunPlan(tiny, seed=4, runs=50, batch_size=10)
    out = tmp_path / "o"
    # The manifest and the resolved scenario, then batches 0 and 1 (2 parts and a manifest
    # update each); batch 2's first part finds the disk full.
    full_disk(after=2 + 2 * 3, failures=1)
    with pytest.raises(RunStoppedError) as exc:
        ensemble.run(plan, ensemble.SerialBackend(), out=out, batch_fn=fake_simulate)
    _assert_stopped_for_a_full_disk(exc.value, out, kept=2)
    m = results.read_manifest(out)
    assert m["status"] == "failed" and "the disk is full" in m["error"]  # not left "running"
    assert m["batches_done"] == [0, 1]
    ensemble.resume(out, ensemble.SerialBackend(), batch_fn=fake_simulate)
    want = _run(plan, ensemble.SerialBackend(), tmp_path / "want")
    pd.testing.assert_frame_equal(results.load_results(out).runs, want.runs)


def test_a_full_disk_that_also_stops_the_manifest_update_says_so(tiny, tmp_path, full_disk,
                                                                 monkeypatch):
    plan = ensemble.RunPlan(tiny, seed=4, runs=50, batch_size=10)
    out = tmp_path / "o"
    full_disk(after=2 + 2 * 3)  # and it stays full
    with pytest.raises(RunStoppedError) as exc:
        ensemble.run(plan, ensemble.SerialBackend(), out=out, batch_fn=fake_simulate)
    # This time the final manifest could not be written either: the line says what it holds.
    assert "(the manifest could not be updated and still says running)" in str(exc.value)
    _assert_stopped_for_a_full_disk(exc.value, out, kept=2)
    assert results.read_manifest(out)["status"] == "running"
    monkeypatch.undo()  # space freed
    ensemble.resume(out, ensemble.SerialBackend(), batch_fn=fake_simulate)
    want = _run(plan, ensemble.SerialBackend(), tmp_path / "want")
    done = results.load_results(out)
    pd.testing.assert_frame_equal(done.runs, want.runs)
    pd.testing.assert_frame_equal(done.series["strength"], want.series["strength"])
    assert done.manifest["status"] == "complete"


def test_a_full_disk_in_a_worker_stops_the_run_in_one_line(tiny, tmp_path):
    """Pool workers write their own parts: their ResultsWriteError reaches the parent, which
    stops the run the same way."""
    plan = ensemble.RunPlan(tiny, seed=4, runs=50, batch_size=10)
    out = tmp_path / "o"
    with pytest.raises(RunStoppedError) as exc:
        ensemble.run(plan, ensemble.ProcessBackend(2), out=out, batch_fn=disk_filling_simulate)
    assert "the disk is full" in str(exc.value) and "\n" not in str(exc.value)
    assert f"geosim run --resume {out}" in str(exc.value)
    assert results.read_manifest(out)["status"] == "failed"
    assert list(out.rglob("*.tmp")) == []


def nan_simulate(scenario, reps, seed, **kw):
    """Numbers beyond the engine's range: NaN personnel for even reps (an outcome), infinite
    strength on the last day for rep 3 (a series)."""
    res = fake_simulate(scenario, reps, seed, **kw)
    even = res.runs["rep"] % 2 == 0
    res.runs.loc[even, "out:red_men"] = np.nan
    strength = res.series["strength"]
    strength.loc[(strength["rep"] == 3) & (strength["day"] > 0), "red"] = np.inf
    return res


def test_runs_ending_in_nan_are_failed_never_ok(tiny, tmp_path):
    """Issue 14: a weight of 1e308 gave NaN personnel in 47 of 50 runs, reported as "50 runs
    ok" with the summary silently at n 3. (Such a weight is now refused when the file is read,
    tests/test_yamlpos.py; whatever still overflows is marked failed.)"""
    from sim.analysis.stats import summarise

    r = _run(ensemble.RunPlan(tiny, seed=2, runs=20, batch_size=10), ensemble.SerialBackend(),
             tmp_path / "o", nan_simulate)
    failed = r.runs[r.runs["status"] != "ok"]
    assert sorted(failed["rep"]) == [0, 2, 3, 4, 6, 8, 10, 12, 14, 16, 18]
    assert failed.set_index("rep").loc[0, "error"].startswith("out:red_men is not finite (nan)")
    assert failed.set_index("rep").loc[3, "error"].startswith(
        "series strength red is not finite (inf) on day 20")
    assert (r.manifest["runs_completed"], r.manifest["runs_failed"]) == (9, 11)
    table = summarise(r.runs, r.manifest["outcomes"]).set_index("outcome")
    assert table.loc["red_men", "n"] == 9 and np.isfinite(table.loc["red_men", "mean"])


def _lose_the_cluster_after_one_batch(cluster, how):
    """An on_batch callback: after the first batch, the scheduler goes away ("scheduler") or
    every worker does ("workers")."""
    def on_batch(n):
        if not on_batch.done:
            on_batch.done = True
            cluster.close() if how == "scheduler" else cluster.scale(0)
    on_batch.done = False
    return on_batch


@pytest.mark.parametrize("how, reason", [
    ("scheduler", "lost the connection to the dask scheduler at tcp://"),
    ("workers", "has had no workers for 1 s (all workers dead?)"),
])
def test_a_lost_dask_cluster_stops_the_run_in_one_line_with_the_resume_hint(
        tiny, tmp_path, capfd, how, reason):
    """Issue 14: a lost scheduler gave a FutureCancelledError traceback, and with every worker
    dead the run waited silently for ever (also after this fix, while a finished batch's
    result sat on a worker that left). The cluster runs in this process, over TCP."""
    from distributed import LocalCluster

    plan = ensemble.RunPlan(tiny, seed=1, runs=60, batch_size=5)
    out = tmp_path / "o"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                      dashboard_address=":0") as cluster:
        backend = ensemble.DaskBackend(1, cluster.scheduler_address)
        backend.poll_seconds, backend.workerless_seconds = 0.2, 1.0
        stopped: list[BaseException] = []

        def run():
            try:
                ensemble.run(plan, backend, out=out, batch_fn=fake_simulate,
                             on_batch=_lose_the_cluster_after_one_batch(cluster, how))
            except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
                stopped.append(exc)

        runner = threading.Thread(target=run, daemon=True)  # bounded even if it hangs again
        runner.start()
        runner.join(timeout=30)
        assert not runner.is_alive(), "the run is still waiting for the lost cluster"
    assert len(stopped) == 1 and isinstance(stopped[0], RunStoppedError), stopped
    message = str(stopped[0])
    assert reason in message and "\n" not in message, message
    assert message.endswith(f"finish it with: geosim run --resume {out}")
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "ERROR" not in captured.err, captured.err[:2000]
    m = results.read_manifest(out)
    assert m["status"] == "failed" and reason in m["error"] and len(m["batches_done"]) >= 1
    ensemble.resume(out, ensemble.SerialBackend(), batch_fn=fake_simulate)
    want = _run(plan, ensemble.SerialBackend(), tmp_path / "want")
    pd.testing.assert_frame_equal(results.load_results(out).runs, want.runs)


# ---------------------------------------------------------------------------- real engine


def _real_plan(**kw):
    base = dict(seed=11, runs=24, days=15, series_every=5)
    return ensemble.RunPlan(REFERENCE, **{**base, **kw})


def test_same_tables_for_any_batch_size_and_worker_count(tmp_path):
    one = _run(_real_plan(batch_size=24), ensemble.SerialBackend(), tmp_path / "one", None)
    two = _run(_real_plan(batch_size=5), ensemble.ProcessBackend(2), tmp_path / "two", None)
    assert one.manifest["runs_completed"] == 24
    pd.testing.assert_frame_equal(one.runs, two.runs)
    assert set(one.series) == {"strength", "territory", "control"}
    for name in one.series:
        pd.testing.assert_frame_equal(one.series[name], two.series[name])
    other_seed = _run(_real_plan(seed=12), ensemble.SerialBackend(), tmp_path / "s12", None)
    fact_cols = [c for c in one.runs if c.startswith("fact:")]
    assert fact_cols and not one.runs[fact_cols].equals(other_seed.runs[fact_cols])


def test_dask_local_cluster_gives_the_same_tables(tmp_path):
    local = _run(_real_plan(batch_size=8), ensemble.SerialBackend(), tmp_path / "local", None)
    dask = _run(_real_plan(batch_size=6), ensemble.DaskBackend(2), tmp_path / "dask", None)
    assert dask.manifest["backend"] == "dask" and dask.manifest["workers"] == 2
    pd.testing.assert_frame_equal(local.runs, dask.runs)
    pd.testing.assert_frame_equal(local.series["control"], dask.series["control"])
