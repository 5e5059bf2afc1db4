"""The office world: the demo ward with its work waiting (server/demo_work.py), built once per
session and copied per test, plus a recognition decision issued with an override (so decision,
print and certificate pages exist). Clients per role in Vietnamese."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient

from shared import wire

from server.app import create_app
from server.db import open_database
from server.settings import Settings

from tests.console.conftest import FakeClock, SECRET, client_as  # noqa: F401
from tests.server.conftest import (  # noqa: F401  (fixtures: a fresh demo-ward database per test, an app, a device)
    app, client, clock, db, db_path, device, settings, template_db)

NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=wire.VN_TZ)
ROLES = ("admin", "officer", "viewer")


def build(db: Any) -> dict[str, Any]:
    from server.auth import UserPrincipal
    from server.demo import seed_demo
    from server.process import service

    res = seed_demo(db, households=170, now=NOW, cycle=True)
    work = res["work"]
    officer = UserPrincipal(id=db.value("SELECT id FROM users WHERE username = 'officer'"), username="officer",
                            full_name="Cán bộ", role="officer")
    choices = service.standard_choices(db.conn, work["round"])
    other = next((c["id"] for c in choices if c["id"] != work["standard_id"]), work["standard_id"])
    d = service.create_decision(db, officer, work["round"], work["standard_id"], "125/QĐ-UBND", NOW.date(), "Nguyễn Văn Chủ",
                                "Chủ tịch UBND phường", NOW, allow_unsettled=True,
                                override_reason="Các hộ còn lại được rà soát bổ sung trong tháng 01")
    cert = db.value("SELECT household_id FROM decision_households WHERE decision_id = ? LIMIT 1", (d["id"],))
    assert cert, "the decision recognised nobody"
    ids = {
        "submitted": db.value("SELECT household_id FROM households WHERE status = 'submitted' LIMIT 1"),
        "preloaded": db.value("SELECT household_id FROM households WHERE status = 'preloaded' LIMIT 1"),
        "accepted": db.value("SELECT h.household_id FROM households h JOIN review_decisions r "
                             "ON r.submission_id = h.submission_id LIMIT 1"),
        "returned": work["returned_by_meeting"] or work["returned_by_officer"],
        "conflict": work["conflict"],
    }
    return {"work": work, "decision_id": d["id"], "decision_standard": work["standard_id"], "other_standard": other, "certificate_household": cert,
            "households": ids,
            "candidate_id": db.value("SELECT id FROM dedup_candidates WHERE status = 'open' ORDER BY id LIMIT 1"),
            "conflict_submission": db.value("SELECT submission_id FROM submissions WHERE status = 'conflict' LIMIT 1")}


@pytest.fixture(scope="session")
def office_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("office-template") / "office.db"
    db = open_database(path)
    world = build(db)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path, json.loads(json.dumps(world))


@pytest.fixture
def office(tmp_path: Path, office_template) -> Iterator[tuple[Any, dict[str, Any]]]:
    path = tmp_path / "rasoat.db"
    shutil.copyfile(office_template[0], path)
    app = create_app(Settings(db_path=str(path), secret=SECRET, public_url="http://testserver"),
                     clock=FakeClock(NOW))
    yield app, json.loads(json.dumps(office_template[1]))
    app.state.db.close()


@pytest.fixture
def as_role(office) -> dict[str, TestClient]:
    app, _ = office
    return {role: client_as(app, role) for role in ROLES}
