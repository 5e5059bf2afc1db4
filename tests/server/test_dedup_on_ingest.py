"""Ingest matches every accepted revision against the registry (issue 4, incremental)."""
from __future__ import annotations

import copy
import uuid

from .helpers import households, push, submission


def test_a_household_surveyed_twice_is_linked_or_queued_at_ingest(client, device, db):
    doc = households(1)[0]
    twin = copy.deepcopy(doc)
    twin["household_id"] = str(uuid.uuid4())          # surveyed again under a new id
    twin["members"][0]["full_name"] = twin["members"][0]["full_name"].upper()
    assert push(client, device, [submission(doc)]).json()["results"][0]["status"] == "accepted"
    assert push(client, device, [submission(twin)]).json()["results"][0]["status"] == "accepted"
    ids = {doc["household_id"], twin["household_id"]}
    pairs = db.all("SELECT * FROM dedup_candidates")
    assert any({r["a"], r["b"]} == ids and r["band"] in ("auto", "review") for r in pairs), [dict(r) for r in pairs]
    assert db.value("SELECT COUNT(*) FROM dedup_records") == 2


def test_different_households_are_indexed_but_not_paired(client, device, db):
    a, b = households(2, seed=31)
    for d in (a, b):
        assert push(client, device, [submission(d)]).json()["results"][0]["status"] == "accepted"
    assert db.value("SELECT COUNT(*) FROM dedup_records") == 2
    assert db.value("SELECT COUNT(*) FROM dedup_candidates WHERE band IN ('auto', 'review')") == 0


def _twins(seed: int = 41) -> tuple[dict, dict]:
    doc = households(1, seed=seed)[0]
    twin = copy.deepcopy(doc)
    twin["household_id"] = str(uuid.uuid4())
    return doc, twin


def test_the_match_runs_after_the_commit_and_leaves_nothing_pending(client, device, db):
    doc, twin = _twins()
    for d in (doc, twin):
        assert push(client, device, [submission(d)]).json()["results"][0]["status"] == "accepted"
    assert db.value("SELECT COUNT(*) FROM dedup_pending") == 0
    pair = db.one("SELECT * FROM dedup_candidates WHERE band IN ('auto', 'review')")
    assert pair is not None and {pair["a"], pair["b"]} == {doc["household_id"], twin["household_id"]}


def test_a_match_that_fails_after_the_commit_stays_pending_and_runs_at_the_next_start(
        client, device, db, app, settings, clock, monkeypatch, caplog):
    from server.app import create_app
    from server.dedup import review
    from fastapi.testclient import TestClient

    doc, twin = _twins(seed=43)
    assert push(client, device, [submission(doc)]).json()["results"][0]["status"] == "accepted"

    def crash(*args, **kwargs):
        raise RuntimeError("process died between the commit and the match")

    monkeypatch.setattr(review, "pending_matches", crash)
    answer = push(client, device, [submission(twin)]).json()["results"][0]
    assert answer["status"] == "accepted"                      # stored and answered: the device is done
    assert "matched again later" in caplog.text                 # logged, not swallowed
    assert [r["household_id"] for r in db.all("SELECT household_id FROM dedup_pending")] == [twin["household_id"]]
    assert db.value("SELECT COUNT(*) FROM dedup_candidates WHERE band IN ('auto', 'review')") == 0
    monkeypatch.undo()

    restarted = create_app(settings, clock=clock)
    with TestClient(restarted):                                  # lifespan: leftovers are matched at start
        pass
    assert db.value("SELECT COUNT(*) FROM dedup_pending") == 0
    pair = db.one("SELECT * FROM dedup_candidates WHERE band IN ('auto', 'review')")
    assert pair is not None and {pair["a"], pair["b"]} == {doc["household_id"], twin["household_id"]}


