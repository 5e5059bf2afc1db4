"""One clock on every screen: Vietnam time (Asia/Ho_Chi_Minh = UTC+7, no daylight saving).

Computed as a fixed offset (``shared.wire.VN_TZ``), never through the tz database, which an
Android build may lack. The device's own offset is only read to say, where it matters (the sync
screen), that the tablet's clock is set to another zone.
"""
from __future__ import annotations

import datetime as dt
import time
from typing import Callable

from shared.wire import VN_TZ

VN_OFFSET_S = 7 * 3600


def vn_datetime(ts: float | None = None) -> dt.datetime:
    return dt.datetime.fromtimestamp(time.time() if ts is None else ts, tz=VN_TZ)


def vn_hms(ts: float | None = None) -> str:
    """15:30:43 in Vietnam time."""
    return vn_datetime(ts).strftime("%H:%M:%S")


def vn_text(iso_or_ts: str | float | None, with_date: bool = True) -> str:
    """An ISO datetime (any offset) or an epoch as Vietnam time: ``15:30 04/12/2026``; '' for nothing."""
    if iso_or_ts is None or iso_or_ts == "":
        return ""
    if isinstance(iso_or_ts, (int, float)):
        t = vn_datetime(float(iso_or_ts))
    else:
        try:
            t = dt.datetime.fromisoformat(str(iso_or_ts))
        except ValueError:
            return str(iso_or_ts)
        t = (t if t.tzinfo is not None else t.replace(tzinfo=VN_TZ)).astimezone(VN_TZ)
    return t.strftime("%H:%M %d/%m/%Y" if with_date else "%H:%M:%S")


def device_offset_s(ts: float | None = None) -> int:
    """The device's UTC offset in seconds now (from the C library's local time, not tzdata files)."""
    return int(time.localtime(time.time() if ts is None else ts).tm_gmtoff or 0)


def offset_label(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    h, m = divmod(abs(seconds) // 60, 60)
    return f"UTC{sign}{h}" + (f":{m:02d}" if m else "")


def device_clock_note(lang: str = "vi", offset: Callable[[], int] = device_offset_s) -> str:
    """'' when the device is on Vietnam time, else a sentence saying times shown are Vietnam time."""
    off = offset()
    if off == VN_OFFSET_S:
        return ""
    if lang == "en":
        return (f"Times are Vietnam time (UTC+7); this tablet's clock is set to {offset_label(off)}.")
    return (f"Giờ hiển thị là giờ Việt Nam (UTC+7); đồng hồ máy này đang đặt theo {offset_label(off)}.")
