"""Carry forward: households reviewed in an earlier round become preloaded revisions of the new round
(last answers, confirmations cleared, ``preloaded_from: "review:<year>"``), sent to their group's
tablets; gone households are left out; running it again changes nothing."""
from __future__ import annotations

import copy
import datetime as dt
import json

from server.register import carry
from server.cycle import rounds

from tests.server.helpers import pull_all, push, simple_household, submission

STANDARD = "vn-national-2022-2025"   # in force through 2026 (Decree 351/2025)


def test_carry_forward_preloads_the_reviewed_households_once_and_skips_gone_ones(client, clock, db, device):
    kept = [simple_household(), simple_household()]
    for h in kept:
        h["confirmations"] = {"housing": "unchanged"}
    leaving = simple_household()
    res = push(client, device, [submission(h) for h in (*kept, leaving)]).json()["results"]
    assert [r["status"] for r in res] == ["accepted"] * 3, res
    year = int(str(kept[0]["collected_at"])[:4])
    moved = {"household_id": leaving["household_id"], "form_version": leaving["form_version"],
             "collected_at": leaving["collected_at"], "area": copy.deepcopy(leaving["area"]),
             "lifecycle": {"event": "moved_away"}}
    r = push(client, device, [submission(moved, revision=2, base=1)]).json()["results"][0]
    assert r["status"] == "accepted", r
    _, cursor = pull_all(client, device)

    clock.now = dt.datetime(year + 1, 9, 5, 9, tzinfo=clock.now.tzinfo)
    rnd = rounds.open_round(db, "periodic", year + 1, [STANDARD], clock.now)
    body = carry.carry_forward(db, rnd["id"], clock.now)     # POST /api/v1/cycle/rounds/{id}/preload
    assert body["accepted"] == 2 and body["rejected"] == [], body

    for h in kept:
        row = db.conn.execute("SELECT h.status, h.server_revision, s.body, sr.round_id, sr.preloaded_from "
                              "FROM households h JOIN submissions s ON s.submission_id = h.submission_id "
                              "JOIN submission_rounds sr ON sr.submission_id = h.submission_id "
                              "WHERE h.household_id = ?", (h["household_id"],)).fetchone()
        answers = json.loads(row["body"])["answers"]
        assert (row["status"], row["server_revision"], row["round_id"]) == ("preloaded", 2, rnd["id"])
        assert row["preloaded_from"] == answers["preloaded_from"] == f"review:{year}"
        assert "confirmations" not in answers                      # to be confirmed again this round
        assert answers["members"] == h["members"]                  # the last answers
    gone = db.conn.execute("SELECT status, server_revision FROM households WHERE household_id = ?",
                           (leaving["household_id"],)).fetchone()
    assert gone["status"] != "preloaded" and gone["server_revision"] == 2

    # the group's tablet receives the two preloaded households on its next pull
    changes, _ = pull_all(client, device, cursor)
    got = {c["household_id"]: c for c in changes if c["kind"] == "household" and c.get("status") == "preloaded"}
    assert set(got) == {h["household_id"] for h in kept}

    # again: nothing is carried twice
    before = db.value("SELECT COUNT(*) FROM submissions")
    again = carry.carry_forward(db, rnd["id"], clock.now)
    assert again["accepted"] == 0 and db.value("SELECT COUNT(*) FROM submissions") == before


# --- the register import and dedup ----------------------------------------------------------------

