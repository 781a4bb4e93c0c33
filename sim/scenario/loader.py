"""The edge of the system: YAML files in, validated frozen `Scenario` objects out.

Steps: read YAML keeping positions -> resolve `extends:` (deep merge onto the base file) ->
apply a variant's dotted-path overrides -> fill actors' profile defaults
(sim.scenario.profiles) -> validate with pydantic -> check cross-references.
Every problem from every step is collected and raised together as one ScenarioError whose
lines read `FILE:LINE:COL: dotted.path: message (got VALUE; allowed ...)`.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from difflib import get_close_matches
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario.profiles import resolve_profiles
from sim.scenario.refs import check_references, field_named, model_at, reference_problems, walk
from sim.scenario.schema import Fact, Scenario
from sim.scenario.yamlpos import Located, PathT, Pos, dotted, load_with_positions, shown


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
    located, digest = _read_with_extends(path, seen=())
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
        return None, problems + [_at(located, (), "a scenario is a mapping of sections "
                                                  f"(got {_show(data)})")]
    already = {p.path for p in problems}  # e.g. an unreadable date: said once, by yamlpos
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        schema = [_problem_from_pydantic(err, located) for err in exc.errors()]
        schema = [p for p in schema if p.path not in already]
        said = already | {p.path for p in schema}
        refs = [_at(located, path, msg) for path, msg in reference_problems(data)]
        return None, problems + schema + [p for p in refs if p.path not in said]
    problems += [_at(located, path, msg) for path, msg in check_references(scenario)]
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
            out.append(_at(located, path, "fact has neither source nor assumption: true "
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


def _read_with_extends(path: Path, seen: tuple[Path, ...]) -> tuple[Located, str]:
    located = load_with_positions(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    data = located.data
    if not isinstance(data, dict) or "extends" not in data:
        return located, digest
    base_name = data.pop("extends")
    pos = located.pos(("extends",))
    if not isinstance(base_name, str):
        raise ScenarioError([Problem(pos.file, pos.line, pos.col, "extends",
                                     f"must be a file path (got {_show(base_name)})")])
    base_path = (path.parent / base_name).resolve()
    if base_path in seen or base_path == path.resolve():
        raise ScenarioError([Problem(pos.file, pos.line, pos.col, "extends",
                                     f"circular extends (got {base_name})")])
    if not base_path.exists():
        raise ScenarioError([Problem(pos.file, pos.line, pos.col, "extends",
                                     f"no such file (got {base_name})")])
    base, base_digest = _read_with_extends(base_path, (*seen, path.resolve()))
    replaced: set[PathT] = set()
    merged = _deep_merge(base.data, data, (), replaced)
    # Positions inside a base value that this file replaced would point at text that no longer
    # counts: drop them, so problems there are placed in this file.
    positions = {p: pos for p, pos in base.positions.items()
                 if not any(p[:n] in replaced for n in range(1, len(p) + 1))}
    positions.update(located.positions)
    both = hashlib.sha256((base_digest + digest).encode()).hexdigest()
    return Located(merged, positions, base.problems + located.problems), both


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


def variant_names(located_or_scenario: Any) -> list[str]:
    """Ids of the variants declared in located data or in a Scenario, sorted."""
    if isinstance(located_or_scenario, Located):
        data = located_or_scenario.data
        variants = data.get("variants") if isinstance(data, dict) else None
        return sorted(str(k) for k in variants) if isinstance(variants, dict) else []
    return sorted(located_or_scenario.variants)


def apply_variant(located: Located, name: str) -> Located:
    """Return a copy of `located` with the variant's `set:` overrides applied.

    Raises:
        ScenarioError: unknown variant, or a `set:` path that does not exist.
    """
    data = copy.deepcopy(located.data)
    variants = data.get("variants") if isinstance(data, dict) else None
    if not isinstance(variants, dict) or name not in variants:
        known = sorted(shown(k) for k in variants) if isinstance(variants, dict) else []
        near = get_close_matches(name, known, n=1)
        hint = f"did you mean '{near[0]}'? " if near else ""
        raise ScenarioError([_at(located, ("variants",), f"unknown variant '{shown(name)}' ({hint}"
                                 f"allowed: {', '.join(known) or 'none declared'})")])
    spec = variants[name]
    overrides = spec.get("set") if isinstance(spec, dict) else None
    if not isinstance(overrides, dict):
        raise ScenarioError([_at(located, ("variants", name, "set"), "expected a mapping of "
                                 f"dotted paths to new values (got {_show(overrides)})")])
    positions = dict(located.positions)
    problems: list[Problem] = []
    for key, value in overrides.items():
        where: PathT = ("variants", name, "set", key)
        target, err = _set_path(data, str(key), value, name)
        if err:
            problems.append(_at(located, where, err))
            continue
        # Problems with the new value are reported at the variant's line, not the base file's.
        for p in list(positions):
            if p[: len(target)] == target:
                del positions[p]
        positions[target] = located.pos(where)
    if problems:
        raise ScenarioError(problems)
    return Located(data, positions, list(located.problems))


def _set_path(data: Any, key: str, value: Any, variant: str) -> tuple[PathT, str | None]:
    """Set `data[path] = value`; return the resolved path, or an error when it does not exist."""
    if not key or any(not part for part in key.split(".")):
        return (), f"no such path '{key}' (expected dotted keys such as actors.ID.forces.reserve)"
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in key.split(".")]
    node, done = data, list[Any]()
    for part in parts[:-1]:
        node, resolved, err = _step(node, part, done)
        if err:
            return (), err
        done.append(resolved)
    last = parts[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or not 0 <= last < len(node):
            return (), (f"no such path '{key}' (list index {last} out of range "
                        f"0..{len(node) - 1})")
        old = node[last]
    elif isinstance(node, dict):
        last = str(last)  # mapping keys are strings, even ids that look like numbers
        old = node.get(last)
    else:
        return (), f"no such path '{key}' ({dotted(tuple(done)) or 'the file'} is not a mapping)"
    target = (*done, last)
    node[last] = _override(old, value, variant, target)  # type: ignore[index]
    return target, None


def _step(node: Any, part: str | int, done: list[Any]) -> tuple[Any, Any, str | None]:
    if isinstance(node, dict) and str(part) in node:
        return node[str(part)], str(part), None
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part], part, None
    so_far = dotted((*done, part))
    if isinstance(node, dict):
        near = get_close_matches(str(part), [shown(k) for k in node], n=1)
        hint = f"; did you mean '{near[0]}'?" if near else ""
        return None, part, f"no such path '{so_far}'{hint}"
    if isinstance(node, list):
        return None, part, f"no such path '{so_far}' (list index out of range 0..{len(node) - 1})"
    return None, part, f"no such path '{so_far}'"


def _override(old: Any, value: Any, variant: str, target: PathT) -> Any:
    """The value a variant puts at `target`.

    A plain number put where the schema expects a fact is the analyst's what-if, so it becomes
    an assumption that names the variant (replacing any source the base fact had).
    """
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if is_number and model_at(target) is Fact:
        return {"value": value, "assumption": True, "note": f"set by variant '{variant}'"}
    return value


# --------------------------------------------------------------------------------------------
# Turning pydantic errors into located, actionable lines
# --------------------------------------------------------------------------------------------

_ID_RULE = "allowed: lower-case letters, digits, '-' and '_', starting with a letter or digit"

# pydantic error type -> our wording; "{got}" is the offending value.
_PLAIN = {
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "finite_number": "expected a finite number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "string_type": "expected text",
    "date_type": "expected a date YYYY-MM-DD",
    "date_parsing": "expected a date YYYY-MM-DD",
    "date_from_datetime_parsing": "expected a date YYYY-MM-DD",
    "date_from_datetime_inexact": "expected a date YYYY-MM-DD",
    "list_type": "expected a list",
    "tuple_type": "expected a list of two ids",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
}
_BOUNDS = {"greater_than": ("gt", ">"), "greater_than_equal": ("ge", ">="),
           "less_than": ("lt", "<"), "less_than_equal": ("le", "<=")}


def _at(located: Located, path: PathT, message: str) -> Problem:
    pos: Pos = located.pos(path)
    return Problem(pos.file, pos.line, pos.col, dotted(path), message)


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    text = "null" if value is None else repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _problem_from_pydantic(err: Any, located: Located) -> Problem:
    loc = tuple(k for k in err["loc"] if not (isinstance(k, str) and k.startswith("function-")))
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    got = f"(got {_show(value)})"
    if loc and loc[-1] == "[key]":  # a mapping key that is not a valid id
        return _at(located, loc[:-1], f"not a valid id (got {_show(value)}; {_ID_RULE})")
    if kind == "missing":
        if isinstance(loc[-1], int):
            return _at(located, loc[:-1], f"expected two ids (got {loc[-1]})")
        what = _field_description(model_at(loc[:-1]), str(loc[-1]))
        p = located.pos(loc[:-1])
        return Problem(p.file, p.line, p.col, dotted(loc), f"missing required field{what}")
    if kind == "extra_forbidden":
        allowed = _allowed_fields(model_at(loc[:-1]))
        near = get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean '{near[0]}'? " if near else ""
        return _at(located, loc, f"unknown field '{shown(loc[-1])}' ({hint}allowed: "
                   f"{', '.join(allowed)})")
    if kind in ("model_type", "model_attributes_type") and model_at(loc) is Fact:
        return _at(located, loc, f"expected a number or a fact {{value, low, high, source, ...}} "
                   f"{got}")
    if kind == "enum":
        return _at(located, loc, f"not an allowed value (got {_show(value)}; "
                   f"allowed {ctx.get('expected', '')})")
    if kind == "string_pattern_mismatch":
        return _at(located, loc, f"not a valid id (got {_show(value)}; {_ID_RULE})")
    if kind in _BOUNDS:
        key, op = _BOUNDS[kind]
        return _at(located, loc, f"must be {op} {ctx.get(key)} {got}")
    if kind in ("too_short", "too_long"):
        n = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        least = "at least" if kind == "too_short" else "at most"
        if loc and loc[-1] == "between":
            return _at(located, loc, f"expected two ids (got {ctx.get('actual_length')})")
        return _at(located, loc, f"expected {least} {n} item{'s' if n != 1 else ''} "
                   f"(got {ctx.get('actual_length')})")
    if kind in _PLAIN:
        return _at(located, loc, f"{_PLAIN[kind]} {got}")
    text = err["msg"].removeprefix("Value error, ")
    if kind != "value_error" and "(got" not in text:
        text = f"{text[0].lower()}{text[1:]} {got}"
    return _at(located, loc, text)


def _allowed_fields(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _field_description(model: type[BaseModel] | None, name: str) -> str:
    info = field_named(model, name)[1] if model else None
    return f" ({info.description})" if info is not None and info.description else ""


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
