"""Numbered schema migrations. Append a new function; never edit an applied one. A migration imports
nothing but the database module: it is SQL (inline or frozen in ``migrations_sql/``), never a
feature's code of the day.

Each migration runs inside its own write transaction together with the row
recording it in ``schema_migrations``, so a crash leaves the schema either
before or after it.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:                    # the database module imports this one to migrate on open
    from .db import Database


def m001_initial(conn: sqlite3.Connection) -> None:
    # Statement by statement: executescript() would COMMIT the surrounding transaction.
    for sql in _M001:
        conn.execute(sql)


_M001 = (
    # --- areas --------------------------------------------------------------------------------
    """CREATE TABLE wards (
        id INTEGER PRIMARY KEY,
        province_code TEXT NOT NULL,
        ward_code TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        area_type TEXT NOT NULL CHECK (area_type IN ('urban', 'rural')))""",
    """CREATE TABLE area_groups (
        id INTEGER PRIMARY KEY,
        ward_id INTEGER NOT NULL REFERENCES wards(id),
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        UNIQUE (ward_id, code))""",
    # --- people -------------------------------------------------------------------------------
    """CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        full_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'officer', 'viewer')),
        password_hash TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL)""",
    """CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT)""",
    """CREATE TABLE collaborators (
        id INTEGER PRIMARY KEY,
        full_name TEXT NOT NULL,
        phone TEXT,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL)""",
    """CREATE TABLE assignments (
        collaborator_id INTEGER NOT NULL REFERENCES collaborators(id),
        group_id INTEGER NOT NULL REFERENCES area_groups(id),
        assigned_at TEXT NOT NULL,
        PRIMARY KEY (collaborator_id, group_id))""",
    # --- devices ------------------------------------------------------------------------------
    """CREATE TABLE enrollment_codes (
        id INTEGER PRIMARY KEY,
        code_hash TEXT NOT NULL UNIQUE,
        collaborator_id INTEGER NOT NULL REFERENCES collaborators(id),
        created_by INTEGER REFERENCES users(id),
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        device_id TEXT)""",
    """CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        collaborator_id INTEGER NOT NULL REFERENCES collaborators(id),
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        enrolled_at TEXT NOT NULL,
        last_seen_at TEXT,
        revoked_at TEXT,
        revoked_by INTEGER REFERENCES users(id))""",
    # --- households and their history ---------------------------------------------------------
    """CREATE TABLE households (
        household_id TEXT PRIMARY KEY,
        group_id INTEGER NOT NULL REFERENCES area_groups(id),
        server_revision INTEGER NOT NULL,
        submission_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('preloaded', 'submitted', 'returned')),
        needs_review INTEGER NOT NULL DEFAULT 0,
        head_name TEXT,
        classes TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL)""",
    "CREATE INDEX households_group ON households (group_id, household_id)",
    # Append-only: every revision a device (or a preload) delivered. submission_id is unique
    # forever (the database enforces it), and two accepted revisions of one household cannot
    # share a server_revision.
    """CREATE TABLE submissions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        submission_id TEXT NOT NULL UNIQUE,
        receipt_id TEXT NOT NULL UNIQUE,
        household_id TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('device', 'preload', 'office')),
        device_id TEXT REFERENCES devices(id),
        collaborator_id INTEGER REFERENCES collaborators(id),
        status TEXT NOT NULL CHECK (status IN ('accepted', 'conflict')),
        conflict_reason TEXT,
        revision INTEGER NOT NULL,
        base_revision INTEGER,
        server_revision INTEGER,
        form_version TEXT NOT NULL,
        collected_at TEXT NOT NULL,
        device_time TEXT,
        received_at TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        warnings TEXT NOT NULL DEFAULT '[]',
        body TEXT NOT NULL,
        UNIQUE (household_id, server_revision))""",
    "CREATE INDEX submissions_household ON submissions (household_id, seq)",
    "CREATE INDEX submissions_conflicts ON submissions (status) WHERE status = 'conflict'",
    # A submission_id re-used with a different body: every distinct body kept once.
    """CREATE TABLE submission_conflicts (
        id INTEGER PRIMARY KEY,
        submission_id TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        receipt_id TEXT NOT NULL UNIQUE,
        household_id TEXT,
        device_id TEXT REFERENCES devices(id),
        received_at TEXT NOT NULL,
        body TEXT NOT NULL,
        UNIQUE (submission_id, content_hash))""",
    """CREATE TABLE classifications (
        id INTEGER PRIMARY KEY,
        submission_id TEXT NOT NULL REFERENCES submissions(submission_id),
        household_id TEXT NOT NULL,
        standard_id TEXT NOT NULL,
        class TEXT NOT NULL,
        result TEXT NOT NULL,
        UNIQUE (submission_id, standard_id))""",
    "CREATE INDEX classifications_household ON classifications (household_id)",
    """CREATE TABLE returns (
        id INTEGER PRIMARY KEY,
        household_id TEXT NOT NULL REFERENCES households(household_id),
        submission_id TEXT NOT NULL,
        server_revision INTEGER NOT NULL,
        reason TEXT NOT NULL,
        returned_by INTEGER NOT NULL REFERENCES users(id),
        returned_at TEXT NOT NULL,
        resolved_by TEXT)""",
    "CREATE INDEX returns_household ON returns (household_id)",
    # --- what devices pull --------------------------------------------------------------------
    # group_id NULL: for every device; collaborator_id set: only that collaborator's devices.
    """CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        group_id INTEGER REFERENCES area_groups(id),
        collaborator_id INTEGER REFERENCES collaborators(id),
        entity_id TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL)""",
    "CREATE INDEX changes_group ON changes (group_id, seq)",
    """CREATE TABLE published_versions (
        kind TEXT NOT NULL,
        version_id TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        published_at TEXT NOT NULL,
        PRIMARY KEY (kind, version_id))""",
    # --- who did what when --------------------------------------------------------------------
    """CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor_type TEXT NOT NULL CHECK (actor_type IN ('user', 'device', 'system')),
        actor_id TEXT,
        action TEXT NOT NULL,
        target_type TEXT,
        target_id TEXT,
        details TEXT NOT NULL DEFAULT '{}')""",
)


SQL_DIR = Path(__file__).resolve().parent / "migrations_sql"


def sql_statements(name: str) -> list[str]:
    """The statements of a frozen migration file (``migrations_sql/<name>``), in order. A statement ends
    where SQLite says it is complete, so a trigger's body keeps its own semicolons."""
    out, buf = [], []
    for line in (SQL_DIR / name).read_text(encoding="utf-8").splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buf.append(line)
        text = "\n".join(buf)
        if sqlite3.complete_statement(text):
            out.append(text.strip().removesuffix(";"))
            buf = []
    if buf:
        raise ValueError(f"{name}: an unfinished statement at the end: {buf[0][:60]!r}")
    return out


