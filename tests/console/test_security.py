"""CSRF, login lock-out, session expiry, cookies, escaping of household text."""
from __future__ import annotations

import re

import pytest

from server.app import create_app
from server.console.web import PRE_CSRF_COOKIE, SESSION_COOKIE

from .conftest import FakeClock, client_as, csrf_of, make_settings
from .world import XSS


# --- CSRF -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "", "wrong", "0" * 64])
def test_a_post_without_the_right_csrf_token_is_refused_with_a_clear_page(app, world, token):
    client = client_as(app, "officer")
    sid = app.state.db.value("SELECT submission_id FROM households WHERE household_id = ?", (world["submitted"],))
    data = {"submission_id": sid} | ({} if token is None else {"csrf_token": token})
    r = client.post(f"/console/households/{world['submitted']}/accept", data=data)
    assert r.status_code == 403
    assert "text/html" in r.headers["content-type"]
    assert "CSRF" in r.text and "Tải lại trang" in r.text
    assert app.state.db.value("SELECT COUNT(*) FROM review_decisions") == 0


def test_a_csrf_token_is_bound_to_its_session(app, world):
    officer, other = client_as(app, "officer"), client_as(app, "officer")
    stolen = csrf_of(other)
    sid = app.state.db.value("SELECT submission_id FROM households WHERE household_id = ?", (world["submitted"],))
    r = officer.post(f"/console/households/{world['submitted']}/accept", data={"submission_id": sid,
                                                                              "csrf_token": stolen})
    assert r.status_code == 403
    r = officer.post(f"/console/households/{world['submitted']}/accept",
                     data={"submission_id": sid, "csrf_token": csrf_of(officer)})
    assert r.status_code == 303


def test_the_login_form_needs_its_csrf_cookie(app):
    client = client_as(app, None)
    token = csrf_of(client, "/console/login")
    client.cookies.delete(PRE_CSRF_COOKIE)
    r = client.post("/console/login", data={"username": "officer", "password": "officer-demo-2025",
                                            "csrf_token": token})
    assert r.status_code == 403


# --- login, cookies, logout -----------------------------------------------------------------------

def login(client, username: str, password: str):
    token = csrf_of(client, "/console/login")
    return client.post("/console/login", data={"username": username, "password": password, "csrf_token": token,
                                               "next": "/console/households"})


def test_login_sets_a_hardened_session_cookie_and_logout_ends_the_session(app):
    client = client_as(app, None)
    r = login(client, "officer", "officer-demo-2025")
    assert r.status_code == 303 and r.headers["location"] == "/console/households"
    cookie = [h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "=")][0].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie   # http://testserver
    assert client.get("/console/dashboard").status_code == 200
    token = client.cookies.get(SESSION_COOKIE)
    r = client.post("/console/logout", data={"csrf_token": csrf_of(client)})
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    client.cookies.set(SESSION_COOKIE, token)            # a replayed cookie is dead
    assert client.get("/console/dashboard").status_code == 303


def test_the_session_cookie_is_secure_over_https(app):
    from fastapi.testclient import TestClient
    client = TestClient(app, base_url="https://testserver", follow_redirects=False)
    r = login(client, "officer", "officer-demo-2025")
    cookie = [h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "=")][0].lower()
    assert "secure" in cookie


def test_next_never_leaves_the_site(app):
    client = client_as(app, None)
    token = csrf_of(client, "/console/login")
    r = client.post("/console/login", data={"username": "viewer", "password": "viewer-demo-2025",
                                            "csrf_token": token, "next": "//evil.example/x"})
    assert r.status_code == 303 and r.headers["location"] == "/console/dashboard"


@pytest.fixture
def strict_app(db_path):
    clock = FakeClock()
    app = create_app(make_settings(db_path, login_max_failures=3, login_max_failures_per_ip=5,
                                   login_lockout_minutes=15), clock=clock)
    yield app, clock
    app.state.db.close()


