"""The Fund for the Poor: balance = contributions − disbursements, through corrections and voids; never
below zero; a public summary that names no household."""
from __future__ import annotations

from .helpers import bearer, delivery


def _campaign(client, token, name="Quỹ Vì người nghèo 2025"):
    r = client.post("/api/v1/programme/fund/campaigns", json={"name": name, "starts_on": "2025-10-01",
                                                              "ends_on": "2025-11-18"}, headers=bearer(token))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _give(client, token, cid, amount, donor="Công ty CP Du lịch Bãi Cháy", **kw):
    r = client.post("/api/v1/programme/fund/contributions", headers=bearer(token), json={
        "campaign_id": cid, "donor_name": donor, "donor_kind": "business", "amount_vnd": amount,
        "received_on": "2025-10-15", **kw})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _spend(client, token, hid, amount, cid=None, type_="essentials"):
    return client.post(f"/api/v1/programme/households/{hid}/deliveries", headers=bearer(token), json=delivery(
        support_type=type_, member_id=None, fund="fund_for_poor", amount_vnd=amount, campaign_id=cid,
        delivered_on="2025-11-20"))


def _balance(client, token):
    return client.get("/api/v1/programme/fund", headers=bearer(token)).json()["balance"]


def test_the_balance_is_contributions_minus_disbursements(client, db, ward, partners):
    front = partners["fatherland_front"]
    cid = _campaign(client, front)
    a = _give(client, front, cid, 20_000_000)
    _give(client, front, cid, 5_000_000, donor="Nguyễn Văn Hùng", donor_kind="person", anonymous=True)
    assert _balance(client, front) == {"contributions": 25_000_000, "disbursements": 0, "balance": 25_000_000}
    d1 = _spend(client, front, ward.poor, 3_000_000, cid)
    assert d1.status_code == 201, d1.text
    assert _spend(client, front, ward.escaped, 12_000_000, type_="housing").status_code == 201
    assert _balance(client, front) == {"contributions": 25_000_000, "disbursements": 15_000_000, "balance": 10_000_000}
    # more than the balance: refused, nothing written
    over = _spend(client, front, ward.poor, 10_000_001)
    assert over.status_code == 409 and over.json()["error"]["code"] == "fund_insufficient"
    assert "10.000.000" in over.json()["error"]["message_vi"]
    # a correction of a disbursement moves the balance; a void gives the money back
    fix = client.post(f"/api/v1/programme/deliveries/{d1.json()['id']}/correct", headers=bearer(front),
                      json={"amount_vnd": 4_000_000, "reason": "thêm 1 suất"})
    assert fix.status_code == 201, fix.text
    assert _balance(client, front)["balance"] == 9_000_000
    # a contribution cannot be cut below what was spent
    cut = client.post(f"/api/v1/programme/fund/contributions/{a}/void", json={"reason": "trả lại"}, headers=bearer(front))
    assert cut.status_code == 409 and cut.json()["error"]["code"] == "fund_insufficient"
    ok = client.post(f"/api/v1/programme/fund/contributions/{a}/correct", headers=bearer(front),
                     json={"amount_vnd": 15_000_000, "reason": "ghi nhầm"})
    assert ok.status_code == 201, ok.text
    b = _balance(client, front)
    assert b == {"contributions": 20_000_000, "disbursements": 16_000_000, "balance": 4_000_000}
    # the same figures straight from the tables
    cin = db.value("SELECT SUM(amount_vnd) FROM fund_current")
    cout = db.value("SELECT SUM(amount_vnd) FROM support_current WHERE fund = 'fund_for_poor'")
    assert cin - cout == b["balance"]
    assert db.value("SELECT COUNT(*) FROM fund_entries") == 3           # nothing overwritten
    # the campaign's own figures
    camp = client.get("/api/v1/programme/fund", headers=bearer(front)).json()["campaigns"][0]
    assert (camp["raised"], camp["contributors"], camp["spent"]) == (20_000_000, 2, 4_000_000)


def test_the_public_summary_names_donors_not_households(client, ward, partners, viewer):
    front = partners["fatherland_front"]
    cid = _campaign(client, front)
    _give(client, front, cid, 8_000_000)
    _give(client, front, cid, 2_000_000, donor="Trần Thị Bích", donor_kind="person", anonymous=True)
    _spend(client, front, ward.poor, 1_500_000, cid)
    s = client.get("/api/v1/programme/fund/summary", params={"year": 2025}, headers=bearer(partners["health_station"]))
    assert s.status_code == 200
    data = s.json()
    assert (data["raised"], data["spent"], data["households_helped"]) == (10_000_000, 1_500_000, 1)
    assert sorted(d["donor"] for d in data["donors"]) == ["Công ty CP Du lịch Bãi Cháy", "Nhà hảo tâm (không nêu tên)"]
    text = s.text
    assert ward.poor not in text and "Trần Văn Nam" not in text and "Trần Thị Bích" not in text
    # the fund's own ledger names households: not for the health station
    assert client.get("/api/v1/programme/fund", headers=bearer(partners["health_station"])).status_code == 403
    assert client.get("/api/v1/programme/fund", headers=bearer(viewer)).status_code == 200
    # only the front (or the office) records the fund
    assert client.post("/api/v1/programme/fund/contributions", headers=bearer(partners["health_station"]), json={
        "campaign_id": cid, "donor_name": "X", "amount_vnd": 1, "received_on": "2025-10-15"}).status_code == 403


