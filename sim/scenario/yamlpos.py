"""Safe YAML loading that remembers where every value came from.

`load_with_positions` returns plain Python data plus a map from each value's path
(a tuple of keys and list indices) to its (file, line, column), so that any later problem
(schema, cross-reference, variant) can be reported at the exact place in the file.
Duplicate keys, which PyYAML silently accepts, are reported as problems.

Limits are checked while the file is parsed, not after, so hostile input fails fast and
small (see sim/scenario/yamlread.py): a node count, a nesting depth, a magnitude for numbers
and text without control characters. Numbers are read one way: `1e308` and `1.0e308` are
both floats (YAML 1.1 would read the second, and `1e3`, as text).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sim.errors import Problem, ScenarioError
from sim.scenario.files import FileRefused, read_text
from sim.scenario.yamlread import MAX_DEPTH, MAX_NODES, compose_nodes

Key = str | int
PathT = tuple[Key, ...]

MAX_MAGNITUDE = 1e15
"""Largest absolute number a file may hold. Far above any real quantity (8e9 people, 1e8 USD
million), far below where the engine's float arithmetic overflows (a goal weight of 1e308
made personnel NaN)."""

_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Bidirectional overrides: they reorder what a terminal or a report shows (Trojan Source)."""


@dataclass(frozen=True)
class Pos:
    file: str
    line: int
    col: int


@dataclass
class Located:
    """Data loaded from YAML with the position of every node (by path)."""

    data: Any
    positions: dict[PathT, Pos] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def pos(self, path: PathT) -> Pos:
        """Position of `path`, or of its nearest ancestor that has one."""
        for n in range(len(path), -1, -1):
            p = self.positions.get(tuple(path[:n]))
            if p is not None:
                return p
        return Pos("<unknown>", 0, 0)