def test_register_households_are_indexed_and_matched_once_against_earlier_households(tmp_path, client, db, device):
    """The import indexes every row for later matching, matches the new households against the households
    indexed before it (one batch pass), never the rows against each other (one household per row)."""
    import uuid

    from server.register.importer import import_file

    from tests.server.helpers import NOW

    from .helpers import envelope, hid_of, is_valid, register_file, survey, ward_docs

    docs = ward_docs(40)
    path, rows = register_file(tmp_path, docs)
    k = next(i for i, d in enumerate(docs) if d["area"]["group_code"] == "KP01"
             and is_valid(_fresh(survey(d, str(uuid.uuid4())))))
    surveyed = _fresh(survey(docs[k], str(uuid.uuid4())))       # the same household, surveyed before the import
    assert push(client, device, [envelope(surveyed, None)]).json()["results"][0]["status"] == "accepted"
    assert import_file(db, path, NOW)["imported"]
    register_ids = {hid_of(r) for r in rows}
    indexed = {r[0] for r in db.conn.execute("SELECT record_id FROM dedup_records")}
    assert register_ids | {surveyed["household_id"]} == indexed
    pairs = {(r[0], r[1]) for r in db.conn.execute("SELECT a, b FROM dedup_candidates")}
    assert pairs, "the surveyed household should meet its register row"
    assert all(surveyed["household_id"] in p for p in pairs)     # no register row matched with another
    assert tuple(sorted((surveyed["household_id"], hid_of(rows[k])))) in pairs


def _fresh(doc: dict) -> dict:
    doc.pop("preloaded_from", None)
    doc.pop("confirmations", None)
    return doc


def test_a_large_import_validates_in_a_worker_process_with_the_same_result(tmp_path, db, monkeypatch):
    """From POOL_MIN_ROWS rows the pure step runs in a forked worker (single-threaded callers only);
    the stored households are those of the in-process path, and a bad row still rolls everything back."""
    import threading

    from server.register import importer
    from server.services import preload

    from tests.server.helpers import NOW

    from .helpers import hid_of, register_file, ward_docs

    used = []
    real_pool = preload._pool
    monkeypatch.setattr(preload, "_pool", lambda n: used.append(real_pool(n)) or used[-1])
    monkeypatch.setattr(importer, "POOL_MIN_ROWS", 1)
    monkeypatch.setattr(importer, "BATCH", 7)               # several batches in flight
    docs = ward_docs(30)
    path, rows = register_file(tmp_path, docs)
    rep = importer.import_file(db, path, NOW)
    assert rep["imported"] and rep["new_households"] == len(rows)
    if threading.active_count() == 1:
        assert used and used[0] is not None
    stored = {r[0] for r in db.conn.execute("SELECT household_id FROM households WHERE status = 'preloaded'")}
    assert stored == {hid_of(r) for r in rows}
    warnings = [json.loads(r[0]) for r in db.conn.execute("SELECT warnings FROM submissions")]
    assert all(len([w for w in ws if w["code"] == "missing_answers"]) == 1 for ws in warnings)
    assert not any(w["code"] in ("required", "confirmation_required") for ws in warnings for w in ws)


def test_console_dashboard_links_targets_and_household_page_shows_confirmations_and_events(tmp_path, app, client, db,
                                                                                          device):
    from server.register.importer import import_file

    from tests.server.conftest import session_token
    from tests.server.helpers import NOW

    from .helpers import envelope, gone, hid_of, is_valid, register_file, survey, ward_docs

    docs = ward_docs(20)
    path, rows = register_file(tmp_path, docs)
    assert import_file(db, path, NOW)["imported"]
    kp01 = [i for i, d in enumerate(docs) if d["area"]["group_code"] == "KP01"]
    i = next(k for k in kp01 if is_valid(survey(docs[k], hid_of(rows[k]))))
    j = next(k for k in kp01 if k != i)
    doc = survey(docs[i], hid_of(rows[i]))
    doc["confirmations"]["income"] = "changed"
    moved = gone(docs[j], hid_of(rows[j]), "moved_away")
    res = push(client, device, [envelope(doc, 1), envelope(moved, 1)]).json()["results"]
    assert [r["status"] for r in res] == ["accepted", "accepted"], res
    client.cookies.set("rasoat_session", session_token(app, "officer"))
    dash = client.get("/console")
    assert dash.status_code == 200 and 'href="/console/cycle/targets"' in dash.text
    page = client.get(f"/console/households/{doc['household_id']}")
    assert page.status_code == 200 and 'id="cycle"' in page.text
    assert "income" in page.text and "changed" in page.text
    page = client.get(f"/console/households/{moved['household_id']}")
    assert page.status_code == 200 and "Hộ đã chuyển đi" in page.text and "moved_away" not in page.text
