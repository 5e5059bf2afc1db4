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
    ("GET", "/console/programme/evidence/{sha256}"): READ,
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
    # no link to what it may not open (the fund's ledger, the year-end report, accounts)
    for href in ("/console/programme/report", "/console/programme/fund\"", "/console/programme/partners"):
        assert f'href="{href}' not in home.text, href
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
    pages = [p for (m, p) in ROUTES if m == "GET" and not p.endswith(".xlsx") and "{sha256}" not in p]
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


def test_bad_values_on_every_form_and_filter_are_named_in_vietnamese(app, client, db, ward, logins, officer):
    """What a person can type wrong on the programme's pages: each answered 4xx with the field named in
    Vietnamese (no English, no key, never a 500), and nothing written."""
    from .helpers import bearer, delivery
    e = client.post(f"/api/v1/programme/households/{ward.poor}/deliveries", json=delivery(), headers=bearer(officer))
    n = client.post(f"/api/v1/programme/households/{ward.poor}/needs", json={"need_type": "health", "member_id": "m1"},
                    headers=bearer(officer)).json()["id"]
    c = client.post("/api/v1/programme/fund/campaigns", json={"name": "Q", "starts_on": "2025-10-01"},
                    headers=bearer(officer)).json()["id"]
    e = e.json()["id"]
    hh = f"/console/programme/households/{ward.poor}"
    posts = [
        (hh + "/deliveries", {}, "Loại hỗ trợ: chưa chọn"),
        (hh + "/deliveries", {"support_type": "housing", "quantity": "abc", "delivered_on": "32/13/2025"},
         "Ngày hỗ trợ: ngày không hợp lệ (dd/mm/yyyy)"),
        (hh + "/deliveries", {"support_type": "essentials", "fund": "fund_for_poor", "delivered_on": "01/11/2025",
                              "amount_vnd": "999999999999999999999"}, "Số tiền: quá lớn"),
        (hh + "/needs", {}, "Loại nhu cầu: chưa chọn"),
        (hh + "/needs", {"need_type": "job", "member_id": "m9"}, "Người có nhu cầu: không phải thành viên của hộ"),
        (hh + "/needs", {"need_type": "job", "member_id": "m1", "noted_on": "01/01/2099"},
         "Ngày ghi nhận: 01/01/2099 chưa tới"),
        (f"/console/programme/needs/{n}/close", {"reason": "bored"}, "Lý do đóng: chọn một lý do trong danh sách"),
        (f"/console/programme/deliveries/{e}/correct", {"reason": "x", "delivered_on": "abc"},
         "Ngày hỗ trợ: ngày không hợp lệ (dd/mm/yyyy)"),
        (f"/console/programme/deliveries/{e}/correct", {"quantity": "2"}, "Lý do sửa: chưa nhập"),
        (f"/console/programme/deliveries/{e}/void", {}, "Lý do hủy: chưa nhập"),
        ("/console/programme/needs/derive", {"year": "abc"}, "Năm: cần một số"),
        ("/console/programme/fund/campaigns", {"name": "x", "starts_on": "01/10/2025", "ends_on": "01/09/2025"},
         "Ngày kết thúc: không hợp lệ hoặc trước ngày bắt đầu"),
        ("/console/programme/fund/contributions", {"campaign_id": str(c), "donor_name": "B", "amount_vnd": "-5",
                                                   "received_on": "x"}, "Số tiền: một số nguyên dương (đồng)"),
        ("/console/programme/targets", {"year": "2025", "target.health_insurance": "150"}, "ngoài khoảng cho phép"),
    ]
    gets = [("/console/programme?year=abc", "Năm: cần một số"), ("/console/programme/deliveries?year=1",
                                                                 "Năm: từ 2000 đến 2100"),
            ("/console/programme/needs?status=zzz", "Trạng thái: chọn Đang chờ, Đã đóng hoặc Tất cả"),
            ("/console/programme/households?group=KP99", "Không tìm thấy khu phố KP99"),
            ("/console/programme/report.xlsx?year=abc", "Năm: cần một số")]
    counts = lambda: [db.value(f"SELECT COUNT(*) FROM {t}") for t in ("support_entries", "needs", "fund_entries",  # noqa: E731
                                                                     "fund_campaigns", "programme_targets", "plan_targets")]
    before = counts()
    client.cookies.set("rasoat_session", officer)
    csrf = _csrf(client.get(hh).text)
    for url, form, said in posts:
        r = client.post(url, data={**form, "csrf_token": csrf}, follow_redirects=False)
        assert 400 <= r.status_code < 500, (url, form, r.status_code)
        text = visible_text(r.text)
        assert said in text, (url, form, text[:600])
        assert not SNAKE.findall(text) and not ISO.findall(text), (url, SNAKE.findall(text), ISO.findall(text))
        assert " / year" not in text and "open, closed" not in text
    for url, said in gets:
        r = client.get(url)
        assert 400 <= r.status_code < 500 and said in visible_text(r.text), (url, r.status_code)
    assert counts() == before
