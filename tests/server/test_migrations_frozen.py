"""Migrations are frozen: they import nothing but the database module, and migrations 1-8 (2-8 now
plain SQL in server/migrations_sql/) build exactly the database they built before they were frozen,
when 2-8 called the features' schema modules."""
from __future__ import annotations

import ast
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from server import migrations
from server.db import Database

ROOT = Path(__file__).resolve().parents[2]

# sha256 of dump() after migrations 1-8, measured on 2026-12-04 twice on the code of the day: with
# 2-8 calling the features' apply_schema() (before) and with the frozen SQL (after); both gave this.
# The frozen files never change, so neither may this.
SCHEMA_1_TO_8 = "08c17cd1cd101866a4c536c8f54bcd3e7050e6e8913612da827306ca5cfcfcfd"


def dump(path: Path) -> tuple[list[tuple], dict[str, list[tuple]]]:
    """Every table, index and trigger with its SQL, and every row of every table."""
    conn = sqlite3.connect(path)
    try:
        schema = sorted(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                     "WHERE name NOT LIKE 'sqlite_%'").fetchall(), key=repr)
        rows = {}
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                    "AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'"):
            rows[name] = sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
        return schema, rows
    finally:
        conn.close()


def build_up_to(path: Path, last: int) -> None:
    db = Database(path)
    try:
        for version, _name, fn in migrations.MIGRATIONS:
            if version > last:
                break
            with db.write() as conn:
                fn(conn)
    finally:
        db.close()


def test_migrations_1_to_8_build_what_they_built_before_they_were_frozen(tmp_path):
    build_up_to(tmp_path / "db", 8)
    schema, rows = dump(tmp_path / "db")
    assert len(schema) > 50 and "dedup_records" in rows and "complaints" in rows
    assert hashlib.sha256(json.dumps((schema, rows), default=str).encode()).hexdigest() == SCHEMA_1_TO_8


def test_a_trigger_keeps_its_semicolons_and_comments_are_skipped():
    statements = migrations.sql_statements("0002_console.sql")
    trigger = next(s for s in statements if s.startswith("CREATE TRIGGER households_search_key_update"))
    assert trigger.rstrip().endswith("END") and "; END" in trigger
    assert not any(s.lstrip().startswith("--") for s in statements)


def test_a_statement_left_unfinished_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "9999_bad.sql").write_text("-- bad\nCREATE TABLE x (a INTEGER);\nCREATE TABLE y (\n")
    monkeypatch.setattr(migrations, "SQL_DIR", tmp_path)
    with pytest.raises(ValueError, match="unfinished"):
        migrations.sql_statements("9999_bad.sql")


def test_every_frozen_file_is_a_listed_migration():
    listed = {fn.__name__ for _v, _n, fn in migrations.MIGRATIONS}
    for path in migrations.SQL_DIR.glob("*.sql"):
        version, name = path.stem.split("_", 1)
        assert f"m{int(version):03d}_{name}" in listed, path.name


def test_migrations_import_nothing_but_the_database_module():
    tree = ast.parse((ROOT / "server" / "migrations.py").read_text(encoding="utf-8"))
    project = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] in
                                                  ("server", "shared", "mobile")):
            project.append(("." * node.level) + (node.module or ""))
        elif isinstance(node, ast.Import):
            project += [a.name for a in node.names if a.name.split(".")[0] in ("server", "shared", "mobile")]
    assert project == [".db"]