def _frozen(name: str) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        for sql in sql_statements(name):       # one by one: executescript() would COMMIT
            conn.execute(sql)
    version, rest = name.removesuffix(".sql").split("_", 1)
    run.__name__ = f"m{int(version):03d}_{rest}"
    run.__doc__ = f"Frozen SQL: migrations_sql/{name}."
    return run


# Migrations 2-8 once called the features' apply_schema() of the day, so editing a feature's schema
# edited an applied migration. They are frozen as plain SQL, copied from those modules on 2026-12-04
# (a fresh database gets exactly what it got before: tests/server/test_migrations_frozen.py).
m002_console = _frozen("0002_console.sql")
m003_process = _frozen("0003_process.sql")
m004_report_facts = _frozen("0004_report_facts.sql")
m005_dedup = _frozen("0005_dedup.sql")
m006_cycle = _frozen("0006_cycle.sql")
m007_attachments = _frozen("0007_attachments.sql")
m008_dedup_pending = _frozen("0008_dedup_pending.sql")


def m009_dedup_keys_slim(conn: sqlite3.Connection) -> None:
    """Drop the index of the blocking keys by record: a record's keys are removed by the list in its
    features, through the primary key. The index cost a page write per household and key on every push
    (issue 3)."""
    conn.execute("DROP INDEX IF EXISTS dedup_keys_record")


