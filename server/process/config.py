"""Ward settings of the process, kept in ``process_settings`` so the officer can change them in the
console without a restart. One table of (name, default, help, unconfirmed) read by the service,
the console page and the docs.

And the pure date rules of the public posting.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Any, Iterable


@dataclass(frozen=True)
class ProcessSetting:
    name: str
    default: Any
    help_vi: str
    help_en: str
    type: type = int
    unconfirmed: bool = False


PROCESS_SETTINGS: tuple[ProcessSetting, ...] = (
    ProcessSetting("posting_working_days", 3, "Thời gian niêm yết công khai (số ngày làm việc)",
                   "Length of the public posting, in working days", int, unconfirmed=True),
    ProcessSetting("holidays", "",
                   "Ngày nghỉ lễ không tính là ngày làm việc (YYYY-MM-DD, cách nhau bởi dấu phẩy)",
                   "Public holidays not counted as working days (YYYY-MM-DD, comma separated)", str),
    ProcessSetting("chair_name", "", "Họ và tên Chủ tịch UBND phường (người ký quyết định công nhận)",
                   "Name of the ward People's Committee chair (signs the recognition decision)", str),
    ProcessSetting("minutes_copies", 2, "Số bản biên bản họp dân", "Copies of the meeting minutes", int),
    # Eligibility windows after escaping (shared/data/policies.json, domain.md §4; issue 7)
    ProcessSetting("window_programme_support_months", 36,
                   "Hộ mới thoát nghèo/cận nghèo được hưởng hỗ trợ của chương trình (số tháng từ ngày quyết định)",
                   "Programme support window after escaping (months from the decision date)", int, unconfirmed=True),
    ProcessSetting("window_policy_credit_months", 36,
                   "Hộ mới thoát nghèo/cận nghèo được vay tín dụng chính sách (số tháng từ ngày quyết định)",
                   "Policy credit window after escaping (months from the decision date)", int),
)
_BY_NAME = {s.name: s for s in PROCESS_SETTINGS}
REVIEW_REASON = "Họp dân chưa đạt ≥ 50% đồng ý"


class ProcessSettingError(ValueError):
    pass


def coerce(name: str, value: Any) -> Any:
    s = _BY_NAME.get(name)
    if s is None:
        raise ProcessSettingError(f"unknown setting {name!r}")
    if s.type is int:
        try:
            v = int(value)
        except (TypeError, ValueError):
            raise ProcessSettingError(f"{name}: expected an integer") from None
        if not 1 <= v <= 60:
            raise ProcessSettingError(f"{name}: must be 1..60")
        return v
    text = str(value or "").strip()
    if len(text) > 2000:
        raise ProcessSettingError(f"{name}: at most 2000 characters")
    if name == "holidays":
        parse_holidays(text)
    return text


def parse_holidays(text: str) -> frozenset[dt.date]:
    out = set()
    for part in (p.strip() for p in (text or "").replace(";", ",").split(",")):
        if not part:
            continue
        try:
            out.add(dt.date.fromisoformat(part))
        except ValueError:
            raise ProcessSettingError(f"holidays: '{part}' is not a YYYY-MM-DD date") from None
    return frozenset(out)


def load(conn: sqlite3.Connection) -> dict[str, Any]:
    """Every setting: stored value or default."""
    stored = {r["name"]: r["value"] for r in conn.execute("SELECT name, value FROM process_settings")}
    return {s.name: (coerce(s.name, stored[s.name]) if s.name in stored else s.default) for s in PROCESS_SETTINGS}


def describe(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    values = load(conn)
    return [{"name": s.name, "value": values[s.name], "default": s.default, "help_vi": s.help_vi,
             "help_en": s.help_en, "unconfirmed": s.unconfirmed} for s in PROCESS_SETTINGS]


def store(conn: sqlite3.Connection, values: dict[str, Any], user_id: int | None, now: str) -> dict[str, Any]:
    clean = {k: coerce(k, v) for k, v in values.items()}
    conn.executemany("INSERT INTO process_settings (name, value, updated_by, updated_at) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, "
                     "updated_at = excluded.updated_at", [(k, str(v), user_id, now) for k, v in clean.items()])
    return clean


# --- pure date rules ----------------------------------------------------------------------------

def is_working_day(day: dt.date, holidays: Iterable[dt.date] = ()) -> bool:
    return day.weekday() < 5 and day not in set(holidays)


def posting_end(posted_on: dt.date, working_days: int, holidays: Iterable[dt.date] = ()) -> dt.date:
    """Last day of a posting of ``working_days`` working days starting on ``posted_on``.

    The posting day counts as day 1 when it is a working day (Monday–Friday, not a holiday);
    posted on a weekend or holiday, counting starts on the next working day. [U]: the counting
    convention is not confirmed from the legal text.
    """
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    hol = frozenset(holidays)
    day, counted = posted_on, 0
    while True:
        if is_working_day(day, hol):
            counted += 1
            if counted == working_days:
                return day
        day += dt.timedelta(days=1)


def vote_stands(attendees: int, agree: int) -> bool:
    """A household's result stands only with ≥ 50% of attendees agreeing (Decision 24/2021, [C]).

    Integer arithmetic: exactly half stands; anything below goes back to review."""
    if attendees < 1:
        raise ValueError("attendees must be at least 1")
    if not 0 <= agree <= attendees:
        raise ValueError("agree must be between 0 and attendees")
    return 2 * agree >= attendees
