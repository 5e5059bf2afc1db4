"""The support ledger through the API: deliveries, corrections as new entries, voids, audit, the
household's history, its body's list, needs closed and reopened, the tablet's view."""
from __future__ import annotations

import sqlite3

import pytest

from .helpers import bearer, delivery


def _deliver(client, token, hid, **kw):
    return client.post(f"/api/v1/programme/households/{hid}/deliveries", json=delivery(**kw), headers=bearer(token))


def test_a_partner_delivery_reaches_history_list_needs_audit_and_the_tablet(client, db, ward, partners, officer,
                                                                             device):
    hs = partners["health_station"]
    need = client.post(f"/api/v1/programme/households/{ward.poor}/needs",
                       json={"need_type": "health_insurance", "member_id": "m2", "note": "mất thẻ"}, headers=bearer(hs))
    assert need.status_code == 201, need.text
    r = _deliver(client, hs, ward.poor)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["body_id"] == "health_station" and got["plan_section"] == "II.6" and got["person_name"] == "Lê Thị Hoa"
    assert got["closed_needs"] == [need.json()["id"]] and got["state"] == "current"
    # the household's history (partner and officer), the body's list
    h = client.get(f"/api/v1/programme/households/{ward.poor}", headers=bearer(hs)).json()
    assert [e["id"] for e in h["history"]] == [got["id"]]
    assert h["needs"][0]["status"] == "closed" and h["needs"][0]["close_delivery_id"] == got["id"]
    assert [m["full_name"] for m in h["members"]] == ["Trần Văn Nam", "Lê Thị Hoa", "Trần Thị Mai"]
    assert set(h["members"][0]) == {"member_id", "full_name", "birth_year", "relation"}   # nothing else of answers
    lst = client.get("/api/v1/programme/deliveries", params={"year": 2025}, headers=bearer(hs)).json()
    assert [d["id"] for d in lst["deliveries"]] == [got["id"]]
    off = client.get("/api/v1/programme/deliveries", params={"body": "health_station"}, headers=bearer(officer)).json()
    assert [d["id"] for d in off["deliveries"]] == [got["id"]]
    # audit: one row per entry, naming who and what
    rows = db.all("SELECT action, actor_id, target_id, details FROM audit_log WHERE action LIKE 'support.%'")
    assert [(r["action"], r["target_id"]) for r in rows] == [("support.deliver", ward.poor)]
    # the tablet of KP01 pulls the household's support and no longer sees the need as open
    pull = client.get("/api/v1/sync/pull", params={"cursor": 0, "limit": 1000}, headers=bearer(device)).json()
    support = [c for c in pull["changes"] if c["kind"] == "support" and c["household_id"] == ward.poor]
    assert support and support[-1]["support"][0]["label_vi"] == "Cấp thẻ bảo hiểm y tế"
    assert support[-1]["open_needs"] == []


def test_corrections_are_new_entries_and_a_void_reopens_the_need(client, db, ward, partners):
    hs = partners["health_station"]
    nid = client.post(f"/api/v1/programme/households/{ward.poor}/needs", json={"need_type": "health_insurance",
                                                                             "member_id": "m2"},
                      headers=bearer(hs)).json()["id"]
    first = _deliver(client, hs, ward.poor).json()
    fix = client.post(f"/api/v1/programme/deliveries/{first['id']}/correct",
                      json={"delivered_on": "2025-11-06", "reason": "nhập nhầm ngày"}, headers=bearer(hs))
    assert fix.status_code == 201, fix.text
    second = fix.json()
    assert second["kind"] == "correction" and second["supersedes"] == first["id"] and second["root_id"] == first["id"]
    assert second["delivered_on"] == "2025-11-06" and second["evidence_no"] == "QĐ 12/2025"
    # the first is kept, marked superseded; correcting it again is refused with the latest id
    again = client.post(f"/api/v1/programme/deliveries/{first['id']}/correct", json={"quantity": 2, "reason": "x"},
                        headers=bearer(hs))
    assert again.status_code == 409 and again.json()["error"]["details"] == [{"latest_id": second["id"]}]
    assert client.get(f"/api/v1/programme/deliveries/{first['id']}", headers=bearer(hs)).json()["state"] == "superseded"
    assert db.value("SELECT close_delivery_id FROM needs WHERE id = ?", (nid,)) == second["id"]
    # a correction needs a reason
    assert client.post(f"/api/v1/programme/deliveries/{second['id']}/correct", json={"quantity": 2, "reason": ""},
                       headers=bearer(hs)).json()["error"]["details"][0]["path"] == "body.reason"
    v = client.post(f"/api/v1/programme/deliveries/{second['id']}/void", json={"reason": "trùng"}, headers=bearer(hs))
    assert v.status_code == 201 and v.json()["reopened_needs"] == [nid]
    assert db.value("SELECT status FROM needs WHERE id = ?", (nid,)) == "open"
    assert client.get("/api/v1/programme/deliveries", headers=bearer(hs)).json()["count"] == 0
    hist = client.get(f"/api/v1/programme/households/{ward.poor}", headers=bearer(hs)).json()["history"]
    assert [e["state"] for e in hist] == ["superseded", "superseded", "voided"]
    assert [r[0] for r in db.all("SELECT action FROM audit_log WHERE action LIKE 'support.%' ORDER BY id")] == [
        "support.deliver", "support.correct", "support.void"]


