"""The edge of the system: YAML files in, validated frozen `Scenario` objects out.

Steps: read YAML keeping positions -> resolve `extends:` (deep merge onto the base file) ->
apply a variant's dotted-path overrides -> fill actors' profile defaults
(sim.scenario.profiles) -> validate with pydantic -> check cross-references.
Every problem from every step is collected and raised together as one ScenarioError whose
lines read `FILE:LINE:COL: dotted.path: message (got VALUE; allowed ...)`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario.files import FileRefused, check_name, read_text
from sim.scenario.messages import at, brief, from_pydantic
from sim.scenario.profiles import resolve_profiles
from sim.scenario.refs import check_references, reference_problems, walk
from sim.scenario.schema import Fact, Scenario
from sim.scenario.variants import apply_variant, variant_names
from sim.scenario.yamlpos import Located, PathT, Pos, load_text_with_positions, shown

__all__ = ["LoadedScenario", "apply_variant", "dump_scenario", "load", "load_scenario",
           "validate", "variant_names"]

MAX_EXTENDS = 16
"""Longest `extends:` chain below a file (the project's deepest is 1)."""


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with what is needed to reproduce it."""

    scenario: Scenario
    path: Path
    variant: str | None
    sha256: str  # hash of every file read (the file, its `extends:` chain, its profiles)


def load_scenario(path: str | Path, variant: str | None = None) -> Scenario:
    """Load, validate and return a scenario (optionally with one variant applied)."""
    return load(path, variant).scenario


def load(path: str | Path, variant: str | None = None, *, strict: bool = False) -> LoadedScenario:
    """Read a scenario file (and its `extends:` chain), apply `variant`, validate everything.

    Without a variant, every declared variant is also applied and checked, so that a broken
    what-if is found by `geosim validate` rather than by the run that asks for it.

    Args:
        path: the YAML file.
        variant: id of a variant in the file's `variants:` section, or None.
        strict: also report every fact written in the file with neither `source` nor
            `assumption: true`.

    Raises:
        ScenarioError: with every problem found, each located in its file.
    """
    path = Path(path)
    located, digest = _read_with_extends(path)
    if variant is not None:
        located = apply_variant(located, variant)
    located, digest = resolve_profiles(located, path, digest)  # actors' `profile:` defaults
    scenario = validate(located, strict=strict, check_variants=variant is None)
    return LoadedScenario(scenario, path, variant, digest)


def validate(located: Located, *, strict: bool = False, check_variants: bool = False) -> Scenario:
    """Validate located data into a Scenario, or raise every problem found.

    Args:
        located: data with positions, as read by :mod:`sim.scenario.yamlpos`.
        strict: also report facts written in the file without a source or `assumption: true`.
        check_variants: also apply every declared variant and report its own problems.
    """
    scenario, problems = _check(located, strict)
    if check_variants:
        problems += _variant_problems(located, problems)
    if problems or scenario is None:
        raise ScenarioError(problems)
    return scenario


def _check(located: Located, strict: bool) -> tuple[Scenario | None, list[Problem]]:
    """Schema and reference problems in one pass; the Scenario when there are none."""
    problems = list(located.problems)
    data = located.data
    if not isinstance(data, dict):
        return None, problems + [at(located, (), "a scenario is a mapping of sections "
                                                  f"(got {brief(data)})")]
    already = {p.path for p in problems}  # e.g. an unreadable date: said once, by yamlpos
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        schema = [from_pydantic(err, located) for err in exc.errors()]
        schema = [p for p in schema if p.path not in already]
        said = already | {p.path for p in schema}
        refs = [at(located, path, msg) for path, msg in reference_problems(data)]
        return None, problems + schema + [p for p in refs if p.path not in said]
    problems += [at(located, path, msg) for path, msg in check_references(scenario)]
    if strict:
        problems += _unsourced(scenario, located)
    return scenario, problems


def _unsourced(scenario: Scenario, located: Located) -> list[Problem]:
    """Facts written in the file with neither a source nor `assumption: true`.

    Facts the file does not mention take the schema's documented defaults; they are not the
    file's claims, so strict mode does not ask for their sources.
    """
    out = []
    for path, obj in walk(scenario):
        written = isinstance(obj, Fact) and path in located.positions
        if written and obj.source is None and not obj.assumption:
            out.append(at(located, path, "fact has neither source nor assumption: true "
                                          f"(got {obj.value:g}; strict mode needs one)"))
    return out


def _variant_problems(located: Located, base: list[Problem]) -> list[Problem]:
    """Problems each declared variant adds to the base file's own."""
    seen = set(base)
    out: list[Problem] = []
    for name in variant_names(located):
        spec = located.data["variants"][name]
        if not isinstance(spec, dict) or not isinstance(spec.get("set"), dict):
            continue  # the schema check of the base file reports it
        try:
            changed = apply_variant(located, name)
        except ScenarioError as exc:
            out += exc.problems
            continue
        _, problems = _check(changed, strict=False)
        out += [_in_variant(p, name) for p in problems if p not in seen]
    return out


def _in_variant(p: Problem, name: str) -> Problem:
    return Problem(p.file, p.line, p.col, p.path, f"{p.message} (in variant '{shown(name)}')")


# --------------------------------------------------------------------------------------------
# extends: and variants
# --------------------------------------------------------------------------------------------


def _read_with_extends(path: Path) -> tuple[Located, str]:
    """The file merged onto its `extends:` chain (at most MAX_EXTENDS files below it)."""
    try:
        chain = [(path, *_read(path))]
        seen = {_resolved(path)}
    except FileRefused as exc:
        raise ScenarioError([Problem(str(path), 0, 0, "", str(exc))]) from None
    while True:
        here, located, _ = chain[-1]
        data = located.data
        if not isinstance(data, dict) or "extends" not in data:
            break
        base_name = data.pop("extends")
        pos = located.pos(("extends",))
        base_path = _base_path(here, base_name, pos, seen)
        if len(chain) > MAX_EXTENDS:
            raise ScenarioError([_extends_problem(pos, f"chain too long (more than {MAX_EXTENDS} "
                                                  f"extends in a row; allowed at most "
                                                  f"{MAX_EXTENDS})", base_name)])
        try:
            chain.append((base_path, *_read(base_path)))
        except FileRefused as exc:
            raise ScenarioError([_extends_problem(pos, str(exc), base_name)]) from None
        seen.add(base_path)
    _, merged, digest = chain.pop()
    while chain:
        _, over, over_digest = chain.pop()
        merged = _merge_onto(merged, over)
        digest = hashlib.sha256((digest + over_digest).encode()).hexdigest()
    return merged, digest


def _read(path: Path) -> tuple[Located, str]:
    """One file's located data and the sha256 of its bytes (read once: it may be a pipe)."""
    text = read_text(path, str(path))
    return load_text_with_positions(text, str(path)), hashlib.sha256(
        text.encode("utf-8")).hexdigest()


def _base_path(here: Path, base_name: Any, pos: Pos, seen: set[Path]) -> Path:
    if not isinstance(base_name, str):
        raise ScenarioError([Problem(pos.file, pos.line, pos.col, "extends",
                                     f"must be a file path (got {brief(base_name)})")])
    try:
        check_name(base_name)
        base_path = _resolved(here.parent / base_name)
    except FileRefused as exc:
        raise ScenarioError([_extends_problem(pos, str(exc), base_name)]) from None
    if base_path in seen:
        raise ScenarioError([_extends_problem(pos, "circular extends", base_name)])
    return base_path


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a name too long
        raise FileRefused(f"cannot resolve the path ({exc})") from None


def _extends_problem(pos: Pos, reason: str, base_name: str) -> Problem:
    name = shown(base_name)
    name = name if len(name) <= 60 else name[:57] + "..."
    return Problem(pos.file, pos.line, pos.col, "extends", f"{reason} (got {name})")


def _merge_onto(base: Located, over: Located) -> Located:
    """`over`'s data deep-merged onto `base`'s, with the positions of whichever value won."""
    replaced: set[PathT] = set()
    merged = _deep_merge(base.data, over.data, (), replaced)
    # Positions inside a base value that this file replaced would point at text that no longer
    # counts: drop them, so problems there are placed in this file.
    positions = {p: pos for p, pos in base.positions.items()
                 if not any(p[:n] in replaced for n in range(1, len(p) + 1))}
    positions.update(over.positions)
    return Located(merged, positions, base.problems + over.problems)


_FACT_KEYS = frozenset(Fact.model_fields)


def _is_fact(x: Any) -> bool:
    return isinstance(x, dict) and "value" in x and set(x) <= _FACT_KEYS


def _deep_merge(base: Any, over: Any, path: PathT, replaced: set[PathT]) -> Any:
    """Mappings merge key by key; anything else in `over` replaces `base` (noted in `replaced`).

    A fact written in full (a mapping with `value`) replaces the base fact whole, so the base's
    range, source and note do not leak into the new number.
    """
    if isinstance(base, dict) and isinstance(over, dict) and not _is_fact(over):
        out = dict(base)
        for k, v in over.items():
            out[k] = _deep_merge(base[k], v, (*path, k), replaced) if k in base else v
        return out
    replaced.add(path)
    return over


# --------------------------------------------------------------------------------------------
# Dumping (round trip)
# --------------------------------------------------------------------------------------------


def dump_scenario(scenario: Scenario) -> str:
    """YAML text that loads back into an equal Scenario.

    Defaults are left out, a fact that is only a value is written as a plain number, and
    dates stay YAML dates, so the text reads like a hand-written file.
    """
    data = scenario.model_dump(mode="python", by_alias=True, exclude_defaults=True)
    return yaml.dump(_compact(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=100)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """A safe dumper that also writes enum members and tuples (as text and lists)."""


_Dumper.add_multi_representer(StrEnum, lambda d, v: d.represent_str(str(v)))
_Dumper.add_representer(tuple, lambda d, v: d.represent_list(list(v)))


def _compact(node: Any) -> Any:
    if isinstance(node, dict):
        if set(node) == {"value"}:  # a fact with nothing but its value
            return _compact(node["value"])
        return {k: _compact(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_compact(v) for v in node]
    if isinstance(node, float) and node.is_integer() and abs(node) < 2**53:
        return int(node)
    return node
