"""The programme's console pages: every page in the table (the route matrix itself: test_matrix.py), the
delivery form end to end as a partner, the partner's login landing, and every page read as a person would
in Vietnamese (no internal ids, snake_case keys or ISO dates in the text)."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.routing import APIRoute

from tests.console.test_roles import _walk

from .conftest import session_token

CALLERS = (None, "viewer", "officer", "admin", "p_health", "p_front")
READ = {"viewer", "officer", "admin", "p_health", "p_front"}
WRITE = {"officer", "admin", "p_health", "p_front"}
OFFICE = {"officer", "admin"}
FUND_READ = {"viewer", "officer", "admin", "p_front"}
FUND_WRITE = {"officer", "admin", "p_front"}
# (method, path template) → who may (None = not logged in: never)
ROUTES = {
    ("GET", "/console/programme"): READ,
    ("GET", "/console/programme/households"): READ,
    ("GET", "/console/programme/households/{household_id}"): READ,
    ("POST", "/console/programme/households/{household_id}/deliveries"): WRITE,
    ("POST", "/console/programme/households/{household_id}/needs"): WRITE,
    ("POST", "/console/programme/needs/{need_id}/close"): WRITE,
    ("POST", "/console/programme/deliveries/{entry_id}/correct"): WRITE,
    ("POST", "/console/programme/deliveries/{entry_id}/void"): WRITE,
    ("GET", "/console/programme/deliveries"): READ,
    ("GET", "/console/programme/needs"): READ,
    ("POST", "/console/programme/needs/derive"): OFFICE,
    ("GET", "/console/programme/fund"): FUND_READ,
    ("GET", "/console/programme/fund/summary"): READ,
    ("POST", "/console/programme/fund/campaigns"): FUND_WRITE,
    ("POST", "/console/programme/fund/contributions"): FUND_WRITE,
    ("POST", "/console/programme/fund/contributions/{entry_id}/void"): FUND_WRITE,
    ("GET", "/console/programme/partners"): {"admin"},
    ("POST", "/console/programme/partners"): {"admin"},
    ("GET", "/console/programme/targets"): READ,
    ("POST", "/console/programme/targets"): OFFICE,
    ("GET", "/console/programme/report"): {"viewer", "officer", "admin"},
    ("GET", "/console/programme/report.xlsx"): {"viewer", "officer", "admin"},
}


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


@pytest.fixture
def logins(app, partners):
    return {"viewer": session_token(app, "viewer"), "officer": session_token(app, "officer"),
            "admin": session_token(app, "admin"), "p_health": partners["health_station"],
            "p_front": partners["fatherland_front"]}


def test_the_table_lists_every_programme_page(app):
    mine = {(m, r.path) for r in _walk(app.routes) if isinstance(r, APIRoute)
            and r.path.startswith("/console/programme") for m in r.methods}
    assert mine == set(ROUTES), f"unlisted: {mine - set(ROUTES)}; stale: {set(ROUTES) - mine}"


def test_a_partner_logs_in_to_its_page_and_records_a_delivery_with_the_form(app, client, ward, partners):
    from server.programme import partners as partner_service  # noqa: F401
    page = client.get("/console/login")
    r = client.post("/console/login", data={"csrf_token": _csrf(page.text), "username": "p-health-station",
                                            "password": "partner-pass-1"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/programme"
    home = client.get("/console/programme")
    assert home.status_code == 200 and "Trạm Y tế phường" in home.text
    assert "Chương trình giảm nghèo" in home.text and "Tổng quan</a>" not in home.text.split("<main")[0]
    h = client.get(f"/console/programme/households/{ward.poor}")
    assert h.status_code == 200 and "Cấp thẻ bảo hiểm y tế" in h.text and "Hỗ trợ xây mới" not in h.text
    assert 'name="campaign_id"' not in h.text            # none of its types is paid from the Fund
    # a mistake keeps what was typed and names the field
    bad = client.post(f"/console/programme/households/{ward.poor}/deliveries", data={
        "csrf_token": _csrf(h.text), "support_type": "health_insurance_card", "delivered_on": "2025-11-05",
        "fund": "state_budget", "evidence_no": "QĐ 99/2025", "member_id": ""})
    assert bad.status_code == 422 and "Người nhận: chọn thành viên của hộ" in bad.text and "QĐ 99/2025" in bad.text
    ok = client.post(f"/console/programme/households/{ward.poor}/deliveries", data={
        "csrf_token": _csrf(h.text), "support_type": "health_insurance_card", "delivered_on": "2025-11-05",
        "fund": "state_budget", "evidence_no": "QĐ 99/2025", "member_id": "m2", "quantity": "1"}, follow_redirects=False)
    assert ok.status_code == 303
    after = client.get(f"/console/programme/households/{ward.poor}").text
    assert "05/11/2025" in after and "Lê Thị Hoa" in after and "QĐ 99/2025" in after
    listing = client.get("/console/programme/deliveries?year=2025").text
    assert "05/11/2025" in listing and "1 lượt hỗ trợ cho 1 hộ" in listing


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    p = _Text()
    p.feed(html)
    return " ".join(p.parts)


SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")


def test_every_page_reads_in_vietnamese(app, client, ward, logins, officer):
    from .helpers import bearer, delivery
    client.post(f"/api/v1/programme/households/{ward.poor}/deliveries", json=delivery(), headers=bearer(officer))
    client.post(f"/api/v1/programme/households/{ward.poor}/needs", json={"need_type": "housing"}, headers=bearer(officer))
    camp = client.post("/api/v1/programme/fund/campaigns", json={"name": "Quỹ 2025", "starts_on": "2025-10-01"},
                       headers=bearer(officer)).json()["id"]
    client.post("/api/v1/programme/fund/contributions", json={"campaign_id": camp, "donor_name": "Công ty A",
                                                              "amount_vnd": 5_000_000, "received_on": "2025-10-02"},
                headers=bearer(officer))
    pages = [p for (m, p) in ROUTES if m == "GET" and not p.endswith(".xlsx")]
    for caller in ("officer", "p_health", "admin"):
        client.cookies.set("rasoat_session", logins[caller])
        for path in pages:
            r = client.get(path.format(household_id=ward.poor))
            if r.status_code == 403:
                continue
            assert r.status_code == 200, (caller, path, r.status_code)
            text = visible_text(r.text)
            assert not SNAKE.findall(text), (caller, path, SNAKE.findall(text)[:5])
            assert not ISO.findall(text), (caller, path, ISO.findall(text)[:5])
            assert not UUID.findall(text), (caller, path)
