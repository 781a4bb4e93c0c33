"""geosim run / geosim summary through the real CLI and the real engine.

The kill-and-resume test runs `geosim run` in a subprocess, kills it with SIGKILL once the
first parts are on disk, resumes it, and checks that the runs table equals an uninterrupted
run's.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
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


# ------------------------------------------------------------------ issue 14: hostile folders


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A complete results folder of the reference scenario: 2 batches of 10, with its report
    aggregates. Tests work on copies (`folder`)."""
    out = tmp_path_factory.mktemp("finished") / "o"
    assert main(["run", str(REFERENCE), "--runs", "20", "--seed", "8", "--batch-size", "10",
                 "--workers", "1", "--out", str(out), *SMALL]) == 0
    return out


@pytest.fixture
def folder(finished, tmp_path):
    copy = tmp_path / "o"
    shutil.copytree(finished, copy)
    return copy


def _flip_bytes(path: Path) -> None:
    """Damage a part in its middle (a data page): pyarrow may still read it, wrongly."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 8] = bytes(b ^ 0xFF for b in data[middle:middle + 8])
    path.write_bytes(bytes(data))


def test_summary_refuses_a_part_with_flipped_bytes(capsys, folder):
    _flip_bytes(folder / "runs" / "part-00001.parquet")
    _one_line_error(capsys, ["summary", str(folder)], "part-00001.parquet: damaged",
                    f"geosim run --resume {folder}")


@pytest.mark.parametrize("damage", ["flip bytes in a runs part", "delete a series part"])
def test_resume_runs_a_damaged_or_missing_part_again(capsys, finished, folder, damage):
    """The issue: flipped bytes were read silently, and a folder missing a series part was
    "complete" with 316,750 of 362,000 rows. Resume re-runs that batch, to the same numbers."""
    if damage.startswith("flip"):
        _flip_bytes(folder / "runs" / "part-00000.parquet")
        note = "resume: batch 0 run again: runs/part-00000.parquet is damaged"
    else:
        (folder / "series" / "strength" / "part-00000.parquet").unlink()
        note = "resume: batch 0 run again: series/strength/part-00000.parquet is missing"
    assert main(["run", "--resume", str(folder), "--workers", "1", "--quiet",
                 "--no-report"]) == 0
    assert note in capsys.readouterr().err
    got, want = load_results(folder), load_results(finished)
    pd.testing.assert_frame_equal(got.runs, want.runs)
    for name in want.series:
        pd.testing.assert_frame_equal(got.series[name], want.series[name])
    assert got.manifest["status"] == "complete" and got.manifest["runs_completed"] == 20


def _set(*keys, value):
    def edit(m):
        node = m
        for k in keys[:-1]:
            node = node[k] if not callable(k) else k(node)
        node[keys[-1]] = value
    return edit


def _drop(*keys):
    def edit(m):
        node = m
        for k in keys[:-1]:
            node = node[k]
        del node[keys[-1]]
    return edit


def _first(node):
    return node[next(iter(node))]


MANIFEST_EDITS = [  # (what, edit, message every command gives)
    ("seed in quotes", _set("seed", value="8"), "seed: expected a whole number (got \"8\")"),
    ("runs_planned missing", _drop("runs_planned"), "not a geosim manifest (no runs_planned)"),
    ("runs_planned as text", _set("runs_planned", value="many"), "runs_planned: expected a"),
    ("status unknown", _set("status", value="done"), "status: not an allowed value"),
    ("days zero", _set("days", value=0), "days: too small (allowed >= 1) (got 0)"),
    ("batches_done as text", _set("batches_done", value="0,1"), "batches_done: expected a list"),
    ("batches_done negative", _set("batches_done", value=[0, -1]), "batches_done.1: too small"),
    ("parts a list", _set("parts", value=[]), "parts: expected a mapping"),
    ("parts missing", _drop("parts"), "parts: missing (a format 2 manifest records"),
    ("a checksum cut short", _set("parts", "0", "runs/part-00000.parquet", value="abc"),
     "parts.0: not a part and its sha256"),
    ("a part path that climbs", _set("parts", "0", "../../etc/passwd", value="0" * 64),
     "parts.0: not a part and its sha256"),
    ("a batch that is not a number", _set("parts", "x", value={}),
     "parts.x: not a batch number"),
    ("timings.batches a list", _set("timings", "batches", value=[1.0]),
     "timings.batches: expected a mapping"),
    ("a region without lat", _drop("regions", "mosul", "lat"), "regions.mosul.lat: missing"),
    ("an actor a list", _set("actors", "isis", value=["ISIS", "#000"]),
     "actors.isis: expected a mapping"),
    ("an outcome label a number", _set("outcomes", "baghdad_falls", "label", value=3),
     "outcomes.baghdad_falls.label: expected text"),
    ("a title with escape codes", _set("scenario_title", value="\x1b[31mred"),
     "scenario_title: text holds the control character"),
    ("format from the future", _set("format", value=9), "format: too large (allowed <= 2)"),
]

COMMANDS = {"resume": ["run", "--resume"], "summary": ["summary"], "report": ["report"]}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("what, edit, message", MANIFEST_EDITS,
                         ids=[e[0] for e in MANIFEST_EDITS])
def test_a_hand_edited_manifest_is_one_line_naming_the_field(capsys, folder, command, what,
                                                             edit, message):
    path = folder / "manifest.json"
    m = json.loads(path.read_text())
    edit(m)
    path.write_text(json.dumps(m))
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    _one_line_error(capsys, [*COMMANDS[command], str(folder)], str(path), message)
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before  # refused before anything was written or removed


INCONSISTENT_EDITS = [  # valid types, numbers that do not add up: refused or worked around
    ("batches_done longer than the plan", _set("batches_done", value=list(range(50)))),
    ("runs_completed above the plan", _set("runs_completed", value=10**9)),
    ("parts naming a batch beyond the plan",
     lambda m: m["parts"].__setitem__("99", {"runs/part-00099.parquet": "0" * 64})),
    ("an outcome the runs table lacks",
     _set("outcomes", "ghost", value={"label": "Ghost", "kind": "control", "binary": True})),
    ("no outcomes", _set("outcomes", value={})),
    ("no regions and actors", lambda m: m.update(regions={}, actors={})),
    ("the seed missing", _drop("seed")),
    ("the batch size missing", _drop("batch_size")),
]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("what, edit", INCONSISTENT_EDITS, ids=[e[0] for e in INCONSISTENT_EDITS])
def test_an_inconsistent_manifest_never_gives_a_traceback(capsys, folder, command, what, edit):
    path = folder / "manifest.json"
    m = json.loads(path.read_text())
    edit(m)
    path.write_text(json.dumps(m))
    code = main([*COMMANDS[command], str(folder), *(["--quiet", "--no-report", "--workers", "1"]
                                                    if command == "resume" else [])])
    err = capsys.readouterr().err.strip()
    assert code in (0, 2) and "Traceback" not in err, err
    if code == 2:
        assert "\n" not in err, err


def test_a_full_disk_mid_run_is_one_line_with_the_resume_hint(capsys, tmp_path, monkeypatch):
    """Issue 14: an 84-line traceback and a manifest left "running". Here batch 1's first file
    (its report aggregates, written before its Parquet parts) finds the disk full."""
    original = os.replace

    def replace(src, dst, *args, **kwargs):
        if "aggregates" in str(dst) and "part-00001" in str(dst):
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    out = tmp_path / "o"
    _one_line_error(capsys, ["run", str(REFERENCE), "--runs", "30", "--batch-size", "10",
                             "--workers", "1", "--out", str(out), *SMALL],
                    "the disk is full", "1 of 3 batches are saved",
                    f"finish it with: geosim run --resume {out}")
    assert list(out.rglob("*.tmp")) == []
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "failed" and "the disk is full" in m["error"]
    monkeypatch.undo()  # space freed
    assert main(["run", "--resume", str(out), "--workers", "1", "--quiet", "--no-report"]) == 0
    assert load_results(out).manifest["runs_completed"] == 30


@pytest.mark.parametrize("flags, needle", [
    (["--days", "100000000"], "--days must be at most 3,650 (got 100,000,000)"),
    (["--days", "3651"], "--days must be at most 3,650 (got 3,651)"),
    (["--runs", "1", "--days", "100000000"], "--days must be at most 3,650"),
    (["--runs", "1000000000"], "--runs must be at most 100,000,000"),
    (["--draw", "-1", "--runs", "1"], "--draw must be at least 0 (got -1)"),
    (["--draw", "3"], "--draw replays one replication: use it with --runs 1"),
])
def test_out_of_range_flags_name_the_allowed_range(capsys, tmp_path, flags, needle):
    _one_line_error(capsys, ["run", str(REFERENCE), "--out", str(tmp_path / "o"), *flags], needle)
    assert not (tmp_path / "o").exists()


def test_a_horizon_past_year_9999_is_refused_with_the_days_left(capsys, tmp_path):
    """as_of + horizon past 9999-12-31 ended in OverflowError."""
    text = (ROOT / "tests" / "data" / "tiny.yaml").read_text()
    late = tmp_path / "late.yaml"
    late.write_text(re.sub(r"as_of: [0-9-]+", "as_of: 9999-12-01", text, count=1))
    for runs in ("1", "10"):
        _one_line_error(capsys, ["run", str(late), "--runs", runs, "--days", "365",
                                 "--out", str(tmp_path / "o")],
                        "--days 365: as_of 9999-12-01 plus 365 days ends after 9999-12-31",
                        "(allowed at most 30)")
    assert not (tmp_path / "o").exists()


def test_runs_1_uses_each_facts_value_and_draw_k_replays_replication_k(capsys, tmp_path):
    """`--runs 1` used replication 0's random draws (US 181 where the file says 275); now it
    runs every fact at its `value`, and `--draw K` replays replication K of the ensemble."""
    from sim.scenario.loader import load

    args = ["--seed", "5", "--days", "6"]
    assert main(["run", str(REFERENCE), "--runs", "1", *args]) == 0
    at_values = capsys.readouterr().out
    assert main(["run", str(REFERENCE), "--runs", "1", "--draw", "3", *args]) == 0
    drawn = capsys.readouterr().out
    assert drawn != at_values
    # The replication the ensemble ran as rep 3 ends where --draw 3 ends.
    out = tmp_path / "o"
    assert main(["run", str(REFERENCE), "--runs", "4", "--batch-size", "4", "--workers", "1",
                 "--out", str(out), *args, "--series-every", "6", "--no-report",
                 "--quiet"]) == 0
    capsys.readouterr()
    strength = load_results(out).series["strength"]
    final = strength[(strength["rep"] == 3) & (strength["day"] == 6)].iloc[0]
    actors = list(load(REFERENCE).scenario.actors)
    assert _final_strength(drawn) == [f"{final[a]:,.0f}" for a in actors]
    # Without --draw every fact is at its value: the United States keep the file's 275.
    assert _final_strength(at_values)[actors.index("usa")] == "275"


def _final_strength(text: str) -> list[str]:
    """Each actor's personnel as printed in the final state of a told run (names may be cut
    to fit, so in the scenario's order of actors)."""
    block = text.split("Strength (personnel, incl. reserves):")[-1].split("Outcomes:")[0]
    return [line.rsplit(None, 1)[-1] for line in block.strip().splitlines()]
