-- Migration 6: cycle. Review rounds, submission rounds/lifecycle, confirmations, credit records (issue 7).
-- Frozen on 2026-12-04 from the feature's schema module as it stood then. Never edit this file:
-- a later change to the schema is a new migration.

CREATE TABLE review_rounds (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('periodic', 'regular')),
        year INTEGER NOT NULL,
        month INTEGER CHECK (month IS NULL OR month BETWEEN 1 AND 12),
        starts_on TEXT NOT NULL,
        ends_on TEXT NOT NULL,
        standards TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
        note TEXT NOT NULL DEFAULT '',
        opened_at TEXT NOT NULL,
        opened_by INTEGER REFERENCES users(id),
        closed_at TEXT,
        closed_by INTEGER REFERENCES users(id),
        CHECK ((kind = 'periodic' AND month IS NULL) OR (kind = 'regular' AND month IS NOT NULL)));

CREATE UNIQUE INDEX review_rounds_unique ON review_rounds (kind, year, COALESCE(month, 0));

CREATE UNIQUE INDEX review_rounds_one_open ON review_rounds (status) WHERE status = 'open';

CREATE TABLE submission_rounds (
        submission_id TEXT PRIMARY KEY REFERENCES submissions(submission_id),
        household_id TEXT NOT NULL,
        round_id INTEGER REFERENCES review_rounds(id),
        round_year INTEGER NOT NULL,
        lifecycle_event TEXT,
        related_household_id TEXT,
        preloaded_from TEXT);

CREATE INDEX submission_rounds_household ON submission_rounds (household_id);

CREATE INDEX submission_rounds_round ON submission_rounds (round_id);

CREATE INDEX submission_rounds_related ON submission_rounds (related_household_id) WHERE related_household_id IS NOT NULL;

CREATE TABLE household_confirmations (
        submission_id TEXT NOT NULL REFERENCES submissions(submission_id),
        household_id TEXT NOT NULL,
        section TEXT NOT NULL,
        value TEXT NOT NULL CHECK (value IN ('unchanged', 'changed')),
        round_id INTEGER REFERENCES review_rounds(id),
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (submission_id, section));

CREATE INDEX household_confirmations_household ON household_confirmations (household_id, section);

CREATE TABLE credit_records (
        id INTEGER PRIMARY KEY,
        household_id TEXT NOT NULL REFERENCES households(household_id),
        requested_on TEXT NOT NULL,
        received_on TEXT,
        amount INTEGER,
        note TEXT NOT NULL DEFAULT '',
        recorded_by INTEGER REFERENCES users(id),
        recorded_at TEXT NOT NULL);

CREATE INDEX credit_records_household ON credit_records (household_id);
