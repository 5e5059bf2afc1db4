"""Push: per-record results, idempotency, conflicts, rejections; nothing stored is touched."""
from __future__ import annotations

import copy
import datetime as dt
import json
import sqlite3

import pytest

from shared import wire

from .helpers import households, pull_all, push, simple_household, submission


def _state(db) -> dict[str, list]:
    """Every row of the tables a push may write (not the audit log)."""
    out = {}
    for table in ("submissions", "submission_conflicts", "households", "classifications", "changes", "returns"):
        out[table] = [tuple(r) for r in db.all(f"SELECT * FROM {table} ORDER BY 1")]
    return out


def test_accepted_submission_is_validated_classified_and_stored(client, device, db):
    doc = households(1)[0]
    s = submission(doc)
    r = push(client, device, [s])
    assert r.status_code == 200, r.text
    [res] = r.json()["results"]
    assert res["status"] == "accepted"
    rc = res["receipt"]
    assert rc["submission_id"] == s["submission_id"] and rc["server_revision"] == 1
    assert rc["content_hash"] == wire.content_hash(s)
    assert {c["standard_id"] for c in res["classifications"]} == {"vn-national-2022-2025", "qn-provincial-2023-2025"}
    h = db.one("SELECT * FROM households WHERE household_id = ?", (doc["household_id"],))
    assert h["server_revision"] == 1 and h["status"] == "submitted" and h["submission_id"] == s["submission_id"]
    assert db.value("SELECT COUNT(*) FROM classifications WHERE submission_id = ?", (s["submission_id"],)) == 2
    assert db.value("SELECT COUNT(*) FROM audit_log WHERE action = 'submission.device'") == 1


def test_plain_json_is_accepted_too(client, device):
    r = push(client, device, [submission(simple_household())], gzip=False)
    assert r.json()["results"][0]["status"] == "accepted"


def test_same_batch_twice_gives_identical_state_and_receipts(client, device, db):
    subs = [submission(d) for d in households(5)]
    first = push(client, device, subs).json()["results"]
    state = _state(db)
    second = push(client, device, subs).json()["results"]
    assert _state(db) == state
    assert [r["status"] for r in first] == ["accepted"] * 5
    assert [r["status"] for r in second] == ["duplicate"] * 5
    assert [r["receipt"] for r in first] == [r["receipt"] for r in second]
    assert [r["classifications"] for r in first] == [r["classifications"] for r in second]


def test_retry_after_lost_response_creates_nothing_new(client, device, db):
    """The response never reached the tablet: it resends the same ids and bodies (new device_time)."""
    subs = [submission(d) for d in households(3)]
    push(client, device, subs)                          # response lost in transit
    before = _state(db)
    retry = [dict(s, device_time="2025-12-15T11:30:00+07:00") for s in subs]
    results = push(client, device, retry).json()["results"]
    assert {r["status"] for r in results} == {"duplicate"}
    assert _state(db) == before


def test_same_id_different_content_is_a_kept_conflict(client, device, db):
    s = submission(simple_household())
    push(client, device, [s])
    edited = copy.deepcopy(s)
    edited["answers"]["notes"] = "sửa lại"
    [res] = push(client, device, [edited]).json()["results"]
    assert res["status"] == "conflict" and res["conflict"] == {"reason": "different_content"}
    assert res["receipt"]["content_hash"] == wire.content_hash(edited)
    kept = db.one("SELECT * FROM submission_conflicts WHERE submission_id = ?", (s["submission_id"],))
    assert json.loads(kept["body"])["answers"]["notes"] == "sửa lại"
    assert db.value("SELECT needs_review FROM households WHERE household_id = ?", (s["household_id"],)) == 1
    # the original is untouched; a retry of the edited body is a duplicate with the same receipt
    assert db.one("SELECT content_hash FROM submissions WHERE submission_id = ?", (s["submission_id"],))[0] \
        == wire.content_hash(s)
    [again] = push(client, device, [edited]).json()["results"]
    assert again["status"] == "duplicate" and again["receipt"] == res["receipt"]


