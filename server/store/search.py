"""The folded search key of households (see schema.py): computed in Python with shared.identity.fold.

``refresh(db)`` folds every household whose key was cleared (new rows, new revisions), in bounded
batches, inside short write transactions; the console's household list (``console/household_view``)
calls it before it searches or lists.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable

from shared.identity import fold

from ..db import Database

BATCH = 2000


def search_key(head_name: str | None, doc: dict[str, Any] | None) -> str:
    """' '-separated folded words: head name first (the list is ordered by it), members, address, phone."""
    parts = [fold(head_name)]
    if isinstance(doc, dict):
        for m in doc.get("members") or ():
            if isinstance(m, dict):
                name = fold(m.get("full_name"))
                if name and name not in parts:
                    parts.append(name)
        addr = doc.get("address") if isinstance(doc.get("address"), dict) else {}
        parts += [fold(addr.get("house_number")), fold(addr.get("street"))]
        phone = doc.get("phone")
        if isinstance(phone, str):
            parts.append("".join(ch for ch in phone if ch.isdigit()))
    return " ".join(p for p in parts if p)[:1000] or "-"


def _answers(body: str | None) -> dict[str, Any] | None:
    if not body:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data.get("answers") if isinstance(data, dict) else None


def keys_for(conn: sqlite3.Connection, rows: Iterable[sqlite3.Row]) -> list[tuple[str, str, str]]:
    out = []
    for r in rows:
        body = conn.execute("SELECT body FROM submissions WHERE submission_id = ?", (r["submission_id"],)).fetchone()
        out.append((search_key(r["head_name"], _answers(body[0] if body else None)), r["household_id"],
                    r["submission_id"]))
    return out


def pending(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM households WHERE search_key IS NULL").fetchone()[0]


def refresh(db: Database, limit: int | None = None) -> int:
    """Fold the cleared keys (all of them, or at most ``limit``); returns how many were folded."""
    done = 0
    while limit is None or done < limit:
        n = BATCH if limit is None else min(BATCH, limit - done)
        rows = db.conn.execute("SELECT household_id, submission_id, head_name FROM households "
                               "WHERE search_key IS NULL LIMIT ?", (n,)).fetchall()
        if not rows:
            break
        keys = keys_for(db.conn, rows)
        with db.write() as conn:
            # Only rows still at the revision we folded (a concurrent ingest clears them again).
            conn.executemany("UPDATE households SET search_key = ? WHERE household_id = ? AND submission_id = ? "
                             "AND search_key IS NULL",
                             keys)
        done += len(rows)
        if len(rows) < n:
            break
    return done
