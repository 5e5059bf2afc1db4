-- Migration 7: attachments. Attachments: stored files, uploads in progress, per-device daily usage, submission references, submissions held as incomplete (issue 9).
-- Frozen on 2026-12-04 from the feature's schema module as it stood then. Never edit this file:
-- a later change to the schema is a new migration.

CREATE TABLE IF NOT EXISTS attachments (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        device_id TEXT,
        stored_at TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS attachment_uploads (
        sha256 TEXT NOT NULL,
        device_id TEXT NOT NULL,
        size INTEGER NOT NULL,
        received INTEGER NOT NULL DEFAULT 0,
        content_type TEXT NOT NULL,
        household_id TEXT,
        started_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (sha256, device_id));

CREATE TABLE IF NOT EXISTS attachment_usage (
        device_id TEXT NOT NULL,
        day TEXT NOT NULL,
        bytes INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (device_id, day));

CREATE TABLE IF NOT EXISTS attachment_refs (
        submission_id TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        household_id TEXT NOT NULL,
        question TEXT,
        PRIMARY KEY (submission_id, sha256));

CREATE INDEX IF NOT EXISTS attachment_refs_sha ON attachment_refs (sha256);

CREATE INDEX IF NOT EXISTS attachment_refs_household ON attachment_refs (household_id);

CREATE TABLE IF NOT EXISTS incomplete_submissions (
        submission_id TEXT PRIMARY KEY,
        household_id TEXT NOT NULL,
        missing TEXT NOT NULL,
        held_at TEXT NOT NULL,
        completed_at TEXT);

CREATE INDEX IF NOT EXISTS incomplete_open ON incomplete_submissions (household_id) WHERE completed_at IS NULL;
