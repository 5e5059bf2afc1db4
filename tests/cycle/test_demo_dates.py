"""The demo is relative to today: last year's register imported, this year's round open inside
1 September – 14 December, else the most recent round surveyed and closed; its standards are the
ones the date rule proposes, so `make run` works on any date."""
from __future__ import annotations

import datetime as dt

import pytest

from server.db import open_database
from server.demo import seed_demo
from server.migrations import migrate

VN = dt.timezone(dt.timedelta(hours=7))


@pytest.mark.parametrize("today,round_year,status,standards,register_year", [
    (dt.datetime(2026, 12, 3, 10, tzinfo=VN), 2026, "open", ["vn-national-2022-2025"], 2025),
    (dt.datetime(2026, 12, 20, 10, tzinfo=VN), 2026, "closed", ["vn-national-2022-2025"], 2025),
    (dt.datetime(2027, 3, 1, 10, tzinfo=VN), 2026, "closed", ["vn-national-2022-2025"], 2025),
    (dt.datetime(2027, 10, 1, 10, tzinfo=VN), 2027, "open", ["vn-national-2027-2030"], 2026),
])
def test_the_demo_round_follows_today(tmp_path, today, round_year, status, standards, register_year):
    db = open_database(tmp_path / "demo.db")
    migrate(db)
    out = seed_demo(db, households=40, now=today, cycle=True)
    cyc = out["cycle"]
    assert (cyc["register_year"], cyc["round_status"], cyc["standards"]) == (register_year, status, standards)
    assert f"năm {round_year}" in cyc["round"]
    latest = db.value("SELECT MAX(substr(collected_at, 1, 10)) FROM submissions WHERE source = 'device'")
    assert latest is None or latest <= today.date().isoformat()        # nothing collected in the future
    groups = [r[0] for r in db.all("SELECT name FROM area_groups ORDER BY code")]
    assert any("Hùng Thắng" in g for g in groups) and any("Bãi Cháy" in g for g in groups)
    db.close()