def test_next_revision_on_the_current_base_is_accepted(client, device, db):
    doc = simple_household()
    push(client, device, [submission(doc)])
    doc["notes"] = "lần 2"
    [res] = push(client, device, [submission(doc, revision=2, base=1)]).json()["results"]
    assert res["status"] == "accepted" and res["receipt"]["server_revision"] == 2
    assert db.value("SELECT COUNT(*) FROM submissions WHERE household_id = ?", (doc["household_id"],)) == 2


def test_stale_base_is_a_conflict_kept_without_changing_the_household(client, device, db):
    doc = simple_household()
    push(client, device, [submission(doc)])
    push(client, device, [submission(doc, revision=2, base=1)])
    # another edit made on revision 1 (e.g. a second tablet) arrives late
    [res] = push(client, device, [submission(doc, revision=2, base=1)]).json()["results"]
    assert res["status"] == "conflict" and res["conflict"]["reason"] == "stale_base"
    assert res["receipt"]["server_revision"] is None
    h = db.one("SELECT server_revision, needs_review FROM households WHERE household_id = ?", (doc["household_id"],))
    assert tuple(h) == (2, 1)
    assert db.value("SELECT COUNT(*) FROM submissions WHERE household_id = ? AND status = 'conflict'",
                    (doc["household_id"],)) == 1


@pytest.mark.parametrize("base, reason", [(None, "stale_base"), (7, "unknown_base")])
def test_base_mismatches(client, device, base, reason):
    doc = simple_household()
    push(client, device, [submission(doc)])
    [res] = push(client, device, [submission(doc, revision=2, base=base)]).json()["results"]
    assert (res["status"], res["conflict"]["reason"]) == ("conflict", reason)


def test_a_base_for_an_unknown_household_is_an_unknown_base_conflict(client, device):
    [res] = push(client, device, [submission(simple_household(), revision=3, base=2)]).json()["results"]
    assert (res["status"], res["conflict"]["reason"]) == ("conflict", "unknown_base")


def test_invalid_record_lists_every_problem_and_the_rest_of_the_batch_is_stored(client, device, db):
    good = [submission(d) for d in households(2)]
    bad_doc = simple_household()
    bad_doc["members"][0]["sex"] = "x"
    bad_doc["housing"]["floor_area_m2"] = -3
    del bad_doc["water_source"]
    bad = submission(bad_doc)
    results = push(client, device, [good[0], bad, good[1]]).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    paths = {p["path"] for p in results[1]["problems"]}
    assert {"members[0].sex", "housing.floor_area_m2", "water_source"} <= paths
    assert all(p["message_vi"] and p["severity"] == "error" for p in results[1]["problems"])
    assert db.value("SELECT COUNT(*) FROM submissions WHERE submission_id = ?", (bad["submission_id"],)) == 0


def test_warnings_are_kept_with_an_accepted_submission(client, device, db):
    doc = simple_household()
    doc["members"][0]["in_school"] = False      # a 40-year-old: not asked, so a warning only
    [res] = push(client, device, [submission(doc)]).json()["results"]
    assert res["status"] == "accepted"
    assert [(p["path"], p["code"], p["severity"]) for p in res["problems"]] == \
        [("members[0].in_school", "not_relevant", "warning")]
    stored = json.loads(db.value("SELECT warnings FROM submissions WHERE submission_id = ?", (res["submission_id"],)))
    assert stored == res["problems"]


@pytest.mark.parametrize("mutate, code", [
    (lambda s: s.update(submission_id="123"), "invalid_uuid"),
    (lambda s: s.update(household_id="abc"), "invalid_uuid"),
    (lambda s: (s.update(collected_at="2025-12-20T08:00:00+07:00"),
                s["answers"].update(collected_at="2025-12-20T08:00:00+07:00")), "future"),
    (lambda s: s["answers"]["area"].update(group_code="KP02"), "forbidden_group"),
    (lambda s: s["answers"]["area"].update(ward_code="HONGGAI"), "forbidden_group"),
    (lambda s: s["answers"]["area"].update(area_type="rural"), "area_mismatch"),
    (lambda s: s.update(form_version="1999.1") or s["answers"].update(form_version="1999.1"), "choice"),
    (lambda s: s.update(answers="nope"), "type"),
    (lambda s: s.pop("revision"), "type"),
])
def test_per_record_rejection_codes(client, device, db, mutate, code):
    s = submission(simple_household())
    mutate(s)
    before = db.value("SELECT COUNT(*) FROM submissions")
    [res] = push(client, device, [s]).json()["results"]
    assert res["status"] == "rejected"
    assert code in {p["code"] for p in res["problems"]}, res["problems"]
    assert db.value("SELECT COUNT(*) FROM submissions") == before


