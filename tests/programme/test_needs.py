"""Needs: from the review's answers, from the tablet (per item, idempotent), closed by a reason."""
from __future__ import annotations

import copy
import json
import uuid

from tests.server.helpers import push_body, submission

from .helpers import bearer


def test_needs_from_the_review_answers_once_per_round(client, db, ward, officer, device):
    # the collaborator re-surveys two households in the 2025 round (the escaped one is unemployed, unsafe house)
    docs = []
    for hid in (ward.poor, ward.escaped, ward.other):
        body = db.value("SELECT s.body FROM households h JOIN submissions s ON s.submission_id = h.submission_id "
                        "WHERE h.household_id = ?", (hid,))
        doc = copy.deepcopy(json.loads(body)["answers"])
        doc.pop("preloaded_from", None)
        docs.append(doc)
    content, h = push_body([submission(d, revision=2, base=1) for d in docs])
    r = client.post("/api/v1/sync/push", content=content, headers={**h, **bearer(device)})
    assert r.status_code == 200, r.text
    assert {x["status"] for x in r.json()["results"]} == {"accepted"}, r.text
    d = client.post("/api/v1/programme/needs/derive", json={"year": 2025}, headers=bearer(officer))
    assert d.status_code == 200, d.text
    got = {(n["household_id"], n["need_type"], n["member_id"]) for n in
           client.get("/api/v1/programme/needs", headers=bearer(officer)).json()["needs"]}
    assert got == {(ward.poor, "health_insurance", "m2"), (ward.poor, "schooling", "m3"),
                   (ward.escaped, "job", "m1"), (ward.escaped, "housing", None)}
    # the household on no list: nothing derived; a second run adds nothing
    assert client.post("/api/v1/programme/needs/derive", json={"year": 2025},
                       headers=bearer(officer)).json()["needs_created"] == 0
    need = next(n for n in client.get("/api/v1/programme/needs", headers=bearer(officer)).json()["needs"]
                if n["need_type"] == "job")
    assert need["source"] == "review" and need["body_id"] == "labour_social" and need["source_vi"] == "Từ phiếu rà soát"
    closed = client.post(f"/api/v1/programme/needs/{need['id']}/close", json={"reason": "declined", "note": "đã có việc"},
                         headers=bearer(officer))
    assert closed.status_code == 200 and closed.json()["close_reason_vi"] == "Hộ không còn nhu cầu / từ chối"
    again = client.post(f"/api/v1/programme/needs/{need['id']}/close", json={"reason": "declined"}, headers=bearer(officer))
    assert again.status_code == 409
    bad = client.post(f"/api/v1/programme/needs/{need['id']}/close", json={"reason": "bored"}, headers=bearer(officer))
    assert bad.status_code in (409, 422)
    # a re-run does not bring a closed need back
    assert client.post("/api/v1/programme/needs/derive", json={"year": 2025},
                       headers=bearer(officer)).json()["needs_created"] == 0


def test_the_tablet_records_needs_item_by_item_and_a_resend_is_safe(client, db, ward, device, device2):
    cid = str(uuid.uuid4())
    items = [{"client_id": cid, "household_id": ward.poor, "need_type": "job", "member_id": "m1", "note": "muốn đi làm"},
             {"client_id": str(uuid.uuid4()), "household_id": ward.poor, "need_type": "job"},      # no member
             {"client_id": str(uuid.uuid4()), "household_id": ward.escaped_kp02, "need_type": "housing"},  # KP02
             {"client_id": "not-a-uuid", "household_id": ward.poor, "need_type": "housing"},
             {"client_id": str(uuid.uuid4()), "household_id": ward.poor, "need_type": "housing"}]
    r = client.post("/api/v1/programme/device/needs", json={"needs": items}, headers=bearer(device))
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert [x["status"] for x in res] == ["accepted", "rejected", "rejected", "rejected", "accepted"]
    assert res[1]["details"][0]["field"] == "member_id" and res[1]["message_vi"]
    assert res[2]["code"] == "household_not_found"
    again = client.post("/api/v1/programme/device/needs", json={"needs": items[:1]}, headers=bearer(device)).json()
    assert again["results"][0]["status"] == "duplicate"
    assert db.value("SELECT COUNT(*) FROM needs") == 2
    assert db.value("SELECT source FROM needs WHERE client_id = ?", (cid,)) == "collaborator"
    # the KP02 tablet may record for its own household
    ok = client.post("/api/v1/programme/device/needs", headers=bearer(device2), json={"needs": [
        {"client_id": str(uuid.uuid4()), "household_id": ward.escaped_kp02, "need_type": "housing"}]}).json()
    assert ok["results"][0]["status"] == "accepted"
    # the KP01 tablet pulls the open needs of its households, never KP02's
    pull = client.get("/api/v1/sync/pull", params={"cursor": 0, "limit": 1000}, headers=bearer(device)).json()
    seen = {c["household_id"] for c in pull["changes"] if c["kind"] == "support"}
    assert seen == {ward.poor}
    last = [c for c in pull["changes"] if c["kind"] == "support"][-1]
    assert sorted(n["need_type"] for n in last["open_needs"]) == ["housing", "job"]


