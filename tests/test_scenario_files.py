"""Files a user names (sim.scenario.files): regular files only, bounded, UTF-8 located."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.scenario.files import MAX_FILE_BYTES, FileRefused, read_text
from sim.scenario.loader import load

TINY = (Path(__file__).parent / "data" / "tiny.yaml").read_text(encoding="utf-8")


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load(path)
    return str(info.value).replace(str(path.parent) + "/", "").splitlines()


def test_a_50_mb_file_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:
        f.truncate(50 * 2**20)  # sparse: 50 MB without writing them
    start = time.perf_counter()
    assert problems(big) == [f"big.yaml: file too large (52,428,800 bytes; allowed at most "
                             f"{MAX_FILE_BYTES:,})"]
    assert time.perf_counter() - start < 1


def test_invalid_utf8_is_placed_at_its_line_and_column(tmp_path):
    data = TINY.encode()
    at = data.index(b"Two towns")
    path = tmp_path / "bad.yaml"
    path.write_bytes(data[:at] + b"\xff" + data[at:])
    # Was: "cannot read file: 'utf-8' codec can't decode byte 0xff in position 182".
    assert problems(path) == ["bad.yaml:5:10: not valid UTF-8 (got byte 0xff; allowed: UTF-8 "
                              "text)"]


def test_invalid_utf8_column_counts_characters_not_bytes(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_bytes("a: 1\nb: \u00e9\u00e9\xff\n".encode("latin-1").replace(b"\xe9", "é".encode()))
    assert problems(path) == ["bad.yaml:2:6: not valid UTF-8 (got byte 0xff; allowed: UTF-8 "
                              "text)"]


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    start = time.perf_counter()
    assert problems(fifo) == ["pipe.yaml: not a regular file (a FIFO; allowed: a regular file)"]
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize(("name", "reason"), [
    ("/dev/zero", "not a regular file (a device; allowed: a regular file)"),
    (".", "not a regular file (a directory; allowed: a regular file)"),
    ("a" * 300, "file name too long (300 bytes in one part of the path; allowed at most 255)"),
    ("a\x00b", "the file name contains a NUL character (allowed: a path of ordinary characters)"),
    ("missing.yaml", "no such file"),
])
def test_read_text_refuses_what_is_not_a_readable_regular_file(tmp_path, name, reason):
    with pytest.raises(FileRefused) as info:
        read_text(tmp_path / name if not name.startswith("/") else Path(name), name)
    assert str(info.value) == reason


def test_a_file_growing_past_the_limit_while_read_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("a: 1\n" * 100)
    with pytest.raises(FileRefused, match="file too large"):
        read_text(path, "s.yaml", max_bytes=100)
