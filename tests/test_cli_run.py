"""geosim run / geosim summary through the real CLI and the real engine.

The kill-and-resume test runs `geosim run` in a subprocess, kills it with SIGKILL once the
first parts are on disk, resumes it, and checks that the runs table equals an uninterrupted
run's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.results import load_results

ROOT = Path(__file__).resolve().parents[1]
# GEOSIM_TEST_SCENARIO points the end-to-end tests at another scenario file (development aid).
REFERENCE = Path(os.environ.get("GEOSIM_TEST_SCENARIO", ROOT / "scenarios" / "iraq-2014.yaml"))
SMALL = ["--days", "10", "--series-every", "5", "--no-report", "--quiet"]


def _geosim(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "sim.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _one_line_error(capsys, argv, *needles):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    for n in needles:
        assert n in err, err


@pytest.mark.parametrize("flags, needle", [
    (["--runs", "0"], "--runs must be at least 1 (got 0)"),
    (["--runs", "-5"], "--runs must be at least 1 (got -5)"),
    (["--workers", "0"], "--workers must be at least 1 (got 0)"),
    (["--days", "0"], "--days must be at least 1 (got 0)"),
    (["--variant", "no-such-variant"], "unknown variant 'no-such-variant'"),
    (["--backend", "mpi"], "invalid choice: 'mpi'"),
])
def test_bad_flags_are_one_line_errors(capsys, tmp_path, flags, needle):
    _one_line_error(capsys, ["run", str(REFERENCE), "--out", str(tmp_path / "o"), *flags], needle)
    assert not (tmp_path / "o").exists()  # refused before anything ran


def test_missing_file_and_non_results_folder_are_one_line_errors(capsys, tmp_path):
    _one_line_error(capsys, ["run", str(tmp_path / "nope.yaml")], "nope.yaml: no such scenario")
    _one_line_error(capsys, ["run", "--resume", str(tmp_path)], "not a results folder")
    _one_line_error(capsys, ["summary", str(tmp_path / "x")], "no such results folder")


def test_run_prints_the_table_and_summary_prints_it_again(capsys, tmp_path):
    out = tmp_path / "o"
    assert main(["run", str(REFERENCE), "--runs", "30", "--seed", "4", "--workers", "1",
                 "--out", str(out), *SMALL]) == 0
    printed = capsys.readouterr().out
    assert f"results: {out}" in printed
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and m["runs_completed"] == 30 and m["days"] == 10
    for o in m["outcomes"].values():
        assert o["label"] in printed
    assert main(["summary", str(out)]) == 0
    table = capsys.readouterr().out
    assert table.strip() in printed  # the same table, from the folder alone


def test_two_local_workers_write_what_one_worker_writes(capsys, tmp_path):
    """With a process pool the workers write the parts themselves; the folder, the manifest's
    counts and the printed table are those of a one-worker run."""
    common = ["--runs", "40", "--seed", "6", "--batch-size", "10", *SMALL]
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["run", str(REFERENCE), "--workers", "1", "--out", str(one), *common]) == 0
    table_one = capsys.readouterr().out.split("results:")[0]
    assert main(["run", str(REFERENCE), "--workers", "2", "--out", str(two), *common]) == 0
    table_two = capsys.readouterr().out.split("results:")[0]
    got, want = load_results(two), load_results(one)
    pd.testing.assert_frame_equal(got.runs, want.runs)
    for name in want.series:
        pd.testing.assert_frame_equal(got.series[name], want.series[name])
    m = got.manifest
    assert (m["backend"], m["workers"], m["status"]) == ("local", 2, "complete")
    assert m["runs_completed"] == 40 and m["batches_done"] == [0, 1, 2, 3]
    assert table_two == table_one


@pytest.mark.parametrize("argv", [["schema"], ["run", str(REFERENCE), "--runs", "20",
                                               "--workers", "1", *SMALL]],
                         ids=["plain print", "rich table"])
def test_a_closed_pipe_ends_the_command_quietly(tmp_path, argv):
    """`geosim ... | head` with the reader gone: a failure status (141 from our own prints, 1
    from rich's tables, which handle it the same way) and no traceback on stderr."""
    if argv[0] == "run":
        argv = [*argv, "--out", str(tmp_path / "o")]
    proc = _geosim(*argv)
    assert proc.stdout is not None
    proc.stdout.close()  # the reader goes away before anything is printed
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == (141 if argv[0] == "schema" else 1), stderr
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr


def test_runs_1_tells_one_replication(capsys):
    assert main(["run", str(REFERENCE), "--runs", "1", "--days", "5", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "(day   0)" in out or "day 0" in out.lower()
    assert "Control" in out


def _settled_parts(parts: Path) -> int:
    """Parts on disk once no more appear (local workers finish the batch in hand after their
    parent is killed, and write it: a whole part, which the resume then keeps)."""
    count, since = -1, time.monotonic()
    while time.monotonic() - since < 1.5:
        now = len(list(parts.glob("part-*.parquet")))
        if now != count:
            count, since = now, time.monotonic()
        time.sleep(0.05)
    return count


@pytest.mark.parametrize("workers", ["1", "2"])
def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path, workers):
    common = ["--runs", "150", "--seed", "9", "--batch-size", "10", *SMALL]
    full = tmp_path / "full"
    assert main(["run", str(REFERENCE), "--out", str(full), "--workers", "1", *common]) == 0
    out = tmp_path / "killed"
    proc = _geosim("run", str(REFERENCE), "--out", str(out), "--workers", workers, *common)
    parts = out / "runs"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if parts.is_dir() and len(list(parts.glob("part-*.parquet"))) >= 2:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    _, stderr = proc.communicate()
    done_at_kill = _settled_parts(parts)
    assert 2 <= done_at_kill < 15, f"{done_at_kill} parts at kill time (want some, not all); " \
        f"exit {proc.returncode}: {stderr[-500:]}"
    partial = load_results(out)  # readable after kill -9
    # Only batches the manifest records (with their checksums) count; a part written by a
    # worker just before the kill, not yet recorded, is run again on resume.
    recorded = len(partial.manifest["batches_done"])
    assert partial.manifest["status"] == "running" and len(partial.runs) == 10 * recorded
    assert 1 <= recorded <= done_at_kill
    assert "run" in partial.manifest["command"] and "--runs 150" in partial.manifest["command"]
    resumed = _geosim("run", "--resume", str(out), "--workers", "1", "--quiet", "--no-report")
    stdout, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr
    assert f"results: {out}" in stdout
    got, want = load_results(out), load_results(full)
    pd.testing.assert_frame_equal(got.runs, want.runs)
    pd.testing.assert_frame_equal(got.series["strength"], want.series["strength"])
    assert got.manifest["status"] == "complete" and len(got.manifest["resumed"]) == 1


def test_sigterm_stops_with_a_partial_result_and_a_resume_hint(tmp_path):
    out = tmp_path / "o"
    proc = _geosim("run", str(REFERENCE), "--out", str(out), "--runs", "300", "--workers", "1",
                   "--batch-size", "10", *SMALL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list((out / "runs").glob("part-*.parquet")):
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert f"geosim run --resume {out}" in stderr
    assert load_results(out).manifest["status"] == "interrupted"


def test_resume_refuses_a_changed_scenario_file(capsys, tmp_path):
    scen = tmp_path / "s.yaml"
    scen.write_text(REFERENCE.read_text())
    out = tmp_path / "o"
    assert main(["run", str(scen), "--runs", "20", "--workers", "1", "--out", str(out),
                 *SMALL]) == 0
    capsys.readouterr()
    scen.write_text(REFERENCE.read_text() + "\n# edited\n")
    _one_line_error(capsys, ["run", "--resume", str(out)], "changed since the run started")


def test_summary_of_a_results_folder_matches_the_stats(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["run", str(REFERENCE), "--runs", "20", "--workers", "1", "--out", str(out),
                 "--backend", "serial", *SMALL]) == 0
    capsys.readouterr()
    r = load_results(out)
    assert len(r.runs) == 20 and set(r.series) == {"strength", "territory", "control"}
    assert sorted(r.series["strength"]["day"].unique()) == [0, 5, 10]


def test_run_writes_the_report_unless_told_not_to(capsys, tmp_path):
    out = tmp_path / "o"
    assert main(["run", str(REFERENCE), "--runs", "12", "--workers", "1", "--out", str(out),
                 "--days", "6", "--quiet"]) == 0
    assert f"report: {out / 'report.html'}" in capsys.readouterr().out
    assert (out / "report.html").stat().st_size > 1000


def test_scheduler_flag_connects_to_a_running_dask_cluster(capsys, tmp_path):
    from distributed import LocalCluster

    args = ["--runs", "16", "--seed", "5", "--batch-size", "4", *SMALL]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        assert main(["run", str(REFERENCE), "--out", str(tmp_path / "d"),
                     "--scheduler", cluster.scheduler_address, *args]) == 0
    assert main(["run", str(REFERENCE), "--out", str(tmp_path / "s"), "--workers", "1",
                 *args]) == 0
    d, s = load_results(tmp_path / "d"), load_results(tmp_path / "s")
    assert (d.manifest["backend"], d.manifest["workers"]) == ("dask", 1)
    pd.testing.assert_frame_equal(d.runs, s.runs)
