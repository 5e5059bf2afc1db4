"""Signing in to the console and out of it, as services: the lock-out's check and count (lockout.py),
the password, the console session and the audit record. server/console/auth_pages.py parses the
form, calls these and renders what they answer."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .. import auth
from ..clock import iso
from ..db import Database
from ..settings import Settings
from ..store import audit
from . import lockout
from .web import console_setting, start_console_session


@dataclass(frozen=True)
class Outcome:
    """``locked``: too many failures, the password was not checked (``minutes`` left on the lock);
    else ``user`` is None for a wrong username or password, or the user signed in with ``token``."""
    locked: bool
    minutes: int = 0
    user: auth.UserPrincipal | None = None
    token: str | None = None


def limits(settings: Settings) -> lockout.Limits:
    return lockout.Limits(console_setting(settings, "login_max_failures"),
                          console_setting(settings, "login_max_failures_per_ip"),
                          console_setting(settings, "login_lockout_minutes"))


def sign_in(db: Database, username: str, password: str, ip: str, now: dt.datetime, settings: Settings) -> Outcome:
    with db.write() as conn:      # check and count in one step (lockout.begin)
        minutes, attempt = lockout.begin(conn, username, ip, now, limits(settings))
        if minutes:
            audit.record(conn, iso(now), "system", None, "console.login_locked", "user", username, {"ip": ip})
    if minutes or attempt is None:
        return Outcome(locked=True, minutes=minutes)
    user = auth.authenticate_password(db.conn, username, password) if username and password else None
    token = None
    with db.write() as conn:
        lockout.settle(conn, attempt, user is not None)
        if user is None:
            audit.record(conn, iso(now), "system", None, "console.login_failed", "user", username, {"ip": ip})
        else:
            token = start_console_session(conn, user.id, now, settings)
            audit.record(conn, iso(now), "user", user.id, "console.login", "user", user.id, {"ip": ip})
    return Outcome(locked=False, user=user, token=token)


def sign_out(db: Database, user_id: int, token: str | None, now: dt.datetime) -> None:
    """End the session of ``token`` (if any) and record the logout."""
    with db.write() as conn:
        if token:
            auth.end_session(conn, token, now)
        audit.record(conn, iso(now), "user", user_id, "console.logout", "user", user_id)
