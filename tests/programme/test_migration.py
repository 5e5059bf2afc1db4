"""Migration 14 on a database that has lived: users rebuilt with the partner role, every row, index and
reference kept."""
from __future__ import annotations

import sqlite3

import pytest

from server import migrations
from server.db import open_database


def _rows(conn, table):
    return [tuple(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1")]


def test_migration_14_keeps_every_user_session_and_reference(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    before_14 = tuple(m for m in migrations.MIGRATIONS if m[0] < 14)
    monkeypatch.setattr(migrations, "MIGRATIONS", before_14)
    db = open_database(path)
    with db.write() as conn:
        for i, role in enumerate(("admin", "officer", "viewer"), 1):
            conn.execute("INSERT INTO users (username, full_name, role, password_hash, created_at) VALUES (?, ?, ?, 'h', 't')",
                         (f"u{i}", f"User {i}", role))
        conn.execute("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ('tok', 2, 't', 'z')")
        conn.execute("INSERT INTO audit_log (at, actor_type, actor_id, action) VALUES ('t', 'user', '2', 'x')")
        conn.execute("CREATE INDEX users_by_name ON users (full_name)")      # an index another feature might add
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO users (username, full_name, role, password_hash, created_at) "
                         "VALUES ('p', 'P', 'partner', 'h', 't')")
    users, sessions = _rows(db.conn, "users"), _rows(db.conn, "sessions")
    db.close()
    monkeypatch.undo()
    db = open_database(path)                         # applies 14
    conn = db.conn
    assert conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] >= 14
    assert _rows(conn, "users") == users and _rows(conn, "sessions") == sessions
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert "REFERENCES users(id)" in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'sessions'").fetchone()[0]
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'users'")}
    assert {"users", "users_by_name", "sqlite_autoindex_users_1"} <= names
    assert conn.execute("SELECT name FROM sqlite_temp_master").fetchall() == []
    with db.write() as w:
        w.execute("INSERT INTO users (username, full_name, role, password_hash, created_at) VALUES ('p', 'P', 'partner', 'h', 't')")
        with pytest.raises(sqlite3.IntegrityError):
            w.execute("INSERT INTO users (username, full_name, role, password_hash, created_at) "
                      "VALUES ('q', 'Q', 'boss', 'h', 't')")
        with pytest.raises(sqlite3.IntegrityError):                    # the foreign keys still hold
            w.execute("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ('tok2', 99, 't', 'z')")
    db.close()
