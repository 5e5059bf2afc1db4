"""Online backup with SQLite's backup API: a consistent copy while the server runs.

The copy is taken in one step inside a read transaction (WAL: writers are not
blocked), written to ``DEST.partial``, checked with ``PRAGMA quick_check``,
switched to a single-file journal mode, then renamed to DEST.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any


class BackupError(RuntimeError):
    pass


def backup_database(src: str | Path, dest: str | Path, busy_timeout_ms: int = 30000) -> dict[str, Any]:
    src, dest = Path(src), Path(dest)
    if not src.is_file():
        raise BackupError(f"database not found: {src}")
    if dest.exists() and dest.is_dir():
        dest = dest / f"{src.stem}-backup.db"
    if dest.resolve() == src.resolve():
        raise BackupError("destination is the database itself")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    if partial.exists():
        partial.unlink()
    source = sqlite3.connect(str(src), timeout=busy_timeout_ms / 1000)
    target = sqlite3.connect(str(partial))
    try:
        source.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        source.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode = DELETE")
        check = target.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"backup failed its integrity check: {check}")
        counts = {t: target.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
                  for t in ("households", "submissions", "changes") if _has_table(target, t)}
    finally:
        target.close()
        source.close()
    os.replace(partial, dest)
    return {"path": str(dest), "bytes": dest.stat().st_size, "counts": counts}


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None
