"""The audit log: who did what when. Append-only."""
from __future__ import annotations

import json
import sqlite3
from typing import Any


def record(conn: sqlite3.Connection, at: str, actor_type: str, actor_id: Any, action: str,
           target_type: str | None = None, target_id: Any = None, details: dict[str, Any] | None = None) -> None:
    conn.execute("INSERT INTO audit_log (at, actor_type, actor_id, action, target_type, target_id, details) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (at, actor_type, None if actor_id is None else str(actor_id), action, target_type,
                  None if target_id is None else str(target_id),
                  json.dumps(details or {}, ensure_ascii=False, separators=(",", ":"))))


def recent(conn: sqlite3.Connection, limit: int = 100, before_id: int | None = None) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?",
                        (before_id or 2**62, limit)).fetchall()
    return [dict(r, details=json.loads(r["details"])) for r in rows]
