"""Fixtures: a fresh SQLite file per test (copied from a demo-ward template built once),
an app on a fake clock, an in-process client, tokens, and a real uvicorn on loopback."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.live import LiveServer
from fastapi.testclient import TestClient

from server import auth
from server.app import create_app
from server.db import open_database
from server.demo import seed_demo
from server.services import enrollment
from server.services.publish import publish_bundled
from server.settings import Settings

from .helpers import NOW, FakeClock

SECRET = "test-secret-" + "x" * 20


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo ward (users, collaborators, no households), built once; tests get copies."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = open_database(path)
    seed_demo(db, households=0, now=NOW)
    publish_bundled(db, NOW)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@pytest.fixture
def db_path(tmp_path: Path, template_db: Path) -> Path:
    path = tmp_path / "rasoat.db"
    shutil.copyfile(template_db, path)
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return Settings(db_path=str(db_path), secret=SECRET, public_url="http://testserver")


@pytest.fixture
def app(settings: Settings, clock: FakeClock) -> Iterator[Any]:
    application = create_app(settings, clock=clock)
    yield application
    application.state.db.close()


@pytest.fixture
def client(app: Any) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def db(app: Any):
    return app.state.db


def session_token(app: Any, username: str) -> str:
    """A session for a demo user without the (slow, argon2) password check."""
    db = app.state.db
    uid = db.value("SELECT id FROM users WHERE username = ?", (username,))
    with db.write() as conn:
        token, _ = auth.start_session(conn, uid, app.state.clock(), 12)
    return token


def device_token(app: Any, collaborator_id: int = 1, name: str = "Tab") -> str:
    """Enroll a device for a demo collaborator (1 = KP01, 2 = KP02, 5 = KP05+KP06)."""
    now = app.state.clock()
    code = enrollment.create_code(app.state.db, collaborator_id, None, now, 1, "http://testserver", with_qr=False)
    return enrollment.enroll(app.state.db, code["code"], name, now)["token"]


@pytest.fixture
def admin(app: Any) -> str:
    return session_token(app, "admin")


@pytest.fixture
def officer(app: Any) -> str:
    return session_token(app, "officer")


@pytest.fixture
def viewer(app: Any) -> str:
    return session_token(app, "viewer")


@pytest.fixture
def device(app: Any) -> str:
    return device_token(app, 1, "Tab KP01")


@pytest.fixture
def device2(app: Any) -> str:
    return device_token(app, 2, "Tab KP02")


@pytest.fixture
def live(app: Any) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server
