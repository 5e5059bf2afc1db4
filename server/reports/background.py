"""Keep the report facts current in the background, so the first report after a bulk load (a
register import, a preload, a restore, a server started on a database loaded offline) does not
have to compute the facts of every household while the officer waits.

A daemon thread per server process (started and stopped by the app's lifespan):

* at start: one full incremental pass (``facts.refresh``: only stale households);
* then every ``interval`` seconds (or at once after ``wake()``) it reads ``MAX(submissions.seq)`` (one index probe). Every new
  household revision — tablet sync, office revision, register import, preload — is a new
  submission row, so when the number moved it refreshes the households of the new submissions
  (``facts.refresh_households``), or does a full pass when many arrived at once (a bulk load).

While pushes are still arriving (the newest submission moved since the previous poll) a poll waits
for them to settle, at most ``MAX_DEFER`` seconds: in a burst of tablet syncs the refresher would
otherwise take CPU and the write lock from the pushes, and refresh the same groups many times in
small pieces (issue 3). ``wake()`` does not wait.

It reads and computes outside the write lock and writes in short chunks (``facts``), and it
never runs in the per-submission ingest path. It only warms: every report still refreshes
whatever is stale before it counts (``facts.refresh``), so a report is never built from stale
facts; a report arriving during a pass waits for the pass (``facts.refreshing``) instead of
computing the same households a second time.

Setting (``Settings.extra`` or ``RASOAT_REPORT_FACTS_INTERVAL_SECONDS``): the poll interval in
seconds, default 2 (a poll is one index probe); 0 turns the background refresher off.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from ..db import Database
from ..store import facts

log = logging.getLogger("rasoat.reports")

SETTING = "report_facts_interval_seconds"
DEFAULT_INTERVAL = 2.0
BULK = 5000            # more new submissions than this at once: a full pass (one scan) is cheaper
MAX_DEFER = 30.0       # seconds a poll waits for arriving pushes to settle before it refreshes anyway



def interval_setting(settings: Any) -> float:
    extra = getattr(settings, "extra", None) or {}
    if SETTING in extra:
        return float(extra[SETTING])
    raw = os.environ.get("RASOAT_" + SETTING.upper())
    return float(raw) if raw not in (None, "") else DEFAULT_INTERVAL


class FactsRefresher:
    """``start()`` / ``stop()``; ``passes`` and ``refreshed`` count the work done (for tests and logs)."""

    def __init__(self, db: Database, interval: float = DEFAULT_INTERVAL):
        self.db = db
        self.interval = interval
        self.passes = 0
        self.refreshed = 0
        self.idle = threading.Event()        # set whenever the refresher is waiting (caught up)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: int | None = None
        self._polled: int | None = None          # the newest submission at the previous poll
        self._waiting_since: float | None = None

    def start(self) -> "FactsRefresher":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="rasoat-report-facts", daemon=True)
            self._thread.start()
        return self

    def wake(self) -> None:
        """Poll now rather than at the end of the interval (e.g. right after a bulk load commits)."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("report facts refresher still busy after %.0f s at shutdown", timeout)
            self._thread = None

    def _max_seq(self) -> int:
        return int(self.db.value("SELECT COALESCE(MAX(seq), 0) FROM submissions"))

    def step(self, settle: bool = False) -> int:
        """One poll: refresh what the new submissions since the last poll made stale (everything
        stale at the first poll). Returns the households refreshed. ``settle``: while submissions are
        still arriving, wait for the next poll (at most ``MAX_DEFER`` s)."""
        seq = self._max_seq()
        polled, self._polled = self._polled, seq
        if self._seen is not None and seq == self._seen:
            return 0
        if settle and self._seen is not None and seq != polled:
            now = time.monotonic()
            if self._waiting_since is None:
                self._waiting_since = now
            if now - self._waiting_since < MAX_DEFER:
                return 0
        return self._refresh(seq)

    def _refresh(self, seq: int) -> int:
        self._waiting_since = None
        if self._seen is None or seq - self._seen > BULK or seq < self._seen:
            n = facts.refresh(self.db, stop=self._stop.is_set)
        else:
            ids = [r[0] for r in self.db.all("SELECT DISTINCT household_id FROM submissions WHERE seq > ? AND seq <= ?",
                                             (self._seen, seq))]
            n = facts.refresh_households(self.db, ids)
        if not self._stop.is_set():
            self._seen = seq          # a pass cut short by shutdown is redone by the next process
        self.passes += 1
        self.refreshed += n
        if n:
            log.info("report facts refreshed in the background: %d households", n)
        return n

    def _run(self) -> None:
        woken = True
        try:
            while not self._stop.is_set():
                self.idle.clear()
                try:
                    self.step(settle=not woken)
                except Exception:       # a failed pass is retried at the next poll; reports refresh anyway
                    log.exception("background refresh of the report facts failed")
                self.idle.set()
                woken = self._wake.wait(self.interval)
                self._wake.clear()
        finally:
            self.idle.set()


def wake_after_bulk_load(app_state: Any) -> None:
    """After a register import or a preload commits: refresh the report facts now, not at the next poll."""
    refresher = getattr(app_state, "facts_refresher", None)
    if refresher is not None:
        refresher.wake()
