"""Helpers for UI tests in a real Kivy window: find widgets by their stable ``tid``, tap, type, wait."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import pytest
from kivy.tests.async_common import UnitKivyApp
from kivy.uix.scrollview import ScrollView

from mobile.app import RasoatApp  # loads every .kv before the first app
from mobile.widgets import find

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "test-output" / "screens"


class TabletApp(UnitKivyApp, RasoatApp):
    """The real app, driven by Kivy's async test kit (every UI test module uses this one)."""


@pytest.fixture(autouse=True)
def skip_kivy_leak_check():
    """kivy_app asserts the previous test's app was garbage collected. Ours is still reachable from
    Kivy internals after on_stop (no Python-level root found; docs/tablet.md, known debt); its store
    and worker are closed, which is what the restart tests need. Imported by each UI test module."""
    from kivy.tests import fixtures
    fixtures.apps.clear()


async def until(app: Any, cond: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = cond()
        if value:
            return value
        await app.async_sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or cond}")


async def widget(app: Any, tid: str, timeout: float = 5.0) -> Any:
    return await until(app, lambda: find(app.root, tid), timeout, f"widget {tid!r}")


def _scroll_parent(w: Any) -> ScrollView | None:
    p, seen = w.parent, set()
    while p is not None and not isinstance(p, ScrollView) and id(p) not in seen:
        seen.add(id(p))           # the Window is its own parent
        p = p.parent
    return p if isinstance(p, ScrollView) else None


async def tap(app: Any, tid: str) -> Any:
    """Tap a widget. A choice that was not selected must end up selected: on a loaded machine a
    tap can land while the form re-lays out after the previous answer, so retry (at most 3 taps)."""
    w, before = await _tap_once(app, tid)
    if tid.startswith("choice:") and before == "normal":
        for _ in range(2):
            fresh = await widget(app, tid)
            if getattr(fresh, "state", "down") == "down":
                break
            await app.wait_clock_frames(3)
            fresh = await widget(app, tid)
            if getattr(fresh, "state", "down") == "down":
                break
            w, _ = await _tap_once(app, tid)
    return w


async def _tap_once(app: Any, tid: str) -> tuple[Any, Any]:
    """Tap once; returns the widget and its state before the tap."""
    w = await widget(app, tid)
    before = getattr(w, "state", None)
    sv = _scroll_parent(w)
    if sv is not None and not hasattr(sv, "viewclass"):     # a RecycleView only holds rows in view
        sv.scroll_to(w, padding=40, animate=False)
        await app.wait_clock_frames(3)
    async for _ in app.do_touch_down_up(widget=w, duration=0.01):
        pass
    await app.wait_clock_frames(2)
    return w, before


async def type_into(app: Any, tid: str, text: str) -> Any:
    """Tap the box (focus), clear it, and insert the text as the keyboard would."""
    w = await tap(app, tid)
    w.select_all()
    w.delete_selection()
    w.insert_text(text)
    await app.wait_clock_frames(2)
    return w


async def screenshot(app: Any, name: str) -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    await app.wait_clock_frames(4)
    path = SCREENS / f"{name}.png"
    app.root.export_to_png(str(path))
    _flatten(path)
    return path


def _flatten(path: Path) -> None:
    """export_to_png leaves what the window's clear colour paints transparent: paint it back."""
    from kivy.core.window import Window
    from PIL import Image
    img = Image.open(path).convert("RGBA")
    bg = Image.new("RGBA", img.size, tuple(round(c * 255) for c in Window.clearcolor[:3]) + (255,))
    Image.alpha_composite(bg, img).convert("RGB").save(path)
