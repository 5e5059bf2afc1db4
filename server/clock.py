"""Server time. The only place the server reads the clock; create_app takes a ``clock`` to override it."""
from __future__ import annotations

import datetime as dt
from typing import Callable

from shared.wire import VN_TZ

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    """Now, timezone-aware, in Vietnam time (UTC+7)."""
    return dt.datetime.now(VN_TZ)


def iso(t: dt.datetime) -> str:
    """Stored and sent form of a server timestamp: UTC, milliseconds ('2025-10-02T02:30:00.000+00:00').

    One fixed offset keeps text comparison in SQL equal to time comparison.
    """
    return t.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")


def server_date(t: dt.datetime) -> dt.date:
    """The ward's calendar date at ``t`` (what 'today' means for validation)."""
    return t.astimezone(VN_TZ).date()
