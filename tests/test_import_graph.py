"""The server's import graph (issue 22): no cycle, whatever the depth of the import; no import of a
project module inside a function (but in the command line, LAZY_BY_RULE). (Folders importing each other:
tests/test_layering.py.) Imports under ``if TYPE_CHECKING:`` are for annotations only and do
not count."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in (ROOT / "server").rglob("*.py")}


def _targets(module: str, is_package: bool, node: ast.ImportFrom | ast.Import) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "server"]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        name = ".".join(base + ([node.module] if node.module else []))
    else:
        name = node.module or ""
    if name.split(".")[0] != "server":
        return []
    subs = [f"{name}.{a.name}" for a in node.names if f"{name}.{a.name}" in MODULES]
    out = list(subs)
    if len(subs) < len(node.names):
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name:
            out.append(name)
    return [t for t in out if t != module]


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and (getattr(node.test, "id", None) == "TYPE_CHECKING"
                                         or getattr(node.test, "attr", None) == "TYPE_CHECKING")


def graph() -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
    """(every import: module -> modules it imports, the (module, target) pairs imported in a function)."""
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    deferred: set[tuple[str, str]] = set()
    for module, path in MODULES.items():
        is_package = path.name == "__init__.py"

        def visit(node: ast.AST, in_function: bool) -> None:
            for child in ast.iter_child_nodes(node):
                if _is_type_checking(child):
                    continue
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for t in _targets(module, is_package, child):
                        edges[module].add(t)
                        if in_function:
                            deferred.add((module, t))
                visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

        visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return edges, deferred


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in edges:
                    continue
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def folder(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "server"


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_the_server():
    edges, _ = graph()
    assert len(edges) > 100        # every module of server/ was read
    assert cycles(edges) == []


# Where an import inside a function is the rule, not a debt: the command line imports each command's
# subsystem (FastAPI, the database, spreadsheets) only when that command runs, so ``rasoat validate``
# and ``rasoat --help`` start without them.
LAZY_BY_RULE = ("server.cli",)


def lazy_by_rule(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in LAZY_BY_RULE)


def test_no_import_inside_a_function():
    _, deferred = graph()
    inside = sorted(f"{a} -> {b}" for a, b in deferred if not lazy_by_rule(a))
    assert not inside, "import these at the top of the module (or, if a cycle forces it, break the cycle): " + \
        ", ".join(inside)


def test_no_module_imports_another_modules_private_name():
    """A leading underscore means "this module's own": another module of server/ never imports it."""
    found = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and _targets(module, path.name == "__init__.py", node):
                found += [f"{module}: {a.name}" for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
    assert found == []