def m010_low_income_workers(conn: sqlite3.Connection) -> None:
    """Low-income workers (Decree 30/2025/NĐ-CP): requests, each with its identification (issue 16)."""
    conn.execute("""CREATE TABLE low_income_requests (
        id INTEGER PRIMARY KEY,
        household_id TEXT NOT NULL,
        member_id TEXT NOT NULL,
        worker_name TEXT NOT NULL,
        requested_by TEXT NOT NULL CHECK (requested_by IN ('worker', 'household')),
        requested_on TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        outcome TEXT NOT NULL CHECK (outcome IN ('identified', 'not_identified', 'undetermined', 'withdrawn')),
        result TEXT NOT NULL,
        submission_id TEXT,
        created_at TEXT NOT NULL,
        created_by INTEGER,
        updated_at TEXT NOT NULL)""")
    conn.execute("CREATE INDEX low_income_requests_household ON low_income_requests (household_id)")
    conn.execute("CREATE INDEX low_income_requests_on ON low_income_requests (requested_on)")


def m011_attachment_holders(conn: sqlite3.Connection) -> None:
    """Which devices proved they hold a photo's bytes (uploaded it whole, hash-checked), and why a
    stored file cannot be shown as an image (issue 18). A device reads a photo it holds, or one attached
    to a household of its groups by a party that held it; naming a hash proves nothing."""
    conn.execute("""CREATE TABLE IF NOT EXISTS attachment_holders (
        sha256 TEXT NOT NULL,
        device_id TEXT NOT NULL,
        since TEXT NOT NULL,
        PRIMARY KEY (sha256, device_id))""")
    conn.execute("INSERT OR IGNORE INTO attachment_holders (sha256, device_id, since) "
                 "SELECT sha256, device_id, stored_at FROM attachments WHERE device_id IS NOT NULL")
    conn.execute("ALTER TABLE attachments ADD COLUMN image_problem TEXT")
    # A ward user's session is for the API (bearer token) or the console (cookie): 'api' | 'console'.
    # NULL: a session made before (either, as then); they end within the session lifetime (12 h).
    conn.execute("ALTER TABLE sessions ADD COLUMN kind TEXT")


def m012_office(conn: sqlite3.Connection) -> None:
    """The office's process and plan (issue 17): a recognition decision issued over households not
    settled keeps the officer's reason and the list of those households (they kept their status);
    the plan's targets as entered per year and standard, every change a new row (its history)."""
    for sql in (
        "ALTER TABLE recognition_decisions ADD COLUMN override_reason TEXT NOT NULL DEFAULT ''",
        """CREATE TABLE decision_left_out (
            decision_id INTEGER NOT NULL REFERENCES recognition_decisions(id),
            household_id TEXT NOT NULL REFERENCES households(household_id),
            state TEXT NOT NULL,
            register_status TEXT,
            PRIMARY KEY (decision_id, household_id))""",
        """CREATE TABLE plan_targets (
            id INTEGER PRIMARY KEY,
            year INTEGER NOT NULL,
            standard_id TEXT NOT NULL,
            target TEXT NOT NULL,
            value REAL NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            set_by INTEGER REFERENCES users(id),
            set_at TEXT NOT NULL)""",
        "CREATE INDEX plan_targets_key ON plan_targets (year, standard_id, target, id)",
    ):
        conn.execute(sql)


USERS_ROLE_CHECK_OLD = "CHECK (role IN ('admin', 'officer', 'viewer'))"
USERS_ROLE_CHECK_NEW = "CHECK (role IN ('admin', 'officer', 'viewer', 'partner'))"


def m014_programme(conn: sqlite3.Connection) -> None:
    """The ward plan carried out (issue 20): the partner role (users rebuilt with the wider role CHECK,
    every row, index and trigger kept), partner accounts per responsible body, the append-only support
    ledger, needs, the Fund for the Poor and the targets entered per year."""
    # 1. users: a CHECK constraint cannot be altered, so the table is rebuilt from its own stored
    # definition (columns other migrations added are kept), inside this transaction with the foreign
    # keys on: the rows wait in a temporary table while users is dropped and created again; the
    # foreign-key check is deferred to the commit, by when every referenced user is back.
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'").fetchone()[0]
    if USERS_ROLE_CHECK_OLD not in sql:
        raise RuntimeError("migration 14: users.role CHECK is not the expected one; refusing to rebuild")
    extras = [r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE tbl_name = 'users' "
                                         "AND type IN ('index', 'trigger') AND sql IS NOT NULL")]
    before = conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]
    conn.execute("PRAGMA defer_foreign_keys = ON")
    conn.execute("CREATE TEMP TABLE users_m014 AS SELECT * FROM main.users")
    conn.execute("DROP TABLE main.users")
    conn.execute(sql.replace(USERS_ROLE_CHECK_OLD, USERS_ROLE_CHECK_NEW))
    conn.execute("INSERT INTO main.users SELECT * FROM temp.users_m014")
    conn.execute("DROP TABLE temp.users_m014")
    if conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] != before:
        raise RuntimeError("migration 14: users rows lost in the rebuild")
    for extra in extras:
        conn.execute(extra)
    # 2. the programme's own tables
    for statement in _M014:
        conn.execute(statement)