def test_repeated_failures_lock_the_username_then_the_lock_expires(strict_app):
    app, clock = strict_app
    client = client_as(app, None)
    for _ in range(3):
        assert login(client, "officer", "wrong-password").status_code == 401
    r = login(client, "officer", "officer-demo-2025")          # right password, but locked
    assert r.status_code == 429 and "Tạm khóa" in r.text and "15 phút" in r.text
    assert login(client_as(app, None), "viewer", "viewer-demo-2025").status_code == 303   # others are not locked
    clock.advance(minutes=16)
    assert login(client, "officer", "officer-demo-2025").status_code == 303
    actions = [r[0] for r in app.state.db.all("SELECT action FROM audit_log WHERE action LIKE 'console.login%'")]
    assert actions.count("console.login_failed") == 3 and "console.login_locked" in actions


def test_failures_from_one_address_lock_that_address(strict_app):
    app, clock = strict_app
    client = client_as(app, None)
    for i in range(5):
        assert login(client, f"guess{i}", "wrong-password").status_code == 401
    assert login(client, "admin", "admin-demo-2025").status_code == 429
    clock.advance(minutes=16)
    assert login(client, "admin", "admin-demo-2025").status_code == 303


def test_a_success_resets_the_username_counter(strict_app):
    app, _ = strict_app
    client = client_as(app, None)
    for _ in range(2):
        login(client, "officer", "wrong-password")
    assert login(client, "officer", "officer-demo-2025").status_code == 303
    client = client_as(app, None)
    for _ in range(2):
        assert login(client, "officer", "wrong-password").status_code == 401
    assert login(client, "officer", "officer-demo-2025").status_code == 303


def test_an_expired_session_goes_back_to_the_login_page(app, clock):
    client = client_as(app, "officer")
    assert client.get("/console/households").status_code == 200
    clock.advance(hours=app.state.settings.session_ttl_hours, seconds=1)
    r = client.get("/console/households?group=1")
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login?next=%2Fconsole%2Fhouseholds%3Fgroup%3D1"
    page = client.get(r.headers["location"])
    assert "Phiên làm việc đã hết hạn" in page.text


# --- sliding expiry: idle timeout, absolute maximum --------------------------------------------------

def _deadline(app, client):
    from server.auth import token_hash
    return app.state.db.value("SELECT expires_at FROM sessions WHERE token_hash = ?",
                              (token_hash(client.cookies.get(SESSION_COOKIE)),))


def test_an_idle_session_ends_with_a_vietnamese_message(app, clock):
    client = client_as(app, "officer")
    assert client.get("/console/households").status_code == 200
    clock.advance(minutes=30, seconds=1)                     # session_idle_minutes = 30 by default
    r = client.get("/console/households?group=1")
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login?next=%2Fconsole%2Fhouseholds%3Fgroup%3D1"
    page = client.get(r.headers["location"])
    assert "Phiên làm việc đã hết hạn do không thao tác trong 30 phút" in page.text
    client.cookies.set(SESSION_COOKIE, client_as(app, "officer").cookies.get(SESSION_COOKIE))
    client.cookies.set("rasoat_lang", "en")
    clock.advance(minutes=31)
    r = client.get("/console/dashboard")
    assert "expired after 30 minutes without activity" in client.get(r.headers["location"]).text


def test_activity_keeps_a_session_alive_and_touches_the_database_at_most_once_a_minute(app, clock):
    client = client_as(app, "viewer")
    start = _deadline(app, client)
    for _ in range(6):                                       # 6 × 25 min = 2.5 h, never 30 min idle
        clock.advance(minutes=25)
        assert client.get("/console/dashboard").status_code == 200
    moved = _deadline(app, client)
    assert moved > start
    for _ in range(5):                                       # requests within the minute: no write
        clock.advance(seconds=10)
        assert client.get("/console/dashboard").status_code == 200
    assert _deadline(app, client) == moved
    clock.advance(seconds=20)                                # a minute later: moved again
    assert client.get("/console/dashboard").status_code == 200
    assert _deadline(app, client) > moved


