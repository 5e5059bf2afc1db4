"""Households returned by an officer to the collaborator, with the reason."""
from __future__ import annotations

import sqlite3
from typing import Any


def insert(conn: sqlite3.Connection, household_id: str, submission_id: str, server_revision: int, reason: str,
           user_id: int, now: str) -> int:
    cur = conn.execute("INSERT INTO returns (household_id, submission_id, server_revision, reason, returned_by, "
                       "returned_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (household_id, submission_id, server_revision, reason, user_id, now))
    return int(cur.lastrowid)


def resolve_open(conn: sqlite3.Connection, household_id: str, by_submission_id: str) -> int:
    cur = conn.execute("UPDATE returns SET resolved_by = ? WHERE household_id = ? AND resolved_by IS NULL",
                       (by_submission_id, household_id))
    return cur.rowcount


def for_household(conn: sqlite3.Connection, household_id: str) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT r.*, u.full_name AS returned_by_name FROM returns r JOIN users u ON u.id = r.returned_by "
                        "WHERE r.household_id = ? ORDER BY r.id", (household_id,)).fetchall()
    return [dict(r) for r in rows]
