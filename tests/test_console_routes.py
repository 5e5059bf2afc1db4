"""Console pages are thin (issue 22): a route that renders a page or answers a form is at most 20
lines, calling its feature's service. The routes still longer are listed in LONG_ROUTES, which may only
shrink: move a route's work into its service (as services/conflicts.py took the conflict resolution)
and delete its line."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 20

# (file, route function): the console routes over 20 lines when this test was written (2026-12-04); all
# ten were made short the same day, and the set stays empty.
LONG_ROUTES: set[tuple[str, str]] = set()


def console_files() -> list[Path]:
    return sorted({*ROOT.glob("server/console/*.py"), *ROOT.glob("server/*/web.py")})


def routes() -> dict[tuple[str, str], int]:
    """Every console route (a function under ``@router.get/post/...``) with its length in lines."""
    out = {}
    for path in console_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                    ast.unparse(d).startswith("router.") for d in node.decorator_list):
                out[(path.relative_to(ROOT).as_posix(), node.name)] = node.end_lineno - node.lineno + 1
    return out


def test_console_routes_are_found():
    found = routes()
    assert len(found) > 80 and ("server/console/review.py", "resolve") in found


def test_no_new_long_console_route():
    long = {k for k, n in routes().items() if n > MAX_LINES}
    assert long - LONG_ROUTES == set(), "routes over 20 lines: move their work into the feature's service"
    assert LONG_ROUTES - long == set(), "now short: remove from LONG_ROUTES"
