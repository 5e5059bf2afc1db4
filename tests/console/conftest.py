"""Fixtures: a demo-ward database built once (world.py) and copied per test, an app on a fake
clock, in-process clients logged in per role, and a real uvicorn on loopback for browser tests."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.live import LiveServer
from fastapi.testclient import TestClient

from server.app import create_app
from server.console.web import SESSION_COOKIE, start_console_session
from server.db import open_database
from server.settings import Settings

from . import world as world_mod

SECRET = "console-test-secret-" + "x" * 20
ROLES = ("admin", "officer", "viewer")


class FakeClock:
    def __init__(self, now=world_mod.NOW):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **kw: float) -> None:
        import datetime as dt
        self.now += dt.timedelta(**kw)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("console-template") / "template.db"
    db = open_database(path)
    world = world_mod.build(db)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path, world


@pytest.fixture
def world(template) -> dict[str, Any]:
    return json.loads(json.dumps(template[1]))


@pytest.fixture
def db_path(tmp_path: Path, template) -> Path:
    path = tmp_path / "rasoat.db"
    shutil.copyfile(template[0], path)
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_settings(db_path: Path, **extra: Any) -> Settings:
    return Settings(db_path=str(db_path), secret=SECRET, public_url="http://testserver", extra=extra)


@pytest.fixture
def app(db_path: Path, clock: FakeClock) -> Iterator[Any]:
    application = create_app(make_settings(db_path), clock=clock)
    yield application
    application.state.db.close()


def session_for(app: Any, username: str) -> str:
    """A console session (idle timeout + absolute maximum, as the login page starts it) without the
    (slow, argon2) password check."""
    db = app.state.db
    uid = db.value("SELECT id FROM users WHERE username = ?", (username,))
    with db.write() as conn:
        return start_console_session(conn, uid, app.state.clock(), app.state.settings)


def client_as(app: Any, role: str | None) -> TestClient:
    c = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    if role:
        c.cookies.set(SESSION_COOKIE, session_for(app, role))
    return c


@pytest.fixture
def clients(app: Any) -> dict[str | None, TestClient]:
    return {role: client_as(app, role) for role in (*ROLES, None)}


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(client: TestClient, path: str = "/console/dashboard") -> str:
    r = client.get(path)
    m = CSRF_RE.search(r.text)
    assert m, f"no CSRF token on {path} ({r.status_code})"
    return m.group(1)


# --- a real server ----------------------------------------------------------------------------------



@pytest.fixture
def live(db_path: Path) -> Iterator[tuple[LiveServer, Any]]:
    application = create_app(make_settings(db_path))     # the real clock: a browser sets real cookies
    with LiveServer(application) as server:
        yield server, application
    application.state.db.close()
