"""The blocking index without its by-record index (migration 9): a record's keys are removed by the
list in its stored features, through the primary key, never by scanning the table."""
from __future__ import annotations

import sqlite3

from server.db import open_database
from server.dedup import make_record
from server.dedup.evalset import generate
from server.dedup.schema import apply_schema
from server.dedup.store import DELETE_KEYS_SQL, remove_record, upsert_record

NOW = "2026-10-01T00:00:00.000+00:00"


def _keys(conn, rid):
    return {r[0] for r in conn.execute("SELECT key FROM dedup_keys WHERE record_id = ?", (rid,))}


def test_an_update_replaces_exactly_the_records_keys_and_a_removal_leaves_none():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    apply_schema(conn)
    docs = generate(40, seed=3).records
    for doc in docs:
        upsert_record(conn, make_record(doc), NOW)
    first = make_record(docs[0])
    other = next(d for d in docs[1:] if not make_record(d).keys & first.keys)   # another household
    second = make_record(other, rid=first.rid)
    assert first.keys and second.keys and not first.keys & second.keys
    before_others = conn.execute("SELECT COUNT(*) FROM dedup_keys WHERE record_id != ?", (first.rid,)).fetchone()[0]
    assert _keys(conn, first.rid) == set(first.keys)
    upsert_record(conn, second, NOW)                 # the household's next revision: another document
    assert _keys(conn, first.rid) == set(second.keys)
    remove_record(conn, first.rid)
    assert _keys(conn, first.rid) == set()
    assert conn.execute("SELECT COUNT(*) FROM dedup_keys WHERE record_id != ?",
                        (first.rid,)).fetchone()[0] == before_others       # nobody else's keys touched


def test_removing_keys_uses_the_primary_key_not_a_scan():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    apply_schema(conn)
    plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + DELETE_KEYS_SQL, ("x",)))
    assert "dedup_keys USING PRIMARY KEY" in plan and "SCAN dedup_keys" not in plan, plan


def test_migration_9_drops_the_by_record_index(tmp_path):
    db = open_database(tmp_path / "m.db")
    names = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "dedup_keys_record" not in names
    # a database from before: the index is there and migration 9 not applied
    db.conn.execute("CREATE INDEX dedup_keys_record ON dedup_keys (record_id)")
    db.conn.execute("DELETE FROM schema_migrations WHERE version = 9")
    db.close()
    db = open_database(tmp_path / "m.db")
    names = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "dedup_keys_record" not in names
    assert db.value("SELECT MAX(version) FROM schema_migrations") >= 9
    db.close()
