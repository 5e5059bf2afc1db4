"""Plan targets of the ward's yearly plan, for the current round and one standard (issue 7 §6):

| target | how it is measured | goal |
| --- | --- | --- |
| poor households | households whose result of the round is poor (not yet surveyed: their register status) | 0 |
| near-poor households | the same, near-poor | 0 |
| health insurance | members with ``health_insurance: true`` / members, in escaped and near-poor households | 100% |
| safe housing | escaped households not deprived on indicators 7 (housing quality) and 8 (floor area) | 100% |
| policy credit | escaped households still in their policy-credit window that asked for credit and received it | 100% |

"Escaped" = the household's result of the round is escaped poverty / escaped near-poverty, or (not
yet surveyed) its register status is. Credit requests and receipts are entered by the office
(``credit_records``).
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from shared.eligibility import StatusChange, eligibility

from ..clock import iso
from ..db import Database
from ..errors import ApiError
from ..process.results import iter_results
from ..store import facts
from ..store import audit
from ..process import eligibility as cycle_eligibility

ESCAPED = ("escaped_poverty", "escaped_near_poverty")
HOUSING_KEYS = ("housing_quality", "floor_area")     # the standard's housing indicators, by key


def housing_bits(standard_id: str) -> int:
    """The deprived-mask bits of the standard's housing indicators (7 and 8 in 2022–2025 and 2027–2030)."""
    from shared.standards import load_standards
    std = load_standards().get(standard_id)
    if std is None:
        return (1 << 6) | (1 << 7)
    return sum(1 << (i.number - 1) for i in std.indicators if i.key in HOUSING_KEYS)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def compute(db: Database, round_: int, standard_id: str, on: dt.date) -> dict[str, Any]:
    facts.refresh(db)
    conn = db.conn
    poor = near = 0
    carried = {"poor": 0, "near_poor": 0}  # counted from last year's list: not classified in this round
    escaped: dict[str, int] = {}          # household_id -> deprived mask (0 when unknown)
    near_ids: list[str] = []
    for r in iter_results(conn, round_, standard_id):
        j = r.judgement
        if j.movement is not None and j.after is None:
            continue                                  # gone this round
        status = (j.list or (j.after if j.after in ("poor", "near_poor") else None)) if j.after else r.register_status
        if status in carried and not j.after:
            carried[status] += 1
        if status == "poor":
            poor += 1
        elif status == "near_poor":
            near += 1
            near_ids.append(r.household_id)
        elif status in ESCAPED:
            escaped[r.household_id] = r.deprived_mask if j.after else -1
    # health insurance of members (escaped + near-poor), from the current submissions
    insured = members = 0
    ids = list(escaped) + near_ids
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for (body,) in conn.execute(
                "SELECT s.body FROM households h JOIN submissions s ON s.submission_id = h.submission_id "
                f"WHERE h.household_id IN ({','.join('?' * len(chunk))})", chunk):
            for m in (json.loads(body).get("answers") or {}).get("members") or ():
                if isinstance(m, dict):
                    members += 1
                    insured += m.get("health_insurance") is True
    known = [m for m in escaped.values() if m >= 0]
    bits = housing_bits(standard_id)
    safe = sum(1 for m in known if not m & bits)
    # policy credit: escaped households in their credit window that asked / received
    table = cycle_eligibility.policies(conn)
    in_window: list[str] = []
    for hid in escaped:
        hist = [StatusChange(r[0], dt.date.fromisoformat(r[1])) for r in conn.execute(
            "SELECT status, decision_date FROM household_status_history WHERE household_id = ? AND standard_id = ? "
            "ORDER BY decision_date, id", (hid, standard_id))]
        if any(e.policy_id == "policy_credit" and e.eligible for e in eligibility(hist, on, table)):
            in_window.append(hid)
    asked = received = 0
    for i in range(0, len(in_window), 500):
        chunk = in_window[i:i + 500]
        row = conn.execute(f"SELECT COUNT(DISTINCT household_id), COUNT(DISTINCT CASE WHEN received_on IS NOT NULL "
                           f"THEN household_id END) FROM credit_records WHERE household_id IN "
                           f"({','.join('?' * len(chunk))})", chunk).fetchone()
        asked += row[0]
        received += row[1]
    return {"round": round_, "standard_id": standard_id, "on": on.isoformat(), "targets": [
        {"id": "poor", "label_vi": "Số hộ nghèo", "value": poor, "target": 0, "unit": "households", "met": poor == 0,
         "carried": carried["poor"], "classified": poor - carried["poor"]},
        {"id": "near_poor", "label_vi": "Số hộ cận nghèo", "value": near, "target": 0, "unit": "households",
         "met": near == 0, "carried": carried["near_poor"], "classified": near - carried["near_poor"]},
        {"id": "health_insurance", "label_vi": "Thành viên hộ thoát nghèo, cận nghèo có BHYT", "value": _pct(insured, members),
         "part": insured, "whole": members, "target": 100, "unit": "percent", "met": members > 0 and insured == members},
        {"id": "safe_housing", "label_vi": "Hộ thoát nghèo có nhà ở an toàn (không thiếu hụt chỉ số 7, 8)",
         "value": _pct(safe, len(known)), "part": safe, "whole": len(known), "target": 100, "unit": "percent",
         "met": bool(known) and safe == len(known), "not_surveyed": len(escaped) - len(known)},
        {"id": "policy_credit", "label_vi": "Hộ thoát nghèo đủ điều kiện, có nhu cầu vay và đã được vay tín dụng chính sách",
         "value": _pct(received, asked), "part": received, "whole": asked, "eligible": len(in_window), "target": 100,
         "unit": "percent", "met": asked > 0 and received == asked},
    ]}


