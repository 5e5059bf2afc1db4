"""How a person in a Vietnamese ward office reads dates, numbers and the names of things.

One place for: dates ``dd/mm/yyyy`` and ``ngày 03 tháng 12 năm 2026`` (legal documents), numbers with
a thousands dot and a decimal comma, and the labels of standards, household statuses, revision
sources, form sections and movements — so that no page, printed document or exported file shows a
raw key, a standard id or an ISO date. Pure functions (no database); used by the console's Jinja
filters, the report exports and the process documents.

English: the same functions with ``lang="en"`` give ``03/12/2026``-style dates too (the ward's
convention, not the US one) and a decimal point.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

VN_TZ = dt.timezone(dt.timedelta(hours=7))


# --- dates ----------------------------------------------------------------------------------------

def as_date(value: Any) -> dt.date | None:
    """A date from a date, datetime or ISO string (``2026-12-03``, ``2026-12-03T10:00:00+00:00``);
    timestamps with a zone are read in Vietnam time. None when it is not a date."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return (value.astimezone(VN_TZ) if value.tzinfo else value).date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return (t.astimezone(VN_TZ) if t.tzinfo else t).date()


def date(value: Any) -> str:
    """``03/12/2026``; text that is not a date is returned unchanged (empty for None)."""
    d = as_date(value)
    if d is None:
        return "" if value is None else str(value)
    return d.strftime("%d/%m/%Y")


def datetime(value: Any) -> str:
    """``03/12/2026 17:05`` in Vietnam time (a stored UTC timestamp)."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        t = value
    else:
        try:
            t = dt.datetime.fromisoformat(str(value))
        except ValueError:
            return date(value)
    if t.tzinfo is not None:
        t = t.astimezone(VN_TZ)
    return t.strftime("%d/%m/%Y %H:%M")


def long_date(value: Any, lang: str = "vi") -> str:
    """``ngày 03 tháng 12 năm 2026`` (legal documents); ``3 December 2026`` in English."""
    d = as_date(value)
    if d is None:
        return "ngày … tháng … năm …" if lang == "vi" else ""
    if lang == "en":
        return f"{d.day} {d.strftime('%B')} {d.year}"
    return f"ngày {d.day:02d} tháng {d.month:02d} năm {d.year}"


# --- numbers --------------------------------------------------------------------------------------

def number(value: Any, decimals: int = 0, lang: str = "vi") -> str:
    """``1.234.567`` / ``50,5`` (Vietnamese); ``1,234,567`` / ``50.5`` in English."""
    if value is None or value == "" or isinstance(value, bool):
        return "" if value in (None, "") else str(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{x:,.{decimals}f}"
    if lang == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def percent(value: Any, decimals: int = 1, lang: str = "vi") -> str:
    """``50,0%``; empty for None."""
    if value is None or value == "":
        return ""
    return number(value, decimals, lang) + "%"


def decimal(value: Any, lang: str = "vi", max_decimals: int = 2) -> str:
    """A measured value with only the decimals it needs: ``7`` / ``7,5`` / ``7,25``."""
    if value is None or value == "" or isinstance(value, bool):
        return "" if value in (None, "") else str(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    for d in range(max_decimals + 1):
        if abs(round(x, d) - x) < 1e-9:
            return number(x, d, lang)
    return number(x, max_decimals, lang)


# --- labels ---------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _standards() -> dict[str, Any]:
    from shared.standards import load_standards
    return load_standards()


def standard(standard_id: str | None, lang: str = "vi", short: bool = False) -> str:
    """A standard by its full name (``short=True``: its ``short_name`` when the data has one), never
    its id; a draft says so. Documents and report headers use the full name, badges ``standard_short``."""
    if not standard_id:
        return ""
    s = _standards().get(standard_id)
    if s is None:
        return "chuẩn không rõ" if lang == "vi" else "unknown standard"
    raw = getattr(s, "raw", None) or {}
    names = raw.get("short_name") if short and isinstance(raw.get("short_name"), dict) else None
    names = names or s.name
    text = names.get(lang) or names.get("vi") or s.name.get("vi") or ""
    if s.status == "draft":
        text += " [DỰ THẢO]" if lang == "vi" else " [DRAFT]"
    return text


def standard_short(standard_id: str | None, lang: str = "vi") -> str:
    """A short name for badges and table headings: the standard's ``short_name`` when its data has
    one, else "Chuẩn tỉnh 2023–2025" / "Chuẩn quốc gia 2022–2025" from its scope and period."""
    if not standard_id:
        return ""
    s = _standards().get(standard_id)
    if s is None:
        return "chuẩn không rõ" if lang == "vi" else "unknown standard"
    raw = getattr(s, "raw", None) or {}
    short = raw.get("short_name")
    if isinstance(short, dict) and (short.get(lang) or short.get("vi")):
        text = short.get(lang) or short.get("vi")
    else:
        national = "country" in s.scope
        kind = ("Chuẩn quốc gia" if national else "Chuẩn tỉnh") if lang == "vi" else \
               ("National" if national else "Provincial")
        text = f"{kind} {s.effective_from.year}–{s.effective_to.year}"
    if s.status == "draft":
        text += " [dự thảo]" if lang == "vi" else " [draft]"
    return text


SOURCE_LABELS = {
    "device": ("Máy tính bảng", "Tablet"),
    "preload": ("Dữ liệu kỳ trước", "Last round's data"),
    "office": ("Văn phòng phường", "Ward office"),
    "import": ("Nhập từ danh sách", "Register import"),
    "register": ("Danh sách năm trước", "Last year's register"),
    "system": ("Hệ thống", "System"),
    "merge": ("Gộp thủ công", "Manual merge"),
}
SUBMISSION_STATUS_LABELS = {
    "accepted": ("đã nhận", "received"),
    "conflict": ("xung đột", "conflict"),
    "duplicate": ("trùng", "duplicate"),
    "rejected": ("bị từ chối", "rejected"),
    "incomplete": ("chưa đủ ảnh", "photos missing"),
}
SECTION_LABELS = {
    "address": ("Địa chỉ", "Address"),
    "members": ("Thành viên", "Members"),
    "housing": ("Nhà ở", "Housing"),
    "water_sanitation": ("Nước sạch và vệ sinh", "Water and sanitation"),
    "information": ("Thông tin", "Information"),
    "income": ("Thu nhập", "Income"),
    "employment": ("Việc làm", "Employment"),
    "health": ("Y tế", "Health"),
    "education": ("Giáo dục", "Education"),
}
CONFIRMATION_LABELS = {
    "unchanged": ("không thay đổi", "unchanged"),
    "changed": ("có thay đổi", "changed"),
    "confirmed": ("đã xác nhận", "confirmed"),
}
REGISTER_STATUS_LABELS = {
    "poor": ("Hộ nghèo", "Poor"),
    "near_poor": ("Hộ cận nghèo", "Near-poor"),
    "escaped_poverty": ("Hộ thoát nghèo", "Escaped poverty"),
    "escaped_near_poverty": ("Hộ thoát cận nghèo", "Escaped near-poverty"),
    "other": ("Không thuộc diện", "Neither"),
    "not_poor": ("Không nghèo", "Not poor"),
    "average": ("Mức sống trung bình", "Average living standard"),
    "unknown": ("Chưa xác định", "Unknown"),
}


def label(table: dict[str, tuple[str, str]], key: Any, lang: str = "vi") -> str:
    """``table[key]`` in the language; an unknown key is shown as "khác" with nothing raw."""
    if key is None or key == "":
        return ""
    pair = table.get(str(key))
    if pair is None:
        return "khác" if lang == "vi" else "other"
    return pair[0] if lang == "vi" else pair[1]


def source(value: Any, lang: str = "vi") -> str:
    """A revision source such as ``preload · accepted`` → ``Dữ liệu kỳ trước · đã nhận``."""
    if not value:
        return ""
    parts = [p.strip() for p in str(value).replace("·", "|").split("|")]
    out = []
    for p in parts:
        if p in SOURCE_LABELS:
            out.append(label(SOURCE_LABELS, p, lang))
        elif p in SUBMISSION_STATUS_LABELS:
            out.append(label(SUBMISSION_STATUS_LABELS, p, lang))
        elif p.startswith("register:"):
            year = p.split(":", 1)[1]
            out.append(f"Danh sách năm {year}" if lang == "vi" else f"{year} register")
        else:
            out.append(label(SOURCE_LABELS, p, lang))
    return " · ".join(out)


def actor(kind: Any, name: Any = None, lang: str = "vi") -> str:
    """Who did something: a person's name, or "Hệ thống (tự động)" — never ``system:None``."""
    if name:
        return str(name)
    if kind in (None, "", "system", "auto"):
        return "Hệ thống (tự động)" if lang == "vi" else "System (automatic)"
    return label(SOURCE_LABELS, kind, lang)


