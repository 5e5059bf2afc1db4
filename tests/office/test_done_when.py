""""Done when" items of issues 17 and 18 that no other test states whole (the others are listed in
docs/console.md, "Issues 17 and 18: where each 'done when' is tested"):

* a newcomer running ``make run`` sees work waiting on every screen (the demo as ``make run`` seeds
  it, each screen visited as the officer);
* the process refuses a decision over households the officer has not reviewed, naming them and
  why; an override needs a reason, is audited and printed on the decision;
* the Vietnamese guides and their screenshots are in the docs and match the product: every picture
  the guides show exists and is made by the screenshot script, and the buttons and menus the
  officer's guide tells a reader to press are on the console's pages."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shared import wire

from server.app import create_app
from server.db import open_database
from server.demo import seed_demo
from server.errors import ApiError
from server.settings import Settings
from tests.console.conftest import SECRET, FakeClock, client_as, csrf_of

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.datetime(2026, 11, 20, 9, 0, tzinfo=wire.VN_TZ)


@pytest.fixture
def newcomer(tmp_path):
    """The demo exactly as ``make run`` seeds it (the cycle, the office's work, the programme year)."""
    path = tmp_path / "rasoat.db"
    db = open_database(path)
    res = seed_demo(db, households=150, now=TODAY, cycle=True)
    db.close()
    assert res["failed"] == []
    app = create_app(Settings(db_path=str(path), secret=SECRET, public_url="http://testserver"),
                     clock=FakeClock(TODAY))
    yield app, res["work"]
    app.state.db.close()


def _count(html: str, pattern: str) -> int:
    return len(re.findall(pattern, html))


def test_a_newcomer_sees_work_waiting_on_every_screen(newcomer):
    app, w = newcomer
    c = client_as(app, "officer")
    get = lambda url: c.get(url).text  # noqa: E731
    page = get("/console/dashboard")
    assert "<strong>0</strong> phiếu chờ duyệt" not in page and "phiếu chờ duyệt" in page
    assert _count(get("/console/review"), r'name="pick"') >= 3                      # forms to accept
    assert _count(get("/console/review"), r'href="/console/conflicts/') >= 1        # a conflict to resolve
    assert _count(get("/console/duplicates"), r'href="/console/duplicates/\d+"') >= 2   # pairs to decide
    assert _count(get("/console/households?status=returned"), r'href="/console/households/[0-9a-f-]{36}"') >= 2
    process = get(f"/console/process?round={w['round']}&standard={w['standard_id']}")
    assert "Lập danh sách họp" in process                                          # households awaiting a meeting
    assert f'/console/process/meetings/{w["meeting_id"]}' in process and f'/console/process/postings/{w["posting_id"]}' in process
    assert "Chờ phúc tra" in process or "Chưa phúc tra" in process or "chưa phúc tra" in process   # a complaint
    posting = get(f"/console/process/postings/{w['posting_id']}")
    assert _count(posting, r"<tr>\s*<td>\d+</td>") >= 1
    assert "<td>Khu phố 1 (Bãi Cháy cũ)</td>" in posting and "<td>KP01</td>" not in posting   # groups by name
    assert "Đang mở" in get("/console/cycle")                                       # the round in progress
    assert _count(get("/console/cycle/eligibility"), r'href="/console/households/') >= 1
    assert _count(get("/console/cycle/low-income"), r"/reidentify") >= 1            # requests identified
    targets = get("/console/cycle/targets")
    assert "Chỉ tiêu kế hoạch" in targets and "Lịch sử" in targets
    reports = get(f"/console/reports?round={w['round']}&standard={w['standard_id']}&report=overall")
    assert "Tải toàn bộ báo cáo" in reports and "Không có dữ liệu" not in reports


def test_a_decision_over_unreviewed_households_is_refused_naming_them(newcomer):
    from server.auth import UserPrincipal
    from server.process import service
    app, w = newcomer
    db = app.state.db
    officer = UserPrincipal(id=db.value("SELECT id FROM users WHERE username = 'officer'"), username="officer",
                            full_name="Cán bộ", role="officer")
    waiting = db.value("SELECT h.head_name FROM households h WHERE h.status = 'submitted' AND NOT EXISTS "
                       "(SELECT 1 FROM review_decisions r WHERE r.submission_id = h.submission_id)")
    assert waiting
    with pytest.raises(ApiError) as e:
        service.create_decision(db, officer, w["round"], w["standard_id"], "9/QĐ-UBND", TODAY.date(), "Nguyễn Văn An",
                                "Chủ tịch UBND phường", TODAY)
    assert e.value.status == 409 and e.value.code == "unsettled"
    assert e.value.details[0]["counts"]["awaiting_review"] >= 1
    assert db.value("SELECT COUNT(*) FROM recognition_decisions") == 0
    # the console shows the refusal with the households and why, in Vietnamese
    c = client_as(app, "officer")
    form = {"csrf_token": csrf_of(c), "round": str(w["round"]), "standard": w["standard_id"], "number": "9/QĐ-UBND",
            "decision_date": TODAY.date().isoformat(), "signer_name": "Nguyễn Văn An", "signer_title": "Chủ tịch UBND phường"}
    r = c.post("/console/process/decisions", data=form)
    assert r.status_code == 409 and 'id="unsettled"' in r.text
    assert "Chờ cán bộ duyệt phiếu" in r.text and "Duyệt hoặc trả lại phiếu" in r.text
    assert db.value("SELECT COUNT(*) FROM recognition_decisions") == 0
    # an override without a reason is refused; with one it is audited and printed
    r = c.post("/console/process/decisions", data={**form, "allow_unsettled": "1", "override_reason": "gấp"})
    assert r.status_code == 422 and db.value("SELECT COUNT(*) FROM recognition_decisions") == 0
    reason = "Các hộ còn lại được rà soát bổ sung trong tháng 01"
    r = c.post("/console/process/decisions", data={**form, "allow_unsettled": "1", "override_reason": reason})
    assert r.status_code == 303, r.text[:400]
    did = db.value("SELECT id FROM recognition_decisions")
    assert reason in db.value("SELECT details FROM audit_log WHERE action = 'recognition.create' AND target_id = ?",
                              (str(did),))
    printed = c.get(f"/console/process/decisions/{did}/print").text
    assert reason in printed
    # no household the officer did not accept is in the decision
    assert db.value("SELECT COUNT(*) FROM decision_households d JOIN households h ON h.household_id = d.household_id "
                    "WHERE NOT EXISTS (SELECT 1 FROM review_decisions r WHERE r.submission_id = h.submission_id)") == 0


GUIDES = ("docs/huong-dan-can-bo.md", "docs/huong-dan-cong-tac-vien.md")
# what the officer's guide tells a reader to press or open, as the console writes it
PRESSED = ("Tổng quan", "Kiểm tra phiếu", "Hồ sơ trùng", "Họp dân · Công nhận", "Đợt rà soát", "Báo cáo",
           "Duyệt các phiếu đã chọn", "Trả lại cho cộng tác viên", "Duyệt phiếu", "Lập danh sách họp",
           "Ghi kết quả biểu quyết", "Niêm yết", "Ghi khiếu nại", "Ban hành quyết định", "In quyết định",
           "Giấy chứng nhận", "Tải toàn bộ báo cáo", "Kiểm tra tệp", "Xác nhận nhập", "Lưu mục tiêu",
           "Cấp mã đăng ký thiết bị", "Nhập danh sách hộ năm trước", "Chỉ tiêu kế hoạch", "English")


def test_the_guides_pictures_exist_and_are_made_by_the_script():
    script = (ROOT / "scripts" / "screenshots.py").read_text(encoding="utf-8")
    made = set(re.findall(r'shot\("([^"]+)"', script))
    for guide in GUIDES:
        text = (ROOT / guide).read_text(encoding="utf-8")
        images = re.findall(r"!\[[^\]]*\]\((images/[^)]+)\)", text)
        assert images, guide
        for img in images:
            assert (ROOT / "docs" / img).is_file(), (guide, img)
            name = Path(img).stem
            if name.startswith("console-"):
                assert name.removeprefix("console-") in made, (guide, img)
    officer = (ROOT / GUIDES[0]).read_text(encoding="utf-8")
    shown = {Path(i).stem.removeprefix("console-") for i in re.findall(r"images/(console-[^)]+)\)", officer)}
    assert shown == made, ("console screenshots not in the officer's guide", made - shown)


def test_what_the_guide_says_to_press_is_on_the_console(newcomer, tmp_path):
    from server.auth import UserPrincipal
    from server.process import service
    app, w = newcomer
    guide = (ROOT / GUIDES[0]).read_text(encoding="utf-8")
    db = app.state.db
    officer = UserPrincipal(id=db.value("SELECT id FROM users WHERE username = 'officer'"), username="officer",
                            full_name="Cán bộ", role="officer")
    pending = {"id": w["pending_meeting_id"]}       # the demo's meeting whose votes are still to record
    c, admin = client_as(app, "officer"), client_as(app, "admin")
    hid = db.value("SELECT household_id FROM households WHERE status = 'submitted' AND needs_review = 0 LIMIT 1")
    pages = ["/console/dashboard", "/console/review", f"/console/households/{hid}",
             f"/console/process?round={w['round']}&standard={w['standard_id']}",
             f"/console/process/meetings/{pending['id']}",
             f"/console/reports?round={w['round']}&standard={w['standard_id']}", "/console/cycle/register",
             "/console/cycle/targets"]
    html = " ".join(c.get(p).text for p in pages) + admin.get("/console/admin/collaborators").text
    from tests.cycle.helpers import register_rows, ward_docs, write_register_xlsx
    good = write_register_xlsx(tmp_path / "good.xlsx", register_rows(ward_docs(4, seed=9, year=2025), 2025))
    html += c.post("/console/cycle/register", data={"csrf_token": csrf_of(c, "/console/cycle/register")},
                   files={"file": ("good.xlsx", good.read_bytes())}).text          # the check, then «Xác nhận nhập»
    d = service.create_decision(db, officer, w["round"], w["standard_id"], "9/QĐ-UBND", TODAY.date(), "Nguyễn Văn An",
                                "Chủ tịch UBND phường", TODAY, allow_unsettled=True,
                                override_reason="Các hộ còn lại được rà soát bổ sung trong tháng 01")
    lists = ("", "?list=poor", "?list=near_poor", "?list=escaped_poverty", "?list=escaped_near_poverty")
    html += " ".join(c.get(f"/console/process/decisions/{d['id']}{q}").text for q in lists)
    html = html.replace("&nbsp;", " ")
    for label in PRESSED:
        assert label in guide, f"the guide no longer names «{label}»"
        assert label in html, f"the guide says «{label}», the console does not"
