-- Migration 5: dedup. Dedup: the registry index (blocking keys), candidate pairs, links, decisions, model, audit.
-- Frozen on 2026-12-04 from the feature's schema module as it stood then. Never edit this file:
-- a later change to the schema is a new migration.

CREATE TABLE IF NOT EXISTS dedup_records (
        record_id TEXT PRIMARY KEY,
        round INTEGER,
        ward TEXT NOT NULL DEFAULT '',
        features TEXT NOT NULL,
        updated_at TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS dedup_keys (
        key TEXT NOT NULL,
        record_id TEXT NOT NULL,
        PRIMARY KEY (key, record_id)) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS dedup_models (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        params TEXT NOT NULL,
        fitted_at TEXT NOT NULL,
        fitted_by TEXT,
        records INTEGER NOT NULL DEFAULT 0,
        pairs INTEGER NOT NULL DEFAULT 0);

CREATE TABLE IF NOT EXISTS dedup_candidates (
        id INTEGER PRIMARY KEY,
        a TEXT NOT NULL,
        b TEXT NOT NULL,
        weight REAL NOT NULL,
        probability REAL NOT NULL,
        band TEXT NOT NULL CHECK (band IN ('auto', 'review', 'new')),
        gamma TEXT NOT NULL,
        reasons TEXT NOT NULL DEFAULT '[]',
        priority REAL NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'linked', 'decided', 'dismissed')),
        model_id INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK (a < b),
        UNIQUE (a, b));

CREATE INDEX IF NOT EXISTS dedup_candidates_queue ON dedup_candidates (status, priority, id);

CREATE INDEX IF NOT EXISTS dedup_candidates_b ON dedup_candidates (b);

CREATE TABLE IF NOT EXISTS dedup_decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        a TEXT NOT NULL,
        b TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('same', 'different', 'split', 'unsure')),
        note TEXT NOT NULL DEFAULT '',
        candidate_id INTEGER,
        decided_by TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        CHECK (a < b));

CREATE INDEX IF NOT EXISTS dedup_decisions_pair ON dedup_decisions (a, b, id);

CREATE INDEX IF NOT EXISTS dedup_decisions_b ON dedup_decisions (b);

CREATE TABLE IF NOT EXISTS dedup_links (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        a TEXT NOT NULL,
        b TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('auto', 'human')),
        probability REAL,
        candidate_id INTEGER,
        decision_id INTEGER,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        undone_at TEXT,
        undone_by TEXT,
        undo_reason TEXT,
        CHECK (a < b));

CREATE INDEX IF NOT EXISTS dedup_links_a ON dedup_links (a) WHERE undone_at IS NULL;

CREATE INDEX IF NOT EXISTS dedup_links_b ON dedup_links (b) WHERE undone_at IS NULL;

CREATE INDEX IF NOT EXISTS dedup_links_pair ON dedup_links (a, b);

CREATE TABLE IF NOT EXISTS dedup_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        a TEXT,
        b TEXT,
        details TEXT NOT NULL DEFAULT '{}');
