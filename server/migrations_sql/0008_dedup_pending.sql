-- Migration 8: dedup_pending. Households indexed by a push and matched after its commit, outside the write lock (issue 3).
-- Frozen on 2026-12-04 from the feature's schema module as it stood then. Never edit this file:
-- a later change to the schema is a new migration.

CREATE TABLE IF NOT EXISTS dedup_pending (
        household_id TEXT PRIMARY KEY,
        queued_at TEXT NOT NULL) WITHOUT ROWID;
