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

from .services.attachments import file_path, sha256_file


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


def attachments_dest(db_backup: str | Path) -> Path:
    """Where the photos of a database backup go: ``rasoat-2025-12-10.db`` → ``rasoat-2025-12-10.attachments/``."""
    db_backup = Path(db_backup)
    return db_backup.with_name(db_backup.stem + ".attachments")


def backup_attachments(db_backup: str | Path, src_root: str | Path, dest_root: str | Path | None = None) -> dict[str, Any]:
    """Copy every attachment the backed-up database names, verifying each copy's SHA-256.

    Run after ``backup_database``: the list of files comes from the backup itself (a file is on disk
    before its row is written, so every listed file exists). Files already in the destination with
    the right hash are kept (an evening backup copies only the day's new photos); a copy whose hash
    is wrong is replaced. A source file that is missing or damaged is reported, never copied.
    """
    db_backup, src_root = Path(db_backup), Path(src_root)
    dest_root = Path(dest_root) if dest_root else attachments_dest(db_backup)
    conn = sqlite3.connect(f"file:{db_backup}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT sha256, size FROM attachments ORDER BY sha256").fetchall() \
            if _has_table(conn, "attachments") else []
    finally:
        conn.close()
    out: dict[str, Any] = {"path": str(dest_root), "files": len(rows), "copied": 0, "verified": 0, "bytes": 0,
                           "problems": []}
    for sha, size in rows:
        dest = file_path(dest_root, sha)
        if dest.is_file() and dest.stat().st_size == size and sha256_file(dest) == sha:
            out["verified"] += 1
            continue
        src = file_path(src_root, sha)
        if not src.is_file():
            out["problems"].append({"sha256": sha, "problem": "missing on the server"})
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".partial")
        with open(src, "rb") as fi, open(tmp, "wb") as fo:
            for block in iter(lambda: fi.read(1 << 20), b""):
                fo.write(block)
            fo.flush()
            os.fsync(fo.fileno())
        if sha256_file(tmp) != sha:
            tmp.unlink(missing_ok=True)
            out["problems"].append({"sha256": sha, "problem": "damaged on the server (hash differs)"})
            continue
        os.replace(tmp, dest)
        out["copied"] += 1
        out["verified"] += 1
        out["bytes"] += size
    return out
