"""A household gone in round N (moved away, dissolved, merged) on a generated two-year ward: counted as an
other decrease in round N, then neither preloaded to the tablets for round N+1 nor part of round N+1's
start population (transitions, movement report)."""
from __future__ import annotations

import datetime as dt

from server.register import carry
from server.cycle import rounds
from server.process import transitions
from server.register.importer import import_file
from server.store import facts
from server.reports import service as reports

from tests.server.helpers import NOW, pull_all, push

from .helpers import STANDARD, envelope, gone, hid_of, is_valid, register_file, survey, ward_docs

EVENTS = ("moved_away", "dissolved", "merged")


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_gone_households_leave_the_next_round(tmp_path, client, clock, db, device, officer):
    docs = ward_docs(150, seed=6)
    path, rows = register_file(tmp_path, docs)
    assert import_file(db, path, NOW)["imported"]
    r25 = rounds.open_round(db, "periodic", 2025, [STANDARD], clock.now)
    kp01 = [i for i, d in enumerate(docs) if d["area"]["group_code"] == "KP01"]
    poor = [i for i in kp01 if rows[i][11] in ("Hộ nghèo", "Hộ cận nghèo")]
    leaving = set(poor[:3]) | set(kp01[::9])
    keep = next(i for i in kp01 if i not in leaving)
    subs = []
    for n, i in enumerate(kp01):
        hid = hid_of(rows[i])
        if i in leaving:
            doc = gone(docs[i], hid, EVENTS[n % 3])
            if EVENTS[n % 3] == "merged":
                doc["lifecycle"]["related_household_id"] = hid_of(rows[keep])
            subs.append(envelope(doc, 1))
        elif is_valid(survey(docs[i], hid)):
            subs.append(envelope(survey(docs[i], hid), 1))
    res = push(client, device, subs).json()["results"]
    assert all(r["status"] == "accepted" for r in res), [r for r in res if r["status"] != "accepted"][:2]
    gone_ids = {hid_of(rows[i]) for i in leaving}
    gone_poor = sum(1 for i in leaving if rows[i][11] == "Hộ nghèo")
    assert gone_poor > 0

    # round 2025: the gone households are other decreases of the start population
    m25 = reports.report_json(db, "movement_poor", 2025, STANDARD)["total"]
    assert m25["other_decreases"] == gone_poor
    assert m25["end"] == m25["start"] - m25["decreases"] + m25["increases"]
    rounds.close_round(db, r25["id"], clock.now)
    _, cursor = pull_all(client, device)

    # round 2026 opens and carries the reviewed households forward: never the gone ones
    clock.now = dt.datetime(2026, 9, 5, 9, tzinfo=NOW.tzinfo)
    r26 = rounds.open_round(db, "periodic", 2026, [STANDARD], clock.now)
    body = carry.carry_forward(db, r26["id"], clock.now)
    assert body["rejected"] == [] and body["accepted"] > 0
    preloaded = {r[0] for r in db.conn.execute(
        "SELECT household_id FROM submission_rounds WHERE round_id = ? AND preloaded_from LIKE 'review:%'",
        (r26["id"],))}
    assert preloaded and not preloaded & gone_ids
    changes, _ = pull_all(client, device, cursor)
    sent = {c["household_id"] for c in changes if c["kind"] == "household"}
    assert sent == preloaded and not sent & gone_ids
    assert all(c["status"] == "preloaded" for c in changes if c["kind"] == "household")

    # round 2026: no transition (their decrease was 2025's), not carried as "stays poor"
    facts.refresh(db)
    assert transitions.gone_before(db.conn, 2026) == gone_ids and not transitions.gone_before(db.conn, 2025)
    listed = {t["household_id"]: t for t in transitions.household_transitions(db.conn, 2026, STANDARD)}
    assert listed and not set(listed) & gone_ids, [listed[h] for h in gone_ids if h in listed][:3]
    assert {t["household_id"] for t in transitions.household_transitions(db.conn, 2025, STANDARD)} >= gone_ids
    m26 = reports.report_json(db, "movement_poor", 2026, STANDARD)["total"]
    assert m26["start"] == m25["start"] - gone_poor and m26["other_decreases"] == 0
    assert m26["end"] == m26["start"] - m26["decreases"] + m26["increases"]
