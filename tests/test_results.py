"""sim.experiments.results: the results folder round trip, atomic parts, manifest upkeep, errors."""

from __future__ import annotations

import datetime as dt
import errno
import json
import sys
import threading

import numpy as np
import pandas as pd
import pytest

from sim.errors import ResultsError
from sim.experiments import atomic_files, results


def _batch(start, stop, fail=()):
    reps = np.arange(start, stop, dtype=np.int64)
    runs = pd.DataFrame({"rep": reps, "status": ["error" if r in fail else "ok" for r in reps],
                         "error": ["boom" if r in fail else "" for r in reps],
                         "out:x": reps * 1.5})
    days = np.array([0, 5], dtype=np.int32)
    strength = pd.DataFrame({"rep": np.repeat(reps, 2), "day": np.tile(days, len(reps)),
                             "red": np.float32(1.0)})
    return runs, {"strength": strength}


def test_round_trip_in_any_batch_order_keeps_types(tmp_path):
    w = results.ResultsWriter.create(tmp_path / "r", {"runs_planned": 6, "seed": 1})
    assert json.loads((tmp_path / "r/manifest.json").read_text())["status"] == "running"
    for index, (a, b) in [(1, (3, 6)), (0, (0, 3))]:
        runs, series = _batch(a, b, fail={4})
        w.write_batch(index, runs, series, seconds=0.5)
    w.finish("complete", 1.25)
    r = results.load_results(tmp_path / "r")
    assert r.runs["rep"].tolist() == [0, 1, 2, 3, 4, 5]
    assert r.runs["rep"].dtype == np.int64
    assert r.series["strength"]["red"].dtype == np.float32
    assert r.series["strength"]["day"].dtype == np.int32
    assert r.series["strength"]["rep"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    m = r.manifest
    assert (m["runs_completed"], m["runs_failed"], m["status"]) == (5, 1, "complete")
    assert m["batches_done"] == [0, 1]
    assert m["timings"]["batches"] == {"00000": 0.5, "00001": 0.5}
    assert m["timings"]["total"] == 1.25
    assert sorted(p.name for p in (tmp_path / "r/runs").iterdir()) == [
        "part-00000.parquet", "part-00001.parquet"]  # no temporary files left behind


def test_manifest_is_updated_after_each_batch(tmp_path):
    w = results.ResultsWriter.create(tmp_path, {"runs_planned": 6})
    w.write_batch(0, *_batch(0, 3), seconds=0.1)
    m = results.read_manifest(tmp_path)
    assert m["runs_completed"] == 3 and m["batches_done"] == [0] and m["status"] == "running"


def test_results_files_are_readable_by_others_as_the_umask_allows(tmp_path):
    """Parts and manifest get the usual permissions (0644 under umask 022), not mkstemp's
    private 0600: a results folder is made to be shared."""
    w = results.ResultsWriter.create(tmp_path / "r", {"runs_planned": 3})
    w.write_batch(0, *_batch(0, 3), seconds=0.1)
    expected = 0o666 & ~atomic_files._UMASK
    for f in [tmp_path / "r/manifest.json", tmp_path / "r/runs/part-00000.parquet",
              tmp_path / "r/series/strength/part-00000.parquet"]:
        assert f.stat().st_mode & 0o777 == expected, f


def test_series_parts_without_their_runs_part_are_ignored(tmp_path):
    # A run killed between a batch's series part and its runs part: the batch is not done.
    w = results.ResultsWriter.create(tmp_path, {"runs_planned": 6})
    w.write_batch(0, *_batch(0, 3), seconds=0.1)
    _, series = _batch(3, 6)
    series["strength"].to_parquet(tmp_path / "series/strength/part-00001.parquet")
    assert results.completed_batches(tmp_path) == {0}
    assert results.ResultsReader(tmp_path).series("strength")["rep"].max() == 2


def test_reopen_removes_temporary_files_of_cut_short_writes(tmp_path):
    """A write interrupted by a kill leaves a hidden .tmp file; resuming removes it."""
    w = results.ResultsWriter.create(tmp_path, {"runs_planned": 6})
    w.write_batch(0, *_batch(0, 3), seconds=0.1)
    stale = [tmp_path / "runs/.part-00001.parquet.abc123.tmp",
             tmp_path / "series/strength/.part-00001.parquet.def456.tmp"]
    for f in stale:
        f.write_bytes(b"half a part")
    w.close()
    results.ResultsWriter.reopen(tmp_path)
    assert not any(f.exists() for f in stale)
    assert (tmp_path / "runs/part-00000.parquet").exists()


def test_reopen_recounts_from_the_parts_on_disk(tmp_path):
    w = results.ResultsWriter.create(tmp_path, {"runs_planned": 6})
    w.write_batch(0, *_batch(0, 3, fail={1}), seconds=0.1)
    m = results.read_manifest(tmp_path)
    m["runs_completed"] = 99  # as if the manifest were stale (killed before its update)
    (tmp_path / "manifest.json").write_text(json.dumps(m))
    w.close()
    w2 = results.ResultsWriter.reopen(tmp_path)
    assert (w2.manifest["runs_completed"], w2.manifest["runs_failed"]) == (2, 1)


def test_create_refuses_a_folder_that_holds_results(tmp_path):
    results.ResultsWriter.create(tmp_path, {"runs_planned": 1})
    with pytest.raises(ResultsError, match="already holds results.*--resume"):
        results.ResultsWriter.create(tmp_path, {"runs_planned": 1})


@pytest.mark.parametrize("setup, message", [
    (lambda p: None, "no such results folder"),
    (lambda p: p.mkdir(), "not a results folder"),
    (lambda p: (p.mkdir(), (p / "manifest.json").write_text("{not json")), "unreadable manifest"),
    (lambda p: (p.mkdir(), (p / "manifest.json").write_text("{}")), "not a geosim manifest"),
])
def test_bad_folders_raise_one_line_results_errors(tmp_path, setup, message):
    folder = tmp_path / "x"
    setup(folder)
    with pytest.raises(ResultsError, match=message) as exc:
        results.load_results(folder)
    assert "\n" not in str(exc.value)


def test_a_corrupt_part_is_a_results_error(tmp_path):
    w = results.ResultsWriter.create(tmp_path, {"runs_planned": 3})
    w.write_batch(0, *_batch(0, 3), seconds=0.1)
    (tmp_path / "runs/part-00000.parquet").write_bytes(b"garbage")
    with pytest.raises(ResultsError, match="part-00000.parquet: damaged"):
        results.load_results(tmp_path)


def test_an_unreadable_part_of_a_folder_without_checksums_is_a_results_error(tmp_path):
    w = results.ResultsWriter.create(tmp_path, {"runs_planned": 3})
    w.write_batch(0, *_batch(0, 3), seconds=0.1)
    m = json.loads((tmp_path / "manifest.json").read_text())
    del m["parts"], m["format"]  # as written before checksums existed
    (tmp_path / "manifest.json").write_text(json.dumps(m))
    (tmp_path / "runs/part-00000.parquet").write_bytes(b"garbage")
    with pytest.raises(ResultsError, match="part-00000.parquet: unreadable part"):
        results.load_results(tmp_path)


def test_default_dir_follows_the_contract(tmp_path):
    when = dt.datetime(2026, 1, 2, 3, 4, 5)
    assert results.default_dir("results", "iraq", 7, when).as_posix() == \
        "results/iraq/20260102-030405-7"


# ------------------------------------------------------------------ issue 14: races, full disk


def _claim_concurrently(folder, seeds):
    """Every seed's run calls ResultsWriter.create(folder) at the same moment (a barrier, and
    a tiny switch interval so the threads interleave inside create): (winners, loser errors)."""
    barrier = threading.Barrier(len(seeds))
    won, lost = [], []

    def claim(seed):
        barrier.wait()
        try:
            won.append((seed, results.ResultsWriter.create(folder, {"runs_planned": 3,
                                                                    "seed": seed})))
        except ResultsError as exc:
            lost.append(str(exc))

    threads = [threading.Thread(target=claim, args=(s,)) for s in seeds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return won, lost


def test_two_runs_claiming_one_folder_at_once_one_wins_the_other_gets_one_line(tmp_path):
    """The issue saw both runs accepted in 5 of 60 trials (a manifest of seed 7 over parts of
    seed 8). An exists-check before writing leaves that window open; `mkdir runs/` closes it."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for trial in range(40):
            folder = tmp_path / f"o{trial}"
            won, lost = _claim_concurrently(folder, [7, 8, 9])
            assert len(won) == 1, f"trial {trial}: {len(won)} runs claimed {folder}"
            seed, writer = won[0]
            assert results.read_manifest(folder)["seed"] == seed
            writer.write_batch(0, *_batch(0, 3), seconds=0.1)  # the winner writes undisturbed
            writer.close()
            assert len(lost) == 2
            for message in lost:
                assert "\n" not in message and "already holds results" in message, message
                assert f"--resume {folder}" in message and "another --out" in message
    finally:
        sys.setswitchinterval(old)


def test_a_second_writer_is_locked_out_while_the_first_writes(tmp_path):
    """A resume started while the run still writes would interleave parts: the flock stops it
    with one line naming the writer's pid."""
    w = results.ResultsWriter.create(tmp_path, {"runs_planned": 6, "pid": 4242})
    w.write_batch(0, *_batch(0, 3), seconds=0.1)
    with pytest.raises(ResultsError, match=r"another geosim process is writing into this "
                                           r"folder \(pid 4242\)") as exc:
        results.ResultsWriter.reopen(tmp_path)
    assert "\n" not in str(exc.value)
    w.close()
    results.ResultsWriter.reopen(tmp_path).close()  # free once the writer is done


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_is_one_results_error_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    w = results.ResultsWriter.create(tmp_path, {"runs_planned": 6})
    w.write_batch(0, *_batch(0, 3), seconds=0.1)
    monkeypatch.setattr(pd.DataFrame, "to_parquet", _full_disk)
    with pytest.raises(results.ResultsWriteError, match="the disk is full") as exc:
        w.write_batch(1, *_batch(3, 6), seconds=0.1)
    assert "\n" not in str(exc.value) and "part-00001.parquet" in str(exc.value)
    assert list(tmp_path.rglob("*.tmp")) == []
    assert results.read_manifest(tmp_path)["batches_done"] == [0]  # batch 0 is kept


def test_finish_on_a_full_disk_says_so_instead_of_raising(tmp_path, monkeypatch):
    """The manifest then still says "running" (which resume accepts); finish returns False so
    the caller can say it, and leaves no temporary manifest behind."""
    w = results.ResultsWriter.create(tmp_path, {"runs_planned": 3})
    monkeypatch.setattr(results.Path, "write_text", _full_disk)
    assert w.finish("failed", 1.0, "the disk is full") is False
    assert list(tmp_path.glob(".*.tmp")) == []
    assert json.loads((tmp_path / "manifest.json").read_text())["status"] == "running"
