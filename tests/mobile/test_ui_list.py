"""The household list's RecycleView layout (UniformRowLayout) in a real window: the rows on
screen are the right ones, in order, after scrolling and filtering, and a tap opens the
household under the finger."""
from __future__ import annotations

import os

import pytest

if not os.environ.get("DISPLAY"):
    pytest.skip("UI tests need a display: run under xvfb-run -a", allow_module_level=True)

from kivy.metrics import dp  # noqa: E402
from kivy.tests.fixtures import kivy_app  # noqa: E402,F401  (the fixture)

from mobile import store as st  # noqa: E402
from mobile.collect import summary_columns  # noqa: E402
from mobile.widgets import HouseholdRow, find  # noqa: E402
from shared.synthetic import generate_ward  # noqa: E402

from .uikit import TabletApp, skip_kivy_leak_check, screenshot, tap, type_into, until  # noqa: E402,F401  (the fixture)

pytestmark = [pytest.mark.ui, pytest.mark.asyncio]

N = 300
WORLD: dict = {}




def make_app():
    return TabletApp(data_dir=WORLD["dir"], auto_sync_interval=3600)




@pytest.fixture(scope="module", autouse=True)
def world(tmp_path_factory):
    d = WORLD["dir"] = tmp_path_factory.mktemp("tablet-list")
    store = st.LocalStore.in_dir(d)
    store.set(server_url="http://127.0.0.1:9", token="t", collaborator={"name": "Thử danh sách"})
    for g in ("KP01", "KP02"):
        store.upsert_group(g, g, {"province_code": "22", "ward_code": "BAICHAY", "area_type": "urban"})
    with store.tx() as c:
        for i, doc in enumerate(generate_ward(N, seed=3, groups=("KP01", "KP02"))):
            store.save_household(doc["household_id"], conn=c, group_code=doc["area"]["group_code"], doc=doc, raw={},
                                 status=st.STATUSES[i % 6], preloaded=1, form_version=doc["form_version"],
                                 **summary_columns(doc))
    store.close()
    yield WORLD


def on_screen(lm) -> list[HouseholdRow]:
    """The row widgets the layout holds, top to bottom."""
    return sorted((w for w in lm.children if isinstance(w, HouseholdRow)), key=lambda w: -w.y)


def check_rows(app, lm, rv) -> list[HouseholdRow]:
    visible = app.list_p.visible
    rows = on_screen(lm)
    assert rows, "no row on screen"
    first = rows[0].index
    assert [w.index for w in rows] == list(range(first, first + len(rows)))           # consecutive
    assert [w.household_id for w in rows] == [visible[w.index]["household_id"] for w in rows]
    assert [w.title for w in rows] == [visible[w.index]["title"] for w in rows]
    step = dp(84) + dp(2)
    for w in rows:                                                # arithmetic places, full width
        assert w.height == pytest.approx(dp(84)) and w.width == pytest.approx(lm.width)
        assert w.top == pytest.approx(lm.top - w.index * step)
    # the rows cover the part of the list that is in view
    _x, y, _w, h = rv.get_viewport()
    assert rows[0].top >= min(y + h, lm.top) - 1 and rows[-1].y <= max(y, lm.y) + 1
    return rows


@pytest.mark.parametrize("kivy_app", [(make_app,)], indirect=True)
async def test_a_long_list_shows_the_right_rows_when_scrolled_and_filtered(kivy_app, world):
    app = kivy_app
    await until(app, lambda: app.sm.current == "households" and len(app.list_p.rows) == N, 10, "the list")
    rv = find(app.root, "list:rv")
    lm = rv.layout_manager
    await until(app, lambda: on_screen(lm), 5, "rows on screen")
    await app.wait_clock_frames(3)
    assert lm.height == pytest.approx(N * (dp(84) + dp(2)) - dp(2))
    rows = check_rows(app, lm, rv)
    assert rows[0].index == 0 and 4 <= len(rows) <= 12

    rv.scroll_y = 0.5                                             # the middle
    await app.wait_clock_frames(4)
    rows = check_rows(app, lm, rv)
    assert 100 < rows[0].index < 200

    rv.scroll_y = 0                                               # the end
    await app.wait_clock_frames(4)
    rows = check_rows(app, lm, rv)
    assert rows[-1].index == N - 1
    await screenshot(app, "16-list-end")

    await type_into(app, "list:search", "thi")                   # filtered: fewer rows, same rules
    await until(app, lambda: 0 < len(app.list_p.visible) < N, 5, "a filtered list")
    await app.wait_clock_frames(4)
    n = len(app.list_p.visible)
    assert lm.height == pytest.approx(n * (dp(84) + dp(2)) - dp(2))
    rows = check_rows(app, lm, rv)
    assert all("thi" in app.list_p.row(w.household_id)["search_key"] for w in rows)

    await tap(app, "status:returned")
    await until(app, lambda: app.list_p.status == st.RETURNED, 5, "the status filter")
    await app.wait_clock_frames(4)
    assert app.list_p.visible and all(r["status"] == st.RETURNED for r in app.list_p.visible)
    rows = check_rows(app, lm, rv)
    assert all(w.status == st.RETURNED and w.badge_rgba[0] > 0.7 for w in rows)   # red badge
    await screenshot(app, "17-list-filtered")

    # Last (it changes screens): a tap on a row below the first opens that household.
    await tap(app, "status:all")
    await type_into(app, "list:search", "")
    rv.scroll_y = 0
    await app.wait_clock_frames(4)
    rows = check_rows(app, lm, rv)
    target = rows[-2].household_id
    await tap(app, f"household:{target}")
    await until(app, lambda: app.form_p.hid == target, 5, "the tapped household's form")
    assert app.sm.current == "form"
