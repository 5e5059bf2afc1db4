"""Wards and residential groups: data rows, never code."""
from __future__ import annotations

import sqlite3
from typing import Any


def create_ward(conn: sqlite3.Connection, province_code: str, ward_code: str, name: str, area_type: str) -> int:
    cur = conn.execute("INSERT INTO wards (province_code, ward_code, name, area_type) VALUES (?, ?, ?, ?)",
                       (province_code, ward_code, name, area_type))
    return int(cur.lastrowid)


def create_group(conn: sqlite3.Connection, ward_id: int, code: str, name: str) -> int:
    cur = conn.execute("INSERT INTO area_groups (ward_id, code, name) VALUES (?, ?, ?)", (ward_id, code, name))
    return int(cur.lastrowid)


GROUP_SELECT = """SELECT g.id AS group_id, g.code AS group_code, g.name AS group_name, g.active,
    w.id AS ward_id, w.ward_code, w.province_code, w.area_type, w.name AS ward_name
    FROM area_groups g JOIN wards w ON w.id = g.ward_id"""


def get_group(conn: sqlite3.Connection, ward_code: str, group_code: str) -> sqlite3.Row | None:
    return conn.execute(GROUP_SELECT + " WHERE w.ward_code = ? AND g.code = ?", (ward_code, group_code)).fetchone()


def get_group_by_id(conn: sqlite3.Connection, group_id: int) -> sqlite3.Row | None:
    return conn.execute(GROUP_SELECT + " WHERE g.id = ?", (group_id,)).fetchone()


def list_groups(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute(GROUP_SELECT + " ORDER BY w.ward_code, g.code").fetchall()


def province_code(conn: sqlite3.Connection) -> str | None:
    """The province of the server's (first) ward; None before a ward is set up."""
    row = conn.execute("SELECT province_code FROM wards ORDER BY id LIMIT 1").fetchone()
    return row[0] if row else None


def list_wards(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute("SELECT * FROM wards ORDER BY ward_code")]
