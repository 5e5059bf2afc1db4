"""No module-level mutable registries in the server (issue 22): what a feature adds (routes, menu,
templates, strings, subcommands) is a constant of its module, put together per app by ``create_app``
(or per call, the CLI's subcommands); no module fills another's list or dict when imported.

What remains module-level and mutable is a per-process cache or lock, listed here with its reason;
a new one fails until it is added (with its reason) or turned into a constant or per-app state."""
from __future__ import annotations

import ast
from pathlib import Path

SERVER = Path(__file__).resolve().parent.parent / "server"
MUTATORS = {"append", "extend", "update", "setdefault", "add", "insert", "pop", "clear", "remove", "discard",
            "popitem", "appendleft"}
CONTAINERS = (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)
FACTORIES = {"dict", "list", "set", "defaultdict", "OrderedDict", "WeakKeyDictionary", "WeakValueDictionary",
             "deque", "Counter"}

# module: name -> why it is module-level state (caches and locks of the process, never a registry)
ALLOWED = {
    "server/services/ingest.py": {"_RETRY_AT": "per database, when a failed dedup match is retried (weak keys)"},
    "server/dedup/store.py": {"_MODEL_CACHE": "fitted models by database file and id (read-only once built)",
                              "_DEFAULT_MODEL": "the default model, built once"},
    "server/store/facts.py": {"_LOCKS": "one refresh at a time per database file, shared by its Database objects"},
}


def _module_state(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        if value is None:
            continue
        func = value.func if isinstance(value, ast.Call) else None
        if isinstance(value, CONTAINERS) or (func is not None and
                                             (getattr(func, "id", None) or getattr(func, "attr", None)) in FACTORIES):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def _mutated_names(tree: ast.Module) -> set[str]:
    """Names mutated anywhere in the module: ``X.append(...)``, ``X[k] = v``, ``mod.X.update(...)``,
    ``global X`` (rebinding module state from a function)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
            base = node.func.value
            if isinstance(base, ast.Name):
                out.add(base.id)
            elif isinstance(base, ast.Attribute) and base.attr.isupper():
                out.add(base.attr)
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                    out.add(t.value.id)
        elif isinstance(node, ast.Global):
            out |= set(node.names)
    return out


def found() -> dict[str, set[str]]:
    """module -> its module-level containers (or ``global`` names) mutated, and the containers of
    other modules it mutates (imported by name, or ``module.NAME``)."""
    trees = {str(p.relative_to(SERVER.parent)): ast.parse(p.read_text(encoding="utf-8")) for p in SERVER.rglob("*.py")}
    state = {m: _module_state(t) for m, t in trees.items()}
    every_state = set().union(*state.values())
    out: dict[str, set[str]] = {}
    for module, tree in trees.items():
        mutated = _mutated_names(tree)
        rebound = {n for node in ast.walk(tree) if isinstance(node, ast.Global) for n in node.names}
        imported = {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                    for a in node.names}
        foreign = {n for n in mutated if (n in imported or n.isupper()) and n in every_state}
        hits = (state[module] & mutated) | rebound | foreign
        if hits:
            out[module] = hits
    return out


def test_the_finder_sees_a_registry():
    tree = ast.parse("REG = []\ndef add(f):\n    REG.append(f)\n    return f\n")
    assert _module_state(tree) & _mutated_names(tree) == {"REG"}
    assert _mutated_names(ast.parse("from x import NAV\nNAV.append(1)\n")) == {"NAV"}


def test_no_module_level_mutable_registry_in_the_server():
    allowed = {m: set(names) for m, names in ALLOWED.items()}
    hits = found()
    extra = {m: sorted(n - allowed.get(m, set())) for m, n in hits.items() if n - allowed.get(m, set())}
    assert extra == {}, "module-level state mutated after import: make it a constant or per-app state"
    stale = {m: sorted(n - hits.get(m, set())) for m, n in allowed.items() if n - hits.get(m, set())}
    assert stale == {}, "no longer mutable module state: remove from ALLOWED"
