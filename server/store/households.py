"""Households: the current state (one row per household), pointing at its current submission."""
from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable


def get(conn: sqlite3.Connection, household_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM households WHERE household_id = ?", (household_id,)).fetchone()


def get_many(conn: sqlite3.Connection, household_ids: Iterable[str]) -> dict[str, sqlite3.Row]:
    ids = list(dict.fromkeys(household_ids))
    out: dict[str, sqlite3.Row] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for r in conn.execute(f"SELECT * FROM households WHERE household_id IN ({','.join('?' * len(chunk))})", chunk):
            out[r["household_id"]] = r
    return out


def insert(conn: sqlite3.Connection, household_id: str, group_id: int, server_revision: int, submission_id: str,
           status: str, head_name: str | None, classes: dict[str, str], now: str) -> None:
    """Insert a new household; raises sqlite3.IntegrityError when it already exists."""
    conn.execute("INSERT INTO households (household_id, group_id, server_revision, submission_id, status, head_name, "
                 "classes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (household_id, group_id, server_revision, submission_id, status, head_name,
                  json.dumps(classes, separators=(",", ":")), now, now))


def advance(conn: sqlite3.Connection, household_id: str, expected_revision: int, group_id: int,
            submission_id: str, status: str, head_name: str | None, classes: dict[str, str], now: str) -> bool:
    """Move to the next revision only if the household is still at ``expected_revision``."""
    cur = conn.execute("UPDATE households SET server_revision = server_revision + 1, group_id = ?, submission_id = ?, "
                       "status = ?, head_name = ?, classes = ?, updated_at = ? "
                       "WHERE household_id = ? AND server_revision = ?",
                       (group_id, submission_id, status, head_name, json.dumps(classes, separators=(",", ":")), now,
                        household_id, expected_revision))
    return cur.rowcount == 1


def flag_for_review(conn: sqlite3.Connection, household_id: str, now: str) -> None:
    conn.execute("UPDATE households SET needs_review = 1, updated_at = ? WHERE household_id = ?", (now, household_id))


def set_status(conn: sqlite3.Connection, household_id: str, status: str, now: str) -> None:
    conn.execute("UPDATE households SET status = ?, updated_at = ? WHERE household_id = ?", (status, now, household_id))


def list_page(conn: sqlite3.Connection, group_ids: list[int] | None = None, status: str | None = None,
              after: str = "", limit: int = 100) -> list[dict[str, Any]]:
    """Households ordered by id, keyset-paged (``after`` = last household_id of the previous page)."""
    where, params = ["h.household_id > ?"], [after]
    if group_ids is not None:
        where.append(f"h.group_id IN ({','.join('?' * len(group_ids)) or 'NULL'})")
        params.extend(group_ids)
    if status:
        where.append("h.status = ?")
        params.append(status)
    rows = conn.execute(
        "SELECT h.household_id, g.code AS group_code, w.ward_code, h.server_revision, h.submission_id, h.status, "
        "h.needs_review, h.head_name, h.classes, h.updated_at FROM households h "
        "JOIN area_groups g ON g.id = h.group_id JOIN wards w ON w.id = g.ward_id "
        f"WHERE {' AND '.join(where)} ORDER BY h.household_id LIMIT ?", (*params, limit)).fetchall()
    return [dict(r, classes=json.loads(r["classes"]), needs_review=bool(r["needs_review"])) for r in rows]
