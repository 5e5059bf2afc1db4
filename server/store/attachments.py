"""Attachments (dwelling photos): rows that say which content-addressed files the server holds,
uploads in progress, which submissions name which files, and submissions held as incomplete.

The files themselves live under ``<data dir>/attachments/ab/cd/<sha256>`` (server/services/attachments.py);
a row in ``attachments`` is written only after its file is complete, hash-checked, fsynced and renamed
into place, so every row has its file.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable


def ready(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'attachments'").fetchone() \
        is not None


# --- files held ------------------------------------------------------------------------------

def get(conn: sqlite3.Connection, sha256: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM attachments WHERE sha256 = ?", (sha256,)).fetchone()


def present(conn: sqlite3.Connection, hashes: Iterable[str]) -> set[str]:
    hashes = list(dict.fromkeys(hashes))
    out: set[str] = set()
    for i in range(0, len(hashes), 500):
        chunk = hashes[i:i + 500]
        out.update(r[0] for r in conn.execute(
            f"SELECT sha256 FROM attachments WHERE sha256 IN ({','.join('?' * len(chunk))})", chunk))
    return out


def insert(conn: sqlite3.Connection, sha256: str, size: int, content_type: str, device_id: str | None,
           now: str) -> bool:
    """Record a stored file; False when it was already recorded (stored once)."""
    cur = conn.execute("INSERT OR IGNORE INTO attachments (sha256, size, content_type, device_id, stored_at) "
                       "VALUES (?, ?, ?, ?, ?)", (sha256, size, content_type, device_id, now))
    return cur.rowcount == 1


def all_hashes(conn: sqlite3.Connection) -> Iterable[tuple[str, int]]:
    yield from conn.execute("SELECT sha256, size FROM attachments ORDER BY sha256")


# --- who may read a file (migration 11) ---------------------------------------------------------

def add_holder(conn: sqlite3.Connection, sha256: str, device_id: str, now: str) -> None:
    """``device_id`` sent the whole file and it hashed to its name: it holds the bytes."""
    conn.execute("INSERT OR IGNORE INTO attachment_holders (sha256, device_id, since) VALUES (?, ?, ?)",
                 (sha256, device_id, now))


def holds(conn: sqlite3.Connection, sha256: str, device_id: str) -> bool:
    return conn.execute("SELECT 1 FROM attachment_holders WHERE sha256 = ? AND device_id = ?",
                        (sha256, device_id)).fetchone() is not None


def attached_in_groups(conn: sqlite3.Connection, sha256: str, group_ids: list[int]) -> bool:
    """The file is attached to a household of these groups by a submission of a party that held it:
    the device that uploaded it (or another holder), or the office / a preload (not a device)."""
    if not group_ids:
        return False
    marks = ",".join("?" * len(group_ids))
    return conn.execute(
        "SELECT 1 FROM attachment_refs r JOIN households h ON h.household_id = r.household_id "
        "JOIN submissions s ON s.submission_id = r.submission_id "
        f"WHERE r.sha256 = ? AND h.group_id IN ({marks}) AND (s.source != 'device' OR s.device_id IS NULL "
        "OR EXISTS (SELECT 1 FROM attachment_holders x WHERE x.sha256 = r.sha256 AND x.device_id = s.device_id)) "
        "LIMIT 1", (sha256, *group_ids)).fetchone() is not None


def image_problem(conn: sqlite3.Connection, sha256: str) -> str | None:
    row = conn.execute("SELECT image_problem FROM attachments WHERE sha256 = ?", (sha256,)).fetchone()
    return row[0] if row is not None else None


def set_image_problem(conn: sqlite3.Connection, sha256: str, problem: str) -> None:
    conn.execute("UPDATE attachments SET image_problem = ? WHERE sha256 = ?", (problem, sha256))


# --- uploads in progress -----------------------------------------------------------------------

def upload(conn: sqlite3.Connection, sha256: str, device_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM attachment_uploads WHERE sha256 = ? AND device_id = ?",
                        (sha256, device_id)).fetchone()


def start_upload(conn: sqlite3.Connection, sha256: str, device_id: str, size: int, content_type: str,
                 household_id: str | None, now: str) -> None:
    conn.execute("INSERT OR REPLACE INTO attachment_uploads (sha256, device_id, size, received, content_type, "
                 "household_id, started_at, updated_at) VALUES (?, ?, ?, 0, ?, ?, ?, ?)",
                 (sha256, device_id, size, content_type, household_id, now, now))


def set_received(conn: sqlite3.Connection, sha256: str, device_id: str, received: int, now: str) -> None:
    conn.execute("UPDATE attachment_uploads SET received = ?, updated_at = ? WHERE sha256 = ? AND device_id = ?",
                 (received, now, sha256, device_id))


def end_upload(conn: sqlite3.Connection, sha256: str, device_id: str) -> None:
    conn.execute("DELETE FROM attachment_uploads WHERE sha256 = ? AND device_id = ?", (sha256, device_id))


def usage(conn: sqlite3.Connection, device_id: str, day: str) -> int:
    row = conn.execute("SELECT bytes FROM attachment_usage WHERE device_id = ? AND day = ?",
                       (device_id, day)).fetchone()
    return row[0] if row else 0


def add_usage(conn: sqlite3.Connection, device_id: str, day: str, n: int) -> None:
    conn.execute("INSERT INTO attachment_usage (device_id, day, bytes) VALUES (?, ?, ?) "
                 "ON CONFLICT(device_id, day) DO UPDATE SET bytes = bytes + excluded.bytes", (device_id, day, n))


# --- references and incomplete submissions ---------------------------------------------------

def add_refs(conn: sqlite3.Connection, submission_id: str, household_id: str,
             photos: list[tuple[str, str | None]]) -> None:
    conn.executemany("INSERT OR IGNORE INTO attachment_refs (submission_id, sha256, household_id, question) "
                     "VALUES (?, ?, ?, ?)", [(submission_id, sha, household_id, q) for sha, q in photos])


def missing_for(conn: sqlite3.Connection, submission_id: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT r.sha256 FROM attachment_refs r LEFT JOIN attachments a ON a.sha256 = r.sha256 "
        "WHERE r.submission_id = ? AND a.sha256 IS NULL ORDER BY r.sha256", (submission_id,))]


def hold(conn: sqlite3.Connection, submission_id: str, household_id: str, missing: list[str], now: str) -> None:
    conn.execute("INSERT INTO incomplete_submissions (submission_id, household_id, missing, held_at) "
                 "VALUES (?, ?, ?, ?) ON CONFLICT(submission_id) DO UPDATE SET missing = excluded.missing, "
                 "completed_at = NULL", (submission_id, household_id, json.dumps(missing), now))


def waiting_for(conn: sqlite3.Connection, sha256: str) -> list[sqlite3.Row]:
    """Open incomplete submissions naming ``sha256``."""
    return conn.execute("SELECT i.* FROM incomplete_submissions i JOIN attachment_refs r "
                        "ON r.submission_id = i.submission_id WHERE r.sha256 = ? AND i.completed_at IS NULL",
                        (sha256,)).fetchall()


def update_missing(conn: sqlite3.Connection, submission_id: str, missing: list[str], now: str) -> None:
    if missing:
        conn.execute("UPDATE incomplete_submissions SET missing = ? WHERE submission_id = ?",
                     (json.dumps(missing), submission_id))
    else:
        conn.execute("UPDATE incomplete_submissions SET missing = '[]', completed_at = ? WHERE submission_id = ?",
                     (now, submission_id))


def incomplete(conn: sqlite3.Connection, submission_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM incomplete_submissions WHERE submission_id = ?", (submission_id,)).fetchone()
    if row is None:
        return None
    return {"submission_id": row["submission_id"], "missing": json.loads(row["missing"]), "held_at": row["held_at"],
            "completed_at": row["completed_at"]}


def household_photos(conn: sqlite3.Connection, household_id: str) -> set[str]:
    return {r[0] for r in conn.execute("SELECT sha256 FROM attachment_refs WHERE household_id = ?", (household_id,))}


def households_of(conn: sqlite3.Connection, sha256: str) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT household_id FROM attachment_refs WHERE sha256 = ?",
                                       (sha256,))]
