"""End to end in real headless Chromium (Playwright, sync API) against uvicorn on loopback.

Screenshots of every page visited go to test-output/console/.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import browser  # noqa: F401  (the shared fixture)

pytestmark = pytest.mark.browser

OUT = Path(__file__).resolve().parents[2] / "test-output" / "console"

def shot(page: Any, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def log_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(base + "/console/login")
    shot(page, "01-login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/dashboard$"))


def test_officer_returns_a_household_and_the_device_pulls_the_reason(browser, live, world):
    server, app = live
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = context.new_page()
    log_in(page, server.url, "officer", "officer-demo-2025")
    assert page.locator("h1").inner_text() == "Tổng quan tiến độ rà soát"
    shot(page, "02-dashboard")

    page.click("nav.main-nav >> text=Hộ gia đình")
    page.wait_for_url(re.compile(r".*/console/households$"))
    shot(page, "03-households")
    page.fill("input[name=q]", "script")
    page.click("form.filters button[type=submit]")
    assert page.locator("tbody tr").first.inner_text().startswith("<script>alert(1)</script>")   # shown as text
    shot(page, "04-households-search")

    page.goto(f"{server.url}/console/households/{world['submitted']}")
    shot(page, "05-household")
    page.select_option("select[name=reason_code]", "missing_health_insurance")
    page.fill("textarea[name=reason_text]", "Bổ sung số thẻ BHYT của bà Lan")
    page.click("form[action$='/return'] button[type=submit]")
    page.wait_for_selector(".flash-ok")
    assert "thiết bị sẽ nhận được" in page.locator(".flash-ok").inner_text()
    shot(page, "06-household-returned")

    r = httpx.get(f"{server.url}/api/v1/sync/pull", params={"cursor": 0, "limit": 1000},
                  headers={"Authorization": f"Bearer {world['device_token']}"})
    assert r.status_code == 200
    returns = [c for c in r.json()["changes"] if c["kind"] == "return" and c["household_id"] == world["submitted"]]
    assert returns[-1]["reason"] == "Thiếu thông tin BHYT của thành viên: Bổ sung số thẻ BHYT của bà Lan"

    page.goto(f"{server.url}/console/review")
    shot(page, "07-review")
    page.goto(f"{server.url}/console/conflicts/{world['conflict_submission']}")
    shot(page, "08-conflict")
    page.check("input[name=resolution][value=merge]")
    page.check("input[name='take:notes'][value=device]")
    page.click("form[action$='/resolve'] button[type=submit]")
    page.wait_for_selector(".flash-ok")
    shot(page, "09-conflict-merged")

    page.click("a.lang")
    page.wait_for_selector("html[lang=en]")
    assert "Household" in page.locator("h1").inner_text()
    shot(page, "10-household-english")
    context.close()


def test_officer_merges_a_duplicate_and_undoes_it(browser, live, world):
    assert world["dedup"] and world["candidate_id"], "the test world must hold a duplicate candidate"
    server, app = live
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, server.url, "officer", "officer-demo-2025")
    page.goto(server.url + "/console/duplicates")
    shot(page, "11-duplicates")
    page.click(f"a[href='/console/duplicates/{world['candidate_id']}']")
    shot(page, "12-duplicate-pair")
    page.check("input[name=decision][value=same]")
    page.click("form[action$='/decide'] button[type=submit]")
    page.wait_for_selector(".flash-ok")
    assert app.state.db.value("SELECT COUNT(*) FROM dedup_links WHERE candidate_id = ? AND undone_at IS NULL",
                              (world["candidate_id"],)) == 1
    shot(page, "13-duplicate-merged")
    page.fill("form[action$='/undo'] input[name=reason]", "Hộ tách riêng")
    page.click("form[action$='/undo'] button[type=submit]")
    page.wait_for_selector(".flash-ok")
    assert "Đã hủy gộp" in page.locator(".flash-ok").inner_text()
    assert app.state.db.value("SELECT COUNT(*) FROM dedup_links WHERE candidate_id = ? AND undone_at IS NULL",
                              (world["candidate_id"],)) == 0
    shot(page, "14-duplicate-undone")
    context.close()


def test_admin_pages_and_an_enrollment_qr(browser, live, world):
    server, app = live
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, server.url, "admin", "admin-demo-2025")
    for i, name in enumerate(("users", "collaborators", "groups", "devices")):
        page.goto(f"{server.url}/console/admin/{name}")
        shot(page, f"{15 + i:02d}-admin-{name}")
    page.click("form[action='/console/admin/collaborators/1/enroll'] button")
    page.wait_for_selector("img.qr")
    assert page.locator("img.qr").evaluate("img => img.naturalWidth") > 100
    shot(page, "19-enrollment-code")
    context.close()


def test_a_viewer_sees_no_action_buttons(browser, live, world):
    server, _ = live
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, server.url, "viewer", "viewer-demo-2025")
    page.goto(f"{server.url}/console/households/{world['submitted']}")
    assert page.locator("form[method=post]").count() == 1          # log out only
    assert "Bạn chỉ có quyền xem." in page.content()
    shot(page, "20-household-viewer")
    context.close()
