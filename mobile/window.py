"""The desktop window fits the screen it opens on (a demo laptop, Xvfb at 1280×800).

Kivy's SDL2 window is created at its default size and position and then resized: a 1280×800
window placed where an 800×600 one was centred hangs off the right and bottom of a 1280×800
screen. Here the size is clamped to the screen and the window is centred on it. On Android the
window is the screen and nothing is done.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

log = logging.getLogger("rasoat.tablet.window")


def screen_size() -> tuple[int, int] | None:
    """The X11 screen's size in pixels, or None where it cannot be read (no X display, not Linux)."""
    if not os.environ.get("DISPLAY"):
        return None
    name = ctypes.util.find_library("X11")
    if not name:
        return None
    try:
        x11 = ctypes.CDLL(name)
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XDefaultScreen.argtypes = [ctypes.c_void_p]
        x11.XDisplayWidth.argtypes = x11.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        d = x11.XOpenDisplay(None)
        if not d:
            return None
        try:
            n = x11.XDefaultScreen(d)
            return int(x11.XDisplayWidth(d, n)), int(x11.XDisplayHeight(d, n))
        finally:
            x11.XCloseDisplay(d)
    except (OSError, AttributeError):
        log.debug("screen size not readable", exc_info=True)
        return None


def fitted(requested: tuple[int, int], screen: tuple[int, int] | None) -> tuple[tuple[int, int], tuple[int, int] | None]:
    """(size, (left, top) or None): the requested size clamped to the screen, centred on it."""
    w, h = requested
    if not screen:
        return (w, h), None
    sw, sh = screen
    w, h = min(w, sw), min(h, sh)
    return (w, h), (max(0, (sw - w) // 2), max(0, (sh - h) // 2))


def fit(window, requested: tuple[int, int], screen: tuple[int, int] | None = None) -> None:
    """Size and place ``window`` (Kivy's Window) on the screen."""
    size, pos = fitted(requested, screen if screen is not None else screen_size())
    window.size = size
    if pos is not None:
        window.left, window.top = pos
