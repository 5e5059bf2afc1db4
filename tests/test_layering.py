"""The server's layers (issue 22), as README.md's "Inside server/" names them: every import of a server
module points to its own layer or a lower one, whether at module level or inside a function (imports
under ``if TYPE_CHECKING:`` are for annotations and do not count). ``migrations.py`` imports nothing of
the server but the database module. A module matches the first rule of PLACES that names it."""
from __future__ import annotations

import pytest

from tests.test_import_graph import MODULES, folder, graph

# Bottom to top. A layer may import its own layer and the ones before it, never the ones after.
LAYERS = ("platform", "store", "access", "rounds", "dedup", "households", "history", "register",
          "process", "reports", "programme", "web", "app")

# (module pattern, layer): the first match wins, so the specific rules come before the folders.
PLACES = (
    # the composition root: the app, the command line, the demo, the backups
    ("server.app", "app"), ("server.asgi", "app"), ("server.cli*", "app"), ("server.demo", "app"), ("server.demo_work", "app"), ("server.*.demo", "app"),
    ("server.*.synth", "app"), ("server.backup", "app"),
    # the web: JSON routes, console pages, the features' routes and pages and their dependencies
    ("server.api", "web"), ("server.api.*", "web"), ("server.console", "web"), ("server.console.*", "web"),
    ("server.*.api", "web"), ("server.*.web", "web"), ("server.programme.access", "web"),
    # the features, bottom to top
    ("server.store*", "store"), ("server.auth", "access"), ("server.access", "access"), ("server.cycle*", "rounds"), ("server.dedup*", "dedup"),
    ("server.services*", "households"), ("server.history*", "history"), ("server.register*", "register"),
    ("server.process*", "process"), ("server.reports*", "reports"), ("server.programme*", "programme"),
    # what is left directly in server/: database, migrations, checkpoints, settings, clock, errors, formats
    ("server", "platform"), ("server.*", "platform"),
)


def _matches(pattern: str, module: str) -> bool:
    """``*`` stands for one name; a last name ending in ``*`` also takes everything below it."""
    p, m = pattern.split("."), module.split(".")
    if p[-1].endswith("*") and p[-1] != "*":
        return (len(m) >= len(p) and m[len(p) - 1] == p[-1][:-1]
                and all(a in ("*", b) for a, b in zip(p[:-1], m)))
    return len(p) == len(m) and all(a in ("*", b) for a, b in zip(p, m))


def layer_of(module: str) -> str:
    for pattern, layer in PLACES:
        if _matches(pattern, module):
            return layer
    raise AssertionError(f"{module} is in no layer: add it to PLACES")


def test_every_import_points_down() -> None:
    edges, _ = graph()
    rank = {name: i for i, name in enumerate(LAYERS)}
    upward = sorted(f"{m} ({layer_of(m)}) -> {t} ({layer_of(t)})" for m, ts in edges.items() for t in ts
                    if rank[layer_of(t)] > rank[layer_of(m)])
    assert upward == [], "imports pointing up a layer:\n" + "\n".join(upward)


def test_every_layer_is_used_and_every_module_placed() -> None:
    used = {layer_of(m) for m in MODULES}
    assert used == set(LAYERS)


def test_below_the_web_no_two_folders_import_each_other() -> None:
    """A feature's pages may use another feature and be used by the console; below the pages and the
    composition root, two folders of server/ never import each other."""
    edges, _ = graph()
    low = {m: {t for t in ts if layer_of(t) not in ("web", "app")} for m, ts in edges.items()
           if layer_of(m) not in ("web", "app")}
    pairs = {(folder(a), folder(b)) for a, ts in low.items() for b in ts if folder(a) != folder(b)}
    assert sorted({tuple(sorted(p)) for p in pairs if (p[1], p[0]) in pairs}) == []


def test_migrations_import_only_the_database() -> None:
    edges, _ = graph()
    assert edges["server.migrations"] <= {"server.db"}, edges["server.migrations"]


@pytest.mark.parametrize("module, layer", [("server.reports.web", "web"), ("server.cli.dedup", "app"),
                                           ("server.store.facts", "store"), ("server.db", "platform"),
                                           ("server.history.status_history", "history")])
def test_rules_place_modules_as_the_readme_says(module: str, layer: str) -> None:
    assert layer_of(module) == layer


def test_an_upward_import_is_caught() -> None:
    """The check itself: a store module importing the console would be reported; a rule takes only the
    names it says."""
    rank = {name: i for i, name in enumerate(LAYERS)}
    assert rank[layer_of("server.console.web")] > rank[layer_of("server.store.households")]
    assert not _matches("server.*", "server.store.households") and _matches("server.store*", "server.store")
    assert not _matches("server.store*", "server.storage") and _matches("server.*.web", "server.cycle.web")
