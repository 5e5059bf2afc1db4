"""Low-income workers: the ward's requests and list (Decree 30/2025/NĐ-CP; rule in ``shared/low_income.py``).

A worker, or their household, asks; the officer records the request; the identification runs at once
on the household's current answers under the national standard in force on the request date, and is
stored with the request (the worker named, the income per person, the rule and its source). Running
it again after the household's answers changed adds nothing silently: it updates the row and audits
the old and new outcome. The ward's list is the identified requests of a year.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from shared.classify import classify
from shared.low_income import IDENTIFIED, OUTCOME_LABELS, identify, load_rule
from shared.standards import applicable_standards

from ..clock import iso
from ..db import Database
from ..errors import ApiError
from ..services import people
from ..store import audit

REQUESTED_BY = {"worker": ("Người lao động đề nghị", "The worker"),
                "household": ("Hộ gia đình đề nghị", "The household")}
POLICY_LABELS = {"employment_support": ("Hỗ trợ việc làm", "Employment support"),
                 "vocational_training": ("Hỗ trợ đào tạo nghề", "Vocational training")}


def _national(doc: dict[str, Any], on: dt.date):
    area = doc.get("area") if isinstance(doc.get("area"), dict) else {}
    found = [s for s in applicable_standards(area.get("province_code"), on) if not s.provincial]
    return found[0] if found else None


def _identify(doc: dict[str, Any], member_id: str, on: dt.date) -> dict[str, Any]:
    std = _national(doc, on)
    result = classify(doc, std, on) if std is not None else None
    return identify(doc, member_id, result, on, load_rule())


def record_request(db: Database, household_id: str, member_id: str, requested_by: str, requested_on: str,
                   now: dt.datetime, note: str = "", user_id: int | None = None) -> dict[str, Any]:
    detail = people.household_detail(db, household_id)
    if detail is None:
        raise ApiError(404, "household_not_found", f"No household {household_id}", "Không tìm thấy hộ")
    if requested_by not in REQUESTED_BY:
        raise ApiError(422, "invalid_requested_by", "requested_by must be 'worker' or 'household'",
                       "Người đề nghị phải là người lao động hoặc hộ gia đình")
    try:
        on = dt.date.fromisoformat(requested_on)
    except (TypeError, ValueError):
        raise ApiError(422, "invalid_date", "requested_on must be a date YYYY-MM-DD",
                       "Ngày đề nghị không hợp lệ") from None
    if on > now.date() + dt.timedelta(days=1):
        raise ApiError(422, "invalid_date", "requested_on is in the future", "Ngày đề nghị ở tương lai")
    doc = detail["answers"]
    member = next((m for m in doc.get("members") or [] if isinstance(m, dict) and m.get("member_id") == member_id),
                  None)
    if member is None:
        raise ApiError(422, "member_not_found", f"No member {member_id} in household {household_id}",
                       f"Hộ không có thành viên mã {member_id}")
    result = _identify(doc, member_id, on)
    stamp = iso(now)
    with db.write() as conn:
        rid = conn.execute(
            "INSERT INTO low_income_requests (household_id, member_id, worker_name, requested_by, requested_on, note, "
            "outcome, result, submission_id, created_at, created_by, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (household_id, member_id, str(member.get("full_name") or member_id), requested_by, on.isoformat(),
             note.strip(), result["outcome"], json.dumps(result, ensure_ascii=False), detail["submission_id"],
             stamp, user_id, stamp)).lastrowid
        audit.record(conn, stamp, "user" if user_id else "system", user_id, "low_income.request", "household",
                     household_id, {"request_id": rid, "member_id": member_id, "outcome": result["outcome"]})
        return get(conn, rid)  # type: ignore[return-value]


def reidentify(db: Database, request_id: int, now: dt.datetime, user_id: int | None = None) -> dict[str, Any]:
    """Identify again on the household's current answers (after a correction)."""
    with db.snapshot() as conn:
        r = get(conn, request_id)
    if r is None:
        raise ApiError(404, "request_not_found", f"No request {request_id}", "Không tìm thấy đề nghị")
    detail = people.household_detail(db, r["household_id"])
    if detail is None:
        raise ApiError(404, "household_not_found", "The household is gone", "Không tìm thấy hộ")
    result = _identify(detail["answers"], r["member_id"], dt.date.fromisoformat(r["requested_on"]))
    stamp = iso(now)
    with db.write() as conn:
        conn.execute("UPDATE low_income_requests SET outcome = ?, result = ?, submission_id = ?, updated_at = ? "
                     "WHERE id = ?", (result["outcome"], json.dumps(result, ensure_ascii=False),
                                      detail["submission_id"], stamp, request_id))
        audit.record(conn, stamp, "user" if user_id else "system", user_id, "low_income.reidentify", "household",
                     r["household_id"], {"request_id": request_id, "from": r["outcome"], "to": result["outcome"]})
        return get(conn, request_id)  # type: ignore[return-value]


