"""The status history: every register status of a household, per standard, with the date of the
decision that set it. Append-only; the latest row (by decision date, then id) is in force.

Statuses: ``poor``, ``near_poor``, ``escaped_poverty``, ``escaped_near_poverty``, ``other`` —
the same words as ``shared.eligibility.StatusChange``, so eligibility windows read this table
through :func:`status_changes`.

Rounds: the periodic review of year Y runs 1 September – 14 December (domain.md §3). The
register *before* round Y is every row of an earlier round, plus rows with no round (a
register import, a regular review) dated before 1 September of Y. Writers:

* the recognition decision (``source='recognition'``, with its round, number and date);
* other features may call :func:`record` (``register`` import of last year's list,
  ``regular_review`` monthly decisions, ``office`` corrections).

Functions take a ``sqlite3.Connection`` and never commit (see ``server.store``).
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any, Iterable

from shared.eligibility import StatusChange
from shared.transitions import NEAR_POOR, OTHER, POOR

from .lifecycle import gone_before_sql

STATUSES = ("poor", "near_poor", "escaped_poverty", "escaped_near_poverty", "other")
SOURCES = ("recognition", "register", "regular_review", "office")
STATUS_LABELS = {
    "poor": ("Hộ nghèo", "Poor"),
    "near_poor": ("Hộ cận nghèo", "Near-poor"),
    "escaped_poverty": ("Hộ thoát nghèo", "Escaped poverty"),
    "escaped_near_poverty": ("Hộ thoát cận nghèo", "Escaped near-poverty"),
    "other": ("Không thuộc diện nghèo, cận nghèo", "Neither poor nor near-poor"),
}
REVIEW_START_MONTH_DAY = (9, 1)   # domain.md §3: the periodic review runs 1 September – 14 December [C]

_COLUMNS = ("household_id", "standard_id", "status", "previous_status", "decision_date", "round", "decision_id",
            "decision_number", "source", "note", "recorded_by", "recorded_at")
_INSERT = (f"INSERT INTO household_status_history ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join('?' * len(_COLUMNS))})")


def round_start(round_: int) -> dt.date:
    return dt.date(round_, *REVIEW_START_MONTH_DAY)


def transition_status(status: str | None) -> str | None:
    """Register status → the three statuses of ``shared.transitions`` (escaped ones count as other)."""
    if status is None:
        return None
    return status if status in (POOR, NEAR_POOR) else OTHER


def _check(status: str, source: str, decision_date: Any) -> str:
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; expected one of {STATUSES}")
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {SOURCES}")
    return (decision_date if isinstance(decision_date, dt.date) else dt.date.fromisoformat(str(decision_date))
            ).isoformat()


def record(conn: sqlite3.Connection, household_id: str, standard_id: str, status: str,
           decision_date: dt.date | str, *, source: str, now: str, round_: int | None = None,
           decision_id: int | None = None, decision_number: str | None = None,
           previous_status: str | None = None, note: str | None = None, user_id: int | None = None) -> int:
    """Append one status (call inside ``db.write()``); returns the row id."""
    day = _check(status, source, decision_date)
    cur = conn.execute(_INSERT, (household_id, standard_id, status, previous_status, day, round_, decision_id,
                                 decision_number, source, note, user_id, now))
    return int(cur.lastrowid)


def record_many(conn: sqlite3.Connection, rows: Iterable[dict[str, Any]], now: str) -> int:
    """Append many statuses; each row has the keyword names of :func:`record` (``round`` or ``round_``)."""
    def values() -> Iterable[tuple[Any, ...]]:
        for r in rows:
            day = _check(r["status"], r["source"], r["decision_date"])
            yield (r["household_id"], r["standard_id"], r["status"], r.get("previous_status"), day,
                   r.get("round", r.get("round_")), r.get("decision_id"), r.get("decision_number"), r["source"],
                   r.get("note"), r.get("user_id"), now)
    cur = conn.executemany(_INSERT, values())
    return cur.rowcount


def history(conn: sqlite3.Connection, household_id: str, standard_id: str | None = None) -> list[dict[str, Any]]:
    """Every status row of a household (optionally one standard), oldest first."""
    sql = "SELECT * FROM household_status_history WHERE household_id = ?"
    params: list[Any] = [household_id]
    if standard_id:
        sql += " AND standard_id = ?"
        params.append(standard_id)
    rows = conn.execute(sql + " ORDER BY standard_id, decision_date, id", params).fetchall()
    return [dict(r, label_vi=STATUS_LABELS[r["status"]][0]) for r in rows]


def status_changes(conn: sqlite3.Connection, household_id: str, standard_id: str) -> list[StatusChange]:
    """The history as ``shared.eligibility.StatusChange`` values (input of ``eligibility()``)."""
    rows = conn.execute("SELECT status, decision_date FROM household_status_history "
                        "WHERE household_id = ? AND standard_id = ? ORDER BY decision_date, id",
                        (household_id, standard_id)).fetchall()
    return [StatusChange(r["status"], dt.date.fromisoformat(r["decision_date"])) for r in rows]


def status_on(conn: sqlite3.Connection, household_id: str, standard_id: str, on: dt.date) -> dict[str, Any] | None:
    """The status in force on a date (latest decision on or before it), or None."""
    row = conn.execute("SELECT * FROM household_status_history WHERE household_id = ? AND standard_id = ? "
                       "AND decision_date <= ? ORDER BY decision_date DESC, id DESC LIMIT 1",
                       (household_id, standard_id, on.isoformat())).fetchone()
    return None if row is None else dict(row)


def register_sql(before_round_param: str = ":round", start_param: str = ":round_start",
                 standard_param: str = ":standard_id", extra_where: str = "") -> str:
    """A subquery: per household, the register before a round (latest status, and whether it was
    ever poor / near-poor, escaped statuses included). Columns: household_id, status, decision_date,
    ever_poor, ever_near_poor (window functions: latest row by decision date, then id).
    ``extra_where`` narrows the households (e.g. to a group's). Households gone (moved away, dissolved,
    merged) in an earlier round are not on it: their decrease was that round's."""
    return f"""SELECT household_id, status, decision_date, ever_poor, ever_near_poor FROM (
        SELECT household_id, status, decision_date,
            ROW_NUMBER() OVER (PARTITION BY household_id ORDER BY decision_date DESC, id DESC) AS rn,
            MAX(status IN ('poor', 'escaped_poverty')) OVER (PARTITION BY household_id) AS ever_poor,
            MAX(status IN ('near_poor', 'escaped_near_poverty')) OVER (PARTITION BY household_id) AS ever_near_poor
        FROM household_status_history
        WHERE standard_id = {standard_param}
          AND (round < {before_round_param} OR (round IS NULL AND decision_date < {start_param})) {extra_where}
          AND household_id NOT IN ({gone_before_sql(before_round_param)})
        ) WHERE rn = 1"""


def register_before_round(conn: sqlite3.Connection, standard_id: str, round_: int,
                          household_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The register before ``round_`` for some households (small sets: a group, a meeting)."""
    ids = list(dict.fromkeys(household_ids))
    out: dict[str, dict[str, Any]] = {}
    sub = register_sql("?", "?", "?")
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        sql = register_sql("?", "?", "?", f"AND household_id IN ({','.join('?' * len(chunk))})")
        for r in conn.execute(sql, (standard_id, round_, round_start(round_).isoformat(), *chunk, round_)):
            out[r["household_id"]] = {"status": r["status"], "decision_date": r["decision_date"],
                                      "ever_poor": bool(r["ever_poor"]), "ever_near_poor": bool(r["ever_near_poor"])}
    return out
