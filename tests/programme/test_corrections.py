"""Corrections are new entries: after every correction and void — of a delivery (API and console) and of a
Fund contribution — every row written before is still there byte for byte, the chain names what it
supersedes, and every entry has exactly one audit row naming it, who wrote it and why."""
from __future__ import annotations

import json
import sqlite3

import pytest

from .helpers import bearer, delivery


def _rows(db, table: str) -> dict[int, tuple]:
    return {r["id"]: tuple(r) for r in db.all(f"SELECT * FROM {table} ORDER BY id")}


def _kept(before: dict[int, tuple], after: dict[int, tuple]) -> None:
    for k, v in before.items():
        assert after[k] == v, f"entry {k} changed"


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def test_delivery_corrections_and_voids_append_and_are_audited(client, db, ward, partners, officer):
    hs = partners["health_station"]
    hs_id = db.value("SELECT id FROM users WHERE username = 'p-health-station'")
    off_id = db.value("SELECT id FROM users WHERE username = 'officer'")
    steps = []
    first = client.post(f"/api/v1/programme/households/{ward.poor}/deliveries", json=delivery(), headers=bearer(hs))
    assert first.status_code == 201
    steps.append(_rows(db, "support_entries"))
    fix = client.post(f"/api/v1/programme/deliveries/{first.json()['id']}/correct", headers=bearer(hs),
                      json={"evidence_no": "QĐ 13/2025", "reason": "sai số quyết định"})
    assert fix.status_code == 201
    _kept(steps[-1], _rows(db, "support_entries"))
    steps.append(_rows(db, "support_entries"))
    # the office corrects the correction with the console's form (dd/mm/yyyy), then voids it there
    client.cookies.set("rasoat_session", officer)
    page = client.get(f"/console/programme/households/{ward.poor}")
    again = client.post(f"/console/programme/deliveries/{fix.json()['id']}/correct", follow_redirects=False,
                        data={"csrf_token": _csrf(page.text), "delivered_on": "06/11/2025", "reason": "sai ngày"})
    assert again.status_code == 303, again.text[:400]
    _kept(steps[-1], _rows(db, "support_entries"))
    steps.append(_rows(db, "support_entries"))
    third = max(steps[-1])
    gone = client.post(f"/console/programme/deliveries/{third}/void", follow_redirects=False,
                       data={"csrf_token": _csrf(page.text), "reason": "cấp trùng"})
    assert gone.status_code == 303
    rows = _rows(db, "support_entries")
    _kept(steps[-1], rows)
    chain = db.all("SELECT id, kind, supersedes, root_id, delivered_on, evidence_no, reason, recorded_by "
                   "FROM support_entries ORDER BY id")
    a = first.json()["id"]
    assert [tuple(r) for r in chain] == [
        (a, "delivery", None, a, "2025-11-05", "QĐ 12/2025", "", hs_id),
        (a + 1, "correction", a, a, "2025-11-05", "QĐ 13/2025", "sai số quyết định", hs_id),
        (a + 2, "correction", a + 1, a, "2025-11-06", "QĐ 13/2025", "sai ngày", off_id),
        (a + 3, "void", a + 2, a, "2025-11-06", "QĐ 13/2025", "cấp trùng", off_id)]
    assert db.value("SELECT COUNT(*) FROM support_current") == 0
    # one audit row per entry, naming it, its author and its reason
    audit = db.all("SELECT action, actor_id, target_id, details FROM audit_log WHERE action LIKE 'support.%' "
                   "ORDER BY id")
    assert [(r["action"], json.loads(r["details"])["entry"], r["actor_id"]) for r in audit] == [
        ("support.deliver", a, str(hs_id)), ("support.correct", a + 1, str(hs_id)),
        ("support.correct", a + 2, str(off_id)), ("support.void", a + 3, str(off_id))]
    assert {r["target_id"] for r in audit} == {ward.poor}
    assert json.loads(audit[1]["details"])["changed"] == {"evidence_no": ["QĐ 12/2025", "QĐ 13/2025"]}
    assert json.loads(audit[2]["details"])["reason"] == "sai ngày"
    # the history shows the whole chain, each in its state
    hist = client.get(f"/api/v1/programme/households/{ward.poor}", headers=bearer(officer)).json()["history"]
    assert [(e["id"], e["state"]) for e in hist] == [(a, "superseded"), (a + 1, "superseded"),
                                                     (a + 2, "superseded"), (a + 3, "voided")]


def test_fund_contributions_append_and_are_audited(client, db, partners):
    front = partners["fatherland_front"]
    cid = client.post("/api/v1/programme/fund/campaigns", json={"name": "Quỹ 2025", "starts_on": "2025-10-01"},
                      headers=bearer(front)).json()["id"]
    gift = client.post("/api/v1/programme/fund/contributions", headers=bearer(front), json={
        "campaign_id": cid, "donor_name": "Công ty A", "amount_vnd": 3_000_000, "received_on": "2025-10-05"})
    assert gift.status_code == 201
    before = _rows(db, "fund_entries")
    fix = client.post(f"/api/v1/programme/fund/contributions/{gift.json()['id']}/correct", headers=bearer(front),
                      json={"amount_vnd": 2_500_000, "reason": "ghi nhầm số tiền"})
    assert fix.status_code == 201
    _kept(before, _rows(db, "fund_entries"))
    before = _rows(db, "fund_entries")
    void = client.post(f"/api/v1/programme/fund/contributions/{fix.json()['id']}/void", headers=bearer(front),
                       json={"reason": "nhà tài trợ rút lại"})
    assert void.status_code == 201
    _kept(before, _rows(db, "fund_entries"))
    kinds = [tuple(r) for r in db.all("SELECT kind, supersedes, amount_vnd, reason FROM fund_entries ORDER BY id")]
    g = gift.json()["id"]
    assert kinds == [("contribution", None, 3_000_000, ""), ("correction", g, 2_500_000, "ghi nhầm số tiền"),
                     ("void", g + 1, 2_500_000, "nhà tài trợ rút lại")]
    audit = [(r["action"], int(r["target_id"])) for r in db.all(
        "SELECT action, target_id FROM audit_log WHERE target_type = 'fund_entry' ORDER BY id")]
    assert audit == [("fund.contribution", g), ("fund.correct", g + 1), ("fund.void", g + 2)]
    assert db.value("SELECT COUNT(*) FROM fund_current") == 0
    # and the database itself refuses to overwrite or delete
    for sql in ("UPDATE fund_entries SET amount_vnd = 1", "DELETE FROM fund_entries"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            with db.write() as conn:
                conn.execute(sql)
    assert db.value("SELECT COUNT(*) FROM fund_entries") == 3
