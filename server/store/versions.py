"""Which form and standard versions have been published to devices (by content hash)."""
from __future__ import annotations

import sqlite3


def published_hash(conn: sqlite3.Connection, kind: str, version_id: str) -> str | None:
    row = conn.execute("SELECT content_hash FROM published_versions WHERE kind = ? AND version_id = ?",
                       (kind, version_id)).fetchone()
    return None if row is None else row[0]


def mark_published(conn: sqlite3.Connection, kind: str, version_id: str, content_hash: str, now: str) -> None:
    conn.execute("INSERT INTO published_versions (kind, version_id, content_hash, published_at) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (kind, version_id) DO UPDATE SET content_hash = excluded.content_hash, "
                 "published_at = excluded.published_at", (kind, version_id, content_hash, now))
