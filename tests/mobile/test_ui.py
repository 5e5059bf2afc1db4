"""End to end in a real Kivy window (Xvfb) against the real ward server on loopback.

The tests run in order and share one tablet data directory and one server:
1. enroll, create a household with 3 members by tapping and typing, see the
   classification, survive bad input and a full disk, finish it while the server is down;
2. restart the app: the data is there; the server comes back; sync; the server holds
   the household once; the officer returns it; the app shows the reason; fix and resend.
Screenshots of every screen go to test-output/screens/.
"""
from __future__ import annotations

import os

import pytest

if not os.environ.get("DISPLAY"):
    pytest.skip("UI tests need a display: run under xvfb-run -a", allow_module_level=True)

from kivy.tests.fixtures import kivy_app  # noqa: E402,F401  (the fixture)

from mobile import store as st  # noqa: E402
from mobile.widgets import find  # noqa: E402

from .realserver import RealServer  # noqa: E402
from .helpers import fill_disk  # noqa: E402
from .uikit import TabletApp, skip_kivy_leak_check, screenshot, tap, type_into, until, widget  # noqa: E402,F401  (the fixture)

pytestmark = [pytest.mark.ui, pytest.mark.asyncio]

WORLD: dict = {}




def make_app():
    return TabletApp(data_dir=WORLD["data_dir"], auto_sync_interval=3600)


APP = pytest.mark.parametrize("kivy_app", [(make_app,)], indirect=True)




@pytest.fixture(scope="module", autouse=True)
def world(tmp_path_factory):
    WORLD["data_dir"] = tmp_path_factory.mktemp("tablet")
    server = RealServer(tmp_path_factory.mktemp("server"), households=12)
    server.start()
    WORLD["server"] = server
    yield WORLD
    server.stop()


MEMBERS = [
    {"full_name": "Trần Văn Hùng", "relation": None, "sex": "male", "birth_date": "14/03/1971",
     "health_insurance": "true", "qualification": "lower_secondary", "work_status": "wage_no_contract"},
    {"full_name": "Nguyễn Thị Lan", "relation": "spouse", "sex": "female", "birth_year": "1975",
     "health_insurance": "false", "qualification": "primary", "work_status": "self_employed"},
    {"full_name": "Trần Thị Thư", "relation": "child", "sex": "female", "birth_date": "01/06/2014",
     "health_insurance": "true", "in_school": "true", "qualification": "primary", "nutrition": "normal"},
]
TYPED = ("full_name", "birth_date", "birth_year")



def _members(app) -> list:
    return app.store.household(app.form_p.hid)["doc"].get("members") or []


async def fill_member(app, i: int, answers: dict) -> None:
    """Add member i and answer it. On a loaded machine a tap can land while the form re-lays out
    after the previous member: tap "add" again only while the member is not there (never twice)."""
    for _ in range(3):
        if len(_members(app)) > i:
            break
        await tap(app, "form:add_member")
        try:
            await until(app, lambda: len(_members(app)) > i, 3, f"member {i + 1} added")
        except AssertionError:
            continue
    assert len(_members(app)) == i + 1, _members(app)
    if app.form_p.member_index != i:
        await tap(app, f"member:edit:{i}")
    await widget(app, f"field:members[{i}].full_name", 10)
    for name, value in answers.items():
        if value is None:
            continue
        if name in TYPED:
            await type_into(app, f"field:members[{i}].{name}", value)
        else:
            await tap(app, f"choice:members[{i}].{name}:{value}")
    for _ in range(3):
        await tap(app, "form:member_done")
        if app.form_p.member_index is None:
            break
    assert app.form_p.member_index is None


