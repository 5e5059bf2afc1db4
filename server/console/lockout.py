"""Login lock-out: N failures for a username (since its last success) or M failures from one IP,
within the last W minutes, lock further attempts until the window has passed. Numbers are settings
(web.CONSOLE_SETTINGS). While locked, the password is not even checked and nothing is counted.

The check and the count are one step (``begin``, in one write transaction): an attempt that may go
on is recorded as a failure *before* its password is checked, and turned into a success afterwards
(``settle``) if the password was right. Write transactions are serialised (``BEGIN IMMEDIATE``), so
100 wrong passwords sent at the same moment get at most N password checks — the others see N
failures already counted and are refused (429) — whether they come through the API or the console
(issue 18; before, the check, the argon2 verification and the record were separate steps and 80
parallel attempts got 42 checks)."""
from __future__ import annotations

import datetime as dt
import math
import sqlite3
from dataclasses import dataclass

from ..clock import iso


@dataclass(frozen=True)
class Limits:
    max_failures: int = 5
    max_failures_per_ip: int = 20
    minutes: int = 15


def _remaining(conn: sqlite3.Connection, sql: str, params: tuple, n: int, now: dt.datetime,
               minutes: int) -> int:
    """Minutes left on a lock (0 = not locked): the n-th newest failure + window − now."""
    row = conn.execute(sql + " ORDER BY at DESC LIMIT 1 OFFSET ?", (*params, n - 1)).fetchone()
    if row is None:
        return 0
    until = dt.datetime.fromisoformat(row[0]) + dt.timedelta(minutes=minutes)
    left = (until - now).total_seconds()
    return max(0, math.ceil(left / 60)) if left > 0 else 0


def locked_minutes(conn: sqlite3.Connection, username: str, ip: str, now: dt.datetime, limits: Limits) -> int:
    since = iso(now - dt.timedelta(minutes=limits.minutes))
    last_ok = conn.execute("SELECT MAX(at) FROM login_attempts WHERE username = ? AND ok = 1",
                           (username,)).fetchone()[0]
    user_since = max(since, last_ok) if last_ok else since
    by_user = _remaining(conn, "SELECT at FROM login_attempts WHERE username = ? AND ok = 0 AND at > ?",
                         (username, user_since), limits.max_failures, now, limits.minutes)
    by_ip = _remaining(conn, "SELECT at FROM login_attempts WHERE ip = ? AND ok = 0 AND at > ?",
                       (ip, since), limits.max_failures_per_ip, now, limits.minutes)
    return max(by_user, by_ip)


def begin(conn: sqlite3.Connection, username: str, ip: str, now: dt.datetime, limits: Limits) -> tuple[int, int | None]:
    """Call inside one write transaction. Locked: (minutes left, None), nothing counted. Else the
    attempt is counted as a failure now and (0, its id) is returned: check the password, then ``settle``."""
    minutes = locked_minutes(conn, username, ip, now, limits)
    if minutes:
        return minutes, None
    cur = conn.execute("INSERT INTO login_attempts (at, username, ip, ok) VALUES (?, ?, ?, 0)",
                       (iso(now), username[:200], ip))
    return 0, cur.lastrowid


def settle(conn: sqlite3.Connection, attempt_id: int, ok: bool) -> None:
    """The password of attempt ``attempt_id`` was right: count it as a success (a failure stays)."""
    if ok:
        conn.execute("UPDATE login_attempts SET ok = 1 WHERE rowid = ?", (attempt_id,))