def test_a_newer_mark_of_the_same_household_is_not_cleared_by_an_older_match(db):
    from server.dedup import review
    with db.write() as conn:
        conn.execute("INSERT INTO dedup_pending (household_id, queued_at) VALUES ('h1', '2025-10-01T10:00:01Z')")
        review.apply_matches(conn, [], [("h1", "2025-10-01T10:00:00Z")], "2025-10-01T10:00:02Z")
    assert db.value("SELECT queued_at FROM dedup_pending WHERE household_id = 'h1'") == "2025-10-01T10:00:01Z"


def test_a_later_conflicting_item_of_the_same_household_does_not_replace_what_is_matched(client, device, db):
    """[twin (stored), same id with other content (conflict)]: the stored twin is what gets matched."""
    doc, twin = _twins(seed=47)
    assert push(client, device, [submission(doc)]).json()["results"][0]["status"] == "accepted"
    stored = submission(twin)
    other = copy.deepcopy(stored)
    other["answers"] = copy.deepcopy(households(1, seed=48)[0])
    other["answers"]["household_id"] = twin["household_id"]
    other["answers"]["collected_at"] = stored["collected_at"]
    other["answers"]["form_version"] = stored["form_version"]
    results = push(client, device, [stored, other]).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "conflict"], results[1].get("problems")
    assert db.value("SELECT COUNT(*) FROM dedup_pending") == 0
    pair = db.one("SELECT * FROM dedup_candidates WHERE band IN ('auto', 'review')")
    assert pair is not None and {pair["a"], pair["b"]} == {doc["household_id"], twin["household_id"]}


def test_leftovers_beyond_one_batch_and_a_household_that_keeps_failing(client, device, db, clock, monkeypatch):
    from server.dedup import review
    from server.services import ingest

    docs = households(7, seed=49)
    for d in docs:
        assert push(client, device, [submission(d)]).json()["results"][0]["status"] == "accepted"
    with db.write() as conn:        # as if the process had died after each commit
        conn.executemany("INSERT INTO dedup_pending (household_id, queued_at) VALUES (?, ?)",
                         [(d["household_id"], f"2025-10-01T10:00:0{i}Z") for i, d in enumerate(docs)])
    bad = docs[1]["household_id"]
    real = review.pending_matches

    def flaky(conn, ids, known=None, pause=None):
        ids = list(ids)
        if bad in ids:
            raise RuntimeError("this household cannot be matched")
        return real(conn, ids, known, pause)

    monkeypatch.setattr(review, "pending_matches", flaky)
    assert ingest.match_leftovers(db, clock(), batch=3) == 6          # every other household, past the bad one
    assert [r[0] for r in db.all("SELECT household_id FROM dedup_pending")] == [bad]
    monkeypatch.undo()
    assert ingest.match_leftovers(db, clock(), batch=3) == 1
    assert db.value("SELECT COUNT(*) FROM dedup_pending") == 0


def test_a_failed_match_is_retried_by_a_later_push_of_the_process(client, device, db, monkeypatch):
    from server.dedup import review
    from server.services import ingest

    doc, twin = _twins(seed=51)
    assert push(client, device, [submission(doc)]).json()["results"][0]["status"] == "accepted"
    real = review.pending_matches
    monkeypatch.setattr(review, "pending_matches", lambda *a, **k: (_ for _ in ()).throw(OSError("disk")))
    assert push(client, device, [submission(twin)]).json()["results"][0]["status"] == "accepted"
    assert db.value("SELECT COUNT(*) FROM dedup_pending") == 1
    monkeypatch.setattr(review, "pending_matches", real)
    monkeypatch.setattr(ingest, "RETRY_SECONDS", 0.0)
    ingest._RETRY_AT[db] = 0.0                                       # the retry is due
    third = households(1, seed=52)[0]
    assert push(client, device, [submission(third)]).json()["results"][0]["status"] == "accepted"
    assert db.value("SELECT COUNT(*) FROM dedup_pending") == 0
    pair = db.one("SELECT * FROM dedup_candidates WHERE band IN ('auto', 'review')")
    assert pair is not None and {pair["a"], pair["b"]} == {doc["household_id"], twin["household_id"]}
