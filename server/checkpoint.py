"""WAL checkpoints in the background, not inside a write transaction.

SQLite's default moves the WAL back into the database file at the commit that makes it pass 1,000
pages, in the committing connection: inside the write lock, with an fsync. A push of 30 households
writes about that much, so nearly every push paid for a checkpoint while every other push waited
(issue 3, docs/performance.md "Sync ingest").

A server's connections raise the threshold to ``AUTOCHECKPOINT_PAGES`` (a safety net, reached only
if this thread falls behind), and this daemon thread runs ``PRAGMA wal_checkpoint(PASSIVE)`` every
``interval`` seconds. A passive checkpoint takes no write lock: pushes go on while it copies, and it
copies only what no reader still needs. Each server process runs one; two at once simply find one
of them busy. ``journal_size_limit`` truncates a WAL file grown during a long burst once it is reset.
"""
from __future__ import annotations

import logging
import threading

from .db import AUTOCHECKPOINT_PAGES, JOURNAL_SIZE_LIMIT, Database, is_disk_full  # noqa: F401 (re-exported)

log = logging.getLogger("rasoat.checkpoint")

DEFAULT_INTERVAL = 0.5


class Checkpointer:
    """``start()`` / ``stop()``; ``step()`` runs one passive checkpoint and returns
    (busy, frames in the WAL, frames checkpointed), SQLite's answer."""

    def __init__(self, db: Database, interval: float = DEFAULT_INTERVAL):
        self.db = db
        self.interval = interval
        self.checkpoints = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def step(self) -> tuple[int, int, int]:
        row = self.db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.checkpoints += 1
        return int(row[0]), int(row[1]), int(row[2])

    def start(self) -> "Checkpointer":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="rasoat-checkpoint", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.step()
            except Exception as exc:  # the commits' own checkpoint (AUTOCHECKPOINT_PAGES) still bounds the WAL
                if is_disk_full(exc):   # no traceback every 0.5 s; the next commit resets the WAL (db._reset_wal)
                    self.db.note_disk_full()
                    log.warning("background WAL checkpoint: the disk is full")
                else:
                    log.exception("background WAL checkpoint failed")
