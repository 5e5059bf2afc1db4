"""Screenshots of the ward console for the Vietnamese user guides (docs/images/console-*.png).

Seeds a throw-away demo ward (the one ``make run`` shows, with its work waiting) in a temporary
directory, serves it on loopback, and drives Debian's Chromium (Playwright, executable
/usr/bin/chromium) through the pages an officer uses, in the order of the guide
(docs/huong-dan-can-bo.md): log in, the dashboard, review and accept, a household, duplicates,
the community meeting and its minutes, the posting, the recognition decision (refused, then
issued with a reason), certificates, reports, targets, the register import and the tablet
enrollment code.

    .venv/bin/python scripts/screenshots.py [--out docs/images] [--households 300]
"""
from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--lang=vi-VN"]
VIEW = {"width": 1280, "height": 860}


def seed(data: Path, households: int) -> dict:
    from server.db import open_database
    from server.demo import seed_demo

    db = open_database(data / "rasoat.db")
    try:
        return seed_demo(db, households=households)
    finally:
        db.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "images"))
    ap.add_argument("--households", type=int, default=300)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not Path(CHROMIUM).exists():
        print("Debian's chromium is missing (apt-get install chromium)", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    from server.app import create_app
    from server.settings import Settings
    from tests.live import LiveServer

    with tempfile.TemporaryDirectory(prefix="rasoat-shots-") as tmp:
        data = Path(tmp)
        work = seed(data, args.households)["work"]
        app = create_app(Settings(db_path=str(data / "rasoat.db"), secret="screenshots-" + "x" * 32,
                                  public_url="http://192.168.1.10:8765"))
        with LiveServer(app) as live, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            ctx = browser.new_context(viewport=VIEW, locale="vi-VN", device_scale_factor=1)
            page = ctx.new_page()
            base = live.url
            shots: list[str] = []

            def shot(name: str, full: bool = False, selector: str | None = None) -> None:
                path = out / f"console-{name}.png"
                if selector:
                    page.locator(selector).first.screenshot(path=str(path))
                else:
                    page.screenshot(path=str(path), full_page=full)
                shots.append(path.name)

            def go(path: str) -> None:
                page.goto(base + path)
                page.wait_for_load_state("networkidle")

            go("/")
            shot("01-dang-nhap")
            page.fill("input[name=username]", "officer")
            page.fill("input[name=password]", "officer-demo-2025")
            page.click("button[type=submit]")
            page.wait_for_url(re.compile(r".*/console/dashboard$"))
            shot("02-tong-quan")
            go("/console/review")
            boxes = page.locator("#bulk-accept input[name=pick]")
            for i in range(min(3, boxes.count())):
                boxes.nth(i).check()
            shot("03-kiem-tra-phieu")
            hid = work["returned_by_meeting"] or work["returned_by_officer"]
            go(f"/console/households/{hid}")
            shot("04-ho-so-ho")
            page.locator("#answers").scroll_into_view_if_needed()
            shot("05-phieu-tra-loi", selector="#answers")
            go("/console/duplicates")
            shot("06-ho-so-trung")
            first = page.locator("a[href^='/console/duplicates/']").first
            if first.count():
                first.click()
                page.wait_for_load_state("networkidle")
                shot("07-cap-trung")
            go(f"/console/process?round={work['round']}&standard={work['standard_id']}")
            shot("08-hop-dan-cong-nhan")
            go(f"/console/process/meetings/{work['meeting_id']}")
            shot("09-cuoc-hop")
            go(f"/console/process/meetings/{work['meeting_id']}/minutes?photos=0")
            shot("10-bien-ban", full=True)
            go(f"/console/process/postings/{work['posting_id']}")
            shot("11-niem-yet")
            go(f"/console/process?round={work['round']}&standard={work['standard_id']}")
            page.locator("#complaints").scroll_into_view_if_needed()
            shot("12-khieu-nai", selector="#complaints")
            # the decision: refused while households are not settled, then issued with a reason
            page.fill("#decision input[name=number]", "125/QĐ-UBND")
            page.fill("#decision input[name=decision_date]", dt.date.today().isoformat())
            page.fill("#decision input[name=signer_name]", "Nguyễn Văn Chủ")
            page.click("#decision button[type=submit]")
            page.wait_for_selector("#refusal")
            shot("13-quyet-dinh-tu-choi")
            page.fill("#override textarea[name=override_reason]",
                      "Các hộ còn lại được rà soát bổ sung, công nhận bằng quyết định khác trong tháng 01")
            page.click("#override button[type=submit]")
            page.wait_for_url(re.compile(r".*/console/process/decisions/\d+$"))
            shot("14-quyet-dinh")
            page.click("#print-decision")
            page.wait_for_load_state("networkidle")
            shot("15-quyet-dinh-in", full=True)
            page.go_back()
            page.wait_for_load_state("networkidle")
            # a certificate: the first household of the first list of the decision that has one
            decision_url = page.url.split("?")[0]
            cert = page.locator("a[href*='/certificates/']").first
            for tab in ("", "?list=poor", "?list=near_poor", "?list=escaped_poverty", "?list=escaped_near_poverty"):
                if tab:
                    page.goto(decision_url + tab)
                    page.wait_for_load_state("networkidle")
                cert = page.locator("a[href*='/certificates/']").first
                if cert.count():
                    break
            if cert.count():
                cert.click()
                page.wait_for_load_state("networkidle")
                shot("16-giay-chung-nhan")
            else:
                print("no household in the decision: no certificate screenshot", file=sys.stderr)
            go(f"/console/reports?round={work['round']}&standard={work['standard_id']}&report=overall")
            shot("17-bao-cao")
            go(f"/console/cycle/targets?round={work['round']}&standard={work['standard_id']}")
            shot("18-chi-tieu")
            go("/console/cycle/register")
            shot("19-nhap-danh-sach")
            go("/console/cycle/eligibility")
            shot("20-huong-chinh-sach")
            # an administrator issues a tablet enrollment code for a collaborator
            page.click("text=Đăng xuất")
            page.wait_for_url(re.compile(r".*/console/login.*"))
            page.fill("input[name=username]", "admin")
            page.fill("input[name=password]", "admin-demo-2025")
            page.click("button[type=submit]")
            page.wait_for_url(re.compile(r".*/console/dashboard$"))
            go("/console/admin/collaborators")
            shot("21-cong-tac-vien")
            enroll = page.locator("form[action$='/enroll'] button[type=submit]").first
            if enroll.count():
                enroll.click()
                page.wait_for_load_state("networkidle")
                shot("22-ma-dang-ky-may")
            browser.close()
    print("\n".join(str(out / s) for s in shots))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
