"""Vietnamese formatting: dates, documents' long dates, numbers, labels (server/vnformat.py)."""
from __future__ import annotations

import datetime as dt

import pytest

from server import vnformat as v


@pytest.mark.parametrize("value, want", [
    ("2026-12-03", "03/12/2026"), (dt.date(2026, 1, 5), "05/01/2026"),
    ("2026-12-02T18:30:00+00:00", "03/12/2026"),            # 01:30 on the 3rd in Vietnam
    (None, ""), ("không phải ngày", "không phải ngày"),
])
def test_dates(value, want):
    assert v.date(value) == want


def test_long_dates_and_times():
    assert v.long_date("2026-12-03") == "ngày 03 tháng 12 năm 2026"
    assert v.long_date(None) == "ngày … tháng … năm …"
    assert v.long_date("2026-12-03", "en") == "3 December 2026"
    assert v.datetime("2026-12-03T10:05:00+00:00") == "03/12/2026 17:05"


@pytest.mark.parametrize("fn, args, want", [
    (v.number, (1234567,), "1.234.567"), (v.number, (1234.5, 1), "1.234,5"), (v.number, (1234.5, 1, "en"), "1,234.5"),
    (v.percent, (50,), "50,0%"), (v.percent, (None,), ""), (v.decimal, (7.0,), "7"), (v.decimal, (7.25,), "7,25"),
    (v.cell, (12.5, "percent"), "12,50"), (v.cell, (1200, "int"), "1.200"), (v.cell, ("Khu phố 1", "text"), "Khu phố 1"),
    (v.text, ("9.2 m²/người; 9.765.667 đ; bản 2025.1",), "9,2 m²/người; 9.765.667 đ; bản 2025.1"),
])
def test_numbers(fn, args, want):
    assert fn(*args) == want


def test_labels_never_show_a_raw_value():
    assert v.source("preload · accepted") == "Dữ liệu kỳ trước · đã nhận"
    assert v.source("register:2024") == "Danh sách năm 2024"
    assert v.source("something_new") == "khác"
    assert v.actor("system", None) == "Hệ thống (tự động)" and v.actor("user", "Cán bộ A") == "Cán bộ A"
    assert v.province_name("22") == v.province_name("022") == "Tỉnh Quảng Ninh"


def test_standards_by_name_full_in_documents_short_on_badges():
    from shared.standards import load_standards
    for sid, s in load_standards().items():
        full, short = v.standard(sid), v.standard_short(sid)
        assert sid not in full and sid not in short and full and short
        if s.status == "draft":
            assert "DỰ THẢO" in full and "dự thảo" in short
        if not (s.raw or {}).get("short_name"):
            assert short.startswith(("Chuẩn quốc gia ", "Chuẩn tỉnh "))
    assert v.standard("no-such-standard") == "chuẩn không rõ"
