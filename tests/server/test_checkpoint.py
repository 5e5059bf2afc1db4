"""WAL checkpoints in the background (server/checkpoint.py): a server's commits no longer checkpoint
at 1,000 pages inside the write lock; a passive checkpoint outside it moves the WAL back."""
from __future__ import annotations

import sqlite3
import time

import pytest

from fastapi.testclient import TestClient

from server.app import create_app
from server.checkpoint import AUTOCHECKPOINT_PAGES, JOURNAL_SIZE_LIMIT, Checkpointer
from server.db import open_database


def _fill(db, rows: int) -> None:
    with db.write() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS blob (x BLOB)")
        conn.executemany("INSERT INTO blob VALUES (randomblob(3000))", [()] * rows)


def _pragma(db, name: str) -> int:
    return db.conn.execute(f"PRAGMA {name}").fetchone()[0]


def test_a_plain_database_keeps_sqlites_checkpoint_at_commit(tmp_path):
    db = open_database(tmp_path / "plain.db")
    assert _pragma(db, "wal_autocheckpoint") == 1000
    _fill(db, 1500)
    assert (tmp_path / "plain.db").stat().st_size > 1500 * 3000     # checkpointed by the commit
    db.close()


def test_with_background_checkpoints_a_commit_leaves_the_wal_to_the_checkpointer(tmp_path):
    db = open_database(tmp_path / "bg.db", background_checkpoints=True)
    assert _pragma(db, "wal_autocheckpoint") == AUTOCHECKPOINT_PAGES
    assert _pragma(db, "journal_size_limit") == JOURNAL_SIZE_LIMIT
    _fill(db, 1500)                       # ~1,500 pages: past SQLite's default threshold
    path = tmp_path / "bg.db"
    assert path.stat().st_size < 1_000_000            # the commit did not copy the pages into the file
    busy, frames, done = Checkpointer(db).step()
    assert busy == 0 and frames >= 1500 and done == frames
    assert path.stat().st_size > 1500 * 3000          # the checkpointer did
    assert db.value("SELECT COUNT(*) FROM blob") == 1500
    # the next write starts the WAL again from its beginning
    _fill(db, 10)
    assert Checkpointer(db).step()[1] < 100
    db.close()


def test_a_checkpoint_does_not_wait_for_an_open_reader_or_block_a_writer(tmp_path):
    db = open_database(tmp_path / "rd.db", background_checkpoints=True)
    _fill(db, 200)
    other = open_database(tmp_path / "rd.db", background_checkpoints=True, migrate=False)
    with other.snapshot() as conn:        # a reader holding an old snapshot
        assert conn.execute("SELECT COUNT(*) FROM blob").fetchone()[0] == 200
        _fill(db, 200)                    # a writer is not blocked by it
        busy, frames, done = Checkpointer(db).step()
        assert busy == 0 and done < frames   # what the reader may still need stays in the WAL
    assert Checkpointer(db).step()[2] == Checkpointer(db).step()[1]
    other.close()
    db.close()


def test_the_app_runs_the_checkpointer_and_stops_it(settings, clock):
    app = create_app(settings, clock=clock)
    with TestClient(app):
        cp = app.state.checkpointer
        cp_thread = cp._thread
        assert cp_thread is not None and cp_thread.is_alive()
        _fill(app.state.db, 50)
        deadline = time.monotonic() + 10
        while cp.checkpoints == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert cp.checkpoints > 0
    assert cp._thread is None and not cp_thread.is_alive()


def test_the_first_commit_after_a_full_disk_checkpoints_and_truncates_the_wal(tmp_path):
    """While the disk is full no checkpoint can run and the WAL grows; a reused WAL keeps its size. The
    first commit that succeeds again moves the WAL into the database and truncates it, so the space
    freed goes to the database, not to a WAL that would keep it (harness disk_full fault)."""
    path = tmp_path / "full.db"
    db = open_database(path, background_checkpoints=True)
    _fill(db, 1500)
    wal = tmp_path / "full.db-wal"
    assert wal.stat().st_size > 1500 * 3000                     # nothing checkpointed yet
    pages = _pragma(db, "page_count")
    db.conn.execute(f"PRAGMA max_page_count = {pages}")        # the disk is full
    with pytest.raises(sqlite3.OperationalError, match="full"):
        _fill(db, 2000)
    db.conn.execute("PRAGMA max_page_count = 1073741823")      # space freed
    _fill(db, 1)
    assert wal.stat().st_size == 0 and path.stat().st_size > 1500 * 3000
    assert db.value("SELECT COUNT(*) FROM blob") == 1501
    _fill(db, 1)                                                # and only the first commit does it
    assert wal.stat().st_size > 0
    db.close()


def test_a_checkpoint_that_finds_the_disk_full_has_the_next_commit_reset_the_wal(tmp_path):
    db = open_database(tmp_path / "cp.db", background_checkpoints=True)
    _fill(db, 300)

    class Full(Checkpointer):
        def step(self):
            raise sqlite3.OperationalError("database or disk is full")

    cp = Full(db, interval=0.01).start()
    deadline = time.monotonic() + 10
    while not db._disk_was_full and time.monotonic() < deadline:
        time.sleep(0.01)
    cp.stop()
    assert db._disk_was_full
    _fill(db, 1)
    assert not db._disk_was_full and (tmp_path / "cp.db-wal").stat().st_size == 0
    db.close()
