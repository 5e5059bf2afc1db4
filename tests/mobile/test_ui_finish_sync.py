"""Issue 21 in a real window against the real ward server: finishing returns to the list with a
banner naming the household and its state (queued, then received with its receipt); a sync shows
records n of N, photos in bytes and the time taken, and "Dừng" leaves everything not sent queued;
each household's row says where its form is.

The push requests pass a gate the test opens, so "queued" and "in flight" are seen for certain
(no timing assumptions).
"""
from __future__ import annotations

import os
import threading

import pytest

if not os.environ.get("DISPLAY"):
    pytest.skip("UI tests need a display: run under xvfb-run -a", allow_module_level=True)

import requests  # noqa: E402
from kivy.tests.fixtures import kivy_app  # noqa: E402,F401  (the fixture)

from mobile import store as st  # noqa: E402
from mobile.collect import Collection  # noqa: E402
from mobile.presenters import EnrollPresenter, run_inline  # noqa: E402
from mobile.widgets import find  # noqa: E402

from .helpers import HOUSEHOLD_ANSWERS, MEMBERS  # noqa: E402
from .realserver import RealServer  # noqa: E402
from .uikit import TabletApp, skip_kivy_leak_check, screenshot, tap, until, widget  # noqa: E402,F401  (the fixture)

pytestmark = [pytest.mark.ui, pytest.mark.asyncio]
WORLD: dict = {}
GATE = threading.Event()            # pushes wait here while it is clear
WAITING = threading.Event()         # set while a push waits at the gate


class GatedSession(requests.Session):
    def request(self, method, url, *a, **kw):
        if "/sync/push" in str(url) and not GATE.is_set():
            WAITING.set()
            GATE.wait(60)
            WAITING.clear()
        return super().request(method, url, *a, **kw)




def make_app():
    app = TabletApp(data_dir=WORLD["dir"], auto_sync_interval=3600)
    return app




@pytest.fixture(scope="module", autouse=True)
def world(tmp_path_factory):
    server = RealServer(tmp_path_factory.mktemp("server-watch"), households=6)
    server.start()
    d = WORLD["dir"] = tmp_path_factory.mktemp("tablet-watch")
    store = st.LocalStore.in_dir(d)
    EnrollPresenter(store, run_inline).submit(server.url, server.enroll_code(), "Máy thử")
    assert store.get("token"), "enrolled"
    store.close()
    WORLD["server"] = server
    GATE.set()
    yield WORLD
    GATE.set()
    server.stop()


def filled(coll: Collection, name: str, street: str) -> str:
    hid = coll.new_household("KP01")
    for path, value in HOUSEHOLD_ANSWERS:
        coll.set_answer(hid, path, street if path == "address.street" else value)
    for k, answers in enumerate(MEMBERS):
        i = coll.add_member(hid)
        for field, value in answers:
            coll.set_answer(hid, f"members[{i}].{field}", name if (k == 0 and field == "full_name") else value)
    return hid


def noise_jpeg(path) -> str:
    from PIL import Image
    Image.frombytes("RGB", (900, 700), os.urandom(900 * 700 * 3)).save(path, "JPEG", quality=95)
    return str(path)


def row_detail(app, hid: str) -> str:
    row = app.list_p.row(hid)
    return row["view"]["detail"] if row else ""


