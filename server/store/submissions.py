"""Submissions: the append-only history of every household revision delivered to the server.

Uniqueness of ``submission_id`` is the table's UNIQUE constraint: callers INSERT
and catch ``sqlite3.IntegrityError``; they never check first.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any, Mapping

COLUMNS = ("submission_id", "receipt_id", "household_id", "source", "device_id", "collaborator_id", "status",
            "conflict_reason", "revision", "base_revision", "server_revision", "form_version", "collected_at",
            "device_time", "received_at", "content_hash", "warnings", "body")
INSERT_SQL = f"INSERT INTO submissions ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


def insert(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    """Insert one revision; raises sqlite3.IntegrityError when submission_id (or the revision) exists."""
    conn.execute(INSERT_SQL, tuple(row.get(c) for c in COLUMNS))


def get(conn: sqlite3.Connection, submission_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM submissions WHERE submission_id = ?", (submission_id,)).fetchone()


def receipt(row: Mapping[str, Any] | sqlite3.Row) -> dict[str, Any]:
    """The receipt the device keeps: the same every time it is asked for."""
    return {"receipt_id": row["receipt_id"], "submission_id": row["submission_id"],
            "household_id": row["household_id"], "status": row["status"],
            "server_revision": row["server_revision"], "content_hash": row["content_hash"],
            "received_at": row["received_at"]}


def history(conn: sqlite3.Connection, household_id: str) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT seq, submission_id, receipt_id, source, device_id, collaborator_id, status, "
                        "conflict_reason, revision, base_revision, server_revision, form_version, collected_at, "
                        "received_at, content_hash, warnings FROM submissions WHERE household_id = ? ORDER BY seq",
                        (household_id,)).fetchall()
    return [dict(r, warnings=json.loads(r["warnings"])) for r in rows]


def body(conn: sqlite3.Connection, submission_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT body FROM submissions WHERE submission_id = ?", (submission_id,)).fetchone()
    return None if row is None else json.loads(row[0])


# --- a submission_id re-used with another body ---------------------------------------------

def insert_conflict_copy(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    """Keep a differing body sent under an existing submission_id; IntegrityError when this body is known."""
    conn.execute("INSERT INTO submission_conflicts (submission_id, content_hash, receipt_id, household_id, device_id, "
                 "received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (row["submission_id"], row["content_hash"], row["receipt_id"], row["household_id"],
                  row["device_id"], row["received_at"], row["body"]))


def get_conflict_copy(conn: sqlite3.Connection, submission_id: str, content_hash: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM submission_conflicts WHERE submission_id = ? AND content_hash = ?",
                        (submission_id, content_hash)).fetchone()


def conflict_copy_receipt(row: Mapping[str, Any] | sqlite3.Row) -> dict[str, Any]:
    return {"receipt_id": row["receipt_id"], "submission_id": row["submission_id"],
            "household_id": row["household_id"], "status": "conflict", "server_revision": None,
            "content_hash": row["content_hash"], "received_at": row["received_at"]}
