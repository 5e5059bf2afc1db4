-- Migration 4: report_facts. Narrow per-household facts the reports aggregate (refreshed incrementally).
-- Frozen on 2026-12-04 from the feature's schema module as it stood then. Never edit this file:
-- a later change to the schema is a new migration.

CREATE TABLE IF NOT EXISTS report_facts (
        household_id TEXT PRIMARY KEY REFERENCES households(household_id),
        submission_id TEXT NOT NULL,
        group_id INTEGER NOT NULL,
        persons INTEGER NOT NULL,
        head_name TEXT,
        address TEXT,
        ethnic_minority INTEGER NOT NULL,
        person_of_merit INTEGER NOT NULL,
        no_labour INTEGER NOT NULL,
        farm INTEGER NOT NULL);

CREATE INDEX IF NOT EXISTS report_facts_group ON report_facts (group_id);

CREATE TABLE IF NOT EXISTS report_class_facts (
        standard_id TEXT NOT NULL,
        household_id TEXT NOT NULL,
        class TEXT NOT NULL,
        deprived_mask INTEGER NOT NULL,
        PRIMARY KEY (standard_id, household_id)) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS report_class_facts_household ON report_class_facts (household_id);
