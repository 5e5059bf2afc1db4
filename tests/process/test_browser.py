"""End to end in headless Chromium (Playwright) against uvicorn on loopback: log in, hold a
community meeting where one household gets < 50% and goes back, post, recognise, print, and
download the ward XLSX whose numbers are checked against the database.

Screenshots of each page go to test-output/process/."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.browser import browser  # noqa: F401  (the shared fixture)

from .helpers import QN, at, load, valid_docs

pytestmark = pytest.mark.browser

OUT = Path(__file__).resolve().parents[2] / "test-output" / "process"

def shot(page: Any, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def test_meeting_vote_below_half_goes_back_and_xlsx_matches(browser, live, db, tmp_path):
    load(db, valid_docs(120, seed=21), at(2025, 12, 15))
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="vi-VN", accept_downloads=True)
    page = ctx.new_page()
    base = live.url
    page.goto(base + "/console/login")
    page.fill("input[name=username]", "officer")
    page.fill("input[name=password]", "officer-demo-2025")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/dashboard$"))

    page.click("nav.main-nav >> text=Họp dân · Công nhận")
    page.wait_for_url(re.compile(r".*/console/process$"))
    page.goto(f"{base}/console/process?round=2025&standard={QN}")
    shot(page, "01-overview")
    page.click("form.meeting-form[data-group=KP01] button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/process/meetings/\d+$"))
    shot(page, "02-meeting")
    rows = page.locator("tr[data-household]")
    n = rows.count()
    assert n >= 2
    first = rows.nth(0).get_attribute("data-household")
    page.fill("input[name=attendees]", "20")
    for i in range(n):
        hid = rows.nth(i).get_attribute("data-household")
        page.fill(f"input[name='agree:{hid}']", "9" if hid == first else "10")   # 45% vs exactly 50%
    page.click("#votes button[type=submit]")
    page.wait_for_selector(".flash-ok")
    assert "1 hộ phải rà soát lại" in page.locator(".flash-ok").inner_text()
    assert page.locator(f"tr[data-household='{first}'] .outcome").inner_text() == "Rà soát lại"
    assert page.locator("td.outcome >> text=Giữ kết quả").count() == n - 1
    shot(page, "03-meeting-voted")
    assert db.value("SELECT status FROM households WHERE household_id = ?", (first,)) == "returned"
    assert db.value("SELECT reason FROM returns WHERE household_id = ?", (first,)) == "Họp dân chưa đạt ≥ 50% đồng ý"

    page.click("#minutes-link")
    page.wait_for_url(re.compile(r".*/minutes$"))
    assert "BIÊN BẢN" in page.locator("h2").inner_text() and "2 bản" in page.content()
    shot(page, "04-minutes")

    page.goto(f"{base}/console/process?round=2025&standard={QN}")
    page.fill("#postings input[name=posted_on]", "2025-11-21")
    page.click("#postings button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/process/postings/\d+$"))
    assert page.locator("#ends-on").inner_text() == "25/11/2025"
    shot(page, "05-posting")

    page.goto(f"{base}/console/process?round=2025&standard={QN}")
    page.fill("#decision input[name=number]", "99/QĐ-UBND")
    page.fill("#decision input[name=decision_date]", "2025-12-10")
    page.fill("#decision input[name=signer_name]", "Nguyễn Văn Chủ")
    page.click("#decision button[type=submit]")
    # refused: the household sent back by the meeting is listed with what to do
    page.wait_for_selector("#refusal")
    assert "Chưa ban hành được" in page.locator("#refusal").inner_text()
    assert page.locator(f"#unsettled tr[data-household='{first}']").count() == 1
    assert "Đang rà soát lại" in page.locator(f"#unsettled tr[data-household='{first}']").inner_text()
    shot(page, "06-decision-refused")
    page.fill("#override textarea[name=override_reason]", "Hộ còn lại rà soát bổ sung trong tháng 1")
    page.click("#override button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/process/decisions/\d+$"))
    assert "Hộ còn lại rà soát bổ sung" in page.locator("#override").inner_text()
    shot(page, "06-decision")
    page.click("#print-decision")
    page.wait_for_url(re.compile(r".*/print$"))
    assert "ngày 10 tháng 12 năm 2025" in page.locator("#place-date").inner_text()
    assert "Hộ còn lại rà soát bổ sung" in page.locator("#override-reason").inner_text()
    shot(page, "06-decision-print")
    page.go_back()
    page.click("text=Hộ cận nghèo")
    page.locator("text=Giấy chứng nhận").first.click()
    page.wait_for_url(re.compile(r".*/certificates/.*"))
    assert "GIẤY CHỨNG NHẬN" in page.locator("h2").inner_text()
    shot(page, "07-certificate")

    page.goto(f"{base}/console/dashboard")       # the certificate is a print view without the menu
    page.click("nav.main-nav >> text=Báo cáo")
    page.wait_for_url(re.compile(r".*/console/reports$"))
    page.goto(f"{base}/console/reports?round=2025&standard={QN}&report=overall")
    assert page.locator("#report-table tr.codes th").first.inner_text() == "A"
    shot(page, "08-reports")
    page.goto(f"{base}/console/reports?round=2025&standard={QN}&report=named_lists")
    shot(page, "09-named-lists")
    page.goto(f"{base}/console/reports?round=2025&standard={QN}&report=movement_poor")
    shot(page, "10-movement")
    with page.expect_download() as dl:
        page.click("#dl-workbook")
    path = tmp_path / "ward.xlsx"
    dl.value.save_as(path)
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb["Tổng hợp"].iter_rows(values_only=True))
    total = next(r for r in rows if r[0] == "Tổng cộng")
    cls = f"json_extract(classes, '$.\"{QN}\"')"
    assert total[1] == db.value("SELECT COUNT(*) FROM households") == 120
    assert total[3] == db.value(f"SELECT COUNT(*) FROM households WHERE {cls} = 'poor'")
    assert total[6] == db.value(f"SELECT COUNT(*) FROM households WHERE {cls} = 'near_poor'")
    named = [r for r in list(wb["Hộ cận nghèo"].iter_rows(values_only=True))[5:] if isinstance(r[0], int)]
    assert len(named) == db.value("SELECT COUNT(*) FROM decision_households WHERE list = 'near_poor'")
    assert first not in {r[-1] for r in named}
    wb.close()
    ctx.close()