def test_a_bad_contribution_names_its_fields(client, partners):
    front = partners["fatherland_front"]
    r = client.post("/api/v1/programme/fund/contributions", headers=bearer(front), json={
        "campaign_id": 999, "donor_name": "", "donor_kind": "alien", "amount_vnd": -5, "received_on": "hôm qua"})
    assert r.status_code == 422
    assert {d["path"] for d in r.json()["error"]["details"]} == {"body.donor_name", "body.donor_kind", "body.amount_vnd",
                                                                  "body.received_on"}
    cid = _campaign(client, front)
    unknown = client.post("/api/v1/programme/fund/contributions", headers=bearer(front), json={
        "campaign_id": cid + 1, "donor_name": "A", "amount_vnd": 5, "received_on": "2025-10-01"})
    assert unknown.status_code == 404 and unknown.json()["error"]["details"][0]["field"] == "campaign_id"
    future = client.post("/api/v1/programme/fund/contributions", headers=bearer(front), json={
        "campaign_id": cid, "donor_name": "A", "amount_vnd": 5, "received_on": "2030-01-01"})
    assert future.status_code == 422 and future.json()["error"]["details"][0]["code"] == "future_date"
    assert "chưa tới" in future.json()["error"]["message_vi"]


def test_the_balance_through_voids_and_the_console(client, db, ward, partners, officer):
    """Voids of a disbursement and of a contribution, and money recorded with the console's forms: after
    every step the balance shown equals contributions − disbursements over the current entries."""
    front = partners["fatherland_front"]
    cid = _campaign(client, front)
    a = _give(client, front, cid, 10_000_000)
    b = _give(client, front, cid, 4_000_000, donor="Hội Cựu chiến binh", donor_kind="organisation")
    d = _spend(client, front, ward.poor, 6_000_000, cid)
    assert d.status_code == 201

    def check(want):
        got = _balance(client, front)
        cin = db.value("SELECT COALESCE(SUM(amount_vnd), 0) FROM fund_current")
        cout = db.value("SELECT COALESCE(SUM(amount_vnd), 0) FROM support_current WHERE fund = 'fund_for_poor'")
        assert got == {"contributions": cin, "disbursements": cout, "balance": cin - cout} and got["balance"] == want

    check(8_000_000)
    # the disbursement voided: the money is back
    v = client.post(f"/api/v1/programme/deliveries/{d.json()['id']}/void", json={"reason": "hộ từ chối nhận"},
                    headers=bearer(front))
    assert v.status_code == 201, v.text
    check(14_000_000)
    # a contribution voided while the rest still covers what is spent
    assert _spend(client, front, ward.escaped, 3_000_000, cid).status_code == 201
    check(11_000_000)
    assert client.post(f"/api/v1/programme/fund/contributions/{b}/void", json={"reason": "chuyển nhầm"},
                       headers=bearer(front)).status_code == 201
    check(7_000_000)
    # the console: a contribution typed with thousands dots and a dd/mm/yyyy day, then one voided there
    client.cookies.set("rasoat_session", officer)
    page = client.get("/console/programme/fund")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/console/programme/fund/contributions", follow_redirects=False, data={
        "csrf_token": csrf, "campaign_id": str(cid), "donor_name": "Bà Trần Thị Thu", "donor_kind": "person",
        "amount_vnd": "2.500.000", "received_on": "20/10/2025"})
    assert r.status_code == 303, r.text[:400]
    check(9_500_000)
    r = client.post(f"/console/programme/fund/contributions/{a}/void", follow_redirects=False,
                    data={"csrf_token": csrf, "reason": "ghi trùng"})
    assert r.status_code == 409           # 10.000.000 of 12.500.000 would leave 2.500.000 < 3.000.000 spent
    assert "Không thể giảm 10.000.000 đồng: quỹ chỉ còn 9.500.000 đồng chưa chi" in r.text
    check(9_500_000)
    # the fund page says the same figure, as a Vietnamese number
    assert "9.500.000" in client.get("/console/programme/fund").text
