"""Which support policies a household qualifies for on a date, and until when.

Statuses and windows come from ``shared/data/policies.json`` (a table in data,
marked unconfirmed; window lengths are settings). A household that escaped
poverty or near-poverty keeps a policy for the policy's window after the date
of the decision that recognised the escape. Pure: the caller passes the date.

Window convention: a window of N months from decision date D covers D up to
the day before the same day-of-month N months later (``window_end`` is that
last eligible day).
"""
from __future__ import annotations

import calendar
import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

POLICIES_FILE = Path(__file__).parent / "data" / "policies.json"
ESCAPED = {"escaped_poverty": "poor", "escaped_near_poverty": "near_poor"}


@dataclass(frozen=True)
class StatusChange:
    status: str               # poor, near_poor, escaped_poverty, escaped_near_poverty, other
    decision_date: dt.date    # the recognition decision's date


@dataclass(frozen=True)
class Eligibility:
    policy_id: str
    eligible: bool
    basis: str | None          # the status that qualifies
    window_end: dt.date | None  # last eligible day for an escaped household; None = while the status holds


def add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def window_last_day(decision: dt.date, months: int) -> dt.date:
    return add_months(decision, months) - dt.timedelta(days=1)


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def load_policies(path: str | Path | None = None, windows: dict[str, int] | None = None) -> dict[str, Any]:
    """The policy table; ``windows`` overrides window lengths (settings)."""
    data = dict(_load(str(path or POLICIES_FILE)))
    data["windows_months"] = {**data["windows_months"], **(windows or {})}
    return data


def current_status(history: Iterable[StatusChange], on: dt.date) -> StatusChange | None:
    """The latest status decided on or before ``on``."""
    past = [c for c in history if c.decision_date <= on]
    return max(past, key=lambda c: c.decision_date) if past else None


def eligibility(history: Iterable[StatusChange], on: dt.date,
                policies: dict[str, Any] | None = None) -> list[Eligibility]:
    """Every policy with whether the household qualifies on ``on``."""
    table = policies or load_policies()
    cur = current_status(list(history), on)
    out = []
    for p in table["policies"]:
        eligible, basis, end = False, None, None
        if cur is not None and cur.status in p["statuses"]:
            eligible, basis = True, cur.status
        elif (cur is not None and cur.status in ESCAPED and p.get("escaped_window")
              and ESCAPED[cur.status] in p["statuses"]):
            months = table["windows_months"][p["escaped_window"]]
            end = window_last_day(cur.decision_date, months)
            eligible, basis = on <= end, cur.status
        out.append(Eligibility(p["id"], eligible, basis, end))
    return out