@APP
async def test_enroll_collect_classify_offline(kivy_app, world):
    app, server = kivy_app, world["server"]
    assert app.sm.current == "enroll"
    await type_into(app, "enroll:server", server.url)
    await type_into(app, "enroll:code", server.enroll_code())
    await type_into(app, "enroll:name", "Máy KP01")
    await screenshot(app, "01-enroll")
    await tap(app, "enroll:submit")
    await until(app, lambda: app.sm.current == "households", 15, "the household list")
    await until(app, lambda: app.list_p.rows, 15, "preloaded households from the server")
    assert app.who == "Nguyễn Thị Hoa"
    await screenshot(app, "02-households")

    await tap(app, "list:new")
    assert app.sm.current == "form"
    hid = app.form_p.hid
    world["hid"] = hid
    doc = app.store.household(hid)["doc"]
    assert doc["area"] == {"group_code": "KP01", "province_code": "22", "ward_code": "BAICHAY", "area_type": "urban"}

    await tap(app, "section:address")
    await type_into(app, "field:address.house_number", "45/2")
    await type_into(app, "field:address.street", "Vườn Đào")
    await tap(app, "section:members")
    for i, answers in enumerate(MEMBERS):
        await fill_member(app, i, answers)
    await screenshot(app, "03-members")
    await tap(app, "member:edit:2")
    await screenshot(app, "04-member-form")
    await tap(app, "form:member_done")

    await tap(app, "section:housing")
    for path, value in (("walls", "non_durable"), ("columns", "durable"), ("roof", "non_durable")):
        await tap(app, f"choice:housing.{path}:{value}")
    await type_into(app, "field:housing.floor_area_m2", "28")
    await tap(app, "section:water_sanitation")
    await tap(app, "choice:water_source:drilled_well")
    await tap(app, "choice:latrine:open_pit")
    await tap(app, "choice:waste_treatment:collected")
    await tap(app, "section:information")
    await tap(app, "choice:telecom_use:true")
    await tap(app, "choice:info_devices:smartphone")
    await tap(app, "choice:internet_access:true")
    await tap(app, "choice:digital_services:true")
    await tap(app, "section:income")

    # Bad input: letters in a number. A clear message, the text is kept.
    box = await type_into(app, "field:income.wages", "ba mươi triệu")
    box.focus = False                      # the collaborator moves on: the question was left
    msg = await widget(app, "message:income.wages")
    await until(app, lambda: "Chỉ được nhập chữ số" in msg.text, 5, "the message once the box is left")
    assert box.text == "ba mươi triệu"
    assert app.store.household(hid)["raw"]["income.wages"] == "ba mươi triệu"
    await screenshot(app, "05-bad-input")
    await type_into(app, "field:income.wages", "30.000.000")
    await type_into(app, "field:income.farming_net", "24000000")
    await type_into(app, "field:income.business", "0")
    assert app.form_p.all_error_count() == 0, [p.message_vi for p in app.form_p._all_problems]

    # A full disk: a Vietnamese message, the text stays on screen, nothing saved before is lost.
    await tap(app, "section:evidence")
    conn = app.store.conn
    fill_disk(conn)
    note = "Ghi chú: " + "ộ" * 1900          # > 4 KB more than before: needs a page the disk does not have
    box = await type_into(app, "field:notes", note)
    err = await widget(app, "form:error")
    await until(app, lambda: "đầy" in err.text, 5, "the full-disk message")
    assert box.text == note
    await screenshot(app, "06-disk-full")
    conn.execute("PRAGMA max_page_count = 1073741823")
    conn.execute("DROP TABLE filler")
    box.insert_text(".")
    await until(app, lambda: not err.text, 5, "the message to clear once saved")
    assert app.store.household(hid)["doc"]["notes"] == (note + ".").strip()
    assert app.store.household(hid)["doc"]["income"]["wages"] == 30_000_000

    await tap(app, "form:summary")
    assert app.sm.current == "summary"
    label = await until(app, lambda: next((w for w in app.root.walk()
                                           if str(getattr(w, "tid", "")).startswith("summary:class:")), None))
    assert label.text.startswith("Theo Chuẩn ")           # the class says under which standard
    assert label.text.split(": ", 1)[1].startswith(("Hộ nghèo", "Hộ cận nghèo", "Hộ có mức sống", "Hộ không nghèo",
                                                    "Chưa xác"))
    assert app.summary_p.cards and app.summary_p.missing == []
    await screenshot(app, "07-summary")
    await tap(app, "summary:back")

    # The ward server goes down; the collaborator finishes the form anyway.
    server.stop()
    await tap(app, "form:finish")
    assert app.store.household(hid)["status"] == st.WAITING
    await until(app, lambda: app.sm.current == "households", 5, "back on the list after finishing")
    notice = await widget(app, "list:notice")
    assert "Đã hoàn thành hộ Trần Văn Hùng" in notice.text
    await screenshot(app, "08a-finished-banner")
    await tap(app, "list:sync")
    msg = await widget(app, "sync:message")
    await until(app, lambda: "Không kết nối được" in msg.text, 20, "the offline message")
    [entry] = app.store.pending()
    assert entry["frozen"] == 1 and entry["attempts"] >= 1 and entry["receipt"] is None
    await screenshot(app, "08-sync-offline")