# --- units of the administration ------------------------------------------------------------------

@lru_cache(maxsize=1)
def _provinces() -> dict[str, str]:
    import json
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "shared" / "data" / "cccd_provinces.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out = {}
    for p in data.get("provinces", data.get("codes", [])) if isinstance(data, dict) else []:
        if isinstance(p, dict) and "code" in p and "name" in p:
            out[str(p["code"]).lstrip("0")] = str(p["name"])
    return out


def province_name(province_code: Any) -> str:
    """``Tỉnh Quảng Ninh`` from a ward's province code (GSO code, ``22`` or ``022``)."""
    if province_code in (None, ""):
        return ""
    name = _provinces().get(str(province_code).lstrip("0"))
    if not name:
        return ""
    cities = ("Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Huế")
    return ("Thành phố " if any(c in name for c in cities) else "Tỉnh ") + name


_DECIMAL_POINT = __import__("re").compile(r"(?<![\d.])(\d+)\.(\d{1,2})(?![\d.])")


def text(value: Any, lang: str = "vi") -> str:
    """Free text written by the rules (``shared/``: "9.2 m²/người") with a decimal comma in
    Vietnamese. Only a point followed by one or two digits is a decimal point: thousands groups
    ("9.765.667") and versions ("2025.1" stays, see below) are left as they are."""
    if value is None:
        return ""
    t = str(value)
    if lang != "vi":
        return t
    return _DECIMAL_POINT.sub(lambda m: f"{m.group(1)},{m.group(2)}" if len(m.group(1)) < 4 else m.group(0), t)


def cell(value: Any, kind: str = "text", lang: str = "vi") -> str:
    """A report cell as the page shows it: ``int`` with a thousands dot, ``percent`` with two
    decimals and a decimal comma (as the XLSX number format and the CSV), text unchanged."""
    if value is None or value == "":
        return ""
    if kind == "int":
        return number(value, 0, lang)
    if kind == "percent":
        return number(value, 2, lang)
    return str(value)
