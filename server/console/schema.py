"""The console's tables and indexes (one numbered migration in server.migrations calls ``apply``).

* ``households.search_key`` — folded (shared.identity.fold) head name, member names, address and
  phone, for search without diacritics. SQLite cannot fold Vietnamese itself, and the rows are
  written by the ingest path, so a trigger only *clears* the key when a household's revision changes
  (``search_key = NULL``; new rows start NULL); the console folds the cleared rows in Python before it searches
  (``search.refresh``), in bounded batches. A partial index finds the cleared rows at once.
* ``login_attempts`` — every console login attempt (lock-out per username and per IP).
* ``review_decisions`` — an officer's acceptance of a household's submission (append-only).
* ``conflict_resolutions`` — how each conflicting submission was resolved (keep server, take
  device, merge), with the office revision it produced; one row per conflicting submission.
* ``console_class_counts`` — households per (group, standard, class), kept by triggers on
  ``households`` (insert, update of classes/group, delete), so the dashboard never scans 100,000
  JSON documents (a json_each aggregate took 250 ms there). Backfilled when the migration runs.
* Indexes for the dashboard and the household list at 100,000 households.
"""
from __future__ import annotations

import sqlite3

STATEMENTS = (
    "ALTER TABLE households ADD COLUMN search_key TEXT",
    """CREATE TRIGGER households_search_key_update AFTER UPDATE OF submission_id, head_name ON households
       WHEN NEW.search_key IS NOT NULL AND NEW.search_key IS OLD.search_key
       BEGIN UPDATE households SET search_key = NULL WHERE household_id = NEW.household_id; END""",
    "CREATE INDEX households_search_pending ON households (household_id) WHERE search_key IS NULL",
    "CREATE INDEX households_console_order ON households (group_id, search_key, household_id)",
    "CREATE INDEX households_status ON households (status, group_id)",
    "CREATE INDEX households_progress ON households (group_id, status, needs_review)",   # covering, dashboard
    "CREATE INDEX submissions_collaborator ON submissions (collaborator_id, household_id) "
    "WHERE collaborator_id IS NOT NULL AND status = 'accepted'",
    """CREATE TABLE login_attempts (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        username TEXT NOT NULL COLLATE NOCASE,
        ip TEXT NOT NULL,
        ok INTEGER NOT NULL)""",
    "CREATE INDEX login_attempts_user ON login_attempts (username, at)",
    "CREATE INDEX login_attempts_ip ON login_attempts (ip, at)",
    """CREATE TABLE review_decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        household_id TEXT NOT NULL REFERENCES households(household_id),
        submission_id TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('accepted')),
        note TEXT NOT NULL DEFAULT '',
        decided_by INTEGER NOT NULL REFERENCES users(id),
        decided_at TEXT NOT NULL)""",
    "CREATE INDEX review_decisions_submission ON review_decisions (submission_id)",
    "CREATE INDEX review_decisions_household ON review_decisions (household_id, id)",
    """CREATE TABLE conflict_resolutions (
        submission_id TEXT PRIMARY KEY,
        household_id TEXT NOT NULL,
        resolution TEXT NOT NULL CHECK (resolution IN ('keep_server', 'take_device', 'merge')),
        result_submission_id TEXT,
        details TEXT NOT NULL DEFAULT '{}',
        resolved_by INTEGER NOT NULL REFERENCES users(id),
        resolved_at TEXT NOT NULL)""",
    "CREATE INDEX conflict_resolutions_household ON conflict_resolutions (household_id)",
    """CREATE TABLE console_class_counts (
        group_id INTEGER NOT NULL,
        standard_id TEXT NOT NULL,
        class TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (group_id, standard_id, class)) WITHOUT ROWID""",
    # "WHERE true" resolves SQLite's parsing ambiguity between a join's ON and the upsert's ON CONFLICT.
    """CREATE TRIGGER households_class_counts_insert AFTER INSERT ON households BEGIN
        INSERT INTO console_class_counts (group_id, standard_id, class, n)
            SELECT NEW.group_id, key, value, 1 FROM json_each(NEW.classes) WHERE true
            ON CONFLICT (group_id, standard_id, class) DO UPDATE SET n = n + 1;
       END""",
    """CREATE TRIGGER households_class_counts_update AFTER UPDATE OF classes, group_id ON households BEGIN
        UPDATE console_class_counts SET n = n - 1 WHERE group_id = OLD.group_id
            AND (standard_id, class) IN (SELECT key, value FROM json_each(OLD.classes));
        INSERT INTO console_class_counts (group_id, standard_id, class, n)
            SELECT NEW.group_id, key, value, 1 FROM json_each(NEW.classes) WHERE true
            ON CONFLICT (group_id, standard_id, class) DO UPDATE SET n = n + 1;
       END""",
    """CREATE TRIGGER households_class_counts_delete AFTER DELETE ON households BEGIN
        UPDATE console_class_counts SET n = n - 1 WHERE group_id = OLD.group_id
            AND (standard_id, class) IN (SELECT key, value FROM json_each(OLD.classes));
       END""",
    """INSERT INTO console_class_counts (group_id, standard_id, class, n)
        SELECT h.group_id, je.key, je.value, COUNT(*) FROM households h, json_each(h.classes) je
        GROUP BY h.group_id, je.key, je.value""",
)


def apply(conn: sqlite3.Connection) -> None:
    for sql in STATEMENTS:
        conn.execute(sql)
