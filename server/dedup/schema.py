"""The dedup tables, for a use of the engine outside the ward database (tests, a library): the
same statements as migrations 5 and 8 (``server/migrations_sql``), idempotent (IF NOT EXISTS), run
one by one inside the caller's transaction.

* ``dedup_records``    — one row per household: its comparable features (and
  a small summary of raw values for the reviewer), the round and ward.
* ``dedup_keys``       — the blocking index: (key, record_id). A record's keys are removed by the
  list in its features (``store.DELETE_KEYS_SQL``); there is no index on record_id (migration 9).
* ``dedup_models``     — fitted Fellegi–Sunter models; the newest is used.
* ``dedup_candidates`` — scored pairs (a < b) in the auto or review band;
  ``status``: open (in the queue), linked, decided, dismissed.
* ``dedup_decisions``  — every human decision, append-only; the newest per pair
  is in force. same = must-link; different / split = cannot-link; unsure.
* ``dedup_links``      — merges: a household is the connected component of its
  active links. Undo sets ``undone_at``; rows are never deleted.
* ``dedup_audit``      — who did what when, append-only.
* ``dedup_pending``    — households a committed push indexed but has not matched yet (the match runs
  right after the commit, outside the write lock; a crash in between leaves the row, and the
  server matches it at its next start). Migration 8.
"""
from __future__ import annotations

import sqlite3

from ..migrations import sql_statements

# The tables as the ward database has them: the frozen SQL of migrations 5 and 8 (one source; a
# later change to these tables is a new migration, and this module runs that too).
STATEMENTS = tuple(sql_statements("0005_dedup.sql"))
PENDING_STATEMENT = sql_statements("0008_dedup_pending.sql")[0]


def apply_pending_schema(conn: sqlite3.Connection) -> None:
    conn.execute(PENDING_STATEMENT)


def apply_schema(conn: sqlite3.Connection) -> None:
    """Create the dedup tables and indexes if missing (inside the caller's transaction): an in-memory
    or library use of the engine, with the ward database's own definitions."""
    for sql in STATEMENTS:
        conn.execute(sql)
