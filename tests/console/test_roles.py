"""The role matrix: every console route × every role (and anonymous) → the expected status.

The table below is the specification; a test fails when the app has a console route the table
does not list, so a new page cannot ship without deciding who may use it.
"""
from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from server.app import create_app

from .conftest import ROLES, client_as, csrf_of, make_settings

PUBLIC, ANY_USER = "public", "viewer"
# (method, path template) → the least role allowed ("public" = no login)
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/console"): PUBLIC,
    ("GET", "/console/"): PUBLIC,
    ("GET", "/console/static/{name}"): PUBLIC,
    ("GET", "/console/lang"): PUBLIC,
    ("GET", "/console/login"): PUBLIC,
    ("POST", "/console/login"): PUBLIC,
    ("POST", "/console/logout"): ANY_USER,
    ("GET", "/console/dashboard"): "viewer",
    ("GET", "/console/households"): "viewer",
    ("GET", "/console/households/{household_id}"): "viewer",
    ("POST", "/console/households/{household_id}/accept"): "officer",
    ("POST", "/console/households/{household_id}/return"): "officer",
    ("GET", "/console/review"): "viewer",
    ("POST", "/console/review/accept"): "officer",
    ("GET", "/console/conflicts/{submission_id}"): "viewer",
    ("POST", "/console/conflicts/{submission_id}/resolve"): "officer",
    ("GET", "/console/duplicates"): "viewer",
    ("GET", "/console/duplicates/{candidate_id}"): "viewer",
    ("POST", "/console/duplicates/{candidate_id}/decide"): "officer",
    ("POST", "/console/duplicates/links/{link_id}/undo"): "officer",
    ("GET", "/console/admin/users"): "admin",
    ("POST", "/console/admin/users"): "admin",
    ("POST", "/console/admin/users/{user_id}/active"): "admin",
    ("POST", "/console/admin/users/{user_id}/password"): "admin",
    ("GET", "/console/admin/collaborators"): "admin",
    ("POST", "/console/admin/collaborators"): "admin",
    ("POST", "/console/admin/collaborators/{collaborator_id}/groups"): "admin",
    ("POST", "/console/admin/collaborators/{collaborator_id}/active"): "admin",
    ("POST", "/console/admin/collaborators/{collaborator_id}/enroll"): "admin",
    ("GET", "/console/admin/groups"): "admin",
    ("POST", "/console/admin/groups"): "admin",
    ("POST", "/console/admin/groups/{group_id}/active"): "admin",
    ("GET", "/console/admin/devices"): "admin",
    ("POST", "/console/admin/devices/{device_id}/revoke"): "admin",
}
RANK = {PUBLIC: 0, "viewer": 1, "officer": 2, "admin": 3}


def _walk(routes: Any):
    for r in routes:
        if isinstance(r, APIRoute):
            yield r
        inner = getattr(r, "original_router", None)     # FastAPI keeps included routers nested
        if inner is not None:
            yield from _walk(inner.routes)


def console_routes(app: Any) -> set[tuple[str, str]]:
    return {(m, r.path) for r in _walk(app.routes) if r.path.startswith("/console") for m in r.methods}


def test_the_table_lists_every_console_route(tmp_path, template):
    import shutil
    path = tmp_path / "r.db"
    shutil.copyfile(template[0], path)
    app = create_app(make_settings(path))
    try:
        # Other packages (process, reports, attachments, programme) add their own routes and their own matrix
        # (attachments: tests/server/test_attachments.py; programme: tests/programme/test_console.py).
        mine = {r for r in console_routes(app)
                if not r[1].startswith(("/console/process", "/console/reports", "/console/attachments",
                                         "/console/cycle", "/console/programme"))}
        assert mine == set(ROUTES), f"unlisted: {mine - set(ROUTES)}; stale: {set(ROUTES) - mine}"
    finally:
        app.state.db.close()


