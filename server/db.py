"""The SQLite database: connections, the one write path, migrations.

- One connection per thread (``check_same_thread=False`` so a connection can
  be closed from the shutdown thread), autocommit mode, WAL, foreign keys on.
- Every write goes through ``Database.write()``: a process-wide lock plus
  ``BEGIN IMMEDIATE`` (a deferred transaction that later upgrades to a write
  fails under concurrent uploads), committed or rolled back as a whole.
  Other processes (a second server, ``rasoat backup``) wait ``busy_timeout``.
- Reads use the thread's connection directly; ``Database.snapshot()`` gives a
  consistent multi-statement read.
- Migrations are numbered functions in ``server.migrations``.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import sqlite_utils

from .migrations import migrate as run_migrations

# A server's connections (background_checkpoints=True) raise SQLite's autocheckpoint threshold to this
# (a safety net, reached only when server.checkpoint's thread falls behind) and cap the WAL it keeps.
AUTOCHECKPOINT_PAGES = 10_000        # 40 MB of 4 kB pages
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024

log = logging.getLogger("rasoat.db")


def is_disk_full(exc: BaseException | None) -> bool:
    """True when ``exc`` (or an exception it was raised from or while handling) is SQLite's SQLITE_FULL."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, sqlite3.Error) and (getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
                                               or "database or disk is full" in str(exc)):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


