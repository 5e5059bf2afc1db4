"""The plan's targets as the ward enters them, per year and standard, with their history.

The measures come from ``targets.compute`` (the review results); what the plan aims at is entered
by an officer on the targets page. Each change is a new row of ``plan_targets`` (nothing is
overwritten) and an audit entry; the current target is the latest row. Until a target is entered,
the default of the ward's plan (§I.2: no poor or near-poor household, every member insured, …) is
shown and said to be the default.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from ..clock import iso
from ..db import Database
from ..errors import ApiError
from ..store import audit

# target id -> (direction, lowest, highest): "at_most" = met when the measure is at most the target
KINDS: dict[str, tuple[str, float, float]] = {
    "poor": ("at_most", 0, 1_000_000),
    "near_poor": ("at_most", 0, 1_000_000),
    "health_insurance": ("at_least", 0, 100),
    "safe_housing": ("at_least", 0, 100),
    "policy_credit": ("at_least", 0, 100),
}
LABELS_VI = {"poor": "Số hộ nghèo", "near_poor": "Số hộ cận nghèo", "health_insurance": "Tỷ lệ có BHYT",
             "safe_housing": "Tỷ lệ nhà ở an toàn", "policy_credit": "Tỷ lệ được vay tín dụng chính sách"}
MAX_NOTE = 500


def current(conn: sqlite3.Connection, year: int, standard_id: str) -> dict[str, dict[str, Any]]:
    """The latest entered target per target id (with who set it and when)."""
    rows = conn.execute(
        "SELECT t.*, u.full_name AS set_by_name FROM plan_targets t LEFT JOIN users u ON u.id = t.set_by "
        "WHERE t.year = ? AND t.standard_id = ? AND t.id IN (SELECT MAX(id) FROM plan_targets "
        "WHERE year = ? AND standard_id = ? GROUP BY target)", (year, standard_id, year, standard_id)).fetchall()
    return {r["target"]: dict(r) for r in rows}


def history(conn: sqlite3.Connection, year: int, standard_id: str) -> list[dict[str, Any]]:
    """Every change, newest first, with the value it replaced."""
    rows = [dict(r) for r in conn.execute(
        "SELECT t.*, u.full_name AS set_by_name FROM plan_targets t LEFT JOIN users u ON u.id = t.set_by "
        "WHERE t.year = ? AND t.standard_id = ? ORDER BY t.id", (year, standard_id))]
    before: dict[str, float] = {}
    for r in rows:
        r["previous"] = before.get(r["target"])
        before[r["target"]] = r["value"]
    return rows[::-1]


def apply(measures: list[dict[str, Any]], entered: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Pure: each measure with its target (entered, else the plan's default) and whether it is met."""
    out = []
    for m in measures:
        t = dict(m)
        e = entered.get(m["id"])
        t["default_target"] = m["target"]
        t["entered"] = e is not None
        if e is not None:
            t["target"] = e["value"]
            t["target_note"] = e["note"]
            t["target_set_by"] = e.get("set_by_name")
            t["target_set_at"] = e["set_at"]
        direction = KINDS.get(m["id"], ("at_least", 0, 100))[0]
        v = m.get("value")
        if v is None:
            t["met"] = False
        elif direction == "at_most":
            t["met"] = v <= t["target"]
        else:
            t["met"] = v >= t["target"] and (m.get("whole") or 0) > 0
        t["direction"] = direction
        out.append(t)
    return out


def save(db: Database, user_id: int, year: int, standard_id: str, values: dict[str, Any], notes: dict[str, Any],
         now: dt.datetime) -> int:
    """Store the targets that changed; returns how many. A bad value is refused (422) naming the
    target and the reason, and nothing is stored."""
    clean: dict[str, float] = {}
    problems = []
    for key, raw in values.items():
        if key not in KINDS:
            problems.append({"target": key, "reason": "unknown"})
            continue
        text = str(raw if raw is not None else "").strip().replace(",", ".")
        if text == "":
            continue
        try:
            v = float(text)
        except ValueError:
            problems.append({"target": key, "reason": "not_a_number"})
            continue
        _, lo, hi = KINDS[key]
        if not lo <= v <= hi:
            problems.append({"target": key, "reason": "out_of_range", "min": lo, "max": hi})
            continue
        clean[key] = v
    if problems:
        names = ", ".join(LABELS_VI.get(p["target"], "chỉ tiêu không có trong kế hoạch") for p in problems)
        raise ApiError(422, "invalid_target", "Some targets are not valid numbers in range",
                       f"Chưa lưu: {names} không hợp lệ (số hộ là số không âm, tỷ lệ từ 0 đến 100%). "
                       "Sửa lại rồi lưu; các mục tiêu khác chưa thay đổi.", problems)
    stamp = iso(now)
    changed = 0
    with db.write() as conn:
        cur = current(conn, year, standard_id)
        for key, v in clean.items():
            note = str(notes.get(key) or "").strip()[:MAX_NOTE]
            old = cur.get(key)
            if old is not None and old["value"] == v and old["note"] == note:
                continue
            conn.execute("INSERT INTO plan_targets (year, standard_id, target, value, note, set_by, set_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", (year, standard_id, key, v, note, user_id, stamp))
            audit.record(conn, stamp, "user", user_id, "plan_target.set", "plan_target", f"{year}:{key}",
                         {"standard_id": standard_id, "value": v, "previous": old["value"] if old else None})
            changed += 1
    return changed
