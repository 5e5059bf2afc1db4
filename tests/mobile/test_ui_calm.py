"""Issue 21 in a real window (Xvfb, 1280×800): what a collaborator sees while filling in a form.

Each test starts the app on a tablet directory of its own (enrolled, one group, no server unless
the test starts the fake one) and checks what is on screen: the window on the screen,
placeholders, one clock, calm messages, exclusive "none", member delete, finishing, sync progress,
the income line and the summary.
"""
from __future__ import annotations

import os
import time

import pytest

if not os.environ.get("DISPLAY"):
    pytest.skip("UI tests need a display: run under xvfb-run -a", allow_module_level=True)

from kivy.core.window import Window  # noqa: E402
from kivy.metrics import dp, sp  # noqa: E402
from kivy.tests.async_common import UnitKivyApp  # noqa: E402
from kivy.tests.fixtures import kivy_app  # noqa: E402,F401  (the fixture)

from mobile import store as st  # noqa: E402
from mobile.app import RasoatApp  # noqa: E402  (loads every .kv before the first app)
from mobile.widgets import find  # noqa: E402
from mobile.window import screen_size  # noqa: E402

from .uikit import screenshot, tap, type_into, until, widget  # noqa: E402

pytestmark = [pytest.mark.ui, pytest.mark.asyncio]
WORLD: dict = {}


class TabletApp(UnitKivyApp, RasoatApp):
    pass


def make_app():
    return TabletApp(data_dir=WORLD["dir"], auto_sync_interval=3600)


APP = pytest.mark.parametrize("kivy_app", [(make_app,)], indirect=True)


@pytest.fixture(autouse=True)
def _skip_kivy_leak_check():
    """See test_ui.py: the previous app stays reachable from Kivy internals after it stops."""
    from kivy.tests import fixtures
    fixtures.apps.clear()


@pytest.fixture(autouse=True)
def tablet_dir(tmp_path_factory):
    """A fresh enrolled tablet for every test (each test is one app)."""
    d = WORLD["dir"] = tmp_path_factory.mktemp("tablet-calm")
    store = st.LocalStore.in_dir(d)
    store.set(server_url=WORLD.get("server_url") or "http://127.0.0.1:9", token="dev_t",
              collaborator={"name": "Nguyễn Thị Hoa"})
    store.upsert_group("KP01", "Khu phố 1", {"province_code": "22", "ward_code": "BAICHAY", "area_type": "urban"})
    store.close()
    yield d


@pytest.fixture()
def utc_device():
    """The device clock set to UTC (not Vietnam time), as a tablet bought abroad or reset."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


async def new_household(app) -> str:
    await until(app, lambda: app.sm.current == "households", 10, "the list")
    await tap(app, "list:new")
    await until(app, lambda: app.sm.current == "form" and app.form_p.hid, 5, "the new form")
    return app.form_p.hid


# 8. the window ------------------------------------------------------------------------------------

@APP
async def test_the_window_fits_the_screen_it_opens_on(kivy_app):
    app = kivy_app
    await until(app, lambda: app.sm.current == "households", 10, "the list")
    screen = screen_size()
    assert screen == (1280, 800)                     # scripts/test.sh starts Xvfb at 1280x800
    await app.wait_clock_frames(3)
    w, h = Window.size
    assert Window.left >= 0 and Window.top >= 0
    assert Window.left + w <= screen[0] and Window.top + h <= screen[1]
    assert (w, h) == (1280, 800)                     # as large as before: nothing shrunk
    # text and touch targets at least today's sizes
    for tid, min_h in (("list:new", dp(60)), ("list:sync", dp(60)), ("lang", dp(52))):
        assert find(app.root, tid).height >= min_h - 0.5
    assert find(app.root, "list:search").font_size >= sp(22) - 0.5


# 2. placeholders ----------------------------------------------------------------------------------

@APP
async def test_placeholders_cannot_be_read_as_values(kivy_app):
    app = kivy_app
    await new_household(app)
    await tap(app, "section:income")
    box = await widget(app, "field:income.wages")
    assert box.text == ""
    assert box.hint_text == "nhập số tiền (đồng)"
    for path in ("income.farming_net", "income.business", "income.pensions"):
        hint = find(app.root, f"field:{path}").hint_text
        assert hint == "nhập số tiền (đồng)" and not any(ch.isdigit() for ch in hint)
    await tap(app, "section:housing")
    area = await widget(app, "field:housing.floor_area_m2")
    assert area.hint_text.startswith("nhập số") and area.hint_text != "0"
    await tap(app, "lang")
    await until(app, lambda: find(app.root, "field:housing.floor_area_m2").hint_text.startswith("type a number"),
                5, "English placeholder")
    await tap(app, "lang")


# 3. the save time per household, one clock ----------------------------------------------------------

@APP
async def test_the_save_time_is_the_households_and_in_vietnam_time(kivy_app, utc_device):
    app = kivy_app
    first = await new_household(app)
    app.form_p.clock = lambda: 1_796_373_043.0        # 2026-12-04 08:30:43 UTC = 15:30:43 in Vietnam
    await tap(app, "section:address")
    await type_into(app, "field:address.street", "Vườn Đào")
    info = await widget(app, "form:info")
    await until(app, lambda: "Đã lưu trên máy lúc 15:30:43" in info.text, 5, "the save time in Vietnam time")
    assert "08:30:43" not in info.text                # not the device clock (UTC here)
    await tap(app, "form:back")
    second = await new_household(app)
    assert second != first
    await app.wait_clock_frames(3)
    assert "Đã lưu" not in find(app.root, "form:info").text      # not the previous household's time
    await tap(app, "form:back")
    app.open_household(first)                         # reopened: its own save time, in Vietnam time
    await until(app, lambda: app.form_p.hid == first, 5, "the first household")
    await app.wait_clock_frames(3)
    stored = app.store.household(first)["updated_at"]
    assert stored.endswith("+07:00")
    hhmm = stored[11:16]
    assert f"Đã lưu trên máy lúc {hhmm}" in find(app.root, "form:info").text
    # the sync screen: Vietnam time, and the device's other zone said where it matters
    app.store.set(last_sync_ok_at="2026-12-04T15:31:00+07:00")
    app.show_sync()
    last = await widget(app, "sync:last")
    await until(app, lambda: "15:31 04/12/2026" in last.text, 5, "the last sync in Vietnam time")
    note = find(app.root, "sync:clock")
    assert "UTC+7" in note.text and "UTC+0" in note.text
    await screenshot(app, "40-sync-clock-note")
    app.sync_p.device_offset = lambda: 7 * 3600        # a device on Vietnam time: no note
    app.sync_p.refresh()
    await until(app, lambda: find(app.root, "sync:clock").text == "", 5, "no clock note")