class Database:
    def __init__(self, path: str | Path, busy_timeout_ms: int = 30000, wal_autocheckpoint: int | None = None,
                 journal_size_limit: int = -1, max_mb: int = 0):
        self.path = str(path)
        # A cap on the database file (MB; 0: none). Reaching it is a full disk as SQLite sees it
        # (SQLITE_FULL): the same refusal, the same recovery once the cap is raised.
        self.max_mb = max_mb
        # None: SQLite's default (a checkpoint at the commit passing 1,000 WAL pages). A server raises it
        # and checkpoints in the background instead (server.checkpoint).
        self.wal_autocheckpoint = wal_autocheckpoint
        self.journal_size_limit = journal_size_limit
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._lock = threading.RLock()
        # Set while no write transaction of this process holds the lock (see ``yield_to_writer``).
        self._write_idle = threading.Event()
        self._write_idle.set()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._closed = False
        self._lock_file = self._open_lock_file()
        # Set when a write or a checkpoint found the disk full: the next commit then checkpoints and
        # truncates the WAL itself (see ``_reset_wal``).
        self._disk_was_full = False

    def _open_lock_file(self):
        """A sidecar ``<db>.writelock`` file locked with flock() around every write transaction.

        Several server processes (``--workers``) then queue for the write lock in the
        kernel and wake at once, instead of polling in SQLite's busy handler (which
        sleeps up to 100 ms between tries). Without fcntl (Windows) busy_timeout alone is used.
        """
        try:
            import fcntl  # noqa: F401
        except ImportError:
            return None
        if self.path == ":memory:":
            return None
        return open(self.path + ".writelock", "a+b")

    # --- connections -----------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=self.busy_timeout_ms / 1000)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        if self.wal_autocheckpoint is not None:     # a server: checkpoints run in the background
            conn.execute(f"PRAGMA wal_autocheckpoint = {int(self.wal_autocheckpoint)}")
            conn.execute(f"PRAGMA journal_size_limit = {int(self.journal_size_limit)}")
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            sqlite_utils.Database(conn).enable_wal()
        if self.max_mb > 0:
            page = conn.execute("PRAGMA page_size").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {int(self.max_mb * 2 ** 20 // page)}")
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise RuntimeError("database is closed")
            conn = self._open()
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def utils(self) -> sqlite_utils.Database:
        """sqlite-utils view of this thread's connection, for reads and introspection only.

        Do not use its write helpers inside ``write()``: they commit on their own.
        """
        return sqlite_utils.Database(self.conn)

    def close(self) -> None:
        self._closed = True
        with self._conns_lock:
            for c in self._conns:
                try:
                    c.close()
                except sqlite3.Error:
                    pass
            self._conns.clear()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    # --- transactions ----------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE). Nested calls join the outer one."""
        conn = self.conn
        mode = getattr(self._local, "mode", None)
        if mode == "write":
            yield conn
            return
        if mode == "read":
            raise RuntimeError("write() inside snapshot(): start the write transaction first")
        with self._lock, self._process_lock():
            conn.execute("BEGIN IMMEDIATE")
            self._local.mode = "write"
            self._write_idle.clear()
            try:
                yield conn
            except BaseException as exc:
                if is_disk_full(exc):
                    self._disk_was_full = True
                if conn.in_transaction:     # SQLite may have rolled back already (SQLITE_FULL): keep the cause
                    conn.execute("ROLLBACK")
                raise
            else:
                try:
                    conn.execute("COMMIT")
                except BaseException as exc:
                    if is_disk_full(exc):
                        self._disk_was_full = True
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                if self._disk_was_full:
                    self._reset_wal(conn)
            finally:
                self._local.mode = None
                self._write_idle.set()

    def note_disk_full(self) -> None:
        """A checkpoint (``server.checkpoint``) found the disk full."""
        self._disk_was_full = True

    def _reset_wal(self, conn: sqlite3.Connection, wait_ms: int = 200) -> None:
        """The first commit after the disk was full: checkpoint and truncate the WAL now, in the write lock.

        While the disk is full no checkpoint can copy the WAL into the database file (the file cannot
        grow), so the WAL only grows, and a WAL file keeps its size when reused: it would keep the
        space it took. Freed space must first go to this checkpoint, before the next pushes refill the
        disk (the background checkpointer may wait 0.5 s; SQLite's own checkpoint at commit did this
        before ``server.checkpoint`` raised its threshold). Readers are waited for ``wait_ms`` at most."""
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.Error as exc:            # still full: the next commit tries again
            log.warning("WAL reset after a full disk failed: %s", exc)
            return
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        if not busy:
            self._disk_was_full = False
            log.info("WAL checkpointed and truncated after a full disk")

    def yield_to_writer(self, timeout: float = 1.0) -> None:
        """Wait (at most ``timeout`` s) while a write transaction of this process holds the write lock.

        CPU-bound threads (a push being validated) call it between records. Every SQLite call releases
        the GIL, and a busy thread then keeps it for the whole switch interval (5 ms): the writer would
        wait that long after each statement and hold the write lock for all the other processes several
        times longer (measured: 1.75 → 0.67 ms per stored submission)."""
        if getattr(self._local, "mode", None) != "write":    # a reader may wait: it blocks no writer (WAL)
            self._write_idle.wait(timeout)

    @contextmanager
    def _process_lock(self) -> Iterator[None]:
        if self._lock_file is None:
            yield
            return
        import fcntl

        fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every statement inside sees the same state."""
        conn = self.conn
        if getattr(self._local, "mode", None):
            yield conn
            return
        conn.execute("BEGIN")
        self._local.mode = "read"
        try:
            yield conn
        finally:
            self._local.mode = None
            conn.execute("COMMIT")

    # --- small helpers ---------------------------------------------------------------------
    def one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def value(self, sql: str, params: Any = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]


def open_database(path: str | Path, busy_timeout_ms: int = 30000, migrate: bool = True,
                  background_checkpoints: bool = False, max_mb: int = 0) -> Database:
    """Open (creating if needed) and bring the schema up to date. ``background_checkpoints``: the
    caller runs a ``server.checkpoint.Checkpointer``; commits then rarely checkpoint themselves."""
    if background_checkpoints:
        db = Database(path, busy_timeout_ms, AUTOCHECKPOINT_PAGES, JOURNAL_SIZE_LIMIT, max_mb=max_mb)
    else:
        db = Database(path, busy_timeout_ms, max_mb=max_mb)
    if migrate:
        run_migrations(db)
    return db
