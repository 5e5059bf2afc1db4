"""Collaborators (cộng tác viên) and the residential groups they are assigned to."""
from __future__ import annotations

import sqlite3

from .areas import GROUP_SELECT


def create_collaborator(conn: sqlite3.Connection, full_name: str, phone: str | None, now: str) -> int:
    cur = conn.execute("INSERT INTO collaborators (full_name, phone, created_at) VALUES (?, ?, ?)",
                       (full_name, phone, now))
    return int(cur.lastrowid)


def get_collaborator(conn: sqlite3.Connection, collaborator_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM collaborators WHERE id = ?", (collaborator_id,)).fetchone()


def full_names(conn: sqlite3.Connection) -> dict[int, str]:
    """Every collaborator's full name by id."""
    return {r[0]: r[1] for r in conn.execute("SELECT id, full_name FROM collaborators")}


def list_collaborators(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM collaborators ORDER BY id").fetchall()


def groups_of(conn: sqlite3.Connection, collaborator_id: int) -> list[sqlite3.Row]:
    return conn.execute(GROUP_SELECT + " JOIN assignments a ON a.group_id = g.id "
                        "WHERE a.collaborator_id = ? AND g.active = 1 ORDER BY w.ward_code, g.code",
                        (collaborator_id,)).fetchall()


def assign(conn: sqlite3.Connection, collaborator_id: int, group_id: int, now: str) -> bool:
    """True when the assignment is new."""
    cur = conn.execute("INSERT OR IGNORE INTO assignments (collaborator_id, group_id, assigned_at) VALUES (?, ?, ?)",
                       (collaborator_id, group_id, now))
    return cur.rowcount == 1


def unassign(conn: sqlite3.Connection, collaborator_id: int, group_id: int) -> bool:
    cur = conn.execute("DELETE FROM assignments WHERE collaborator_id = ? AND group_id = ?",
                       (collaborator_id, group_id))
    return cur.rowcount == 1
