"""The demo ward has work waiting on every screen (server/demo_work.py), made through the real
services: reviewed and unreviewed forms, a held meeting with a household sent back, households
waiting for their meeting, a posted list with a complaint, a conflict and duplicate pairs."""
from __future__ import annotations

from server.process import service
from server.process.results import iter_results
from server.store import facts


def test_the_demo_has_work_waiting(office):
    app, world = office
    db, w = app.state.db, world["work"]
    assert w["accepted"] > 0 and w["waiting_review"] > 0
    # the first group's meeting: held, votes recorded, one household sent back to its collaborator
    m = service.get_meeting(db, w["meeting_id"])
    assert m["counts"]["pending"] == 0 and m["counts"]["re_review"] == 1 and m["counts"]["stands"] >= 1
    assert db.value("SELECT status FROM households WHERE household_id = ?", (w["returned_by_meeting"],)) == "returned"
    assert db.value("SELECT status FROM households WHERE household_id = ?", (w["returned_by_officer"],)) == "returned"
    # its lists are posted and a complaint waits for its re-check
    assert sum(service.get_posting(db, w["posting_id"])["counts"].values()) > 0
    assert service.get_complaint(db, w["complaint_id"])["outcome"] == "pending"
    # other groups: accepted households waiting for their meeting
    assert sum(w["awaiting_meeting"].values()) > 0
    facts.refresh(db)
    states = {r.judgement.state for r in iter_results(db.conn, w["round"], w["standard_id"])}
    assert {"awaiting_meeting", "awaiting_review", "re_review", "complaint_pending", "settled"} <= states
    # a conflict and duplicate pairs in their queues
    assert db.value("SELECT COUNT(*) FROM submissions WHERE status = 'conflict'") >= 1
    assert w["duplicate_pairs"] >= 2
    assert db.value("SELECT COUNT(*) FROM dedup_candidates WHERE status = 'open'") >= w["duplicate_pairs"]
    # every acceptance is audited
    assert db.value("SELECT COUNT(*) FROM audit_log WHERE action = 'household.accept'") == \
        db.value("SELECT COUNT(*) FROM review_decisions")


def test_the_dashboard_shows_the_work(office, as_role):
    app, world = office
    page = as_role["viewer"].get("/console/dashboard").text
    work = page[page.index('id="work"'):page.index("</section>", page.index('id="work"'))]
    for label in ("phiếu chờ duyệt", "cặp hồ sơ có thể trùng", "khiếu nại chưa phúc tra", "xung đột chờ xử lý",
                  "cuộc họp chưa ghi xong biểu quyết"):
        assert label in work
        assert f"<strong>0</strong> {label}" not in work, label
    assert "<strong>0</strong> phiếu chờ duyệt" not in work and "<strong>0</strong> cặp hồ sơ" not in work