@APP
async def test_restart_sync_return_and_resend(kivy_app, world):
    app, server, hid = kivy_app, world["server"], world["hid"]
    # Restarted: the household and its answers are there.
    assert app.sm.current == "households"
    await type_into(app, "list:search", "tran van hung")          # no diacritics, any case
    await until(app, lambda: [r for r in app.list_p.visible if r["household_id"] == hid], 5, "search hit")
    await tap(app, f"household:{hid}")
    doc = app.store.household(hid)["doc"]
    assert [m["full_name"] for m in doc["members"]] == [m["full_name"] for m in MEMBERS]
    assert doc["housing"]["floor_area_m2"] == 28
    await tap(app, "form:back")

    server.start()
    await tap(app, "list:sync")
    await tap(app, "sync:retry")
    msg = await widget(app, "sync:message")
    await until(app, lambda: "Đồng bộ xong" in msg.text, 20, "sync done")
    await screenshot(app, "09-sync-done")
    assert server.rows("SELECT COUNT(*) FROM households WHERE household_id = ?", hid) == [(1,)]
    assert server.rows("SELECT COUNT(*) FROM submissions WHERE household_id = ?", hid) == [(1,)]
    assert app.store.household(hid)["status"] == st.SYNCED

    server.return_household(hid, "Kiểm tra lại thu nhập từ đánh bắt cá")
    await tap(app, "sync:retry")
    await until(app, lambda: app.store.household(hid)["status"] == st.RETURNED, 20, "the return")
    await tap(app, "sync:back")
    await tap(app, "status:returned")
    await until(app, lambda: [r for r in app.list_p.visible if r["household_id"] == hid], 5, "the returned row")
    assert "Kiểm tra lại thu nhập" in app.list_p.visible[0]["detail"]
    await screenshot(app, "10-returned-list")
    await tap(app, f"household:{hid}")
    banner = await widget(app, "form:returned")
    assert "Kiểm tra lại thu nhập từ đánh bắt cá" in banner.text
    await screenshot(app, "11-returned-form")

    await tap(app, "section:income")
    await type_into(app, "field:income.business", "1.000.000")
    await tap(app, "form:finish")
    await until(app, lambda: app.store.household(hid)["status"] == st.SYNCED, 20, "the resend")
    assert server.rows("SELECT server_revision, status FROM households WHERE household_id = ?", hid) == [(2, "submitted")]
    assert server.rows("SELECT COUNT(*) FROM submissions WHERE household_id = ?", hid) == [(2,)]
    await until(app, lambda: "máy chủ phường đã nhận" in find(app.root, "list:notice").text, 20, "the receipt banner")
    app.open_household(hid)
    await until(app, lambda: app.sm.current == "form", 5, "the form again")
    await app.wait_clock_frames(3)
    assert not find(app.root, "form:returned").text

    await tap(app, "lang")                                          # English switch
    await until(app, lambda: find(app.root, "form:finish").text == "Finish and send", 5, "English labels")
    await screenshot(app, "12-form-english")
    await tap(app, "lang")
