"""API tokens and console sessions are not interchangeable (issue 18): a token from POST /api/v1/login
is refused by the console, a console session cookie is refused as a bearer token; sessions made before
the distinction (kind NULL) work for both until they end."""
from __future__ import annotations

import re

from server.console.web import PRE_CSRF_COOKIE, SESSION_COOKIE

from .conftest import session_token
from .helpers import bearer


def _console_login(client, username="officer", password="officer-demo-2025") -> str:
    page = client.get("/console/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/console/login", data={"username": username, "password": password, "csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    return r.cookies.get(SESSION_COOKIE) or client.cookies.get(SESSION_COOKIE)


def test_an_api_token_is_not_a_console_session(client, db):
    r = client.post("/api/v1/login", json={"username": "officer", "password": "officer-demo-2025"})
    token = r.json()["token"]
    assert client.get("/api/v1/me", headers=bearer(token)).json()["username"] == "officer"
    assert db.value("SELECT kind FROM sessions WHERE expires_at = ?", (r.json()["expires_at"],)) == "api"
    client.cookies.set(SESSION_COOKIE, token)
    page = client.get("/console/dashboard", follow_redirects=False)
    assert page.status_code == 303 and "/console/login" in page.headers["location"]


def test_a_console_session_is_not_an_api_token(client, db):
    cookie = _console_login(client)
    assert cookie and cookie.startswith("rss_")
    assert client.get("/console/dashboard").status_code == 200
    assert db.value("SELECT COUNT(*) FROM sessions WHERE kind = 'console'") == 1
    client.cookies.clear()
    r = client.get("/api/v1/me", headers=bearer(cookie))
    assert r.status_code == 401 and r.json()["error"]["code"] == "session_expired"


def test_a_session_of_either_kind_made_before_works_for_both(app, client):
    legacy = session_token(app, "viewer")           # kind NULL, as every session before migration 11
    assert client.get("/api/v1/me", headers=bearer(legacy)).status_code == 200
    client.cookies.set(SESSION_COOKIE, legacy)
    assert client.get("/console/dashboard").status_code == 200


def test_https_publication_sets_secure_cookies_and_hsts(db_path, clock):
    from fastapi.testclient import TestClient

    from server.app import create_app
    from server.settings import Settings

    from .conftest import SECRET
    for url, secure in (("https://rasoat.phuong.example", True), ("http://192.0.2.10:8765", False)):
        app = create_app(Settings(db_path=str(db_path), secret=SECRET, public_url=url), clock=clock)
        client = TestClient(app, raise_server_exceptions=False)       # plain http, as behind a TLS proxy
        page = client.get("/console/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        pre = next(v for k, v in page.headers.multi_items() if k == "set-cookie" and v.startswith(PRE_CSRF_COOKIE))
        assert ("; secure" in pre.lower()) is secure, pre
        client.cookies.set(PRE_CSRF_COOKIE, pre.split(";")[0].split("=", 1)[1])   # a browser over TLS sends it
        r = client.post("/console/login", data={"username": "viewer", "password": "viewer-demo-2025",
                                                 "csrf_token": csrf}, follow_redirects=False)
        assert r.status_code == 303
        cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith(SESSION_COOKIE))
        assert ("; secure" in cookie.lower()) is secure, cookie
        assert ("strict-transport-security" in r.headers) is secure
        assert ("strict-transport-security" in client.get("/api/v1/health").headers) is secure
        app.state.db.close()
