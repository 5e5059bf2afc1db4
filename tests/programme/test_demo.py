"""The demo ward holds a year of the plan carried out: deliveries from every body in the last twelve
months, needs, a Fund campaign whose balance adds up, and each programme page shows its job."""
from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.clock import system_clock
from server.db import open_database
from server.demo import seed_demo
from server.programme.demo import PARTNER_PASSWORD
from server.settings import Settings
from shared.programme import load_catalogue


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("programme-demo") / "demo.db"
    db = open_database(path)
    result = seed_demo(db, households=300, seed=1)
    db.close()
    return path, result


def test_the_demo_has_a_year_of_deliveries_from_every_body(demo):
    path, result = demo
    db = open_database(path)
    try:
        today = system_clock().date()
        year_ago = (today - dt.timedelta(days=365)).isoformat()
        got = {r[0]: r[1] for r in db.all("SELECT body_id, COUNT(*) FROM support_current WHERE delivered_on > ? "
                                          "GROUP BY body_id", (year_ago,))}
        bodies = {b["id"] for b in load_catalogue().delivering_bodies()}
        assert set(got) == bodies and all(n >= 1 for n in got.values()), got
        assert sum(got.values()) >= 100
        months = {r[0] for r in db.all("SELECT DISTINCT substr(delivered_on, 1, 7) FROM support_current")}
        assert len(months) >= 10                                    # spread over the year
        assert db.value("SELECT MAX(delivered_on) FROM support_entries") <= today.isoformat()
        assert db.value("SELECT COUNT(*) FROM support_entries WHERE kind = 'correction'") >= 1
        assert db.value("SELECT COUNT(*) FROM support_entries WHERE kind = 'void'") == 1
        assert db.value("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'support.%'") == \
            db.value("SELECT COUNT(*) FROM support_entries")
        cin = db.value("SELECT SUM(amount_vnd) FROM fund_current")
        cout = db.value("SELECT COALESCE(SUM(amount_vnd), 0) FROM support_current WHERE fund = 'fund_for_poor'")
        assert cin > 0 and cout > 0 and cin - cout == result["programme"]["fund"]["balance"] >= 0
        assert db.value("SELECT COUNT(*) FROM needs WHERE source = 'review'") > 0
        assert db.value("SELECT COUNT(*) FROM needs WHERE status = 'open'") > 0
        # the follow-up: needs answered by deliveries after they were noted, others closed with a reason
        assert db.value("SELECT COUNT(*) FROM needs WHERE close_delivery_id IS NOT NULL") >= 10
        assert db.value("SELECT COUNT(*) FROM needs WHERE close_reason IS NOT NULL") >= 4
        assert result["programme"]["needs_answered"] >= 10 and result["programme"]["needs_closed_by_reason"] >= 4
        assert db.value("SELECT MAX(noted_on) FROM needs") <= today.isoformat()
        assert db.value("SELECT MIN(delivered_on) FROM support_entries") > year_ago
        assert {u["username"] for u in result["users"] if u["role"] == "partner"} >= {"tramyte", "mttq", "kp01"}
    finally:
        db.close()


def test_each_programme_page_shows_its_job_in_the_demo(demo, tmp_path):
    import shutil
    path = tmp_path / "copy.db"
    shutil.copyfile(demo[0], path)
    app = create_app(Settings(db_path=str(path), secret="demo-test-secret-" + "x" * 20, public_url="http://testserver"))
    client = TestClient(app, raise_server_exceptions=False)
    try:
        def login(user, password):
            client.cookies.clear()
            page = client.get("/console/login")
            token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
            r = client.post("/console/login", data={"csrf_token": token, "username": user, "password": password},
                            follow_redirects=False)
            assert r.status_code == 303, r.text[:300]
            return r.headers["location"]

        assert login("officer", "officer-demo-2025") == "/console/dashboard"
        year = system_clock().year
        pages = {"/console/programme": "Trạm Y tế phường", "/console/programme/deliveries": "lượt hỗ trợ cho",
                 "/console/programme/needs?status=open": "Đang chờ", "/console/programme/fund": "Số dư",
                 "/console/programme/fund/summary": "CÔNG KHAI THU, CHI", "/console/programme/targets": "Chỉ tiêu",
                 "/console/programme/report": "BÁO CÁO KẾT QUẢ", "/console/programme/households": "Thuộc diện"}
        from tests.vn_check import page_text, problems
        hid = app.state.db.value("SELECT household_id FROM support_current GROUP BY household_id "
                                 "ORDER BY COUNT(DISTINCT body_id) DESC, household_id LIMIT 1")
        pages[f"/console/programme/households/{hid}"] = "Đã được hỗ trợ"
        for url, text in pages.items():
            r = client.get(url)
            assert r.status_code == 200 and text in r.text, url
            assert problems(page_text(r.text), url) == []             # Vietnamese only: no key, ISO date, English
        closed = client.get("/console/programme/needs?status=closed").text
        assert "Hộ đã chuyển đi" in closed or "Hộ không còn nhu cầu / từ chối" in closed
        report = client.get(f"/console/programme/report?year={year}")
        assert "Chưa có hỗ trợ nào" not in report.text
        # the demo's year-end report: the XLSX read back against the page, every sheet, every row
        from server.programme import report as report_mod
        from tests.programme.test_report import assert_xlsx_matches_page
        x = client.get(f"/console/programme/report.xlsx?year={year}")
        assert x.status_code == 200
        tables = report_mod.tables(report_mod.build(app.state.db, year, system_clock().date()))
        assert assert_xlsx_matches_page(report.text, x.content, tables, year) > 100
        assert all(t["rows"] for t in tables if t["id"] != "blocking"), [t["id"] for t in tables if not t["rows"]]
        # a partner lands on its own page and sees only its body
        assert login("tramyte", PARTNER_PASSWORD) == "/console/programme"
        own = client.get("/console/programme/deliveries").text
        assert "Cấp thẻ bảo hiểm y tế" in own and "Tặng đồ dùng thiết yếu" not in own
        for url in ("/console/programme", "/console/programme/households", "/console/programme/needs",
                    f"/console/programme/households/{hid}", "/console/programme/targets"):
            r = client.get(url)
            assert r.status_code == 200 and problems(page_text(r.text), url) == [], url
    finally:
        app.state.db.close()
