-- Migration 3: process. Community meeting, public posting, complaints, recognition decision, status history.
-- Frozen on 2026-12-04 from the feature's schema module as it stood then. Never edit this file:
-- a later change to the schema is a new migration.

CREATE TABLE IF NOT EXISTS process_settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_by INTEGER REFERENCES users(id),
        updated_at TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS community_meetings (
        id INTEGER PRIMARY KEY,
        round INTEGER NOT NULL,
        group_id INTEGER NOT NULL REFERENCES area_groups(id),
        standard_id TEXT NOT NULL,
        held_on TEXT NOT NULL,
        location TEXT NOT NULL DEFAULT '',
        chair_name TEXT NOT NULL DEFAULT '',
        front_representative TEXT NOT NULL DEFAULT '',
        secretary_name TEXT NOT NULL DEFAULT '',
        attendees INTEGER CHECK (attendees IS NULL OR attendees > 0),
        notes TEXT NOT NULL DEFAULT '',
        created_by INTEGER REFERENCES users(id),
        created_at TEXT NOT NULL,
        closed_at TEXT);

CREATE INDEX IF NOT EXISTS community_meetings_group ON community_meetings (round, standard_id, group_id);

CREATE TABLE IF NOT EXISTS meeting_items (
        id INTEGER PRIMARY KEY,
        meeting_id INTEGER NOT NULL REFERENCES community_meetings(id),
        household_id TEXT NOT NULL REFERENCES households(household_id),
        submission_id TEXT NOT NULL,
        category TEXT NOT NULL CHECK (category IN ('new_poor', 'new_near_poor', 'escaping')),
        movement TEXT NOT NULL,
        previous_status TEXT,
        proposed_class TEXT NOT NULL,
        head_name TEXT,
        attendees INTEGER,
        agree INTEGER,
        outcome TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'stands', 're_review')),
        return_id INTEGER REFERENCES returns(id),
        voted_at TEXT,
        voted_by INTEGER REFERENCES users(id),
        CHECK (agree IS NULL OR (agree >= 0 AND agree <= attendees)),
        UNIQUE (meeting_id, household_id));

CREATE INDEX IF NOT EXISTS meeting_items_household ON meeting_items (household_id, outcome);

CREATE TABLE IF NOT EXISTS postings (
        id INTEGER PRIMARY KEY,
        round INTEGER NOT NULL,
        standard_id TEXT NOT NULL,
        group_id INTEGER REFERENCES area_groups(id),
        place TEXT NOT NULL,
        posted_on TEXT NOT NULL,
        ends_on TEXT NOT NULL,
        working_days INTEGER NOT NULL,
        created_by INTEGER REFERENCES users(id),
        created_at TEXT NOT NULL);

CREATE INDEX IF NOT EXISTS postings_round ON postings (round, standard_id, group_id);

CREATE TABLE IF NOT EXISTS posting_items (
        posting_id INTEGER NOT NULL REFERENCES postings(id),
        seq INTEGER NOT NULL,
        household_id TEXT NOT NULL,
        list TEXT NOT NULL,
        movement TEXT,
        group_code TEXT NOT NULL,
        head_name TEXT,
        address TEXT,
        persons INTEGER,
        PRIMARY KEY (posting_id, seq)) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS complaints (
        id INTEGER PRIMARY KEY,
        round INTEGER NOT NULL,
        household_id TEXT NOT NULL REFERENCES households(household_id),
        posting_id INTEGER REFERENCES postings(id),
        received_on TEXT NOT NULL,
        complainant TEXT NOT NULL,
        content TEXT NOT NULL,
        outcome TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'confirmed', 'changed', 'withdrawn')),
        outcome_note TEXT,
        rechecked_on TEXT,
        return_id INTEGER REFERENCES returns(id),
        created_by INTEGER REFERENCES users(id),
        created_at TEXT NOT NULL,
        resolved_by INTEGER REFERENCES users(id),
        resolved_at TEXT);

CREATE INDEX IF NOT EXISTS complaints_household ON complaints (household_id, round);

CREATE INDEX IF NOT EXISTS complaints_round ON complaints (round, outcome);

CREATE TABLE IF NOT EXISTS recognition_decisions (
        id INTEGER PRIMARY KEY,
        ward_id INTEGER NOT NULL REFERENCES wards(id),
        round INTEGER NOT NULL,
        standard_id TEXT NOT NULL,
        number TEXT NOT NULL,
        decision_date TEXT NOT NULL,
        signer_name TEXT NOT NULL,
        signer_title TEXT NOT NULL,
        counts TEXT NOT NULL DEFAULT '{}',
        created_by INTEGER REFERENCES users(id),
        created_at TEXT NOT NULL,
        UNIQUE (ward_id, round, standard_id),
        UNIQUE (ward_id, number));

CREATE TABLE IF NOT EXISTS decision_households (
        decision_id INTEGER NOT NULL REFERENCES recognition_decisions(id),
        household_id TEXT NOT NULL REFERENCES households(household_id),
        list TEXT NOT NULL CHECK (list IN ('poor', 'near_poor', 'escaped_poverty', 'escaped_near_poverty')),
        movement TEXT NOT NULL,
        previous_status TEXT,
        submission_id TEXT NOT NULL,
        group_id INTEGER NOT NULL REFERENCES area_groups(id),
        snapshot TEXT NOT NULL,
        PRIMARY KEY (decision_id, household_id));

CREATE INDEX IF NOT EXISTS decision_households_list ON decision_households (decision_id, list, group_id);

CREATE TABLE IF NOT EXISTS household_status_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        household_id TEXT NOT NULL REFERENCES households(household_id),
        standard_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('poor', 'near_poor', 'escaped_poverty', 'escaped_near_poverty',
                                               'other')),
        previous_status TEXT,
        decision_date TEXT NOT NULL,
        round INTEGER,
        decision_id INTEGER REFERENCES recognition_decisions(id),
        decision_number TEXT,
        source TEXT NOT NULL CHECK (source IN ('recognition', 'register', 'regular_review', 'office')),
        note TEXT,
        recorded_by INTEGER REFERENCES users(id),
        recorded_at TEXT NOT NULL);

CREATE INDEX IF NOT EXISTS household_status_history_key
        ON household_status_history (household_id, standard_id, decision_date, id);

CREATE INDEX IF NOT EXISTS household_status_history_standard
        ON household_status_history (standard_id, household_id);