def test_the_ledger_refuses_update_and_delete_in_the_database(client, db, ward, partners):
    _deliver(client, partners["health_station"], ward.poor)
    for sql in ("UPDATE support_entries SET quantity = 5", "DELETE FROM support_entries"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            with db.write() as conn:
                conn.execute(sql)
    assert db.value("SELECT quantity FROM support_entries") == 1


def test_bad_input_names_every_field_and_writes_nothing(app, client, db, ward, officer):
    # the API: values of the right type that break the catalogue's rules, every one named
    r = client.post(f"/api/v1/programme/households/{ward.poor}/deliveries", headers=bearer(officer), json={
        "support_type": "housing", "delivered_on": "2030-01-01", "fund": "no_cost", "member_id": "m1"})
    assert r.status_code == 422
    details = {d["field"]: d for d in r.json()["error"]["details"]}
    assert set(details) == {"delivered_on", "amount_vnd", "fund", "member_id"}
    assert details["delivered_on"]["code"] == "future_date" and all(d["message_vi"] for d in details.values())
    assert "Ngày hỗ trợ" in r.json()["error"]["message_vi"]
    wrong_type = client.post(f"/api/v1/programme/households/{ward.poor}/deliveries", headers=bearer(officer),
                             json=delivery(support_type="free_money", quantity=0))
    assert wrong_type.status_code == 422
    assert {d["path"] for d in wrong_type.json()["error"]["details"]} == {"body.support_type", "body.quantity"}
    # the console: what an officer types (dd/mm/yyyy, thousands dots), every problem named, what was typed kept
    client.cookies.set("rasoat_session", officer)
    page = client.get(f"/console/programme/households/{ward.poor}")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    bad = client.post(f"/console/programme/households/{ward.poor}/deliveries", data={
        "csrf_token": csrf, "support_type": "housing", "delivered_on": "31/02/2025", "quantity": "0",
        "amount_vnd": "12,5", "fund": "state_budget", "note": "x" * 600, "evidence_no": "QĐ 7/2025"})
    assert bad.status_code == 422
    for text in ("Ngày hỗ trợ: ngày không hợp lệ", "Số lượng", "Số tiền: một số nguyên không âm", "Ghi chú: tối đa 500",
                 "QĐ 7/2025"):
        assert text in bad.text, text
    assert db.value("SELECT COUNT(*) FROM support_entries") == 0
    ok = client.post(f"/console/programme/households/{ward.poor}/deliveries", data={
        "csrf_token": csrf, "support_type": "housing", "delivered_on": "03/11/2025", "amount_vnd": "15.000.000",
        "fund": "state_budget", "quantity": "1"}, follow_redirects=False)
    assert ok.status_code == 303, ok.text[:500]
    assert tuple(db.one("SELECT delivered_on, amount_vnd FROM support_entries")) == ("2025-11-03", 15_000_000)


def test_eligibility_windows_decide_what_a_household_may_receive(client, ward, officer):
    # escaped poverty on 20/12/2024: programme windows (health insurance) yes; tuition (no escaped window) no
    ok = _deliver(client, officer, ward.escaped, member_id="m2")
    assert ok.status_code == 201, ok.text
    assert ok.json()["person_name"] == "Phạm Minh Khôi"
    no = _deliver(client, officer, ward.escaped, support_type="tuition", amount_vnd=500000, member_id="m2")
    assert no.status_code == 422 and no.json()["error"]["code"] == "not_eligible"
    assert "không thuộc diện" in no.json()["error"]["message_vi"]
    # a household on no list gets nothing... until a need routed to the body is noted (a household in difficulty)
    assert _deliver(client, officer, ward.other, member_id="m1").json()["error"]["code"] == "not_eligible"
    client.post(f"/api/v1/programme/households/{ward.other}/needs", json={"need_type": "health", "member_id": "m1"},
                headers=bearer(officer))
    later = _deliver(client, officer, ward.other, support_type="health_care", member_id="m1", fund="no_cost")
    assert later.status_code == 201, later.text
