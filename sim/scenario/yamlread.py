"""Composing YAML text into node trees under limits checked while parsing.

PyYAML builds the whole node tree before anyone can look at it: a 50 MB file took 64-117 s
and several GB before the old "too many values" check ran, and a 5,000-deep nesting ended in
RecursionError. Here the composer (PyYAML's own, driven by libyaml's event parser when it is
installed, which is as fast as libyaml's C composer) counts nodes and nesting as it goes and
stops at the first one over the limit, with the line and column where that happened.

Floats are resolved as YAML 1.2 does (`1e308`, `1.0e308`, `-.5` are numbers); YAML 1.1
needed a dot and a signed exponent, so `1.0e308` was text while `1.0e+308` was a number.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.nodes import Node
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from sim.errors import Problem, ScenarioError

MAX_NODES = 100_000
"""Most values one file may hold, aliases expanded (a real scenario has a few thousand)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists (a real scenario nests about 10 deep; a condition
combined with all/any/not adds two levels per combinator)."""

SLOW_RETRY_NODES = 20_000
"""Up to this many values before a syntax error, the pure Python parser re-reads the file for
its clearer message (about 1.5 s at this size); beyond it libyaml's message is kept."""

_FLOAT_TAG = "tag:yaml.org,2002:float"
_FLOAT = re.compile(r"""^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""", re.X)


class _Resolver(Resolver):
    """PyYAML's resolver with the float rule above in place of YAML 1.1's."""


_Resolver.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in rules if tag != _FLOAT_TAG]
    for first, rules in Resolver.yaml_implicit_resolvers.items()
}
_Resolver.add_implicit_resolver(_FLOAT_TAG, _FLOAT, list("-+0123456789."))


class _Limits(Composer):
    """PyYAML's composer, counting nodes and nesting as it builds them."""

    name = "<text>"
    nodes = 0
    depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self._stop(f"too many values (more than {MAX_NODES}; allowed at most "
                       f"{MAX_NODES} per file)")
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                self._stop(f"nested too deeply (more than {MAX_DEPTH} levels of mappings and "
                           f"lists; allowed at most {MAX_DEPTH})")
            return super().compose_node(parent, index)  # type: ignore[return-value]
        finally:
            self.depth -= 1

    def _stop(self, message: str) -> None:
        mark = self.peek_event().start_mark  # type: ignore[attr-defined]
        raise ScenarioError([Problem(self.name, mark.line + 1, mark.column + 1, "", message)])


class _PyLoader(Reader, Scanner, Parser, _Limits, _Resolver):
    """Pure Python: slower, but its error messages are the documented ones everywhere."""

    def __init__(self, text: str, name: str):
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        _Limits.__init__(self)
        _Resolver.__init__(self)
        self.name = name


def _c_loader() -> type | None:
    try:
        from yaml._yaml import CParser
    except ImportError:  # pragma: no cover - PyYAML built without libyaml
        return None

    class _CLoader(CParser, _Limits, _Resolver):  # type: ignore[misc, valid-type]
        """libyaml's events, PyYAML's composer (so the limits above apply)."""

        get_node = _Limits.get_node
        check_node = _Limits.check_node
        get_single_node = _Limits.get_single_node

        def __init__(self, text: str, name: str):
            CParser.__init__(self, text)
            _Limits.__init__(self)
            _Resolver.__init__(self)
            self.name = name

    return _CLoader


_FAST = _c_loader()


def _nodes(loader: Any) -> list[Node]:
    try:
        out = []
        while loader.check_node():
            out.append(loader.get_node())
        return out
    finally:
        loader.dispose()


def compose_nodes(text: str, name: str) -> list[Node]:
    """The YAML node trees of `text`, or a ScenarioError saying where and why it is refused.

    On malformed input the pure Python parser is asked again, whose messages are the
    documented ones and the same on every machine; when the error comes after more than
    SLOW_RETRY_NODES values (seconds of pure Python parsing), libyaml's own message is given.
    """
    if _FAST is not None:
        fast = _FAST(text, name)
        try:
            return _nodes(fast)
        except yaml.YAMLError as exc:
            if fast.nodes > SLOW_RETRY_NODES:
                raise _malformed(exc, text, name) from None
    try:
        return _nodes(_PyLoader(text, name))
    except yaml.YAMLError as exc:
        raise _malformed(exc, text, name) from None


def _malformed(exc: yaml.YAMLError, text: str, name: str) -> ScenarioError:
    if isinstance(exc, yaml.reader.ReaderError):
        line, col = _line_col(text, exc.position)
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        return ScenarioError([Problem(name, line, col, "", f"malformed YAML: unacceptable "
                                      f"character #x{char:04x} ({exc.reason})")])
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = " ".join((exc.problem or str(exc)).split())
        return ScenarioError([Problem(name, line, col, "", f"malformed YAML: {what}")])
    what = " ".join(str(exc).split())
    return ScenarioError([Problem(name, 0, 0, "", f"malformed YAML: {what}")])


def _line_col(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1
