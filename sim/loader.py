"""The edge of the system: YAML files in, validated frozen `Scenario` objects out.

Steps: read YAML keeping positions -> resolve `extends:` (deep merge onto the base file) ->
apply a variant's dotted-path overrides -> validate with pydantic -> check cross-references.
Every problem from every step is collected and raised together as one ScenarioError whose
lines read `FILE:LINE:COL: dotted.path: message (got VALUE; allowed ...)`.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from sim.errors import Problem, ScenarioError
from sim.refs import check_references
from sim.schema import Fact, Scenario
from sim.yamlpos import Located, PathT, Pos, dotted, load_with_positions


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with what is needed to reproduce it."""

    scenario: Scenario
    path: Path
    variant: str | None
    sha256: str  # hash of every file read (the file and its `extends:` chain)


def load_scenario(path: str | Path, variant: str | None = None) -> Scenario:
    """Load, validate and return a scenario (optionally with one variant applied)."""
    return load(path, variant).scenario


def load(path: str | Path, variant: str | None = None) -> LoadedScenario:
    path = Path(path)
    located, digest = _read_with_extends(path, seen=())
    if variant is not None:
        located = apply_variant(located, variant)
    scenario = validate(located)
    return LoadedScenario(scenario, path, variant, digest)


def validate(located: Located) -> Scenario:
    """Validate located data into a Scenario, or raise every problem found."""
    problems = list(located.problems)
    data = located.data
    if not isinstance(data, dict):
        pos = located.pos(())
        raise ScenarioError(problems + [Problem(pos.file, pos.line, pos.col, "",
                            f"a scenario is a mapping of sections (got {_show(data)})")])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems += [_problem_from_pydantic(err, located) for err in exc.errors()]
        raise ScenarioError(problems) from None
    for path, message in check_references(scenario):
        problems.append(_at(located, path, message))
    if problems:
        raise ScenarioError(problems)
    return scenario


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
    merged = _deep_merge(base.data, data)
    positions = {**base.positions, **located.positions}
    both = hashlib.sha256((base_digest + digest).encode()).hexdigest()
    return Located(merged, positions, base.problems + located.problems), both


def _deep_merge(base: Any, over: Any) -> Any:
    """Mappings merge key by key; anything else in `over` replaces `base`."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _deep_merge(base[k], v) if k in base else v
        return out
    return over


def variant_names(located_or_scenario: Any) -> list[str]:
    data = getattr(located_or_scenario, "data", None)
    if data is not None:
        return sorted((data.get("variants") or {}).keys()) if isinstance(data, dict) else []
    return sorted(located_or_scenario.variants)


def apply_variant(located: Located, name: str) -> Located:
    """Return a copy of `located` with the variant's `set:` overrides applied."""
    data = copy.deepcopy(located.data)
    variants = data.get("variants") if isinstance(data, dict) else None
    if not isinstance(variants, dict) or name not in variants:
        known = sorted(variants) if isinstance(variants, dict) else []
        near = get_close_matches(name, known, n=1)
        hint = f"did you mean '{near[0]}'? " if near else ""
        pos = located.pos(("variants",))
        raise ScenarioError([Problem(pos.file, pos.line, pos.col, "variants",
                                     f"unknown variant '{name}' ({hint}allowed: "
                                     f"{', '.join(known) or 'none declared'})")])
    overrides = variants[name].get("set") if isinstance(variants[name], dict) else None
    positions = dict(located.positions)
    problems: list[Problem] = []
    for key, value in (overrides or {}).items():
        where = ("variants", name, "set", key)
        err = _set_path(data, str(key), value, name)
        if err:
            problems.append(_at(located, where, err))
            continue
        target = tuple(_parse_path(str(key)))
        src = located.pos(where)
        for p in list(positions):
            if p[: len(target)] == target:
                del positions[p]
        positions[target] = src
    if problems:
        raise ScenarioError(problems)
    return Located(data, positions, list(located.problems))


def _parse_path(key: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in key.split(".")]