class _Walker:
    def __init__(self, file: str):
        self.file = file
        self.positions: dict[PathT, Pos] = {}
        self.problems: list[Problem] = []
        self.constructor = SafeConstructor()
        self.count = 0
        self.open: set[int] = set()  # ids of the collection nodes being walked (cycle guard)

    def here(self, node: Node) -> Pos:
        return Pos(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def walk(self, node: Node, path: PathT) -> Any:
        self.positions[path] = self.here(node)
        self.count += 1
        if self.count > MAX_NODES:
            # Aliases can expand a small file into billions of values ("billion laughs").
            raise ScenarioError([self._at(node, path, f"too many values (more than {MAX_NODES}"
                                          "; aliases expanding without end?)")])
        if len(path) > MAX_DEPTH:
            # Aliases inside aliases nest deeper than the text does.
            raise ScenarioError([self._at(node, (), f"nested too deeply (more than {MAX_DEPTH} "
                                          "levels once aliases are expanded)")])
        if id(node) in self.open:
            raise ScenarioError([self._at(node, path, "an alias refers to itself (a YAML "
                                          "anchor inside its own value)")])
        if isinstance(node, MappingNode | SequenceNode):
            self.open.add(id(node))
            try:
                if isinstance(node, MappingNode):
                    return self._mapping(node, path)
                return [self.walk(child, (*path, i)) for i, child in enumerate(node.value)]
            finally:
                self.open.discard(id(node))
        assert isinstance(node, ScalarNode)
        return self._scalar(node, path)

    def _scalar(self, node: ScalarNode, path: PathT) -> Any:
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (ValueError, OverflowError, KeyError, AttributeError, TypeError, IndexError,
                yaml.YAMLError) as exc:
            # e.g. `2020-13-01` looks like a date to YAML but is not one; `!!bool maybe`.
            self._problem(node, path, _unreadable(node, exc))
            return node.value
        why = _refused(value)
        if why:
            self._problem(node, path, why)
        return value

    def _mapping(self, node: MappingNode, path: PathT) -> dict[Any, Any]:
        self.constructor.flatten_mapping(node)  # resolves YAML merge keys (<<)
        out: dict[Any, Any] = {}
        first_seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self.walk(key_node, (*path, "<key>"))
            if not isinstance(key, str | int | float | bool) or key is None:
                self._problem(key_node, path, f"a key must be a plain name (got {_brief(key)})")
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in first_seen:
                self._problem(
                    key_node,
                    (*path, key),
                    f"duplicate key '{shown(key)}' (first at line {first_seen[key]}; "
                    "allowed: each key once)",
                )
                continue
            first_seen[key] = key_node.start_mark.line + 1
            out[key] = self.walk(value_node, (*path, key))
            # The key's own position is the more useful place to point at for its value.
            self.positions[(*path, key)] = self.here(key_node)
        self.positions.pop((*path, "<key>"), None)
        return out

    def _at(self, node: Node, path: PathT, message: str) -> Problem:
        p = self.here(node)
        return Problem(p.file, p.line, p.col, dotted(path), message)

    def _problem(self, node: Node, path: PathT, message: str) -> None:
        self.problems.append(self._at(node, path, message))


_KINDS = {"timestamp": ("date", "a date YYYY-MM-DD"), "int": ("whole number", "digits"),
          "float": ("number", "digits with an optional . and exponent"),
          "bool": ("true/false value", "true or false")}


def _unreadable(node: ScalarNode, exc: Exception) -> str:
    """The message for a scalar whose tag (written or implied) does not fit its text."""
    noun, allowed = _KINDS.get(node.tag.rsplit(":", 1)[-1], ("value", "plain YAML values"))
    if isinstance(exc, yaml.YAMLError):
        detail = getattr(exc, "problem", None) or ""
    elif isinstance(exc, ValueError | OverflowError):
        detail = str(exc)
    else:  # KeyError, AttributeError...: PyYAML's own lookups failing say nothing useful
        detail = ""
    detail = f": {_one_line(detail)}" if detail else ""
    return (f"not a valid {noun}{detail} (got {_quoted(node.value)}; allowed: {allowed}; "
            "quote it if it is text)")


def _refused(value: Any) -> str | None:
    """Why a scalar may not appear in a scenario, or None."""
    if isinstance(value, str):
        return _text_problem(value)
    if isinstance(value, bytes):  # pydantic would decode them into text, escape codes and all
        return "binary data is not allowed here (got a !!binary value; allowed: text)"
    # NaN and infinity are left to the schema, which refuses them wherever a number goes.
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    infinite = isinstance(value, float) and math.isinf(value)
    if is_number and not infinite and abs(value) > MAX_MAGNITUDE:
        return (f"number too large (got {_number(value)}; allowed between "
                f"-{MAX_MAGNITUDE:g} and {MAX_MAGNITUDE:g}, which the engine computes "
                "without overflow)")
    return None


def _text_problem(text: str) -> str | None:
    """Text must be valid Unicode without terminal control codes (printed by show and run)."""
    for i, char in enumerate(text):
        category = unicodedata.category(char)
        if category == "Cs":
            return (f"text holds a lone surrogate {ascii(char)} at character {i + 1} (not "
                    "valid Unicode; allowed: any character of Unicode text)")
        if (category == "Cc" and char not in "\t\n\r") or char in _BIDI:
            return (f"text holds the control character {ascii(char)} at character {i + 1} "
                    "(terminal escape codes are not allowed; allowed: printable text, tabs "
                    "and line breaks)")
    return None


def _number(value: float | int) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    digits = str(value)  # YAML refuses ints of more than 4,300 digits before we get here
    return digits if len(digits) <= 20 else f"{digits[:6]}... ({len(digits)} digits)"


def _quoted(text: str) -> str:
    """A scalar's source text, safe for a terminal and at most 60 characters."""
    shown_text = repr(text)  # repr escapes control codes and lone surrogates
    return shown_text if len(shown_text) <= 60 else shown_text[:57] + "..."


def _brief(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else _quoted(str(value))


def dotted(path: PathT) -> str:
    """`actors.red.goals.0`: the path as users write it in variants and see it in messages."""
    return ".".join(shown(k) for k in path)


def shown(key: Key) -> str:
    """A key as text on one line: quoted when it holds line breaks or other invisible text."""
    text = str(key)
    return text if text.isprintable() else repr(text)


def load_with_positions(path: Path, display: str | None = None) -> Located:
    """Load one YAML file safely; raise ScenarioError for unreadable or malformed files."""
    name = display or str(path)
    try:
        text = read_text(path, name)
    except FileRefused as exc:
        raise ScenarioError([Problem(name, 0, 0, "", str(exc))]) from None
    return load_text_with_positions(text, name)


def load_text_with_positions(text: str, name: str) -> Located:
    """Like :func:`load_with_positions` for text already in memory."""
    nodes = compose_nodes(text, name)
    if not nodes:
        raise ScenarioError([Problem(name, 1, 1, "", "the file is empty (expected a scenario: "
                                     "a mapping of sections)")])
    if len(nodes) != 1:
        raise ScenarioError(
            [Problem(name, 1, 1, "", f"expected one YAML document (got {len(nodes)})")]
        )
    walker = _Walker(name)
    try:
        data = walker.walk(nodes[0], ())
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise ScenarioError(
            [Problem(name, line, col, "", f"malformed YAML: {_one_line(exc.problem)}")]
        ) from None
    return Located(data, walker.positions, walker.problems)


def load_plain(path: Path, display: str | None = None) -> Any:
    """The data of a small YAML file (orders, settings) under the same limits, no positions.

    Raises:
        ScenarioError: unreadable, malformed, too large, too deep, or a refused value.
    """
    located = load_with_positions(path, display)
    if located.problems:
        raise ScenarioError(located.problems)
    return located.data


def _one_line(text: str | None) -> str:
    """Messages are one line each (the CLI prints one line per problem)."""
    return " ".join((text or "").split())
