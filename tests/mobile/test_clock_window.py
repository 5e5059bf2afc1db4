"""Pure parts of issue 21: Vietnam time without tzdata, and the window fitted to its screen."""
from __future__ import annotations

from mobile import clock
from mobile.window import fitted


def test_vietnam_time_is_a_fixed_utc_plus_7_whatever_the_device_zone(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")      # even a device set to a zone with daylight saving
    import time
    time.tzset()
    try:
        ts = 1_796_373_043.0                           # 2026-12-04 08:30:43 UTC
        assert clock.vn_hms(ts) == "15:30:43"
        assert clock.vn_text(ts) == "15:30 04/12/2026"
        assert clock.vn_text("2026-12-04T08:31:00+00:00") == "15:31 04/12/2026"
        assert clock.vn_text("2026-12-04T23:59:00+07:00") == "23:59 04/12/2026"
        assert clock.vn_text("2026-12-04T20:00:00") == "20:00 04/12/2026"      # no offset: taken as Vietnam time
        assert clock.vn_text("") == "" and clock.vn_text(None) == ""
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_the_device_zone_is_named_only_when_it_is_not_vietnam_time():
    assert clock.device_clock_note("vi", lambda: 7 * 3600) == ""
    assert clock.device_clock_note("vi", lambda: 0) == \
        "Giờ hiển thị là giờ Việt Nam (UTC+7); đồng hồ máy này đang đặt theo UTC+0."
    assert "UTC-5" in clock.device_clock_note("en", lambda: -5 * 3600)
    assert clock.offset_label(int(5.5 * 3600)) == "UTC+5:30"


def test_the_window_is_clamped_to_the_screen_and_centred():
    assert fitted((1280, 800), (1280, 800)) == ((1280, 800), (0, 0))
    assert fitted((1280, 800), (1920, 1080)) == ((1280, 800), (320, 140))
    assert fitted((1280, 800), (1024, 600)) == ((1024, 600), (0, 0))      # a small laptop: never off-screen
    assert fitted((1280, 800), None) == ((1280, 800), None)                 # no screen size known: as asked
