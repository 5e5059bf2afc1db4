"""Screenshots of the programme's console pages (issue 20) on the demo ward, in Vietnamese, in Chromium.

Seeds a throw-away demo ward (what ``make run`` shows: a year of deliveries from every body, needs, the
Fund), serves it on loopback and drives Debian's Chromium (Playwright, /usr/bin/chromium, locale vi-VN)
through the programme's pages as the officer, then as the health station's and the Fatherland Front's
partner accounts. Prints each page's visible text problems (English words of the catalogue, snake_case
keys, ISO dates, decimal points) as it goes — the pictures are for a person to look at.

    .venv/bin/python scripts/programme_screenshots.py [--out /tmp/programme-shots] [--households 300]
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.screenshots import ARGS, CHROMIUM, VIEW, seed  # noqa: E402

ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
DECIMAL_POINT = re.compile(r"(?<![\w.])\d+\.\d{1,2}\b(?!\.)")   # not a section number (II.4.1)
ENGLISH = re.compile(r"\b(?:the|and|of|Fund|support|household|delivery|needs?|report|target)\b")


def problems(text: str) -> list[str]:
    out = []
    for name, rx in (("ISO date", ISO), ("snake_case", SNAKE), ("decimal point", DECIMAL_POINT),
                     ("English", ENGLISH)):
        found = rx.findall(text)
        if found:
            out.append(f"{name}: {sorted(set(found))[:5]}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="/tmp/programme-shots")
    ap.add_argument("--households", type=int, default=300)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not Path(CHROMIUM).exists():
        print("Debian's chromium is missing (apt-get install chromium)", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    from server.app import create_app
    from server.programme.demo import PARTNER_PASSWORD
    from server.settings import Settings
    from tests.live import LiveServer

    bad = 0
    with tempfile.TemporaryDirectory(prefix="rasoat-programme-shots-") as tmp:
        data = Path(tmp)
        seed(data, args.households)
        from server.db import open_database
        db = open_database(data / "rasoat.db")
        hid = db.value("SELECT household_id FROM support_current GROUP BY household_id "
                       "ORDER BY COUNT(DISTINCT body_id) DESC, household_id LIMIT 1")
        db.close()
        app = create_app(Settings(db_path=str(data / "rasoat.db"), secret="screenshots-" + "x" * 32,
                                  public_url="http://192.168.1.10:8765"))
        with LiveServer(app) as live, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)

            def session(user: str, password: str, prefix: str, pages: list[tuple[str, str]]) -> None:
                nonlocal bad
                ctx = browser.new_context(viewport=VIEW, locale="vi-VN", device_scale_factor=1)
                page = ctx.new_page()
                page.goto(live.url + "/console/login")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", password)
                page.click("button[type=submit]")
                page.wait_for_load_state("networkidle")
                for name, path in pages:
                    page.goto(live.url + path)
                    page.wait_for_load_state("networkidle")
                    target = out / f"{prefix}-{name}.png"
                    page.screenshot(path=str(target), full_page=True)
                    text = page.locator("main").inner_text()
                    found = problems(text)
                    bad += bool(found)
                    print(f"{target.name}: {page.title()!r} {'OK' if not found else found}")
                ctx.close()

            session("officer", "officer-demo-2025", "can-bo", [
                ("01-tong-quan", "/console/programme"), ("02-ho", "/console/programme/households"),
                ("03-ho-so-ho-tro", f"/console/programme/households/{hid}"),
                ("04-so-ho-tro", "/console/programme/deliveries"), ("05-nhu-cau", "/console/programme/needs"),
                ("06-quy", "/console/programme/fund"), ("07-cong-khai-quy", "/console/programme/fund/summary"),
                ("08-chi-tieu", "/console/programme/targets"), ("09-bao-cao", "/console/programme/report")])
            session("tramyte", PARTNER_PASSWORD, "tram-y-te", [
                ("01-trang-don-vi", "/console/programme"), ("02-ho", "/console/programme/households"),
                ("03-ho-so-ho-tro", f"/console/programme/households/{hid}"),
                ("04-nhu-cau", "/console/programme/needs")])
            session("mttq", PARTNER_PASSWORD, "mttq", [("01-quy", "/console/programme/fund"),
                                                        ("02-so-ho-tro", "/console/programme/deliveries")])
            session("kp01", PARTNER_PASSWORD, "khu-pho-1", [("01-trang-don-vi", "/console/programme"),
                                                            ("02-ho", "/console/programme/households"),
                                                            ("03-nhu-cau", "/console/programme/needs")])
            browser.close()
    print(f"{bad} page(s) with problems; pictures in {out}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
