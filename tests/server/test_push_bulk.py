"""A device push of new households takes the bulk path (``ingest.store_new_households``: one statement
per table) and leaves the same database and the same answers as the per-record path; whatever does not
qualify, or fails while writing, is stored record by record."""
from __future__ import annotations

import copy
import logging
import shutil
import uuid

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.cycle import rounds as cycle_rounds
from server.dedup import review as dedup_review
from server.services import ingest, preload
from server.settings import Settings

from tests.cycle.helpers import STANDARD, normalised_rows
from .conftest import device_token
from .helpers import NOW, FakeClock, households, push, submission

SECRET = "bulk-test-secret-" + "y" * 20
NATIONAL = "vn-national-2022-2025"
_STORE_NEW = ingest.store_new_households
SECTIONS = ("address", "members", "housing", "water_sanitation", "information", "income")


def _scenario() -> list[list[dict]]:
    """The pushes of one tablet, in order (random submission ids: built once, pushed to each database)."""
    docs = households(24, seed=11)
    other = households(1, group="KP02", seed=12)[0]
    a = [submission(d) for d in docs[:12]]
    a[3]["answers"]["members"] = []                                   # invalid: rejected
    a[7] = submission(other)                                          # another group: rejected
    for s in a[4:6]:                                                  # re-collected in the round: confirmations
        s["answers"]["confirmations"] = {k: "unchanged" for k in SECTIONS}
        s["answers"]["preloaded_from"] = "register:2024"
    near = copy.deepcopy(docs[2])                                     # the same family under a new id
    near["household_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "near-duplicate"))
    c = [submission(d) for d in docs[12:17]] + [submission(near)]
    d = [submission(dict(docs[0], notes="sửa lại"), revision=2, base=1)] + [submission(x) for x in docs[17:19]]
    e = [submission(x) for x in docs[19:22]]
    e[1]["submission_id"] = a[1]["submission_id"]                     # an id stored before, another household
    return [a, copy.deepcopy(a), c, d, e]


def _run(tmp_path, template_db, name: str, bulk: bool, monkeypatch, pushes: list[list[dict]]) -> tuple[dict, list, list[bool]]:
    taken: list[bool] = []
    real = _STORE_NEW

    def spy(*args, **kw):
        out = real(*args, **kw)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(ingest, "store_new_households", spy)
    path = tmp_path / f"{name}.db"
    shutil.copyfile(template_db, path)
    app = create_app(Settings(db_path=str(path), secret=SECRET, public_url="http://testserver"), clock=FakeClock())
    app.state.bulk_new_households = bulk
    try:
        db = app.state.db
        cycle_rounds.open_round(db, "periodic", 2025, [STANDARD, NATIONAL], NOW)
        token = device_token(app, 1, "Tab KP01")
        client = TestClient(app, raise_server_exceptions=False)
        answers = []
        for batch in pushes:
            r = push(client, token, batch)
            assert r.status_code == 200, r.text
            answers.append(r.json()["results"])
        rows = normalised_rows(db)
        rows.pop("enrollment_codes")                     # random codes; devices: compared by what a push writes
        rows["devices"] = [r[-3] for r in rows["devices"]]  # last_seen_at
        return rows, answers, taken
    finally:
        app.state.db.close()


def _without_receipt_ids(answers: list[list[dict]]) -> list[list[dict]]:
    return [[dict(r, receipt={k: v for k, v in r["receipt"].items() if k != "receipt_id"}) if "receipt" in r else r
             for r in batch] for batch in answers]


def test_bulk_and_per_record_device_pushes_write_the_same_rows_and_answers(tmp_path, template_db, monkeypatch):
    pushes = _scenario()
    per_record, answers1, taken1 = _run(tmp_path, template_db, "per-record", False, monkeypatch, pushes)
    bulk, answers2, taken2 = _run(tmp_path, template_db, "bulk", True, monkeypatch, pushes)
    assert taken1 == [] and taken2 == [True, False, True, False, False]   # e: refused by the stored id
    assert set(bulk) == set(per_record)
    for table in per_record:
        assert bulk[table] == per_record[table], table
    assert _without_receipt_ids(answers2) == _without_receipt_ids(answers1)
    # what the scenario exercised
    a, b, c, d, e = answers2
    assert [r["status"] for r in a] == ["accepted"] * 3 + ["rejected"] + ["accepted"] * 3 + ["rejected"] + \
        ["accepted"] * 4
    assert {r["status"] for r in b} == {"duplicate", "rejected"}
    assert [r["receipt"] for r in b if r["status"] == "duplicate"] == [r["receipt"] for r in a if "receipt" in r]
    assert [r["status"] for r in d] == ["accepted"] * 3 and d[0]["receipt"]["server_revision"] == 2
    assert [r["status"] for r in e] == ["accepted", "conflict", "accepted"]
    assert bulk["household_confirmations"] and bulk["dedup_candidates"], "confirmations and the near duplicate"
    assert not bulk["dedup_pending"], "every stored household was matched after its push"
    assert len(bulk["submissions"]) == 10 + 6 + 3 + 2 and len(bulk["submission_conflicts"]) == 1


def test_a_failure_while_writing_in_bulk_stores_the_batch_record_by_record(client, device, db, monkeypatch, caplog):
    """Everything the bulk write did is rolled back (its savepoint); the per-record path stores each
    record once."""
    real = ingest.write_bulk_rows

    def fails_after_writing(conn, rows, indexed):
        real(conn, rows, indexed)
        raise RuntimeError("disk hiccup")

    monkeypatch.setattr(ingest, "write_bulk_rows", fails_after_writing)
    subs = [submission(d) for d in households(4, seed=13)]
    with caplog.at_level(logging.INFO, logger="rasoat.ingest"):
        results = push(client, device, subs).json()["results"]
    assert [r["status"] for r in results] == ["accepted"] * 4
    assert "storing record by record" in caplog.text
    for table, n in (("submissions", 4), ("households", 4), ("dedup_records", 4), ("submission_rounds", 4)):
        assert db.value(f"SELECT COUNT(*) FROM {table}") == n, table
    assert db.value("SELECT COUNT(*) FROM changes WHERE kind IN ('household', 'classification')") == 8
    assert db.value("SELECT COUNT(*) FROM audit_log WHERE action = 'submission.device'") == 4
    assert db.value("SELECT COUNT(*) FROM dedup_pending") == 0


@pytest.mark.parametrize("case", ["same household twice", "photo", "split", "office"])
def test_batches_the_bulk_path_does_not_take(case, db):
    """Only a device batch of distinct new households, without photos or a lifecycle link to check."""
    docs = households(2, seed=14)
    subs = [submission(d) for d in docs]
    actor = ingest.Actor(source="device", device_id=None, collaborator_id=1)
    if case == "same household twice":
        subs[1] = submission(docs[0])
    elif case == "photo":
        subs[1]["answers"]["photos"] = [{"sha256": "a" * 64, "question": "housing"}]
    elif case == "split":
        subs[1]["answers"]["lifecycle"] = {"event": "split_from", "related_household_id": docs[0]["household_id"]}
    else:
        actor = ingest.Actor(source="office", user_id=1)
    lookup = preload.all_groups_lookup(db)
    prepared = [ingest.prepare(i, s, lookup, NOW) for i, s in enumerate(subs)]
    assert not any(p.rejected for p in prepared), [p.problems for p in prepared]
    before = normalised_rows(db)
    with dedup_review.matching_after_commit() as indexed, db.write() as conn:
        assert ingest.store_new_households(conn, prepared, actor, NOW.isoformat()) is None
    assert indexed == [] and normalised_rows(db) == before