def test_non_object_items_are_rejected_individually(client, device):
    results = push(client, device, [1, "x", None, submission(simple_household())]).json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 3 + ["accepted"]


def test_a_household_of_another_group_cannot_be_overwritten(client, device, device2):
    doc = simple_household(group="KP02")
    assert push(client, device2, [submission(doc)]).json()["results"][0]["status"] == "accepted"
    # device (KP01) claims the KP02 household moved to KP01
    moved = copy.deepcopy(doc)
    moved["area"]["group_code"] = "KP01"
    [res] = push(client, device, [submission(moved, revision=2, base=1)]).json()["results"]
    assert res["status"] == "rejected" and res["problems"][0]["code"] == "forbidden_group"


def test_two_revisions_of_one_household_in_one_batch(client, device):
    doc = simple_household()
    doc2 = dict(doc, notes="sửa")
    results = push(client, device, [submission(doc), submission(doc2, revision=2, base=1)]).json()["results"]
    assert [(r["status"], r["receipt"]["server_revision"]) for r in results] == [("accepted", 1), ("accepted", 2)]


def test_the_same_record_twice_in_one_batch_is_stored_once(client, device, db):
    s = submission(simple_household())
    results = push(client, device, [s, s]).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "duplicate"]
    assert results[0]["receipt"] == results[1]["receipt"]
    assert db.value("SELECT COUNT(*) FROM submissions") == 1


def test_uniqueness_is_a_database_constraint(db):
    row = db.one("SELECT sql FROM sqlite_master WHERE name = 'submissions'")[0]
    assert "submission_id TEXT NOT NULL UNIQUE" in row
    with pytest.raises(sqlite3.IntegrityError):
        with db.write() as conn:
            for _ in range(2):
                conn.execute("INSERT INTO submissions (submission_id, receipt_id, household_id, source, status, "
                             "revision, form_version, collected_at, received_at, content_hash, body) "
                             "VALUES ('a', lower(hex(randomblob(8))), 'h', 'device', 'accepted', 1, 'f', 'c', 'r', 'x', '{}')")


def test_a_server_error_in_one_record_rejects_only_that_record(client, device, db, monkeypatch):
    from server.services import ingest

    docs = households(3)
    real = ingest.classifications.insert_many

    def flaky(conn, sid, hid, results):
        if hid == docs[1]["household_id"]:
            raise RuntimeError("disk hiccup")
        return real(conn, sid, hid, results)

    monkeypatch.setattr(ingest.classifications, "insert_many", flaky)
    client.app.state.bulk_new_households = False            # the per-record path (bulk: test_push_bulk.py)
    results = push(client, device, [submission(d) for d in docs]).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    assert results[1]["retry"] is True and results[1]["problems"][0]["code"] == "server_error"
    assert db.value("SELECT COUNT(*) FROM households WHERE household_id = ?", (docs[1]["household_id"],)) == 0
    monkeypatch.setattr(ingest.classifications, "insert_many", real)
    [again] = push(client, device, [submission(docs[1])]).json()["results"]
    assert again["status"] == "accepted"


def test_preloaded_household_edited_on_its_base(client, app, device, db, clock):
    from server.services.preload import preload_households

    doc = households(1, seed=3)[0]
    preload_households(db, [doc], clock())
    changes, _ = pull_all(client, device)
    h = [c for c in changes if c["kind"] == "household" and c["household_id"] == doc["household_id"]][-1]
    assert h["status"] == "preloaded" and h["server_revision"] == 1 and h["answers"]["members"]
    edited = dict(h["answers"], notes="đã xác minh")
    [res] = push(client, device, [submission(edited, revision=1, base=1)]).json()["results"]
    assert res["status"] == "accepted" and res["receipt"]["server_revision"] == 2