def _row(r: sqlite3.Row) -> dict[str, Any]:
    d = dict(r)
    d["result"] = json.loads(d["result"])
    vi, en = OUTCOME_LABELS.get(d["outcome"], (d["outcome"], d["outcome"]))
    d["outcome_vi"], d["outcome_en"] = vi, en
    d["requested_by_vi"], d["requested_by_en"] = REQUESTED_BY[d["requested_by"]]
    d["policies"] = [{"id": p, "vi": POLICY_LABELS.get(p, (p, p))[0], "en": POLICY_LABELS.get(p, (p, p))[1]}
                     for p in d["result"].get("policies") or []]
    return d


def get(conn: sqlite3.Connection, request_id: int) -> dict[str, Any] | None:
    r = conn.execute("SELECT lr.*, g.code AS group_code, g.name AS group_name, h.head_name FROM low_income_requests lr "
                     "LEFT JOIN households h ON h.household_id = lr.household_id "
                     "LEFT JOIN area_groups g ON g.id = h.group_id WHERE lr.id = ?", (request_id,)).fetchone()
    return None if r is None else _row(r)


def list_requests(conn: sqlite3.Connection, year: int | None = None, outcome: str | None = None) -> list[dict[str, Any]]:
    sql = ("SELECT lr.*, g.code AS group_code, g.name AS group_name, h.head_name FROM low_income_requests lr "
           "LEFT JOIN households h ON h.household_id = lr.household_id "
           "LEFT JOIN area_groups g ON g.id = h.group_id WHERE 1 = 1")
    args: list[Any] = []
    if year is not None:
        sql += " AND substr(lr.requested_on, 1, 4) = ?"
        args.append(str(year))
    if outcome is not None:
        sql += " AND lr.outcome = ?"
        args.append(outcome)
    return [_row(r) for r in conn.execute(sql + " ORDER BY g.code, lr.worker_name, lr.id", args)]


def count_identified(conn: sqlite3.Connection, year: int) -> dict[str, int]:
    """Identified low-income workers of a year, per residential group code (and "" for the ward)."""
    out: dict[str, int] = {"": 0}
    for r in conn.execute("SELECT g.code, COUNT(DISTINCT lr.household_id || '/' || lr.member_id) FROM low_income_requests lr "
                          "JOIN households h ON h.household_id = lr.household_id JOIN area_groups g ON g.id = h.group_id "
                          "WHERE lr.outcome = ? AND substr(lr.requested_on, 1, 4) = ? GROUP BY g.code",
                          (IDENTIFIED, str(year))):
        out[r[0]] = r[1]
        out[""] += r[1]
    return out


def rule_summary() -> dict[str, Any]:
    rule = load_rule()
    return {"legal_basis": rule["legal_basis"], "criteria": rule["criteria"], "procedure": rule.get("procedure"),
            "periods": rule["periods"], "policies": [{"id": p, "vi": POLICY_LABELS.get(p, (p, p))[0],
                                                      "en": POLICY_LABELS.get(p, (p, p))[1]}
                                                      for p in rule["policies"]],
            "marks": {"criteria": rule.get("criteria_mark", "U")}}


__all__ = ["record_request", "reidentify", "get", "list_requests", "count_identified", "rule_summary"]
