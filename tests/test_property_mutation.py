"""Property tests: whatever a user does to a valid scenario file, the loader either accepts it
or raises ScenarioError with located problems; it never fails with any other exception.
Also: load -> dump -> load gives an equal Scenario for every valid file and variant.
"""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.scenario.loader import dump_scenario, load, validate
from sim.scenario.yamlpos import load_text_with_positions

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "tests" / "data" / "tiny.yaml", ROOT / "tests" / "data" / "tiny-truce.yaml"]
# The reference scenarios (and their variant files) join the properties as soon as they exist.
FILES += sorted((ROOT / "scenarios").glob("*.yaml"))
# Variant files are mutated next to a copy of their base; the small one is enough for that.
MUTABLE = [p for p in FILES if "extends" not in p.read_text(encoding="utf-8")]
MUTABLE.insert(1, FILES[1])

DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: the big file dumps 10x faster

text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12)
garbage = st.one_of(
    text,
    st.integers(-(10**7), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**6), -1),  # negative strengths and counts
    st.booleans(),
    st.none(),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.lists(st.integers(-5, 5), max_size=3),
    st.dictionaries(text, st.integers(-5, 5), max_size=2),
)
# Fragments that break YAML structure in the ways people do.
yaml_breakers = st.sampled_from(
    [":", ": :", "[", "]", "{", "}", "- ", "\t", "&a ", "*a", "*nope", "? ", "!!python/object ",
     "'", '"', "#", "\n  ", "\n- x\n", "%YAML 9\n", "---\n", "<<: *a\n", "|\n", "2020-13-45"]
)


def paths(node: Any, here: tuple = ()) -> list[tuple]:
    """Every path to a value inside plain YAML data."""
    out = [here]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*here, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*here, i))
    return out


def parent_and_key(data: Any, path: tuple) -> tuple[Any, Any]:
    node = data
    for k in path[:-1]:
        node = node[k]
    return node, path[-1]


@st.composite
def mutated_text(draw: st.DrawFn, original: dict) -> str:
    data = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 4))):
        candidates = [p for p in paths(data) if p]
        if not candidates:
            break
        parent, key = parent_and_key(data, draw(st.sampled_from(candidates)))
        action = draw(st.sampled_from(["delete", "replace", "negate", "rename"]))
        if action == "delete":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(garbage)
        elif action == "negate":
            value = parent[key]
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            parent[key] = -abs(value) - 1 if is_number else draw(st.integers(-(10**6), -1))
        elif isinstance(parent, dict):  # rename an id or a field
            ids = [str(k) for k in parent]
            new = draw(st.one_of(text, st.sampled_from(ids + ["extends", "not", "from"])))
            parent[new] = parent.pop(key)
    out = yaml.dump(data, Dumper=DUMPER, sort_keys=False, allow_unicode=True)
    if draw(st.booleans()):  # break the YAML itself
        at = draw(st.integers(0, len(out)))
        if draw(st.booleans()):
            out = out[:at] + draw(st.one_of(yaml_breakers, text)) + out[at:]
        else:
            out = out[:at] + out[at + draw(st.integers(1, 40)):]
    return out


def load_or_scenario_error(path: Path, variant: str | None = None) -> None:
    try:
        load(path, variant)
    except ScenarioError as exc:
        assert exc.problems, "a ScenarioError must carry at least one problem"
        for p in exc.problems:
            assert p.message and "\n" not in p.message, p


@pytest.mark.parametrize("source", MUTABLE, ids=[p.name for p in MUTABLE])
def test_loader_only_accepts_or_raises_scenario_error(source: Path, tmp_path_factory):
    original = yaml.safe_load(source.read_text(encoding="utf-8"))
    folder = tmp_path_factory.mktemp("mutated")
    target = folder / "scenario.yaml"
    base = original.get("extends")
    if base:
        shutil.copy(source.parent / base, folder / base)
    # A variant file inherits its base's variants (tiny.yaml's is big-reserve).
    variant = next(iter(original.get("variants") or {}), "big-reserve" if base else None)
    # The reference scenario is ~100 kB: fewer examples keep the test at a few seconds.
    examples = 150 if source.stat().st_size < 20_000 else 12

    @settings(max_examples=examples, deadline=None, derandomize=True, print_blob=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutated_text(original))
    def check(text: str) -> None:
        target.write_text(text, encoding="utf-8")
        load_or_scenario_error(target)
        if variant is not None:
            load_or_scenario_error(target, variant)

    check()


@pytest.mark.parametrize("source", FILES, ids=[p.name for p in FILES])
def test_round_trip(source: Path):
    base = load(source).scenario
    for variant in [None, *base.variants]:
        sc = load(source, variant).scenario
        again = validate(load_text_with_positions(dump_scenario(sc), "dumped.yaml"))
        assert again == sc