@pytest.mark.parametrize("kivy_app", [(make_app,)], indirect=True)
async def test_finishing_says_where_the_form_is_and_sync_can_be_watched_and_stopped(kivy_app, world, tmp_path):
    app, server = kivy_app, world["server"]
    app.worker.session_factory = GatedSession
    await until(app, lambda: app.sm.current == "households", 10, "the list")
    app.request_sync()                          # the first pull: the round, the form, the standards
    await until(app, lambda: app.store.get("cursor") and not app.worker.running, 30, "the first pull")

    # 6. finishing: back to the list, a banner naming the household and its state
    hid = filled(app.collection, "Trần Văn Hùng", "Vườn Đào")
    GATE.clear()
    app.open_household(hid)
    await until(app, lambda: app.sm.current == "form", 5, "the form")
    await app.wait_clock_frames(3)
    await tap(app, "form:finish")
    await until(app, lambda: app.sm.current == "households", 5, "back on the list")
    notice = await widget(app, "list:notice")
    assert notice.text.startswith("Đã hoàn thành hộ Trần Văn Hùng · 45/2 Vườn Đào")
    assert "chờ gửi lên máy chủ phường" in notice.text
    await screenshot(app, "46-finished-queued")
    await until(app, WAITING.is_set, 20, "the push at the gate")
    GATE.set()
    await until(app, lambda: "máy chủ phường đã nhận lúc" in find(app.root, "list:notice").text, 20, "the receipt")
    assert "(biên nhận, lần 1)" in find(app.root, "list:notice").text
    assert server.rows("SELECT COUNT(*) FROM households WHERE household_id = ?", hid) == [(1,)]
    assert "máy chủ phường đã nhận lúc" in row_detail(app, hid)         # the row says it too
    await screenshot(app, "47-finished-received")

    # 7. sync progress: records n of N, photo bytes, time taken, stop leaves everything queued
    others = [filled(app.collection, f"Hộ thử {k}", f"Đường {k}") for k in range(4)]
    app.collection.attach_photo(others[0], "housing.walls", noise_jpeg(tmp_path / "walls.jpg"))
    for h in others:
        app.collection.finalise(h)
    app.worker.batch_size = 1                    # one record per request: a stop between records is seen
    GATE.clear()
    await tap(app, "list:sync")
    await until(app, lambda: app.sm.current == "sync", 5, "the sync screen")
    await tap(app, "sync:retry")
    await until(app, WAITING.is_set, 20, "the first record at the gate")
    progress = await widget(app, "sync:progress")
    await until(app, lambda: "Phiếu: 0/4" in progress.text and "Ảnh: 1/1" in progress.text, 5, "the progress line")
    size = os.path.getsize(app.store.photo(app.store.household(others[0])["doc"]["photos"][0]["sha256"])["path"])
    assert size > 100_000
    assert "kB / " in progress.text or "MB / " in progress.text
    assert "Thời gian: 0:" in progress.text
    bar = app.sm.get_screen("sync").ids.sync_progress
    assert bar.value == pytest.approx(0.5)                  # the photo's bytes are in, no record yet
    cancel = find(app.root, "sync:cancel")
    assert not cancel.disabled and cancel.text.startswith("Dừng đồng bộ")
    await screenshot(app, "48-sync-progress")
    await tap(app, "sync:cancel")
    GATE.set()
    msg = await widget(app, "sync:message")
    await until(app, lambda: "Đã dừng đồng bộ: đã gửi 1 phiếu; 3 phiếu vẫn giữ trên máy" in msg.text, 20,
                "the stop")
    pending = app.store.pending()
    assert len(pending) == 3 and all(e["state"] == st.OB_QUEUED and not e["attempts"] for e in pending)
    assert "Phiếu: 1/4" in find(app.root, "sync:progress").text
    await screenshot(app, "49-sync-stopped")
    assert server.rows("SELECT COUNT(*) FROM households WHERE household_id IN (?, ?, ?, ?, ?)", hid, *others) == [(2,)]

    await tap(app, "sync:back")
    await until(app, lambda: app.sm.current == "households", 5, "the list")
    await until(app, lambda: app.list_p.row(others[0]), 5, "the rows")
    sent = [h for h in others if "đã nhận" in row_detail(app, h)]
    queued = [h for h in others if "chờ gửi lên máy chủ phường" in row_detail(app, h)]
    assert len(sent) == 1 and len(queued) == 3
    await screenshot(app, "50-list-sync-states")
