"""The process on a real database: meetings and the ≥ 50% rule, posting, complaints, the recognition
decision and the status history."""
from __future__ import annotations

import datetime as dt

import pytest

from shared import wire
from shared.eligibility import eligibility

from server.errors import ApiError
from server.process import review, service
from server.history import status_history
from server.store import facts

from .helpers import GROUPS, OFFICER, QN, at, load, run_round, two_year_ward, valid_docs

NOW = at(2025, 12, 15)


@pytest.fixture
def ward(db):
    docs = valid_docs(120, seed=3)
    load(db, docs, NOW)
    return docs


def _meeting(db, group="KP01", at_least=2):
    m = service.create_meeting(db, OFFICER, 2025, QN, group, "2025-11-20", NOW, chair_name="Trưởng KP")
    assert len(m["items"]) >= at_least
    return m


def test_candidates_are_new_and_escaping_against_the_register(db, ward):
    rows = service.candidates(db, 2025, QN, "KP01")
    assert rows and all(r["register_status"] is None for r in rows)         # nothing known: all new
    assert {r["category"] for r in rows} <= {"new_poor", "new_near_poor"}
    assert all(r["class"] in ("poor", "near_poor") for r in rows)
    hid, cls = rows[0]["household_id"], rows[0]["class"]
    with db.write() as conn:   # last year's register had the same status: it remains, no meeting
        status_history.record(conn, hid, QN, cls, "2024-12-10", source="register", now="x", round_=2024)
    again = {r["household_id"] for r in service.candidates(db, 2025, QN, "KP01")}
    assert hid not in again and len(again) == len(rows) - 1


def test_vote_at_exactly_half_stands_and_below_goes_back(db, ward):
    m = _meeting(db)
    a, b = m["items"][0]["household_id"], m["items"][1]["household_id"]
    res = service.record_votes(db, OFFICER, m["id"], 1000, {a: 500, b: 499}, NOW)
    out = {r["household_id"]: r["outcome"] for r in res["results"]}
    assert out == {a: "stands", b: "re_review"}
    # b went back through the returns service: household returned, reason, a change for the tablet
    assert db.value("SELECT status FROM households WHERE household_id = ?", (b,)) == "returned"
    assert db.value("SELECT status FROM households WHERE household_id = ?", (a,)) != "returned"
    assert db.value("SELECT reason FROM returns WHERE household_id = ?", (b,)) == "Họp dân chưa đạt ≥ 50% đồng ý"
    assert db.value("SELECT COUNT(*) FROM changes WHERE kind = ? AND entity_id = ?", (wire.KIND_RETURN, b)) == 1
    # votes are final; the attendance is fixed once votes exist
    with pytest.raises(ApiError) as e:
        service.record_votes(db, OFFICER, m["id"], 1000, {a: 600}, NOW)
    assert e.value.details[0]["code"] == "already_voted"
    with pytest.raises(ApiError) as e:
        service.record_votes(db, OFFICER, m["id"], 999, {}, NOW)
    assert e.value.code == "attendees_fixed"
    # a still-open meeting blocks a second one for the group
    with pytest.raises(ApiError) as e:
        _meeting(db)
    assert e.value.code == "meeting_open"
    # where they stand now
    states = {r.household_id: r.judgement.state for r in
              __import__("server.process.results", fromlist=["x"]).iter_results(db.conn, 2025, QN)}
    assert states[a] == "settled" and states[b] == "re_review"


def test_returned_household_comes_back_after_resubmission(client, db, device, ward):
    from tests.server.helpers import push, submission
    m = _meeting(db)
    b = m["items"][0]["household_id"]
    service.record_votes(db, OFFICER, m["id"], 20, {b: 9}, NOW)            # 45%: back
    rev = db.value("SELECT server_revision FROM households WHERE household_id = ?", (b,))
    doc = next(d for d in ward if d["household_id"] == b)
    r = push(client, device, [submission(doc, revision=2, base=rev)])
    assert r.json()["results"][0]["status"] == "accepted", r.text
    others = {it["household_id"]: 20 for it in m["items"][1:]}
    service.record_votes(db, OFFICER, m["id"], None, others, NOW)          # close the first meeting
    assert b not in {c["household_id"] for c in service.candidates(db, 2025, QN, "KP01")}   # not reviewed yet
    sid = db.value("SELECT submission_id FROM households WHERE household_id = ?", (b,))
    assert [o.accepted for o in review.accept_many(db, OFFICER, [(b, sid)], NOW)] == [True]
    again = service.candidates(db, 2025, QN, "KP01")
    assert b in {c["household_id"] for c in again}                         # a new meeting must discuss it
    m2 = _meeting(db, at_least=1)
    assert [it["household_id"] for it in m2["items"]] == [b]


def test_posting_dates_and_lists(db, ward):
    for g in GROUPS:
        m = service.create_meeting(db, OFFICER, 2025, QN, g, "2025-11-20", NOW)
        service.record_votes(db, OFFICER, m["id"], 30, {it["household_id"]: 15 for it in m["items"]}, NOW)
    p = service.create_posting(db, OFFICER, 2025, QN, "KP02", "2025-11-21", NOW)
    assert (p["posted_on"], p["ends_on"], p["working_days"]) == ("2025-11-21", "2025-11-25", 3)
    service.update_settings(db, OFFICER, {"posting_working_days": 5, "holidays": "2025-11-24"}, NOW)
    p2 = service.create_posting(db, OFFICER, 2025, QN, None, "2025-11-21", NOW)
    assert p2["ends_on"] == "2025-11-28" and p2["group_id"] is None
    full = service.get_posting(db, p2["id"])
    kp02 = service.get_posting(db, p["id"])
    assert sum(full["counts"].values()) >= sum(kp02["counts"].values()) > 0
    expected = db.value("SELECT COUNT(*) FROM households h JOIN area_groups g ON g.id = h.group_id "
                        "WHERE g.code = 'KP02' AND json_extract(h.classes, '$.\"" + QN + "\"') = 'poor'")
    assert kp02["counts"]["poor"] == expected
    with pytest.raises(ApiError):
        service.update_settings(db, OFFICER, {"posting_working_days": 0}, NOW)


