"""One delivery followed end to end: the health station's account logs in to the console and records a
health-insurance card with its form; the delivery then appears in the household's history, in its
body's list (and only there), in the plan's targets (the member counts as insured, the household no
longer blocks the target) and in the year-end report — the page, the API tables and the XLSX."""
from __future__ import annotations

import io
import re

import openpyxl

from .helpers import bearer
from .test_report import _survey_all, _Tables, _target


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def test_a_partner_delivery_reaches_history_body_list_targets_and_the_year_end_report(
        app, client, db, ward, partners, officer, viewer, device):
    _survey_all(client, db, device, ward)                         # the 2025 round's answers
    before = client.get("/api/v1/programme/targets", params={"year": 2025}, headers=bearer(officer)).json()
    hi0 = _target(before, "health_insurance")
    assert (hi0["part"], hi0["whole"], hi0["met"]) == (5, 6, False)
    assert [(b["household_id"], b["person_name"]) for b in hi0["blocking"]] == [(ward.poor, "Lê Thị Hoa")]
    rep0 = {t["id"]: t for t in client.get("/api/v1/programme/report", params={"year": 2025},
                                           headers=bearer(viewer)).json()["tables"]}
    assert [r[4] for r in rep0["blocking"]["rows"] if r[0] == hi0["label_vi"]] == ["Lê Thị Hoa"]
    assert next(r for r in rep0["by_body"]["rows"] if r[1] == "Trạm Y tế phường")[2:6] == [0, 0, 0, 0]

    # the health station logs in and enters the card with the console's form (as a person types it)
    client.cookies.clear()
    login = client.get("/console/login")
    r = client.post("/console/login", data={"csrf_token": _csrf(login.text), "username": "p-health-station",
                                            "password": "partner-pass-1"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/programme"
    page = client.get(f"/console/programme/households/{ward.poor}")
    assert page.status_code == 200
    done = client.post(f"/console/programme/households/{ward.poor}/deliveries", follow_redirects=False, data={
        "csrf_token": _csrf(page.text), "support_type": "health_insurance_card", "delivered_on": "05/11/2025",
        "quantity": "1", "fund": "state_budget", "member_id": "m2", "evidence_no": "QĐ 41/QĐ-TYT"})
    assert done.status_code == 303, done.text[:500]
    entry = db.one("SELECT id, body_id, recorded_by FROM support_entries")
    assert entry["body_id"] == "health_station"
    assert entry["recorded_by"] == db.value("SELECT id FROM users WHERE username = 'p-health-station'")

    # 1. the household's history: the partner's page, the officer's API view
    after = client.get(f"/console/programme/households/{ward.poor}").text
    assert "05/11/2025" in after and "Lê Thị Hoa" in after and "QĐ 41/QĐ-TYT" in after
    hist = client.get(f"/api/v1/programme/households/{ward.poor}", headers=bearer(officer)).json()["history"]
    assert [(e["id"], e["type_vi"], e["person_name"], e["state"]) for e in hist] == [
        (entry["id"], "Cấp thẻ bảo hiểm y tế", "Lê Thị Hoa", "current")]

    # 2. its body's list — the partner's own, the officer's filtered by body — and no other body's
    own = client.get("/console/programme/deliveries?year=2025").text
    assert "1 lượt hỗ trợ cho 1 hộ" in own and "QĐ 41/QĐ-TYT" in own
    client.cookies.set("rasoat_session", officer)
    assert "QĐ 41/QĐ-TYT" in client.get("/console/programme/deliveries?year=2025&body=health_station").text
    assert "QĐ 41/QĐ-TYT" not in client.get("/console/programme/deliveries?year=2025&body=fatherland_front").text
    by_api = client.get("/api/v1/programme/deliveries", params={"year": 2025, "body": "health_station"},
                        headers=bearer(officer)).json()
    assert [d["id"] for d in by_api["deliveries"]] == [entry["id"]]
    front = client.get("/api/v1/programme/deliveries", headers=bearer(partners["fatherland_front"])).json()
    assert front["count"] == 0

    # 3. the targets: every member insured now; the page says so in Vietnamese
    t1 = _target(client.get("/api/v1/programme/targets", params={"year": 2025}, headers=bearer(officer)).json(),
                 "health_insurance")
    assert (t1["part"], t1["whole"], t1["met"], t1["blocking"]) == (6, 6, True, [])
    targets_page = client.get("/console/programme/targets?year=2025").text
    row = next(r for r in targets_page.split("<tr>") if t1["label_vi"] in r)
    assert "100,0% (6/6)" in row and "Đạt" in row and "Chưa đạt" not in row

    # 4. the year-end report: the API's tables, the printable page, the XLSX — one delivery, one household,
    #    one person for the health station; the card's plan section counts it
    rep = {t["id"]: t for t in client.get("/api/v1/programme/report", params={"year": 2025},
                                          headers=bearer(viewer)).json()["tables"]}
    body = next(r for r in rep["by_body"]["rows"] if r[1] == "Trạm Y tế phường")
    assert body[2:6] == [1, 1, 1, 0]
    section = next(r for r in rep["by_section"]["rows"] if r[1] == "Cấp thẻ bảo hiểm y tế")
    assert section[3:6] == [1, 1, 1]
    assert not any(r[0] == t1["label_vi"] and r[4] == "Lê Thị Hoa" for r in rep["blocking"]["rows"])
    html = client.get("/console/programme/report?year=2025").text
    parsed = _Tables()
    parsed.feed(html)
    assert next(r for r in parsed.tables["by_body"] if r[1] == "Trạm Y tế phường")[2:6] == ["1", "1", "1", "0"]
    assert not any("Lê Thị Hoa" in " ".join(r) for r in parsed.tables["blocking"])
    x = client.get("/console/programme/report.xlsx?year=2025")
    wb = openpyxl.load_workbook(io.BytesIO(x.content))
    sheet = [[c.value for c in row] for row in wb["Theo đơn vị"].iter_rows(min_row=5)]
    hs = next(r for r in sheet if r[1] == "Trạm Y tế phường")
    assert hs[2:6] == [1, 1, 1, 0]
    sec = [[c.value for c in row] for row in wb["Theo nội dung"].iter_rows(min_row=5)]
    assert next(r for r in sec if r[1] == "Cấp thẻ bảo hiểm y tế")[3:6] == [1, 1, 1]
    assert not any("Lê Thị Hoa" == c.value for row in wb["Hộ chưa đạt"].iter_rows() for c in row)
    assert re.search(r"\d{2}/\d{2}/\d{4}", html)                 # printed on a dd/mm/yyyy day
