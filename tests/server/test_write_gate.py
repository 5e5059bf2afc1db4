"""Validation threads step aside while this process holds the write lock (server/db.py)."""
from __future__ import annotations

import threading
import time

from server.db import Database


def test_yield_to_writer_waits_for_the_write_transaction_of_this_process(tmp_path):
    db = Database(tmp_path / "gate.db")
    db.conn.execute("CREATE TABLE t (x INTEGER)")
    in_write, release = threading.Event(), threading.Event()
    order: list[str] = []

    def writer() -> None:
        with db.write() as conn:
            conn.execute("INSERT INTO t VALUES (1)")
            in_write.set()
            release.wait(5)
            order.append("commit")

    def validator() -> None:
        in_write.wait(5)
        db.yield_to_writer(timeout=5)
        order.append("validate")

    threads = [threading.Thread(target=writer), threading.Thread(target=validator)]
    for t in threads:
        t.start()
    assert in_write.wait(5)
    time.sleep(0.2)                  # the validator is waiting, not running
    assert order == []
    release.set()
    for t in threads:
        t.join(5)
    assert order == ["commit", "validate"]
    db.close()


def test_yield_to_writer_does_not_wait_inside_a_write_or_when_idle(tmp_path):
    db = Database(tmp_path / "gate.db")
    t0 = time.perf_counter()
    db.yield_to_writer(timeout=10)          # nobody writes
    with db.write():
        db.yield_to_writer(timeout=10)      # the writer itself must never wait for itself
    assert time.perf_counter() - t0 < 5
    db.close()
