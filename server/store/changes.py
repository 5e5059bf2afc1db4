"""The change sequence devices pull from: a monotonic ``seq`` (AUTOINCREMENT never reuses a value).

Scope of a row: ``group_id`` NULL = every device, else the devices of that group;
``collaborator_id`` set = only that collaborator's devices.
"""
from __future__ import annotations

import sqlite3
from typing import Any

from .. import jsontext


def append(conn: sqlite3.Connection, kind: str, entity_id: Any, payload: dict[str, Any], now: str,
           group_id: int | None = None, collaborator_id: int | None = None) -> int:
    cur = conn.execute("INSERT INTO changes (kind, group_id, collaborator_id, entity_id, payload, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (kind, group_id, collaborator_id, str(entity_id),
                        jsontext.dumps(payload), now))
    return int(cur.lastrowid)


def page(conn: sqlite3.Connection, cursor: int, group_ids: list[int], collaborator_id: int,
         limit: int) -> list[sqlite3.Row]:
    """Up to ``limit`` rows after ``cursor`` visible to a collaborator's device, in seq order.

    One indexed range scan per group (changes_group index) plus the global rows.
    """
    visible = "(collaborator_id IS NULL OR collaborator_id = ?)"
    branches = ["SELECT * FROM (SELECT seq, kind, entity_id, payload FROM changes "
                f"WHERE group_id IS NULL AND seq > ? AND {visible} ORDER BY seq LIMIT ?)"]
    params: list[Any] = [cursor, collaborator_id, limit]
    for gid in group_ids:
        branches.append("SELECT * FROM (SELECT seq, kind, entity_id, payload FROM changes "
                        f"WHERE group_id = ? AND seq > ? AND {visible} ORDER BY seq LIMIT ?)")
        params.extend([gid, cursor, collaborator_id, limit])
    sql = f"SELECT * FROM ({' UNION ALL '.join(branches)}) ORDER BY seq LIMIT ?"
    return conn.execute(sql, (*params, limit)).fetchall()


def last_seq(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
    return int(row[0]) if row else 0
