"""The shape of the code: small modules, short functions, few parameters, no import cycle.

Every .py under `sim/` and `agents/` is parsed with `ast` (nothing is imported). Numba kernels
are functions like any other and are measured the same way.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("sim", "agents")
MAX_MODULE_LINES = 400  # a module must have fewer lines than this
MAX_FUNCTION_LINES = 60  # end_lineno - lineno + 1, decorators not counted
MAX_PARAMETERS = 10  # positional-only, positional, keyword-only, *args, **kwargs; not self/cls


def _files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _functions(tree: ast.AST):
    """(qualified name, node) of every function and method, nested ones included."""

    def walk(node: ast.AST, prefix: str):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                yield name, child
                yield from walk(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
            else:
                yield from walk(child, prefix)

    yield from walk(tree, "")


def _parameters(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    a = fn.args
    names = [x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    n = len(names) + (a.vararg is not None) + (a.kwarg is not None)
    if names[:1] in (["self"], ["cls"]):
        n -= 1
    return n


_TREES = {path: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in _files()}


def test_the_packages_are_found():
    assert len(_TREES) > 50
    assert any(_rel(p) == "sim/api.py" for p in _TREES)


def test_modules_are_under_the_line_limit():
    long = []
    for path in _TREES:
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n >= MAX_MODULE_LINES:
            long.append(f"{_rel(path)}: {n} lines (limit: fewer than {MAX_MODULE_LINES})")
    assert not long, "modules too long:\n" + "\n".join(long)


def test_functions_are_short():
    long = []
    for path, tree in _TREES.items():
        for name, fn in _functions(tree):
            n = fn.end_lineno - fn.lineno + 1
            if n > MAX_FUNCTION_LINES:
                long.append(f"{_rel(path)}: {name}() is {n} lines (limit {MAX_FUNCTION_LINES})")
    assert not long, "functions too long:\n" + "\n".join(long)


def test_functions_take_few_parameters():
    many = []
    for path, tree in _TREES.items():
        for name, fn in _functions(tree):
            n = _parameters(fn)
            if n > MAX_PARAMETERS:
                many.append(f"{_rel(path)}: {name}() takes {n} parameters (limit {MAX_PARAMETERS})")
    assert not many, "functions with too many parameters:\n" + "\n".join(many)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(tree: ast.Module):
    """Import statements run when the module is imported: top level, and inside top-level
    `if`/`try`/`with` blocks, but not under `if TYPE_CHECKING:` nor in functions or classes."""

    def walk(body: list[ast.stmt]):
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                yield node
            elif isinstance(node, ast.If):
                if not _is_type_checking(node.test):
                    yield from walk(node.body)
                yield from walk(node.orelse)
            elif isinstance(node, ast.Try):
                for block in (node.body, node.orelse, node.finalbody):
                    yield from walk(block)
                for handler in node.handlers:
                    yield from walk(handler.body)
            elif isinstance(node, ast.With):
                yield from walk(node.body)

    yield from walk(tree.body)


def _import_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in _TREES if _module_name(p).startswith("sim")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _module_level_imports(_TREES[path]):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                # `from a import b` may import the module a.b, or a name defined in a
                targets = [f"{stem}.{alias.name}" for alias in node.names] + [stem]
            for target in targets:
                # importing a.b.c runs a, a.b and a.b.c; the edge goes to the module named
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    colour = dict.fromkeys(graph, 0)  # 0 unseen, 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if colour[nxt] == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if colour[nxt] == 0 and (found := visit(nxt)):
                return found
        stack.pop()
        colour[node] = 2
        return None

    for node in sorted(graph):
        if colour[node] == 0 and (found := visit(node)):
            return found
    return None


def test_the_import_graph_has_no_cycle():
    graph = _import_graph()
    assert sum(len(v) for v in graph.values()) > 50
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize(
    "graph, cycle",
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": {"b2"}, "b2": {"b"}}, ["b", "b2", "b"]),
    ],
)
def test_the_cycle_finder(graph, cycle):
    assert _find_cycle(graph) == cycle


def test_the_measures_on_a_sample():
    tree = ast.parse(
        "class C:\n"
        "    def m(self, a, /, b, *c, d, **e):\n"
        "        pass\n"
        "def f(x):\n"
        "    def g(y, z):\n"
        "        return y\n"
        "    return g\n"
    )
    found = {name: (_parameters(fn), fn.end_lineno - fn.lineno + 1)
             for name, fn in _functions(tree)}
    assert found == {"C.m": (5, 2), "f": (1, 4), "f.g": (2, 2)}
