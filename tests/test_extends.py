"""Variant files (`extends:`): how they merge, and what they may name (regular files only)."""

import os
import time

import pytest

from sim.errors import ScenarioError
from sim.scenario.loader import MAX_EXTENDS, load_scenario

BASE = """
scenario: {id: b, title: B, as_of: 2020-01-01, horizon_days: 10}
sources: {s: {outlet: S}}
actors:
  red: {name: Red, kind: state,
        forces: {reserve: {value: 2000, low: 1000, high: 3000, source: s}}}
regions:
  x: {name: X, lat: 1, lon: 1, terrain: open, value: 2, controller: red}
"""


def test_fact_mapping_in_variant_file_replaces_the_base_fact(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "v.yaml").write_text(
        "extends: base.yaml\n"
        "actors: {red: {forces: {reserve: {value: 0, assumption: true, note: none}}}}\n"
        "regions: {x: {name: Renamed}}\n"
    )
    sc = load_scenario(tmp_path / "v.yaml")
    fact = sc.actors["red"].forces.reserve
    assert (fact.value, fact.low, fact.high, fact.source) == (0, None, None, None)
    assert fact.assumption
    # An ordinary mapping still merges key by key (a region keeps its other fields).
    assert sc.regions["x"].name == "Renamed" and sc.regions["x"].value.value == 2


# --------------------------------------------------------------------------------------------
# extends: names and chains from hostile or mistaken files (issue 14)
# --------------------------------------------------------------------------------------------

def extends_problem(tmp_path, name: str) -> str:
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {name}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    return str(info.value).replace(str(tmp_path) + "/", "")


def test_a_chain_of_1200_extends_is_refused_with_its_length(tmp_path):
    (tmp_path / "f0.yaml").write_text(BASE)
    for i in range(1, 1200):
        (tmp_path / f"f{i}.yaml").write_text(f"extends: f{i - 1}.yaml\n")
    start = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "f1199.yaml")
    # The file that would be the 17th below the first names the one too many.
    assert str(info.value).replace(str(tmp_path) + "/", "") == (
        f"f{1199 - MAX_EXTENDS}.yaml:1:1: extends: chain too long (more than {MAX_EXTENDS} "
        f"extends in a row; allowed at most {MAX_EXTENDS}) (got f{1198 - MAX_EXTENDS}.yaml)")
    assert time.perf_counter() - start < 5


def test_a_chain_at_the_limit_loads(tmp_path):
    (tmp_path / "f0.yaml").write_text(BASE)
    for i in range(1, MAX_EXTENDS + 1):
        (tmp_path / f"f{i}.yaml").write_text(f"extends: f{i - 1}.yaml\n")
    assert load_scenario(tmp_path / f"f{MAX_EXTENDS}.yaml").scenario.id == "b"


def test_extends_naming_a_fifo_is_refused_at_once(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    start = time.perf_counter()
    assert extends_problem(tmp_path, "pipe") == (
        "child.yaml:1:1: extends: not a regular file (a FIFO; allowed: a regular file) (got pipe)")
    assert time.perf_counter() - start < 1


def test_extends_naming_dev_zero_is_refused_without_reading_it(tmp_path):
    assert extends_problem(tmp_path, "/dev/zero") == (
        "child.yaml:1:1: extends: not a regular file (a device; allowed: a regular file) "
        "(got /dev/zero)")


def test_extends_naming_a_too_large_file_is_refused(tmp_path):
    with (tmp_path / "big.yaml").open("wb") as f:
        f.truncate(10 * 2**20)
    assert "extends: file too large (10,485,760 bytes; allowed at most 2,097,152) (got " \
        "big.yaml)" in extends_problem(tmp_path, "big.yaml")


def test_extends_with_a_name_too_long_is_a_located_problem(tmp_path):
    # Was OSError: [Errno 36] File name too long.
    message = extends_problem(tmp_path, "a" * 300 + ".yaml")
    assert message.startswith("child.yaml:1:1: extends: file name too long (305 bytes in one "
                              "part of the path; allowed at most 255) (got aaaa")
    assert len(message) < 200


def test_extends_with_a_nul_is_a_located_problem(tmp_path):
    # Was ValueError: embedded null character.
    assert extends_problem(tmp_path, '"a\\0b.yaml"') == (
        "child.yaml:1:1: extends: the file name contains a NUL character (allowed: a path of "
        "ordinary characters) (got 'a\\x00b.yaml')")


def test_extends_of_a_symlink_loop_is_a_located_problem(tmp_path):
    os.symlink(tmp_path / "loop", tmp_path / "loop")
    assert extends_problem(tmp_path, "loop").startswith("child.yaml:1:1: extends: ")