def test_complaint_blocks_recognition_until_rechecked(db, ward):
    for g in GROUPS:
        m = service.create_meeting(db, OFFICER, 2025, QN, g, "2025-11-20", NOW)
        service.record_votes(db, OFFICER, m["id"], 30, {it["household_id"]: 30 for it in m["items"]}, NOW)
    p = service.create_posting(db, OFFICER, 2025, QN, "KP01", "2025-11-21", NOW)
    lists = service.get_posting(db, p["id"])["lists"]
    hid = (lists["poor"] or lists["near_poor"])[0]["household_id"]
    c = service.record_complaint(db, OFFICER, 2025, hid, "2025-11-26", "Trần Văn Khiếu", "Hộ có ô tô", NOW, p["id"])
    assert c["after_posting_end"] is True and c["outcome"] == "pending"
    with pytest.raises(ApiError) as e:
        service.create_decision(db, OFFICER, 2025, QN, "1/QĐ", "2025-12-10", "A", "Chủ tịch", NOW)
    assert e.value.code == "unsettled" and e.value.details[0]["counts"] == {"complaint_pending": 1}
    [held] = e.value.details[0]["households"]
    assert held["household_id"] == hid and held["state_vi"] == "Có khiếu nại chưa phúc tra" and held["todo_vi"]
    c = service.resolve_complaint(db, OFFICER, c["id"], "confirmed", "Đúng hộ nghèo", "2025-11-28", NOW)
    assert c["outcome"] == "confirmed"
    d = service.create_decision(db, OFFICER, 2025, QN, "1/QĐ", "2025-12-10", "A", "Chủ tịch", NOW)
    assert hid in {r["household_id"] for r in service.decision_households(db, d["id"], None, limit=1000)}


def test_complaint_changed_sends_household_back(db, ward):
    hid = ward[0]["household_id"]
    c = service.record_complaint(db, OFFICER, 2025, hid, "2025-11-22", "Người dân", "Sai thu nhập", NOW)
    with pytest.raises(ApiError):
        service.resolve_complaint(db, OFFICER, c["id"], "changed", "", "2025-11-25", NOW)   # needs a note
    c = service.resolve_complaint(db, OFFICER, c["id"], "changed", "Thu nhập khai thiếu", "2025-11-25", NOW)
    assert c["return_id"] and db.value("SELECT status FROM households WHERE household_id = ?", (hid,)) == "returned"


def test_recognition_lists_and_status_history(db, ward):
    facts.refresh(db)
    expected = {"poor": 0, "near_poor": 0}
    for r in db.all("SELECT classes FROM households"):
        cls = __import__("json").loads(r[0]).get(QN)
        if cls in expected:
            expected[cls] += 1
    d = run_round(db, 2025, QN, dt.date(2025, 12, 10), NOW)
    assert {k: d["counts"][k] for k in expected} == expected
    assert d["counts"]["escaped_poverty"] == d["counts"]["escaped_near_poverty"] == 0
    n = db.value("SELECT COUNT(*) FROM household_status_history WHERE decision_id = ? AND decision_date = ? "
                 "AND source = 'recognition' AND round = 2025", (d["id"], "2025-12-10"))
    assert n == expected["poor"] + expected["near_poor"]
    hid = db.value("SELECT household_id FROM decision_households WHERE decision_id = ? AND list = 'poor'", (d["id"],))
    changes = status_history.status_changes(db.conn, hid, QN)
    assert [(c.status, c.decision_date) for c in changes] == [("poor", dt.date(2025, 12, 10))]
    assert all(e.eligible for e in eligibility(changes, dt.date(2026, 1, 5)) if e.policy_id == "electricity")
    cert = service.certificate(db, d["id"], hid)
    assert cert["list"] == "poor" and cert["members"] and cert["decision"]["number"] == d["number"]
    with pytest.raises(ApiError) as e:
        service.create_decision(db, OFFICER, 2025, QN, "2/QĐ", "2025-12-11", "A", "B", NOW)
    assert e.value.code == "decision_exists"


def test_second_round_escapes_with_windows(db):
    info = two_year_ward(db, 180)
    d2 = run_round(db, 2025, QN, dt.date(2025, 12, 10), NOW)
    assert d2["counts"]["escaped_poverty"] + d2["counts"]["escaped_near_poverty"] > 0
    hid = db.value("SELECT household_id FROM decision_households WHERE decision_id = ? AND list = 'escaped_poverty'",
                   (d2["id"],))
    hist = status_history.history(db.conn, hid, QN)
    assert [(h["status"], h["decision_date"], h["previous_status"]) for h in hist] == [
        ("poor", "2024-12-10", None), ("escaped_poverty", "2025-12-10", "poor")]
    el = {e.policy_id: e for e in eligibility(status_history.status_changes(db.conn, hid, QN), dt.date(2026, 6, 1))}
    assert el["policy_credit"].eligible and el["policy_credit"].window_end == dt.date(2028, 12, 9)
    assert not el["electricity"].eligible
    assert status_history.status_on(db.conn, hid, QN, dt.date(2025, 1, 1))["status"] == "poor"
    reg = status_history.register_before_round(db.conn, QN, 2026, [hid])
    assert reg[hid]["status"] == "escaped_poverty" and reg[hid]["ever_poor"]
    assert len(info["ids"]) == 180