_M014 = (
    # one row per partner account: the responsible body it acts for (and a residential group)
    """CREATE TABLE partner_accounts (
        user_id INTEGER PRIMARY KEY REFERENCES users(id),
        body_id TEXT NOT NULL,
        group_id INTEGER REFERENCES area_groups(id),
        created_by INTEGER REFERENCES users(id),
        created_at TEXT NOT NULL)""",
    "CREATE INDEX partner_accounts_body ON partner_accounts (body_id)",
    """CREATE TABLE fund_campaigns (
        id INTEGER PRIMARY KEY,
        year INTEGER NOT NULL,
        name TEXT NOT NULL,
        starts_on TEXT NOT NULL,
        ends_on TEXT,
        note TEXT NOT NULL DEFAULT '',
        created_by INTEGER REFERENCES users(id),
        created_at TEXT NOT NULL,
        UNIQUE (year, name))""",
    # The support ledger, append-only: a delivery, or a correction / void naming the entry it
    # supersedes (at most one successor per entry). The current ledger is support_current.
    """CREATE TABLE support_entries (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('delivery', 'correction', 'void')),
        supersedes INTEGER UNIQUE REFERENCES support_entries(id),
        root_id INTEGER NOT NULL,
        household_id TEXT NOT NULL REFERENCES households(household_id),
        member_id TEXT,
        person_name TEXT,
        support_type TEXT NOT NULL,
        body_id TEXT NOT NULL,
        plan_section TEXT NOT NULL,
        delivered_on TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity >= 0),
        amount_vnd INTEGER CHECK (amount_vnd IS NULL OR amount_vnd >= 0),
        fund TEXT NOT NULL,
        campaign_id INTEGER REFERENCES fund_campaigns(id),
        evidence_no TEXT NOT NULL DEFAULT '',
        evidence_sha256 TEXT,
        note TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL DEFAULT '',
        recorded_by INTEGER REFERENCES users(id),
        recorded_at TEXT NOT NULL,
        CHECK ((kind = 'delivery') = (supersedes IS NULL)))""",
    "CREATE INDEX support_entries_household ON support_entries (household_id)",
    "CREATE INDEX support_entries_body ON support_entries (body_id, delivered_on)",
    "CREATE INDEX support_entries_day ON support_entries (delivered_on)",
    "CREATE INDEX support_entries_root ON support_entries (root_id)",
    """CREATE TRIGGER support_entries_append_only_u BEFORE UPDATE ON support_entries
        BEGIN SELECT RAISE(ABORT, 'support_entries is append-only: record a correction'); END""",
    """CREATE TRIGGER support_entries_append_only_d BEFORE DELETE ON support_entries
        BEGIN SELECT RAISE(ABORT, 'support_entries is append-only: record a void'); END""",
    """CREATE VIEW support_current AS SELECT e.* FROM support_entries e
        WHERE e.kind != 'void' AND NOT EXISTS (SELECT 1 FROM support_entries n WHERE n.supersedes = e.id)""",
    # Evidence photos of deliveries (files under <data dir>/programme-evidence/, by content hash).
    """CREATE TABLE support_evidence (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        stored_by INTEGER REFERENCES users(id),
        stored_at TEXT NOT NULL)""",
    # Contributions to the Fund for the Poor, append-only like the ledger (corrections and voids).
    """CREATE TABLE fund_entries (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('contribution', 'correction', 'void')),
        supersedes INTEGER UNIQUE REFERENCES fund_entries(id),
        root_id INTEGER NOT NULL,
        campaign_id INTEGER NOT NULL REFERENCES fund_campaigns(id),
        donor_name TEXT NOT NULL,
        donor_kind TEXT NOT NULL CHECK (donor_kind IN ('person', 'organisation', 'business', 'unit')),
        anonymous INTEGER NOT NULL DEFAULT 0,
        amount_vnd INTEGER NOT NULL CHECK (amount_vnd >= 0),
        received_on TEXT NOT NULL,
        receipt_no TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL DEFAULT '',
        recorded_by INTEGER REFERENCES users(id),
        recorded_at TEXT NOT NULL,
        CHECK ((kind = 'contribution') = (supersedes IS NULL)))""",
    "CREATE INDEX fund_entries_campaign ON fund_entries (campaign_id)",
    """CREATE TRIGGER fund_entries_append_only_u BEFORE UPDATE ON fund_entries
        BEGIN SELECT RAISE(ABORT, 'fund_entries is append-only: record a correction'); END""",
    """CREATE TRIGGER fund_entries_append_only_d BEFORE DELETE ON fund_entries
        BEGIN SELECT RAISE(ABORT, 'fund_entries is append-only: record a void'); END""",
    """CREATE VIEW fund_current AS SELECT e.* FROM fund_entries e
        WHERE e.kind != 'void' AND NOT EXISTS (SELECT 1 FROM fund_entries n WHERE n.supersedes = e.id)""",
    # Needs: from the review's answers (source 'review', one per household, type, member and round),
    # noted by a collaborator's tablet, the office or a partner; closed by a delivery or a reason.
    """CREATE TABLE needs (
        id INTEGER PRIMARY KEY,
        client_id TEXT UNIQUE,
        household_id TEXT NOT NULL REFERENCES households(household_id),
        member_id TEXT,
        person_name TEXT,
        need_type TEXT NOT NULL,
        body_id TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('review', 'collaborator', 'office', 'partner')),
        source_ref TEXT NOT NULL DEFAULT '',
        noted_on TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        created_by_type TEXT NOT NULL CHECK (created_by_type IN ('user', 'device', 'system')),
        created_by TEXT,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        closed_on TEXT,
        closed_by INTEGER REFERENCES users(id),
        closed_at TEXT,
        close_delivery_id INTEGER REFERENCES support_entries(id),
        close_reason TEXT,
        close_note TEXT NOT NULL DEFAULT '',
        CHECK ((status = 'open') = (closed_at IS NULL)))""",
    "CREATE INDEX needs_body ON needs (body_id, status)",
    "CREATE INDEX needs_household ON needs (household_id)",
    "CREATE UNIQUE INDEX needs_review_once ON needs (household_id, need_type, COALESCE(member_id, ''), source_ref) "
    "WHERE source = 'review'",
    # Targets entered per year (the latest entry of a target and year counts; earlier ones stay).
    """CREATE TABLE programme_targets (
        id INTEGER PRIMARY KEY,
        year INTEGER NOT NULL,
        target_id TEXT NOT NULL,
        goal REAL NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        entered_by INTEGER REFERENCES users(id),
        entered_at TEXT NOT NULL)""",
    "CREATE INDEX programme_targets_year ON programme_targets (year, target_id, id)",
)


MIGRATIONS: tuple[tuple[int, str, Callable[[sqlite3.Connection], None]], ...] = (
    (1, "initial", m001_initial),
    (2, "console", m002_console),
    (3, "process", m003_process),
    (4, "report_facts", m004_report_facts),
    (5, "dedup", m005_dedup),
    (6, "cycle", m006_cycle),
    (7, "attachments", m007_attachments),
    (8, "dedup_pending", m008_dedup_pending),
    (9, "dedup_keys_slim", m009_dedup_keys_slim),
    (10, "low_income_workers", m010_low_income_workers),
    (11, "attachment_holders", m011_attachment_holders),
    (12, "office", m012_office),
    (14, "programme", m014_programme),
)


def current_version(db: Database) -> int:
    db.conn.execute("""CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)""")
    return db.value("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")


def migrate(db: Database) -> list[int]:
    """Apply every migration not yet applied; returns the versions applied now."""
    applied = []
    current_version(db)
    for version, name, fn in MIGRATIONS:
        with db.write() as conn:
            # Re-read inside the write lock: another process may have migrated meanwhile.
            done = conn.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (version,)).fetchone()
            if done:
                continue
            fn(conn)
            conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                         (version, name, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")))
        applied.append(version)
    return applied
