"""API routes that take a round use the current one when none is named: the open round, not the
first round stored, not an old or a not-yet-begun one, and not the calendar year (in February the
year has turned but the round of last autumn is still the office's work). Once the open round is
closed, the latest periodic round already begun."""
from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from shared import wire

from server.cycle import rounds
from tests.server.conftest import session_token

FEBRUARY = dt.datetime(2027, 2, 1, 9, 0, tzinfo=wire.VN_TZ)


def _api(app) -> TestClient:
    c = TestClient(app, raise_server_exceptions=False)
    c.headers["Authorization"] = f"Bearer {session_token(app, 'officer')}"
    return c


def _add_round(db, year: int, status: str) -> None:
    with db.write() as conn:
        conn.execute("INSERT INTO review_rounds (kind, year, month, starts_on, ends_on, standards, status, note, "
                     "opened_at) VALUES ('periodic', ?, NULL, ?, ?, '[\"vn-national-2022-2025\"]', ?, 'test', ?)",
                     (year, f"{year}-09-01", f"{year}-12-14", status, f"{year}-09-01T08:00:00+07:00"))


def _defaults(app, std: str) -> dict[str, object]:
    api = _api(app)
    out = {}
    r = api.get("/api/v1/cycle/transitions", params={"limit": 1})
    assert r.status_code == 200, r.text
    out["transitions"] = r.json()["round"]
    r = api.get("/api/v1/reports/overall", params={"standard_id": std})
    assert r.status_code == 200, r.text
    out["report"] = r.json()["scope"]["round"]
    r = api.get("/api/v1/reports/named_lists/rows", params={"standard_id": std, "limit": 1})
    out["named_lists"] = r.json()["scope"]["round"] if "scope" in r.json() else r.json().get("round")
    got = api.get("/api/v1/process/candidates", params={"standard_id": std, "group": "KP02"}).json()["households"]
    named = {y: api.get("/api/v1/process/candidates",
                        params={"standard_id": std, "group": "KP02", "round": y}).json()["households"] for y in
             (2026, 2027)}
    out["candidates"] = next((y for y, rows in named.items() if rows == got), None)
    return out


def test_the_api_defaults_to_the_open_round(office):
    app, world = office
    db = app.state.db
    app.state.clock.now = FEBRUARY                      # the calendar year is 2027
    _add_round(db, 2024, "closed")                      # an old round, stored after the open one
    _add_round(db, 2027, "closed")                      # next autumn's round, defined but not begun
    assert world["work"]["awaiting_meeting"]["KP02"] > 0
    std = world["work"]["standard_id"]
    assert _defaults(app, std) == {k: 2026 for k in ("transitions", "report", "named_lists", "candidates")}
    # the open round closed: the latest periodic round already begun (still 2026, not 2027 or 2024)
    rounds.close_round(db, db.value("SELECT id FROM review_rounds WHERE year = 2026"), FEBRUARY)
    assert _defaults(app, std) == {k: 2026 for k in ("transitions", "report", "named_lists", "candidates")}


def test_the_default_round_is_documented(office):
    app, _ = office
    spec = _api(app).get("/openapi.json").json()
    for path in ("/api/v1/cycle/transitions", "/api/v1/reports/{report_id}", "/api/v1/process/candidates"):
        [param] = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "round"]
        assert "default: the open round" in param.get("description", "") + param["schema"].get("description", ""), path


def test_a_year_without_a_round_uses_the_current_rounds_standard(office):
    """``?round=2090`` (no round that year, no standard in force): the current round's standard, not a
    422 "name a standard" for a request the document calls valid (found by the harness's fuzzing)."""
    app, world = office
    r = _api(app).get("/api/v1/cycle/transitions", params={"round": 2090, "limit": 1})
    assert r.status_code == 200, r.text
    assert r.json()["round"] == 2090 and r.json()["standard_id"] == world["work"]["standard_id"]
