"""One ``require_role`` in the server (issue 22): the JSON API, the console and the programme name
their role dependencies through server/access.py, differing only by their ``Surface`` (how the
caller is found, how a refusal is rendered). The behaviour of each surface is the security matrix's
(tests/reliability/test_security.py, tests/programme/test_matrix.py, tests/console/test_roles.py)."""
from __future__ import annotations

import ast
import typing
from pathlib import Path

import pytest

from server import access, auth
from server.api import deps
from server.console import web
from server.programme import access as programme_access

SERVER = Path(__file__).resolve().parents[2] / "server"


def test_exactly_one_require_role_definition_in_the_server():
    found = []
    for path in sorted(SERVER.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "require_role":
                found.append(str(path.relative_to(SERVER.parent)))
    assert found == ["server/access.py"]


ALIASES = [(deps, "ViewerDep", "viewer"), (deps, "OfficerDep", "officer"), (deps, "AdminDep", "admin"),
           (web, "ViewerUser", "viewer"), (web, "OfficerUser", "officer"), (web, "AdminUser", "admin"),
           (web, "OfficerPost", "officer"), (web, "AdminPost", "admin"),
           (programme_access, "OfficeDep", "officer"), (programme_access, "AdminScopeDep", "admin")]


@pytest.mark.parametrize("module,name,role", ALIASES, ids=[a[1] for a in ALIASES])
def test_every_role_alias_is_made_by_the_one_factory(module, name, role):
    depends = typing.get_args(getattr(module, name))[1]
    dependency = depends.dependency
    assert dependency.__module__ == "server.access" and dependency.__qualname__.startswith("require_role.")
    assert dependency.__name__.endswith(f"_{role}") or dependency.__name__.endswith(f"_{role}_post")


def test_the_factory_refuses_an_unknown_role_and_a_form_check_a_surface_lacks():
    with pytest.raises(ValueError):
        access.require_role("owner", deps.API)
    with pytest.raises(ValueError):
        access.require_role("officer", deps.API, post=True)


def test_ranked_roles_only():
    officer = auth.UserPrincipal(1, "a", "A", "officer")
    assert access.has_role(officer, "viewer") and access.has_role(officer, "officer")
    assert not access.has_role(officer, "admin")
    assert not access.has_role(auth.UserPrincipal(2, "p", "P", "partner"), "viewer")
    assert not access.has_role(object(), "viewer")        # a device has no role
