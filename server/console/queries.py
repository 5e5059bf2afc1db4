"""Read models of the console pages: plain SQL over the server's tables, no writes."""
from __future__ import annotations

import json
import sqlite3
from functools import lru_cache
from typing import Any

CLASS_ORDER = ("poor", "near_poor", "average", "not_poor", "unknown")
STATUSES = ("preloaded", "submitted", "returned")
# Derived states the list can filter on besides the stored status.
STATUS_FILTERS = ("preloaded", "submitted", "returned", "accepted", "needs_review")


@lru_cache(maxsize=1)
def standards() -> dict[str, Any]:
    from shared.standards import load_standards
    return load_standards()


def standard_name(lang: str, standard_id: str) -> str:
    s = standards().get(standard_id)
    if s is None:
        return standard_id
    name = s.name.get(lang) or s.name.get("vi") or standard_id
    return name + (" [DỰ THẢO]" if s.status == "draft" and lang == "vi" else " [DRAFT]" if s.status == "draft" else "")


def groups(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(
        "SELECT g.id, g.code, g.name, g.active, w.ward_code, w.name AS ward_name FROM area_groups g "
        "JOIN wards w ON w.id = g.ward_id ORDER BY w.ward_code, g.code")]


def households_per_group(conn: sqlite3.Connection) -> dict[int, int]:
    return dict(conn.execute("SELECT group_id, COUNT(*) FROM households GROUP BY group_id").fetchall())


# --- dashboard ------------------------------------------------------------------------------------