def _set_path(data: Any, key: str, value: Any, variant: str) -> str | None:
    """Set `data[path] = value`; return an error message when the path does not exist."""
    parts = _parse_path(key)
    node = data
    for i, part in enumerate(parts[:-1]):
        node, err = _step(node, part, parts[: i + 1])
        if err:
            return err
    last = parts[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or not 0 <= last < len(node):
            return f"no such path '{key}' (list index {last} out of range 0..{len(node) - 1})"
    elif not isinstance(node, dict):
        return f"no such path '{key}' ({dotted(tuple(parts[:-1]))} is not a mapping)"
    old = node[last] if isinstance(node, list) or last in node else None
    node[last] = _fact_override(old, value, variant)  # type: ignore[index]
    return None


def _step(node: Any, part: str | int, so_far: list[str | int]) -> tuple[Any, str | None]:
    if isinstance(node, dict) and part in node:
        return node[part], None
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part], None
    if isinstance(node, dict):
        near = get_close_matches(str(part), [str(k) for k in node], n=1)
        hint = f"; did you mean '{near[0]}'?" if near else ""
        return None, f"no such path '{dotted(tuple(so_far))}'{hint}"
    return None, f"no such path '{dotted(tuple(so_far))}'"


def _fact_override(old: Any, value: Any, variant: str) -> Any:
    """A plain number replacing a sourced fact keeps a note of where the number came from."""
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if is_number and isinstance(old, dict) and "value" in old:
        return {"value": value, "assumption": True, "note": f"set by variant '{variant}'"}
    return value


# --------------------------------------------------------------------------------------------
# Turning pydantic errors into located, actionable lines
# --------------------------------------------------------------------------------------------


def _at(located: Located, path: PathT, message: str) -> Problem:
    pos: Pos = located.pos(path)
    return Problem(pos.file, pos.line, pos.col, dotted(path), message)


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    if isinstance(value, dict):
        text = "a mapping"
    elif isinstance(value, list):
        text = "a list"
    return text if len(text) <= 60 else text[:57] + "..."


def _problem_from_pydantic(err: Any, located: Located) -> Problem:
    loc = tuple(k for k in err["loc"] if not (isinstance(k, str) and k.startswith("function-")))
    kind, msg, value = err["type"], err["msg"], err.get("input")
    if kind == "missing":
        what = _field_description(_model_at(loc[:-1]), str(loc[-1]))
        file, line, col = _pos_tuple(located, loc[:-1])
        return Problem(file, line, col, dotted(loc), f"missing required field{what}")
    if kind == "extra_forbidden":
        allowed = _allowed_fields(_model_at(loc[:-1]))
        near = get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean '{near[0]}'? " if near else ""
        return _at(located, loc, f"unknown field '{loc[-1]}' ({hint}allowed: {', '.join(allowed)})")
    if kind == "model_type" and _model_at(loc) is Fact:
        return _at(located, loc, "expected a number or a fact {value, low, high, source, ...} "
                   f"(got {_show(value)})")
    if kind in ("model_type", "dict_type"):
        return _at(located, loc, f"expected a mapping (got {_show(value)})")
    if kind == "enum":
        expected = err.get("ctx", {}).get("expected", "")
        return _at(located, loc, f"not an allowed value (got {_show(value)}; allowed {expected})")
    text = msg.removeprefix("Value error, ")
    if kind != "value_error" and "(got" not in text:
        text = f"{text[0].lower()}{text[1:]} (got {_show(value)})"
    return _at(located, loc, text)


def _pos_tuple(located: Located, path: PathT) -> tuple[str, int, int]:
    p = located.pos(path)
    return p.file, p.line, p.col


def _model_at(loc: PathT) -> type[BaseModel] | None:
    """The pydantic model class found at `loc` inside a Scenario, if any."""
    tp: Any = Scenario
    for key in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = _field_by_name(tp, str(key))
            if field is None:
                return None
            tp = field.annotation
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        elif get_origin(tp) in (list, tuple):
            tp = get_args(tp)[0]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """Strip Optional[...] and Annotated[...] to the type underneath."""
    while True:
        if hasattr(tp, "__metadata__"):
            tp = get_args(tp)[0]
            continue
        args = [a for a in get_args(tp) if a is not type(None)]
        if get_origin(tp) is not None and len(args) == 1 and get_origin(tp) not in (list, dict):
            tp = args[0]
            continue
        if str(get_origin(tp)) in ("typing.Union", "<class 'types.UnionType'>") and len(args) == 1:
            tp = args[0]
            continue
        return tp


def _field_by_name(model: type[BaseModel], name: str) -> Any:
    for fname, info in model.model_fields.items():
        if (info.alias or fname) == name or fname == name:
            return info
    return None


def _allowed_fields(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _field_description(model: type[BaseModel] | None, name: str) -> str:
    info = _field_by_name(model, name) if model else None
    return f" ({info.description})" if info is not None and info.description else ""


# --------------------------------------------------------------------------------------------
# Dumping (round trip)
# --------------------------------------------------------------------------------------------


def dump_scenario(scenario: Scenario) -> str:
    """YAML text that loads back into an equal Scenario."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
