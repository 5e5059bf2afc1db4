"""`make run`'s demo has work waiting whatever today is (server/demo_work.py): inside the periodic
round's window, on its first day and months after it closed; a second seed adds nothing; one piece of
demo work that fails is named and the rest of the demo is still there."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from shared import wire

from server import demo_work
from server.db import open_database
from server.demo import seed_demo

HOUSEHOLDS = 150


def _seed(tmp_path: Path, day: dt.date):
    db = open_database(tmp_path / "demo.db")
    now = dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=wire.VN_TZ)
    return db, now, seed_demo(db, households=HOUSEHOLDS, now=now, cycle=True)


def _work_waiting(db, w) -> None:
    assert w["accepted"] > 0 and w["waiting_review"] > 0
    assert w["meeting_id"] and w["posting_id"] and w["complaint_id"] and w["pending_meeting_id"]
    assert w["returned_by_meeting"] and w["returned_by_officer"] and w["conflict"]
    assert sum(w["awaiting_meeting"].values()) > 0
    assert w["duplicate_pairs"] >= 2
    assert db.value("SELECT COUNT(*) FROM dedup_candidates WHERE status = 'open'") >= 2
    assert db.value("SELECT COUNT(*) FROM submissions WHERE status = 'conflict'") >= 1
    # the meeting's group has a household settled on a list: a decision has someone to recognise
    from server.process.results import iter_results
    from server.store import facts
    facts.refresh(db)
    assert any(r.judgement.state == "settled" and r.judgement.list
               for r in iter_results(db.conn, w["round"], w["standard_id"]))


@pytest.mark.parametrize("day, status, year", [
    (dt.date(2026, 12, 3), "open", 2026),      # inside the window
    (dt.date(2026, 9, 1), "open", 2026),       # the round's first day: the work is dated that day
    (dt.date(2027, 3, 15), "closed", 2026),    # months after the round: closed, after its work was added
])
def test_work_waiting_whatever_the_date(tmp_path, day, status, year):
    db, now, res = _seed(tmp_path, day)
    assert res["failed"] == []
    assert res["cycle"]["round_status"] == status
    w = res["work"]
    assert w["round"] == year
    _work_waiting(db, w)
    # nothing is dated in the future or before the round began
    starts = db.value("SELECT starts_on FROM review_rounds WHERE year = ?", (year,))
    for table, col in (("community_meetings", "held_on"), ("postings", "posted_on"), ("complaints", "received_on")):
        days = [r[0] for r in db.all(f"SELECT {col} FROM {table}")]
        assert days and all(starts <= d <= day.isoformat() for d in days), (table, days)
    db.close()


def test_a_second_seed_does_nothing(tmp_path):
    db, now, res = _seed(tmp_path, dt.date(2026, 12, 3))
    counts = {t: db.value(f"SELECT COUNT(*) FROM {t}") for t in ("households", "submissions", "audit_log",
                                                                  "community_meetings", "dedup_candidates")}
    again = seed_demo(db, households=HOUSEHOLDS, now=now, cycle=True)
    assert again["seeded"] is False
    assert demo_work.add_work(db, now)["added"] is False
    assert counts == {t: db.value(f"SELECT COUNT(*) FROM {t}") for t in counts}
    db.close()


def test_one_failing_piece_does_not_break_the_seed(tmp_path, monkeypatch, capsys):
    def broken(*_a, **_k):
        raise RuntimeError("máy tính bảng thứ hai không gửi được")
    monkeypatch.setattr(demo_work, "_conflict", broken)
    db, now, res = _seed(tmp_path, dt.date(2027, 3, 15))
    assert res["seeded"] is True
    [f] = res["failed"]
    assert f["step"] == "conflict"
    assert "xung đột giữa hai máy tính bảng" in f["vi"] and "máy tính bảng thứ hai không gửi được" in f["vi"]
    w = res["work"]
    assert w["conflict"] is None and w["duplicate_pairs"] >= 2 and w["complaint_id"]
    assert res["cycle"]["round_status"] == "closed"          # still closed after the work
    assert res["programme"]["partners"]                       # the rest of the demo is there
    from server.cli.commands import _print_demo_users
    _print_demo_users(res)
    err = capsys.readouterr().err
    assert f["vi"] in err and "demo work 'conflict' was not added" in err
    db.close()
