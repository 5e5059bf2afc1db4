"""Dates and ages. No clock here: callers pass the reference date in."""
from __future__ import annotations

import datetime as dt
from typing import Any


def parse_date(value: Any) -> dt.date | None:
    """Parse 'YYYY-MM-DD' or an ISO datetime; None when absent or malformed."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def age_on(member: dict[str, Any], ref: dt.date) -> int | None:
    """Completed years on ``ref``.

    With a full birth date: exact completed years. With a birth year only: the
    age reached during the reference year (ref.year - birth_year), the usual
    convention on paper review forms. None when neither is known.
    """
    born = parse_date(member.get("birth_date"))
    if born is not None:
        years = ref.year - born.year
        if (ref.month, ref.day) < (born.month, born.day):
            years -= 1
        return years
    year = member.get("birth_year")
    if isinstance(year, int) and not isinstance(year, bool):
        return ref.year - year
    return None


def birth_year(member: dict[str, Any]) -> int | None:
    born = parse_date(member.get("birth_date"))
    if born is not None:
        return born.year
    year = member.get("birth_year")
    return year if isinstance(year, int) and not isinstance(year, bool) else None
