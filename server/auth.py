"""Who is calling: ward users (password → session token) and enrolled devices (device token).

Reusable by the HTML console: passwords are argon2id hashes (argon2-cffi);
tokens are 32 random bytes shown once and stored only as SHA-256 hex.
Token kinds are told apart by prefix: ``rss_`` ward-user session, ``rsd_`` device. A ward-user
session is made for one use (issue 18): an API token (``POST /api/v1/login``, a bearer token for
scripts) is refused by the console, and a console session (its cookie; idle timeout, CSRF-protected
forms) is refused as a bearer token, so neither bypasses the other's protections.
Every request re-reads the token's row, so a revoked token fails at once.

Roles are ranked: viewer < officer < admin (an admin may do what an officer may).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .clock import iso
from .store import collaborators as collaborators_store
from .store import devices as devices_store
from .store import users as users_store

SESSION_PREFIX = "rss_"
DEVICE_PREFIX = "rsd_"
ROLE_RANK = {"viewer": 1, "officer": 2, "admin": 3}

_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("rasoat-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class UserPrincipal:
    id: int
    username: str
    full_name: str
    role: str
    kind: str = "user"

    def has_role(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK[role]


@dataclass(frozen=True)
class DeviceGroup:
    group_id: int
    group_code: str
    group_name: str
    ward_code: str
    province_code: str
    area_type: str


@dataclass(frozen=True)
class DevicePrincipal:
    device_id: str
    name: str
    collaborator_id: int
    collaborator_name: str
    groups: tuple[DeviceGroup, ...]
    last_seen_at: str | None = None
    kind: str = "device"

    @property
    def group_ids(self) -> list[int]:
        return [g.group_id for g in self.groups]

    def group(self, ward_code: str | None, group_code: str | None) -> DeviceGroup | None:
        for g in self.groups:
            if g.ward_code == ward_code and g.group_code == group_code:
                return g
        return None


def user_principal(row: sqlite3.Row) -> UserPrincipal:
    return UserPrincipal(id=row["id"], username=row["username"], full_name=row["full_name"], role=row["role"])


def device_groups(conn: sqlite3.Connection, collaborator_id: int) -> tuple[DeviceGroup, ...]:
    return tuple(DeviceGroup(group_id=r["group_id"], group_code=r["group_code"], group_name=r["group_name"],
                             ward_code=r["ward_code"], province_code=r["province_code"], area_type=r["area_type"])
                 for r in collaborators_store.groups_of(conn, collaborator_id))


def authenticate_password(conn: sqlite3.Connection, username: str, password: str) -> UserPrincipal | None:
    row = users_store.get_user_by_username(conn, username)
    if row is None or not row["active"]:
        verify_password(_DUMMY_HASH, password)
        return None
    return user_principal(row) if verify_password(row["password_hash"], password) else None


def start_session(conn: sqlite3.Connection, user_id: int, now: dt.datetime, ttl_hours: int,
                  idle_minutes: int | None = None, kind: str | None = None) -> tuple[str, str]:
    """A new session token for a ward user: (token, expires_at). Call inside a write transaction.

    Without ``idle_minutes`` (API tokens) the session ends ``ttl_hours`` after it starts. With it
    (console sessions) it ends after ``idle_minutes`` without activity — ``touch_session`` slides
    the deadline — and at the latest ``ttl_hours`` after it started (the absolute maximum).

    ``kind``: 'api' or 'console' (a console session when ``idle_minutes`` is given); a session with
    neither works for both, as every session did before (tests and the harness make such sessions)."""
    token = new_token(SESSION_PREFIX)
    expires = now + dt.timedelta(hours=ttl_hours)
    if idle_minutes:
        expires = min(expires, now + dt.timedelta(minutes=idle_minutes))
        kind = kind or "console"
    users_store.create_session(conn, token_hash(token), user_id, iso(now), iso(expires), kind)
    return token, iso(expires)


@dataclass(frozen=True)
class SessionInfo:
    user: UserPrincipal
    created_at: dt.datetime
    expires_at: dt.datetime


def resolve_session(conn: sqlite3.Connection, token: str, now: dt.datetime) -> SessionInfo | None:
    """A live ward-user session with its start and current deadline, or None."""
    if not token.startswith(SESSION_PREFIX):
        return None
    row = users_store.session_user(conn, token_hash(token), iso(now), "console")
    if row is None:
        return None
    return SessionInfo(user_principal(row), dt.datetime.fromisoformat(row["session_created_at"]),
                       dt.datetime.fromisoformat(row["session_expires_at"]))


def sliding_deadline(session: SessionInfo, now: dt.datetime, ttl_hours: int, idle_minutes: int) -> dt.datetime:
    """The deadline after activity at ``now``: ``idle_minutes`` later, capped at start + ``ttl_hours``."""
    return min(now + dt.timedelta(minutes=idle_minutes), session.created_at + dt.timedelta(hours=ttl_hours))


def touch_session(conn: sqlite3.Connection, token: str, now: dt.datetime, deadline: dt.datetime) -> bool:
    """Slide a live session's deadline to ``deadline`` (only ever later). Call inside a write transaction."""
    return users_store.extend_session(conn, token_hash(token), iso(now), iso(deadline))


def session_end_reason(conn: sqlite3.Connection, token: str, now: dt.datetime, ttl_hours: int) -> str | None:
    """Why a session token no longer works: ``idle`` (no activity), ``max`` (the absolute maximum
    reached), ``ended`` (logged out, revoked, user deactivated, unknown), or None if it is live."""
    row = users_store.get_session(conn, token_hash(token))
    if row is None or row["revoked_at"] is not None:
        return "ended"
    user = users_store.get_user(conn, row["user_id"])
    if user is None or not user["active"]:
        return "ended"
    expires = dt.datetime.fromisoformat(row["expires_at"])
    if expires > now:
        return None
    cap = dt.datetime.fromisoformat(row["created_at"]) + dt.timedelta(hours=ttl_hours)
    return "max" if expires >= cap else "idle"


def end_session(conn: sqlite3.Connection, token: str, now: dt.datetime) -> None:
    users_store.revoke_session(conn, token_hash(token), iso(now))


def resolve_token(conn: sqlite3.Connection, token: str, now: dt.datetime) -> UserPrincipal | DevicePrincipal | None:
    """The principal holding a bearer token, or None (unknown, expired, revoked)."""
    if token.startswith(SESSION_PREFIX):
        row = users_store.session_user(conn, token_hash(token), iso(now), "api")
        return None if row is None else user_principal(row)
    if token.startswith(DEVICE_PREFIX):
        row = devices_store.device_by_token_hash(conn, token_hash(token))
        if row is None:
            return None
        return DevicePrincipal(device_id=row["id"], name=row["name"], collaborator_id=row["collaborator_id"],
                               collaborator_name=row["collaborator_name"],
                               groups=device_groups(conn, row["collaborator_id"]), last_seen_at=row["last_seen_at"])
    return None