def test_needs_are_an_open_list_per_body_each_closed_by_a_delivery_or_a_reason(client, db, ward, partners, officer):
    from .helpers import delivery
    noted = {}
    for need, member, who in (("health_insurance", "m2", officer), ("housing", None, partners["residential_groups"]),
                              ("job", "m1", officer), ("schooling", "m3", partners["schools"]),
                              ("policy_credit", None, officer)):
        r = client.post(f"/api/v1/programme/households/{ward.poor}/needs", headers=bearer(who),
                        json={"need_type": need, **({"member_id": member} if member else {})})
        assert r.status_code == 201, r.text
        noted[need] = r.json()["id"]

    def open_for(body, token=officer):
        got = client.get("/api/v1/programme/needs", params={"body": body} if token == officer else {},
                         headers=bearer(token)).json()["needs"]
        return sorted(n["need_type"] for n in got)

    # one open list per body: the office filters by body, each partner sees its own list only
    assert open_for("health_station") == ["health_insurance"] == open_for(None, partners["health_station"])
    assert open_for("fatherland_front") == ["housing"] == open_for(None, partners["fatherland_front"])
    assert open_for("schools") == ["schooling"] == open_for(None, partners["schools"])
    assert open_for("social_policy_bank") == ["policy_credit"] == open_for(None, partners["social_policy_bank"])
    assert open_for("labour_social") == ["job"]
    client.cookies.set("rasoat_session", officer)
    page = client.get("/console/programme/needs?status=open&body=health_station").text
    assert "Chưa có thẻ bảo hiểm y tế" in page and "Lê Thị Hoa" in page
    assert "Nhà ở không an toàn" not in page and "Cần việc làm" not in page
    # closed by a delivery: the health station's card closes its need
    card = client.post(f"/api/v1/programme/households/{ward.poor}/deliveries", json=delivery(),
                       headers=bearer(partners["health_station"])).json()
    assert card["closed_needs"] == [noted["health_insurance"]]
    # closed by a reason: the front with the console's form, the bank through the API
    client.cookies.set("rasoat_session", partners["fatherland_front"])
    h = client.get(f"/console/programme/households/{ward.poor}")
    csrf = h.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post(f"/console/programme/needs/{noted['housing']}/close", follow_redirects=False,
                    data={"csrf_token": csrf, "reason": "resolved_otherwise", "note": "con cháu sửa nhà"})
    assert r.status_code == 303, r.text[:300]
    client.cookies.clear()
    assert client.post(f"/api/v1/programme/needs/{noted['policy_credit']}/close", json={"reason": "declined"},
                       headers=bearer(partners["social_policy_bank"])).status_code == 200
    # a reason outside the catalogue, or none, closes nothing
    for bad in ({"reason": ""}, {"reason": "bored"}):
        r = client.post(f"/api/v1/programme/needs/{noted['job']}/close", json=bad, headers=bearer(officer))
        assert r.status_code == 422, r.text
    # the open lists now; how each closed need was closed
    assert open_for("health_station") == open_for("fatherland_front") == open_for("social_policy_bank") == []
    assert open_for("labour_social") == ["job"] and open_for("schools") == ["schooling"]
    closed = {n["need_type"]: n for n in client.get("/api/v1/programme/needs", params={"status": "closed"},
                                                    headers=bearer(officer)).json()["needs"]}
    assert set(closed) == {"health_insurance", "housing", "policy_credit"}
    assert (closed["health_insurance"]["close_delivery_id"], closed["health_insurance"]["close_reason"]) == (
        card["id"], None)
    assert (closed["housing"]["close_delivery_id"], closed["housing"]["close_reason"]) == (None, "resolved_otherwise")
    assert closed["housing"]["close_reason_vi"] == "Đã được giải quyết bằng nguồn khác"
    # never closed without one or the other (the table as a whole)
    assert db.value("SELECT COUNT(*) FROM needs WHERE status = 'closed' AND close_delivery_id IS NULL "
                    "AND COALESCE(close_reason, '') = ''") == 0
    assert db.value("SELECT COUNT(*) FROM audit_log WHERE action = 'need.close'") >= 2
