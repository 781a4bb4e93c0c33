"""Variants: a named what-if applied to located data by dotted-path overrides.

`actors.red.goals.0.weight: 3` sets one value; a plain number put where the schema expects a
fact becomes an assumption naming the variant. A path that does not exist is a problem placed
at the variant's own line. Path parts of ASCII digits are list indices (`²` is a key).
"""

from __future__ import annotations

import copy
from difflib import get_close_matches
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.scenario.messages import at, brief
from sim.scenario.refs import model_at
from sim.scenario.schema import Fact
from sim.scenario.yamlpos import Located, PathT, dotted, shown


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
        raise ScenarioError([at(located, ("variants",), f"unknown variant '{shown(name)}' ({hint}"
                                 f"allowed: {', '.join(known) or 'none declared'})")])
    spec = variants[name]
    overrides = spec.get("set") if isinstance(spec, dict) else None
    if not isinstance(overrides, dict):
        raise ScenarioError([at(located, ("variants", name, "set"), "expected a mapping of "
                                 f"dotted paths to new values (got {brief(overrides)})")])
    positions = dict(located.positions)
    problems: list[Problem] = []
    for key, value in overrides.items():
        where: PathT = ("variants", name, "set", key)
        target, err = _set_path(data, str(key), value, name)
        if err:
            problems.append(at(located, where, err))
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
        return (), (f"no such path '{shown(key)}' (expected dotted keys such as "
                    "actors.ID.forces.reserve)")
    parts: list[str | int] = [_index_or_key(p) for p in key.split(".")]
    node, done = data, list[Any]()
    for part in parts[:-1]:
        node, resolved, err = _step(node, part, done)
        if err:
            return (), err
        done.append(resolved)
    last = parts[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or not 0 <= last < len(node):
            return (), (f"no such path '{shown(key)}' (list index {last} out of range "
                        f"0..{len(node) - 1})")
        old = node[last]
    elif isinstance(node, dict):
        last = str(last)  # mapping keys are strings, even ids that look like numbers
        old = node.get(last)
    else:
        where = dotted(tuple(done)) or "the file"
        return (), f"no such path '{shown(key)}' ({where} is not a mapping)"
    target = (*done, last)
    node[last] = _override(old, value, variant, target)  # type: ignore[index]
    return target, None


def _index_or_key(part: str) -> str | int:
    """`3` is a list index; `²` or `٣` (digits to str.isdigit, not to int) stay keys, and so
    do runs of digits too long for any list (int() refuses more than 4,300 digits)."""
    return int(part) if part.isascii() and part.isdigit() and len(part) <= 18 else part


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
