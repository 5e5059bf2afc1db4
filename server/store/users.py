"""Ward users (admin / officer / viewer) and their session tokens (stored hashed)."""
from __future__ import annotations

import sqlite3

ROLES = ("admin", "officer", "viewer")


def create_user(conn: sqlite3.Connection, username: str, full_name: str, role: str, password_hash: str,
                now: str) -> int:
    cur = conn.execute("INSERT INTO users (username, full_name, role, password_hash, created_at) "
                       "VALUES (?, ?, ?, ?, ?)", (username, full_name, role, password_hash, now))
    return int(cur.lastrowid)


def get_user_by_username(conn: sqlite3.Connection, username: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()


def get_user(conn: sqlite3.Connection, user_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()


def list_users(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT id, username, full_name, role, active, created_at FROM users ORDER BY id").fetchall()


def full_names(conn: sqlite3.Connection) -> dict[int, str]:
    """Every user's full name by id (to name who did something)."""
    return {r[0]: r[1] for r in conn.execute("SELECT id, full_name FROM users")}


def set_password_hash(conn: sqlite3.Connection, user_id: int, password_hash: str) -> None:
    conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))


def create_session(conn: sqlite3.Connection, token_hash: str, user_id: int, now: str, expires_at: str,
                   kind: str | None = None) -> None:
    conn.execute("INSERT INTO sessions (token_hash, user_id, created_at, expires_at, kind) VALUES (?, ?, ?, ?, ?)",
                 (token_hash, user_id, now, expires_at, kind))


def session_user(conn: sqlite3.Connection, token_hash: str, now: str, kind: str | None = None) -> sqlite3.Row | None:
    """The active user of a live session, or None (unknown, expired, revoked, user disabled, or made
    for the other use than ``kind``: 'api' / 'console'). The row also carries ``session_created_at``
    and ``session_expires_at``."""
    return conn.execute(
        "SELECT u.*, s.created_at AS session_created_at, s.expires_at AS session_expires_at "
        "FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND u.active = 1 "
        "AND (s.kind IS NULL OR ? IS NULL OR s.kind = ?)",
        (token_hash, now, kind, kind)).fetchone()


def get_session(conn: sqlite3.Connection, token_hash: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM sessions WHERE token_hash = ?", (token_hash,)).fetchone()


def extend_session(conn: sqlite3.Connection, token_hash: str, now: str, expires_at: str) -> bool:
    """Move a live session's deadline later (never earlier, never revive one that ended)."""
    cur = conn.execute("UPDATE sessions SET expires_at = ? WHERE token_hash = ? AND revoked_at IS NULL "
                       "AND expires_at > ? AND expires_at < ?", (expires_at, token_hash, now, expires_at))
    return cur.rowcount > 0


def revoke_session(conn: sqlite3.Connection, token_hash: str, now: str) -> None:
    conn.execute("UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL", (now, token_hash))