def progress_by_group(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    # One pass over the covering index households_progress (group_id, status, needs_review).
    counts = {r[0]: r[1:] for r in conn.execute(
        "SELECT group_id, COUNT(*), SUM(status != 'preloaded'), SUM(status = 'returned'), SUM(needs_review) "
        "FROM households GROUP BY group_id")}
    accepted = dict(conn.execute(
        "SELECT h.group_id, COUNT(*) FROM review_decisions r JOIN households h "
        "ON h.household_id = r.household_id AND h.submission_id = r.submission_id "
        "WHERE r.id IN (SELECT MAX(id) FROM review_decisions GROUP BY household_id) GROUP BY h.group_id").fetchall())
    out = []
    for g in groups(conn):
        expected, surveyed, returned, needs_review = counts.get(g["id"], (0, 0, 0, 0))
        out.append({**g, "expected": expected, "surveyed": surveyed, "returned": returned,
                    "needs_review": needs_review, "accepted": accepted.get(g["id"], 0)})
    return out


def progress_by_collaborator(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    expected = {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT a.collaborator_id, COUNT(h.household_id), GROUP_CONCAT(DISTINCT g.code) FROM assignments a "
        "JOIN area_groups g ON g.id = a.group_id LEFT JOIN households h ON h.group_id = a.group_id "
        "GROUP BY a.collaborator_id")}
    surveyed = dict(conn.execute(
        "SELECT collaborator_id, COUNT(DISTINCT household_id) FROM submissions "
        "WHERE collaborator_id IS NOT NULL AND status = 'accepted' GROUP BY collaborator_id").fetchall())
    out = []
    for c in conn.execute("SELECT id, full_name, phone, active FROM collaborators ORDER BY full_name, id"):
        exp, codes = expected.get(c["id"], (0, ""))
        out.append({"id": c["id"], "full_name": c["full_name"], "active": bool(c["active"]),
                    "groups": ", ".join(sorted((codes or "").split(","))) if codes else "",
                    "expected": exp, "surveyed": surveyed.get(c["id"], 0)})
    return out


def class_counts(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """{standard_id: {class: households}} over the current classification of every household."""
    out: dict[str, dict[str, int]] = {}
    for sid, cls, n in conn.execute("SELECT standard_id, class, SUM(n) FROM console_class_counts "
                                    "GROUP BY standard_id, class"):
        if n:
            out.setdefault(sid, {})[cls] = n
    return dict(sorted(out.items()))


def devices(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(
        "SELECT d.id, d.name, d.collaborator_id, c.full_name AS collaborator_name, d.enrolled_at, d.last_seen_at, "
        "d.revoked_at FROM devices d JOIN collaborators c ON c.id = d.collaborator_id "
        "ORDER BY d.revoked_at IS NOT NULL, d.last_seen_at DESC")]


# --- households -----------------------------------------------------------------------------------

def household_page(conn: sqlite3.Connection, *, q: str = "", group_id: int | None = None, status: str = "",
                   standard_id: str = "", cls: str = "", page: int = 1, per_page: int = 50
                   ) -> tuple[list[dict[str, Any]], int]:
    """One page of households (ordered by group, then folded head name) and the total count."""
    where, params = [], []
    if group_id:
        where.append("h.group_id = ?")
        params.append(group_id)
    if status in STATUSES:
        where.append("h.status = ?")
        params.append(status)
    elif status == "needs_review":
        where.append("h.needs_review = 1")
    elif status == "accepted":
        where.append("EXISTS (SELECT 1 FROM review_decisions r WHERE r.submission_id = h.submission_id)")
    if standard_id and cls:
        where.append("json_extract(h.classes, ?) = ?")
        params.extend([f'$."{standard_id}"', cls])
    elif standard_id:
        where.append("json_extract(h.classes, ?) IS NOT NULL")
        params.append(f'$."{standard_id}"')
    if q:
        for term in q.split()[:6]:
            where.append("(instr(h.search_key, ?) > 0 OR h.household_id LIKE ?)")
            params.extend([term, term.replace("%", "").replace("_", "") + "%"])
    sql_where = ("WHERE " + " AND ".join(where)) if where else ""
    total = conn.execute(f"SELECT COUNT(*) FROM households h {sql_where}", params).fetchone()[0]
    rows = conn.execute(
        "SELECT h.household_id, h.group_id, g.code AS group_code, h.server_revision, h.submission_id, h.status, "
        "h.needs_review, h.head_name, h.classes, h.updated_at, "
        "EXISTS (SELECT 1 FROM review_decisions r WHERE r.submission_id = h.submission_id) AS accepted "
        f"FROM households h JOIN area_groups g ON g.id = h.group_id {sql_where} "
        "ORDER BY h.group_id, h.search_key, h.household_id LIMIT ? OFFSET ?",
        (*params, per_page, (page - 1) * per_page)).fetchall()
    return [dict(r, classes=json.loads(r["classes"])) for r in rows], total


def accepted_decision(conn: sqlite3.Connection, submission_id: str) -> dict[str, Any] | None:
    r = conn.execute("SELECT r.*, u.full_name AS decided_by_name FROM review_decisions r JOIN users u "
                     "ON u.id = r.decided_by WHERE r.submission_id = ? ORDER BY r.id DESC LIMIT 1",
                     (submission_id,)).fetchone()
    return dict(r) if r else None


def open_conflicts(conn: sqlite3.Connection, household_id: str | None = None, limit: int = 200
                   ) -> list[dict[str, Any]]:
    """Conflicting submissions without a recorded resolution."""
    sql = ("SELECT s.submission_id, s.household_id, s.device_id, s.collaborator_id, s.conflict_reason, "
           "s.base_revision, s.received_at, c.full_name AS collaborator_name, h.head_name, g.code AS group_code "
           "FROM submissions s LEFT JOIN conflict_resolutions cr ON cr.submission_id = s.submission_id "
           "LEFT JOIN collaborators c ON c.id = s.collaborator_id "
           "LEFT JOIN households h ON h.household_id = s.household_id "
           "LEFT JOIN area_groups g ON g.id = h.group_id "
           "WHERE s.status = 'conflict' AND cr.submission_id IS NULL")
    params: list[Any] = []
    if household_id:
        sql += " AND s.household_id = ?"
        params.append(household_id)
    return [dict(r) for r in conn.execute(sql + " ORDER BY s.seq LIMIT ?", (*params, limit))]


def review_queue(conn: sqlite3.Connection, page: int = 1, per_page: int = 50, group_id: int | None = None
                 ) -> tuple[list[dict[str, Any]], int]:
    """Submitted households whose current submission nobody accepted yet."""
    where = ["h.status = 'submitted'",
             "NOT EXISTS (SELECT 1 FROM review_decisions r WHERE r.submission_id = h.submission_id)"]
    params: list[Any] = []
    if group_id:
        where.append("h.group_id = ?")
        params.append(group_id)
    w = " AND ".join(where)
    total = conn.execute(f"SELECT COUNT(*) FROM households h WHERE {w}", params).fetchone()[0]
    rows = conn.execute(
        "SELECT h.household_id, h.head_name, h.status, h.needs_review, h.updated_at, h.classes, g.code AS group_code, "
        f"h.submission_id FROM households h JOIN area_groups g ON g.id = h.group_id WHERE {w} "
        "ORDER BY h.updated_at, h.household_id LIMIT ? OFFSET ?", (*params, per_page, (page - 1) * per_page)).fetchall()
    return [dict(r, classes=json.loads(r["classes"])) for r in rows], total


# --- work waiting ---------------------------------------------------------------------------------

def work_waiting(conn: sqlite3.Connection) -> dict[str, int]:
    """What waits for the office: forms to review, conflicts, returned forms, duplicate pairs,
    complaints not yet re-checked, meetings whose votes are not all recorded."""
    def one(sql: str) -> int:
        try:
            return int(conn.execute(sql).fetchone()[0] or 0)
        except sqlite3.OperationalError:          # a table of an optional part is missing
            return 0

    return {
        "review": one("SELECT COUNT(*) FROM households h WHERE h.status = 'submitted' AND NOT EXISTS "
                      "(SELECT 1 FROM review_decisions r WHERE r.submission_id = h.submission_id)"),
        "conflicts": one("SELECT COUNT(*) FROM submissions s LEFT JOIN conflict_resolutions cr "
                         "ON cr.submission_id = s.submission_id WHERE s.status = 'conflict' AND cr.submission_id IS NULL"),
        "returned": one("SELECT COUNT(*) FROM households WHERE status = 'returned'"),
        "duplicates": one("SELECT COUNT(*) FROM dedup_candidates WHERE status = 'open'"),
        "complaints": one("SELECT COUNT(*) FROM complaints WHERE outcome = 'pending'"),
        "meetings": one("SELECT COUNT(DISTINCT meeting_id) FROM meeting_items WHERE outcome = 'pending'"),
    }
