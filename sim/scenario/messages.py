"""Turning pydantic's validation errors into located, actionable lines.

Each pydantic error type gets our wording (`expected a whole number (got 'thirty')`), placed
at the line and column of the value in its file (sim.scenario.yamlpos). Values are quoted
briefly and safely for a terminal: at most 60 characters, control codes escaped.
"""

from __future__ import annotations

from difflib import get_close_matches
from typing import Any

from pydantic import BaseModel

from sim.errors import Problem
from sim.scenario.refs import field_named, model_at
from sim.scenario.schema import Fact
from sim.scenario.yamlpos import Located, PathT, Pos, dotted, shown

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


def at(located: Located, path: PathT, message: str) -> Problem:
    pos: Pos = located.pos(path)
    return Problem(pos.file, pos.line, pos.col, dotted(path), message)


def brief(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    # repr escapes control codes and lone surrogates: the text is safe for a terminal.
    text = "null" if value is None else repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def from_pydantic(err: Any, located: Located) -> Problem:
    loc = tuple(k for k in err["loc"] if not (isinstance(k, str) and k.startswith("function-")))
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    got = f"(got {brief(value)})"
    if loc and loc[-1] == "[key]":  # a mapping key that is not a valid id
        return at(located, loc[:-1], f"not a valid id (got {brief(value)}; {_ID_RULE})")
    if kind == "missing":
        if isinstance(loc[-1], int):
            return at(located, loc[:-1], f"expected two ids (got {loc[-1]})")
        what = _field_description(model_at(loc[:-1]), str(loc[-1]))
        p = located.pos(loc[:-1])
        return Problem(p.file, p.line, p.col, dotted(loc), f"missing required field{what}")
    if kind == "extra_forbidden":
        allowed = _allowed_fields(model_at(loc[:-1]))
        near = get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean '{near[0]}'? " if near else ""
        return at(located, loc, f"unknown field '{shown(loc[-1])}' ({hint}allowed: "
                   f"{', '.join(allowed)})")
    if kind in ("model_type", "model_attributes_type") and model_at(loc) is Fact:
        return at(located, loc, f"expected a number or a fact {{value, low, high, source, ...}} "
                   f"{got}")
    if kind == "enum":
        return at(located, loc, f"not an allowed value (got {brief(value)}; "
                   f"allowed {ctx.get('expected', '')})")
    if kind == "string_pattern_mismatch":
        return at(located, loc, f"not a valid id (got {brief(value)}; {_ID_RULE})")
    if kind in _BOUNDS:
        key, op = _BOUNDS[kind]
        return at(located, loc, f"must be {op} {ctx.get(key)} {got}")
    if kind in ("too_short", "too_long"):
        n = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        least = "at least" if kind == "too_short" else "at most"
        if loc and loc[-1] == "between":
            return at(located, loc, f"expected two ids (got {ctx.get('actual_length')})")
        return at(located, loc, f"expected {least} {n} item{'s' if n != 1 else ''} "
                   f"(got {ctx.get('actual_length')})")
    if kind in _PLAIN:
        return at(located, loc, f"{_PLAIN[kind]} {got}")
    text = err["msg"].removeprefix("Value error, ")
    if kind != "value_error" and "(got" not in text:
        text = f"{text[0].lower()}{text[1:]} {got}"
    return at(located, loc, text)


def _allowed_fields(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _field_description(model: type[BaseModel] | None, name: str) -> str:
    info = field_named(model, name)[1] if model else None
    return f" ({info.description})" if info is not None and info.description else ""


