"""Classification results, one row per (submission, standard)."""
from __future__ import annotations

import json
import sqlite3
from typing import Any

from .. import jsontext


def insert_many(conn: sqlite3.Connection, submission_id: str, household_id: str,
                results: list[dict[str, Any]]) -> None:
    conn.executemany("INSERT INTO classifications (submission_id, household_id, standard_id, class, result) "
                     "VALUES (?, ?, ?, ?, ?)",
                     [(submission_id, household_id, r["standard_id"], r["class"],
                       jsontext.dumps(r)) for r in results])


def for_submission(conn: sqlite3.Connection, submission_id: str, full: bool = False) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT standard_id, class, result FROM classifications WHERE submission_id = ? "
                        "ORDER BY standard_id", (submission_id,)).fetchall()
    if full:
        return [json.loads(r["result"]) for r in rows]
    return [{"standard_id": r["standard_id"], "class": r["class"]} for r in rows]
