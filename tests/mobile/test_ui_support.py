"""The support screen in a real window: a household's support and open needs from the last sync, and a
need noted offline (saved on the tablet, shown as waiting)."""
from __future__ import annotations

import os

import pytest

if not os.environ.get("DISPLAY"):
    pytest.skip("UI tests need a display: run under xvfb-run -a", allow_module_level=True)

from kivy.tests.fixtures import kivy_app  # noqa: E402,F401  (the fixture)

from mobile import store as st  # noqa: E402
from mobile.collect import summary_columns  # noqa: E402
from mobile.support import apply_change, pending_needs  # noqa: E402
from mobile.widgets import find  # noqa: E402
from tests.factories import household, member  # noqa: E402

from .uikit import TabletApp, skip_kivy_leak_check, screenshot, tap, until  # noqa: E402,F401  (the fixture)

pytestmark = [pytest.mark.ui, pytest.mark.asyncio]
WORLD: dict = {}
HID = "5a5a5a5a-0000-4000-8000-000000000001"




def make_app():
    return TabletApp(data_dir=WORLD["dir"], auto_sync_interval=3600)




@pytest.fixture(scope="module", autouse=True)
def world(tmp_path_factory):
    d = WORLD["dir"] = tmp_path_factory.mktemp("tablet-support")
    store = st.LocalStore.in_dir(d)
    store.set(server_url="http://127.0.0.1:9", token="t", collaborator={"name": "Nguyễn Thị Hoa"})
    store.upsert_group("KP01", "Khu phố 1", {"province_code": "22", "ward_code": "BAICHAY", "area_type": "urban"})
    doc = household([member("m1", full_name="Trần Văn Nam", age=45),
                     member("m2", "spouse", 42, "female", full_name="Lê Thị Hoa", health_insurance=False)])
    doc["household_id"] = HID
    with store.tx() as c:
        store.save_household(HID, conn=c, group_code="KP01", doc=doc, raw={}, status=st.NOT_STARTED, preloaded=1,
                             form_version=doc["form_version"], **summary_columns(doc))
        apply_change(c, {"kind": "support", "household_id": HID, "support": [
            {"support_type": "health_insurance_card", "label_vi": "Cấp thẻ bảo hiểm y tế", "body_vi": "Trạm Y tế phường",
             "delivered_on": "2026-11-05", "quantity": 1, "unit_vi": "thẻ", "amount_vnd": None, "person_name": "Lê Thị Hoa"},
            {"support_type": "essentials", "label_vi": "Tặng đồ dùng thiết yếu", "body_vi": "Ủy ban MTTQ phường",
             "delivered_on": "2026-02-01", "quantity": 1, "unit_vi": "suất", "amount_vnd": 500000, "person_name": None}],
            "open_needs": [{"need_id": 3, "need_type": "housing", "label_vi": "Nhà ở không an toàn",
                            "body_vi": "Ủy ban MTTQ phường", "noted_on": "2026-10-01", "person_name": None}]})
    store.close()
    yield WORLD


@pytest.mark.parametrize("kivy_app", [(make_app,)], indirect=True)
async def test_the_support_screen_shows_support_and_notes_a_need(kivy_app, world):
    app = kivy_app
    await until(app, lambda: app.sm.current == "households", 10, "the list")
    app.open_household(HID)
    await until(app, lambda: app.sm.current == "form", 5, "the form")
    await app.wait_clock_frames(5)                     # the form's top bar laid out with its new button
    await screenshot(app, "30-form-support-button")
    await tap(app, "form:support")
    await until(app, lambda: app.sm.current == "support", 5, "the support screen")
    assert find(app.root, "support:received:0").text == \
        "• 05/11/2026 · Cấp thẻ bảo hiểm y tế · 1 thẻ · Lê Thị Hoa · Trạm Y tế phường"
    assert find(app.root, "support:received:1").text == \
        "• 01/02/2026 · Tặng đồ dùng thiết yếu · 1 suất · 500.000 đ · Ủy ban MTTQ phường"
    assert find(app.root, "support:need:0").text == "• 01/10/2026 · Nhà ở không an toàn · Ủy ban MTTQ phường"
    # a person's need without a person: refused with the reason, nothing saved
    find(app.root, "support:need").text = "Cần việc làm"
    await tap(app, "support:save")
    await until(app, lambda: "chọn thành viên" in find(app.root, "support:message").text, 5, "the refusal")
    assert pending_needs(app.store) == []
    find(app.root, "support:member").text = "Trần Văn Nam"
    find(app.root, "support:note").text = "muốn làm bảo vệ"
    await tap(app, "support:save")
    await until(app, lambda: "Đã lưu nhu cầu" in find(app.root, "support:message").text, 5, "the need saved")
    [n] = pending_needs(app.store)
    assert (n["need_type"], n["member_id"], n["note"]) == ("job", "m1", "muốn làm bảo vệ")
    assert "Cần việc làm · Trần Văn Nam · (chờ gửi)" in find(app.root, "support:need:1").text
    await app.wait_clock_frames(3)
    await screenshot(app, "30-support")
    await tap(app, "support:back")
    await until(app, lambda: app.sm.current == "form", 5, "back to the form")
