"""Safe YAML loading that remembers where every value came from.

`load_with_positions` returns plain Python data plus a map from each value's path
(a tuple of keys and list indices) to its (file, line, column), so that any later problem
(schema, cross-reference, variant) can be reported at the exact place in the file.
Duplicate keys, which PyYAML silently accepts, are reported as problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sim.errors import Problem, ScenarioError

Key = str | int
MAX_NODES = 100_000
"""Most values one file may hold once aliases are expanded (a real scenario has a few thousand)."""
PathT = tuple[Key, ...]


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
            raise ScenarioError([self._at(node, path, f"too many values (more than {MAX_NODES}; "
                                          "aliases expanding without end?)")])
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
            return self.constructor.construct_object(node, deep=True)
        except (ValueError, OverflowError, yaml.YAMLError) as exc:
            # e.g. `2020-13-01` looks like a date to YAML but is not one.
            kind = {"timestamp": "date", "int": "whole number", "float": "number"}.get(
                node.tag.rsplit(":", 1)[-1], "value"
            )
            detail = getattr(exc, "problem", None) or str(exc)
            self._problem(node, path, f"not a valid {kind}: {detail} (got {node.value!r}; "
                          "quote it if it is text)")
            return node.value

    def _mapping(self, node: MappingNode, path: PathT) -> dict[Any, Any]:
        self.constructor.flatten_mapping(node)  # resolves YAML merge keys (<<)
        out: dict[Any, Any] = {}
        first_seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self.walk(key_node, (*path, "<key>"))
            if not isinstance(key, str | int | float | bool) or key is None:
                self._problem(key_node, path, f"a key must be a plain name (got {key!r})")
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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem(name, 0, 0, "", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(name, 0, 0, "", f"cannot read file: {exc}")]) from None
    return load_text_with_positions(text, name)


def load_text_with_positions(text: str, name: str) -> Located:
    """Like :func:`load_with_positions` for text already in memory."""
    nodes = _compose(text, name)
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


def _compose(text: str, name: str) -> list[Node]:
    """The YAML node trees of `text`, or a ScenarioError saying where and why it is malformed.

    libyaml (when PyYAML has it) composes ten times faster; on malformed input we ask the pure
    Python parser again, whose messages are the documented ones and the same on every machine.
    """
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return list(yaml.compose_all(text, Loader=fast))
        except yaml.YAMLError:
            pass
    try:
        return list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(text, exc.position)
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise ScenarioError([Problem(name, line, col, "", f"malformed YAML: unacceptable "
                                     f"character #x{char:04x} ({exc.reason})")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = _one_line(exc.problem or str(exc))
        raise ScenarioError([Problem(name, line, col, "", f"malformed YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(name, 0, 0, "", f"malformed YAML: {_one_line(str(exc))}")]
                            ) from None


def _line_col(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _one_line(text: str | None) -> str:
    """Messages are one line each (the CLI prints one line per problem)."""
    return " ".join((text or "").split())
