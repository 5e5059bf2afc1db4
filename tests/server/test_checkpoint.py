"""WAL checkpoints in the background (server/checkpoint.py): a server's commits no longer checkpoint
at 1,000 pages inside the write lock; a passive checkpoint outside it moves the WAL back."""
from __future__ import annotations

import time

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