def add_credit(db: Database, household_id: str, requested_on: str, now: dt.datetime, received_on: str | None = None,
               amount: int | None = None, note: str = "", user_id: int | None = None) -> dict[str, Any]:
    try:
        req = dt.date.fromisoformat(requested_on).isoformat()
        rec = dt.date.fromisoformat(received_on).isoformat() if received_on else None
    except ValueError:
        raise ApiError(422, "invalid_date", "dates are YYYY-MM-DD", "Ngày phải có dạng YYYY-MM-DD") from None
    if rec and rec < req:
        raise ApiError(422, "invalid_date", "received before requested", "Ngày nhận vốn trước ngày đề nghị")
    stamp = iso(now)
    with db.write() as conn:
        if conn.execute("SELECT 1 FROM households WHERE household_id = ?", (household_id,)).fetchone() is None:
            raise ApiError(404, "household_not_found", "Unknown household", "Không tìm thấy hộ")
        rid = conn.execute("INSERT INTO credit_records (household_id, requested_on, received_on, amount, note, "
                           "recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (household_id, req, rec, amount, note, user_id, stamp)).lastrowid
        audit.record(conn, stamp, "user" if user_id else "system", user_id, "credit.record", "household", household_id,
                     {"id": rid, "requested_on": req, "received_on": rec})
    return {"id": rid, "household_id": household_id, "requested_on": req, "received_on": rec, "amount": amount}


def mark_received(db: Database, record_id: int, received_on: str, now: dt.datetime, user_id: int | None = None
                  ) -> None:
    try:
        rec = dt.date.fromisoformat(received_on).isoformat()
    except ValueError:
        raise ApiError(422, "invalid_date", "dates are YYYY-MM-DD", "Ngày phải có dạng YYYY-MM-DD") from None
    stamp = iso(now)
    with db.write() as conn:
        cur = conn.execute("UPDATE credit_records SET received_on = ? WHERE id = ? AND received_on IS NULL",
                           (rec, record_id))
        if cur.rowcount != 1:
            raise ApiError(404, "not_found", "No pending credit record", "Không có đề nghị vay đang chờ")
        audit.record(conn, stamp, "user" if user_id else "system", user_id, "credit.received", "credit", record_id,
                     {"received_on": rec})


def credits_of(conn: sqlite3.Connection, household_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute("SELECT * FROM credit_records WHERE household_id = ? ORDER BY id",
                                          (household_id,))]