def test_the_absolute_maximum_ends_even_an_active_session(app, clock):
    client = client_as(app, "officer")
    hours = app.state.settings.session_ttl_hours
    for _ in range(hours * 3 - 1):                           # active every 20 minutes
        clock.advance(minutes=20)
        assert client.get("/console/dashboard").status_code == 200
    clock.advance(minutes=20, seconds=1)                     # now past login + session_ttl_hours
    r = client.get("/console/dashboard")
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert f"tối đa {hours} giờ" in page.text


def test_a_real_login_starts_an_idle_limited_session(app, clock):
    client = client_as(app, None)
    assert login(client, "viewer", "viewer-demo-2025").status_code == 303
    import datetime as dt
    assert dt.datetime.fromisoformat(_deadline(app, client)) == clock() + dt.timedelta(minutes=30)


def test_the_idle_timeout_is_a_setting(db_path):
    clock = FakeClock()
    app = create_app(make_settings(db_path, session_idle_minutes=5), clock=clock)
    try:
        client = client_as(app, "viewer")
        clock.advance(minutes=4)
        assert client.get("/console/dashboard").status_code == 200
        clock.advance(minutes=5, seconds=1)
        r = client.get("/console/dashboard")
        assert r.status_code == 303 and "5 phút" in client.get(r.headers["location"]).text
    finally:
        app.state.db.close()


def test_api_tokens_have_no_idle_timeout(app, clock):
    from server.auth import start_session
    from tests.server.helpers import bearer
    db = app.state.db
    uid = db.value("SELECT id FROM users WHERE username = 'viewer'")
    with db.write() as conn:                 # what POST /api/v1/login does
        token, expires = start_session(conn, uid, clock(), app.state.settings.session_ttl_hours)
    api = client_as(app, None)
    clock.advance(hours=3)                   # idle far beyond the console's 30 minutes
    assert api.get("/api/v1/reports", headers=bearer(token)).status_code == 200
    console = client_as(app, None)
    console.cookies.set(SESSION_COOKIE, token)
    assert console.get("/console/dashboard").status_code == 200
    assert _deadline(app, console) == expires          # the console never shortens nor extends it
    clock.advance(hours=app.state.settings.session_ttl_hours - 3, seconds=1)
    assert api.get("/api/v1/reports", headers=bearer(token)).status_code == 401


def test_a_deactivated_user_is_logged_out_at_once(app):
    officer, admin = client_as(app, "officer"), client_as(app, "admin")
    uid = app.state.db.value("SELECT id FROM users WHERE username = 'officer'")
    r = admin.post(f"/console/admin/users/{uid}/active", data={"active": "0", "csrf_token": csrf_of(admin)})
    assert r.status_code == 303
    assert officer.get("/console/dashboard").status_code == 303


# --- escaping -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/console/households/{hostile}", "/console/households?q=script",
                                  "/console/households?group={kp02}"])
def test_household_text_is_escaped(app, world, path):
    url = path.format(hostile=world["hostile"], kp02=world["groups"]["KP02"])
    html = client_as(app, "viewer").get(url).text
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_security_headers_forbid_inline_script_and_framing(app):
    r = client_as(app, "viewer").get("/console/dashboard")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    assert '<meta charset="utf-8">' in r.text


def test_the_language_switch_is_a_cookie(app):
    client = client_as(app, "viewer")
    assert "Tổng quan tiến độ" in client.get("/console/dashboard").text
    r = client.get("/console/lang?to=en&next=/console/dashboard")
    assert r.status_code == 303 and r.headers["location"] == "/console/dashboard"
    html = client.get("/console/dashboard").text
    assert "Review progress" in html and '<html lang="en">' in html
    assert client.get("/console/lang?to=en&next=https://evil.example").headers["location"] == "/console/"
