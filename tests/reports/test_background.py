"""The report facts kept current in the background (server/reports/background.py): a full pass at
start, then only the households of new submissions; one refresh at a time per database; the
app's lifespan runs it; a report never counts stale facts."""
from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from server.app import create_app
from server.store import facts
from server.reports import service
from server.reports.background import FactsRefresher
from server.settings import Settings

from tests.process.helpers import QN, at, load, valid_docs

NOW = at(2025, 12, 15)


def _facts(db) -> int:
    return db.value("SELECT COUNT(*) FROM report_facts")


def test_a_pass_at_start_then_only_the_households_of_new_submissions(db):
    load(db, valid_docs(120, seed=21), NOW)
    r = FactsRefresher(db, interval=60)
    assert r.step() == 120 and _facts(db) == 120          # the first pass: everything stale
    assert r.step() == 0                                  # nothing new: one index probe, no scan
    load(db, valid_docs(7, seed=22), NOW)                 # a small load: the targeted path
    assert r.step() == 7 and _facts(db) == 127
    assert facts.refresh(db) == 0                         # what a report would do: nothing left
    # a revision of a household already counted makes its facts stale; the refresher catches it
    hid = db.value("SELECT household_id FROM households ORDER BY household_id LIMIT 1")
    old_sub = db.value("SELECT submission_id FROM report_facts WHERE household_id = ?", (hid,))
    doc = next(d for d in valid_docs(3, seed=23))
    doc["household_id"] = hid
    load(db, [doc], NOW)
    assert r.step() == 1
    assert db.value("SELECT submission_id FROM report_facts WHERE household_id = ?", (hid,)) != old_sub


def test_a_bulk_load_takes_one_full_pass(db, monkeypatch):
    from server.reports import background
    monkeypatch.setattr(background, "BULK", 10)
    r = FactsRefresher(db, interval=60)
    r.step()
    calls = []
    real = facts.refresh
    monkeypatch.setattr(facts, "refresh", lambda *a, **k: calls.append(1) or real(*a, **k))
    load(db, valid_docs(40, seed=24), NOW)
    assert r.step() == 40 and calls == [1]


def test_concurrent_refreshes_compute_each_household_once(db):
    load(db, valid_docs(150, seed=25), NOW)
    counts: list[int] = []
    threads = [threading.Thread(target=lambda: counts.append(facts.refresh(db, chunk=20))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(counts) == [0, 0, 150]                  # the others waited, then found nothing stale


def test_the_app_lifespan_runs_the_refresher_and_stops_it(settings, clock):
    app = create_app(settings, clock=clock)
    load(app.state.db, valid_docs(60, seed=26), NOW)
    with TestClient(app):
        refresher = app.state.facts_refresher
        assert refresher is not None
        deadline = threading.Event()
        for _ in range(200):                              # the first pass runs at start
            if refresher.passes >= 1 and refresher.idle.is_set():
                break
            deadline.wait(0.05)
        assert refresher.refreshed == 60 and _facts(app.state.db) == 60
    assert refresher._thread is None                      # stopped at shutdown


def test_the_refresher_can_be_turned_off(db_path, clock):
    app = create_app(Settings(db_path=str(db_path), secret="s" * 40, public_url="http://testserver",
                              extra={"report_facts_interval_seconds": 0}), clock=clock)
    with TestClient(app):
        assert app.state.facts_refresher is None
    app.state.db.close()


def test_a_report_refreshes_whatever_the_refresher_has_not_seen_yet(db):
    load(db, valid_docs(50, seed=27), NOW)
    FactsRefresher(db, interval=60).step()
    load(db, valid_docs(5, seed=28), NOW)                 # arrived after the refresher's last poll
    assert service.report_json(db, "overall", 2025, QN)["total"]["households"] == 55


def test_wake_polls_at_once_and_stop_ends_the_thread(db):
    r = FactsRefresher(db, interval=3600).start()
    try:
        for _ in range(200):
            if r.passes >= 1 and r.idle.is_set():
                break
            threading.Event().wait(0.02)
        load(db, valid_docs(9, seed=29), NOW)
        r.wake()                                          # e.g. right after a register import commits
        for _ in range(200):
            if r.refreshed == 9 and r.idle.is_set():
                break
            threading.Event().wait(0.02)
        assert r.refreshed == 9 and _facts(db) == 9
    finally:
        r.stop(timeout=5)
    assert r._thread is None


def test_while_pushes_arrive_a_poll_waits_for_them_to_settle(db, monkeypatch):
    from server.reports import background
    r = FactsRefresher(db, interval=60)
    r.step()
    load(db, valid_docs(6, seed=30), NOW)
    assert r.step(settle=True) == 0 and _facts(db) == 0     # still arriving: wait for the next poll
    load(db, valid_docs(4, seed=31), NOW)
    assert r.step(settle=True) == 0                         # more arrived since: wait again
    assert r.step(settle=True) == 10 and _facts(db) == 10   # quiet for a poll: refresh
    # under a stream that never pauses, it refreshes anyway once MAX_DEFER has passed
    monkeypatch.setattr(background, "MAX_DEFER", 0.0)
    load(db, valid_docs(3, seed=32), NOW)
    assert r.step(settle=True) == 3

