"""Enrollment codes and enrolled devices. Codes and tokens are stored as SHA-256 hashes only."""
from __future__ import annotations

import sqlite3


def create_enrollment_code(conn: sqlite3.Connection, code_hash: str, collaborator_id: int, created_by: int | None,
                           now: str, expires_at: str) -> int:
    cur = conn.execute("INSERT INTO enrollment_codes (code_hash, collaborator_id, created_by, created_at, expires_at) "
                       "VALUES (?, ?, ?, ?, ?)", (code_hash, collaborator_id, created_by, now, expires_at))
    return int(cur.lastrowid)


def claim_enrollment_code(conn: sqlite3.Connection, code_hash: str, now: str, device_id: str) -> int | None:
    """Mark an unused, unexpired code as used in one statement; the collaborator id, or None.

    A single UPDATE ... RETURNING: two tablets racing with one code cannot both win.
    """
    row = conn.execute("UPDATE enrollment_codes SET used_at = ?, device_id = ? "
                       "WHERE code_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING collaborator_id",
                       (now, device_id, code_hash, now)).fetchone()
    return None if row is None else int(row[0])


def enrollment_code_state(conn: sqlite3.Connection, code_hash: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM enrollment_codes WHERE code_hash = ?", (code_hash,)).fetchone()


def create_device(conn: sqlite3.Connection, device_id: str, collaborator_id: int, name: str, token_hash: str,
                  now: str) -> None:
    conn.execute("INSERT INTO devices (id, collaborator_id, name, token_hash, enrolled_at, last_seen_at) "
                 "VALUES (?, ?, ?, ?, ?, ?)", (device_id, collaborator_id, name, token_hash, now, now))


def device_by_token_hash(conn: sqlite3.Connection, token_hash: str) -> sqlite3.Row | None:
    """The device holding this token if it is not revoked and its collaborator is active."""
    return conn.execute(
        "SELECT d.*, c.full_name AS collaborator_name FROM devices d JOIN collaborators c ON c.id = d.collaborator_id "
        "WHERE d.token_hash = ? AND d.revoked_at IS NULL AND c.active = 1", (token_hash,)).fetchone()


def get_device(conn: sqlite3.Connection, device_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM devices WHERE id = ?", (device_id,)).fetchone()


def list_devices(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT d.id, d.collaborator_id, c.full_name AS collaborator_name, d.name, d.enrolled_at, d.last_seen_at, "
        "d.revoked_at FROM devices d JOIN collaborators c ON c.id = d.collaborator_id ORDER BY d.enrolled_at").fetchall()


def names(conn: sqlite3.Connection) -> dict[str, str]:
    """Every device's name by id."""
    return {r[0]: r[1] for r in conn.execute("SELECT id, name FROM devices")}


def revoke_device(conn: sqlite3.Connection, device_id: str, user_id: int | None, now: str) -> bool:
    cur = conn.execute("UPDATE devices SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL",
                       (now, user_id, device_id))
    return cur.rowcount == 1


def touch_device(conn: sqlite3.Connection, device_id: str, now: str) -> None:
    conn.execute("UPDATE devices SET last_seen_at = ? WHERE id = ?", (now, device_id))
