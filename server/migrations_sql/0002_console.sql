-- Migration 2: console. Console: folded search key on households, login attempts, review decisions, conflict resolutions.
-- Frozen on 2026-12-04 from the feature's schema module as it stood then. Never edit this file:
-- a later change to the schema is a new migration.

ALTER TABLE households ADD COLUMN search_key TEXT;

CREATE TRIGGER households_search_key_update AFTER UPDATE OF submission_id, head_name ON households
       WHEN NEW.search_key IS NOT NULL AND NEW.search_key IS OLD.search_key
       BEGIN UPDATE households SET search_key = NULL WHERE household_id = NEW.household_id; END;

CREATE INDEX households_search_pending ON households (household_id) WHERE search_key IS NULL;

CREATE INDEX households_console_order ON households (group_id, search_key, household_id);

CREATE INDEX households_status ON households (status, group_id);

CREATE INDEX households_progress ON households (group_id, status, needs_review);

CREATE INDEX submissions_collaborator ON submissions (collaborator_id, household_id) WHERE collaborator_id IS NOT NULL AND status = 'accepted';

CREATE TABLE login_attempts (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        username TEXT NOT NULL COLLATE NOCASE,
        ip TEXT NOT NULL,
        ok INTEGER NOT NULL);

CREATE INDEX login_attempts_user ON login_attempts (username, at);

CREATE INDEX login_attempts_ip ON login_attempts (ip, at);

CREATE TABLE review_decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        household_id TEXT NOT NULL REFERENCES households(household_id),
        submission_id TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('accepted')),
        note TEXT NOT NULL DEFAULT '',
        decided_by INTEGER NOT NULL REFERENCES users(id),
        decided_at TEXT NOT NULL);

CREATE INDEX review_decisions_submission ON review_decisions (submission_id);

CREATE INDEX review_decisions_household ON review_decisions (household_id, id);

CREATE TABLE conflict_resolutions (
        submission_id TEXT PRIMARY KEY,
        household_id TEXT NOT NULL,
        resolution TEXT NOT NULL CHECK (resolution IN ('keep_server', 'take_device', 'merge')),
        result_submission_id TEXT,
        details TEXT NOT NULL DEFAULT '{}',
        resolved_by INTEGER NOT NULL REFERENCES users(id),
        resolved_at TEXT NOT NULL);

CREATE INDEX conflict_resolutions_household ON conflict_resolutions (household_id);

CREATE TABLE console_class_counts (
        group_id INTEGER NOT NULL,
        standard_id TEXT NOT NULL,
        class TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (group_id, standard_id, class)) WITHOUT ROWID;

CREATE TRIGGER households_class_counts_insert AFTER INSERT ON households BEGIN
        INSERT INTO console_class_counts (group_id, standard_id, class, n)
            SELECT NEW.group_id, key, value, 1 FROM json_each(NEW.classes) WHERE true
            ON CONFLICT (group_id, standard_id, class) DO UPDATE SET n = n + 1;
       END;

CREATE TRIGGER households_class_counts_update AFTER UPDATE OF classes, group_id ON households BEGIN
        UPDATE console_class_counts SET n = n - 1 WHERE group_id = OLD.group_id
            AND (standard_id, class) IN (SELECT key, value FROM json_each(OLD.classes));
        INSERT INTO console_class_counts (group_id, standard_id, class, n)
            SELECT NEW.group_id, key, value, 1 FROM json_each(NEW.classes) WHERE true
            ON CONFLICT (group_id, standard_id, class) DO UPDATE SET n = n + 1;
       END;

CREATE TRIGGER households_class_counts_delete AFTER DELETE ON households BEGIN
        UPDATE console_class_counts SET n = n - 1 WHERE group_id = OLD.group_id
            AND (standard_id, class) IN (SELECT key, value FROM json_each(OLD.classes));
       END;

INSERT INTO console_class_counts (group_id, standard_id, class, n)
        SELECT h.group_id, je.key, je.value, COUNT(*) FROM households h, json_each(h.classes) je
        GROUP BY h.group_id, je.key, je.value;
