"""An officer's decisions on the duplicates queue, each in its own write transaction: a decision on a
pair (``review.decide``) and the undo of a merge (``review.undo_link``). The console's pages call
these, and so does the JSON API (server/dedup/api.py); the rules are server/dedup/review.py's."""
from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from ..clock import iso
from ..db import Database
from . import review


class Unavailable(review.DedupError):
    """The database has no duplicates tables (nothing written)."""

    def __init__(self) -> None:
        super().__init__(404, "dedup_unavailable", "The duplicate detector is not installed on this server.",
                         "Bộ phát hiện trùng lặp chưa được cài đặt trên máy chủ này.")


def ready(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'dedup_candidates'"
                        ).fetchone() is not None


def decide(db: Database, candidate_id: int, decision: str, actor: str, now: dt.datetime,
           note: str = "") -> dict[str, Any]:
    with db.write() as conn:
        if not ready(conn):
            raise Unavailable()
        return review.decide(conn, candidate_id, decision, actor, iso(now), note)


def undo(db: Database, link_id: int, actor: str, now: dt.datetime, reason: str = "") -> tuple[dict[str, Any], int | None]:
    """Undo the merge ``link_id``: what ``review.undo_link`` answers, and the id of the pair's
    candidate (None: the pair has none)."""
    with db.write() as conn:
        if not ready(conn):
            raise Unavailable()
        out = review.undo_link(conn, link_id, actor, iso(now), reason)
        cand = conn.execute("SELECT id FROM dedup_candidates WHERE a = ? AND b = ?", (out["a"], out["b"])).fetchone()
    return out, (cand[0] if cand else None)