def fill(path: str, db: Any, world: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The concrete URL and a valid form body for a route template."""
    current = {hid: sid for hid, sid in db.all("SELECT household_id, submission_id FROM households")}
    link = db.value("SELECT id FROM dedup_links WHERE undone_at IS NULL ORDER BY id LIMIT 1") if world["dedup"] else 0
    values = {
        "household_id": world["submitted"], "submission_id": world["conflict_submission"],
        "candidate_id": world.get("candidate_id") or 0, "link_id": link or 0, "name": "console.css",
        "user_id": db.value("SELECT id FROM users WHERE username = 'viewer'"), "collaborator_id": 1,
        "group_id": world["groups"]["KP06"], "device_id": world["device_id"],
    }
    url = path.format(**values)
    bodies = {
        "/console/login": {"username": "nobody", "password": "wrong-password"},
        "/console/households/{household_id}/accept": {"submission_id": current[world["submitted"]]},
        "/console/households/{household_id}/return": {"reason_code": "missing_health_insurance",
                                                      "reason_text": "Bà Hoa chưa có thẻ",
                                                      "submission_id": current[world["submitted"]]},
        "/console/conflicts/{submission_id}/resolve": {"resolution": "keep_server",
                                                       "server_submission_id": current[world["conflicted"]]},
        "/console/duplicates/{candidate_id}/decide": {"decision": "unsure", "note": "xem lại"},
        "/console/review/accept": {"pick": [f"{world['submitted']}|{current[world['submitted']]}"]},
        "/console/duplicates/links/{link_id}/undo": {"reason": "nhầm"},
        "/console/admin/users": {"username": "moi", "full_name": "Cán bộ mới", "role": "viewer",
                                 "password": "mat-khau-moi-2025"},
        "/console/admin/users/{user_id}/active": {"active": "0"},
        "/console/admin/users/{user_id}/password": {"password": "mat-khau-moi-2025"},
        "/console/admin/collaborators": {"full_name": "Vũ Thị Thu", "phone": "0912000009", "groups": ["1"]},
        "/console/admin/collaborators/{collaborator_id}/groups": {"groups": ["1", "2"]},
        "/console/admin/collaborators/{collaborator_id}/active": {"active": "1"},
        "/console/admin/groups": {"ward_id": "1", "code": "KP99", "name": "Khu phố 99"},
        "/console/admin/groups/{group_id}/active": {"active": "1"},
    }
    return url, bodies.get(path, {})


def expected(method: str, path: str, role: str | None) -> int | tuple[int, ...]:
    need = ROUTES[(method, path)]
    if need == PUBLIC:
        if method == "POST":
            return 401                      # wrong password, valid CSRF
        if path in ("/console", "/console/", "/console/lang"):
            return 303
        if path == "/console/login" and role:
            return 303                      # already logged in
        return 200
    if role is None:
        return 303                          # to the login page
    if RANK[role] < RANK[need]:
        return 403
    if method == "GET":
        return 200
    if path.endswith("/enroll"):
        return 200                          # the code page, shown once
    return 303


CASES = [(m, p, role) for (m, p) in sorted(ROUTES) for role in (None, *ROLES)]


@pytest.mark.parametrize("method,path,role", CASES, ids=[f"{m} {p} {r or 'anonymous'}" for m, p, r in CASES])
def test_role_matrix(app, world, method, path, role):
    if "{candidate_id}" in path or "{link_id}" in path:
        assert world["dedup"], "the dedup engine is part of the server: its tables must exist"
    client = client_as(app, role)
    url, body = fill(path, app.state.db, world)
    if method == "GET":
        r = client.get(url)
    else:
        token = csrf_of(client, "/console/dashboard" if role else "/console/login")
        r = client.post(url, data={**body, "csrf_token": token})
    want = expected(method, path, role)
    assert r.status_code == want, f"{method} {url} as {role}: {r.status_code} {r.text[:300]}"
    if want == 303 and role is None and ROUTES[(method, path)] != PUBLIC:
        assert r.headers["location"].startswith("/console/login")
    if want == 403:
        assert "text/html" in r.headers["content-type"]
        assert "không có quyền" in r.text


@pytest.mark.parametrize("path", ["/console/households/{household_id}", "/console/conflicts/{submission_id}",
                                  "/console/duplicates/{candidate_id}", "/console/dashboard", "/console/review"])
def test_a_viewer_sees_no_form_that_changes_anything(app, world, path):
    if "{candidate_id}" in path:
        assert world["dedup"], "the dedup engine is part of the server: its tables must exist"
    url, _ = fill(path, app.state.db, world)
    html = client_as(app, "viewer").get(url).text
    assert html.count('method="post"') == 1 and 'action="/console/logout"' in html   # only the logout button
    officer_html = client_as(app, "officer").get(url).text
    if path != "/console/dashboard" and path != "/console/review":
        assert officer_html.count('method="post"') > 1
