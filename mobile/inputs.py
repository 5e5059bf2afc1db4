"""Typed text → answer values, the way collaborators actually type them.

Pure functions. A value that does not parse is never thrown away: the caller
keeps the raw text (saved locally) and shows the message. Vietnamese habits
accepted: ``1.500.000`` (dot as thousands separator), ``45,5`` (decimal comma),
``05/01/1980`` (day/month/year).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from shared.forms import Field

from .i18n import pair

_THOUSANDS = re.compile(r"^-?\d{1,3}([.,  ]\d{3})+$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


class InputProblem(ValueError):
    def __init__(self, message_vi: str, message_en: str):
        super().__init__(message_en)
        self.message_vi, self.message_en = message_vi, message_en


def parse_integer(text: str) -> int:
    t = text.strip().replace(" ", "").replace("\u00a0", "")
    if _THOUSANDS.match(t):
        t = t.replace(".", "").replace(",", "")
    if re.fullmatch(r"-?\d+", t):
        return int(t)
    raise InputProblem(*pair("input.digits_only"))


def parse_decimal(text: str) -> float | int:
    t = text.strip().replace(" ", "").replace("\u00a0", "")
    if "," in t and "." in t:          # 1.234,5 → 1234.5
        t = t.replace(".", "").replace(",", ".")
    elif "," in t:                     # 45,5 → 45.5
        t = t.replace(",", ".")
    if re.fullmatch(r"-?\d+(\.\d+)?", t):
        v = float(t)
        return int(v) if v.is_integer() and "." not in t else v
    raise InputProblem(*pair("input.numbers_only"))


def parse_date_text(text: str) -> str:
    t = text.strip()
    m = _YMD.match(t)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        m = _DMY.match(t)
        if not m:
            raise InputProblem(*pair("input.date_form"))
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
    try:
        return dt.date(y, mo, d).isoformat()
    except ValueError:
        raise InputProblem(*pair("input.no_such_date", day=f"{d:02d}/{mo:02d}/{y}")) from None


def parse_text(field: Field, text: str) -> Any:
    """The answer for a typed field; None for an empty box. Raises InputProblem."""
    if text is None or not str(text).strip():
        return None
    if field.type == "integer":
        return parse_integer(text)
    if field.type == "decimal":
        return parse_decimal(text)
    if field.type == "date":
        return parse_date_text(text)
    return str(text).strip()


def format_value(field: Field, value: Any) -> str:
    """An answer back to the text shown in its box."""
    if value is None:
        return ""
    if field.type == "date" and isinstance(value, str) and len(value) == 10:
        try:
            d = dt.date.fromisoformat(value)
            return f"{d.day:02d}/{d.month:02d}/{d.year}"
        except ValueError:
            return value
    if field.type == "integer" and isinstance(value, int) and abs(value) >= 10000:
        return f"{value:,}".replace(",", ".")
    if field.type == "decimal" and isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(value)
