"""The tablet's local store: one SQLite file (sqlite-utils) in the app's data directory.

Tables
- ``settings``   key → JSON value (enrollment, sync cursor, last sync, language);
- ``groups``     the residential groups assigned to this collaborator;
- ``forms``      form definitions received by sync (bundled ones come from ``shared``);
- ``households`` one row per household: the document as the collaborator left it
                 (saved answer by answer), raw text of answers that do not parse yet,
                 the derived status and search key, the last server revision known;
- ``outbox``     every finalised submission until the server's receipt arrives, and
                 afterwards as history. A row that was attempted once is *frozen*: its
                 body never changes again, so a retry re-sends the same bytes.
- ``returns``    officers' reasons, kept after the household is resent.
- ``photos``     dwelling photos (files under ``<data dir>/photos/<sha256>.jpg``) and whether the
                 server holds them yet (attachments go before the submissions naming them).

Every write is its own transaction (synchronous=FULL, WAL): once ``save_*``
returns, a SIGKILL or a dead battery loses nothing. SQLite errors that a
collaborator can act on (full disk) become ``StoreError`` with a Vietnamese
message; the caller keeps what is on screen and can retry.

One ``LocalStore`` per thread: the sync worker opens its own.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import sqlite_utils

from shared import wire

from . import outbox
from .i18n import pair

DB_NAME = "rasoat-tablet.db"
DATA_DIR_ENV = "RASOAT_TABLET_DATA_DIR"

# Household statuses shown in the list (and filterable).
NOT_STARTED, DRAFT, READY, WAITING, SYNCED, RETURNED = (
    "not_started", "draft", "ready", "waiting", "synced", "returned")
STATUSES = (NOT_STARTED, DRAFT, READY, WAITING, SYNCED, RETURNED)

# Outbox states: the table of moves is mobile/outbox.py (the names here are kept for the callers).
OB_QUEUED, OB_FAILED, OB_DELIVERED = outbox.QUEUED, outbox.FAILED, outbox.DELIVERED
OB_REJECTED, OB_SUPERSEDED = outbox.REJECTED, outbox.SUPERSEDED
PENDING_STATES = outbox.PENDING


class StoreError(Exception):
    """A storage failure the collaborator must see, with a Vietnamese message."""

    def __init__(self, code: str, message_vi: str, message_en: str):
        super().__init__(message_en)
        self.code, self.message_vi, self.message_en = code, message_vi, message_en


def _translate(exc: sqlite3.Error) -> StoreError:
    text = str(exc).lower()
    if "full" in text or getattr(exc, "sqlite_errorcode", None) == 13:   # SQLITE_FULL
        return StoreError("disk_full", *pair("store.disk_full"))
    if "locked" in text or "busy" in text:
        return StoreError("busy", *pair("store.busy"))
    return StoreError("storage", *pair("store.failed", error=exc))


def default_data_dir(fallback: str | os.PathLike[str]) -> Path:
    """``$RASOAT_TABLET_DATA_DIR`` when set (tests, demos), else ``fallback`` (App.user_data_dir)."""
    return Path(os.environ.get(DATA_DIR_ENV) or fallback)


def now_iso(ts: float | None = None) -> str:
    """Local time of the tablet as an ISO datetime with UTC+7 (Vietnam has no DST)."""
    import datetime as dt
    t = dt.datetime.fromtimestamp(time.time() if ts is None else ts, tz=wire.VN_TZ)
    return t.replace(microsecond=0).isoformat()


class LocalStore:
    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=10, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")      # a committed answer survives power loss
        conn.execute("PRAGMA busy_timeout=10000")
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self._migrate()

    @classmethod
    def in_dir(cls, data_dir: str | os.PathLike[str]) -> "LocalStore":
        return cls(Path(data_dir) / DB_NAME)

    def close(self) -> None:
        self.conn.close()

    # --- schema --------------------------------------------------------------------------------

    def _migrate(self) -> None:
        db = self.db
        with self.tx():
            if "settings" not in db.table_names():
                db["settings"].create({"key": str, "value": str}, pk="key")
            if "groups" not in db.table_names():
                db["groups"].create({"code": str, "name": str, "info": str, "active": int}, pk="code")
            if "forms" not in db.table_names():
                db["forms"].create({"version": str, "definition": str, "received_at": str}, pk="version")
            if "households" not in db.table_names():
                db["households"].create({
                    "household_id": str, "group_code": str, "status": str, "head_name": str,
                    "search_key": str, "address": str, "member_count": int, "form_version": str,
                    "doc": str, "raw": str, "revision": int, "server_revision": int,
                    "return_reason": str, "server_note": str, "server_problems": str,
                    "server_classes": str, "preloaded": int, "created_at": str, "updated_at": str,
                }, pk="household_id", not_null={"status", "doc"}, defaults={"revision": 0, "preloaded": 0})
                db["households"].create_index(["group_code", "status"])
            if "outbox" not in db.table_names():
                db["outbox"].create({
                    "seq": int, "submission_id": str, "household_id": str, "revision": int,
                    "base_revision": int, "form_version": str, "answers": str, "body": str,
                    "content_hash": str, "state": str, "frozen": int, "attempts": int,
                    "next_attempt_at": float, "last_error_code": str, "last_error_vi": str,
                    "result_status": str, "receipt": str, "problems": str, "created_at": str,
                    "first_attempt_at": str, "delivered_at": str,
                }, pk="seq", not_null={"submission_id", "household_id", "state"},
                    defaults={"frozen": 0, "attempts": 0, "next_attempt_at": 0.0})
                db["outbox"].create_index(["submission_id"], unique=True)
                db["outbox"].create_index(["state", "household_id"])
            if "photos" not in db.table_names():
                # Dwelling photos on this tablet (content-addressed files under <data dir>/photos/);
                # ``uploaded_at`` is set once the server holds the complete file (hash verified there).
                db["photos"].create({"sha256": str, "household_id": str, "path": str, "size": int,
                                     "added_at": str, "uploaded_at": str, "last_error_vi": str}, pk="sha256")
            if "returns" not in db.table_names():
                db["returns"].create({"return_id": str, "household_id": str, "reason": str,
                                      "returned_by": str, "returned_at": str, "server_revision": int},
                                     pk="return_id")

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE); storage errors become StoreError."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _translate(exc) from exc
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise _translate(exc) from exc
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        try:
            self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    # --- settings ------------------------------------------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def set(self, **values: Any) -> None:
        with self.tx() as c:
            for k, v in values.items():
                c.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                          (k, json.dumps(v, ensure_ascii=False)))

    def delete_setting(self, *keys: str) -> None:
        with self.tx() as c:
            for k in keys:
                c.execute("DELETE FROM settings WHERE key = ?", (k,))

    # --- groups and forms ----------------------------------------------------------------------

    def upsert_group(self, code: str, name: str, info: dict[str, Any] | None = None, active: bool = True,
                     conn: sqlite3.Connection | None = None) -> None:
        sql = "INSERT OR REPLACE INTO groups (code, name, info, active) VALUES (?, ?, ?, ?)"
        args = (code, name or code, json.dumps(info or {}, ensure_ascii=False), int(active))
        if conn is not None:
            conn.execute(sql, args)
        else:
            with self.tx() as c:
                c.execute(sql, args)

    def groups(self) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT code, name, info FROM groups WHERE active = 1 ORDER BY code").fetchall()
        return [{"code": r[0], "name": r[1], **json.loads(r[2] or "{}")} for r in rows]

    def save_form(self, version: str, definition: dict[str, Any], conn: sqlite3.Connection | None = None) -> None:
        args = (version, json.dumps(definition, ensure_ascii=False), now_iso())
        sql = "INSERT OR REPLACE INTO forms (version, definition, received_at) VALUES (?, ?, ?)"
        if conn is not None:
            conn.execute(sql, args)
        else:
            with self.tx() as c:
                c.execute(sql, args)

    def form_definitions(self) -> dict[str, dict[str, Any]]:
        return {r[0]: json.loads(r[1]) for r in self.conn.execute("SELECT version, definition FROM forms")}

    # --- households ----------------------------------------------------------------------------

    _LIST_COLS = ("household_id", "group_code", "status", "head_name", "search_key", "address",
                  "member_count", "return_reason", "server_note", "updated_at")

    def household_rows(self) -> list[dict[str, Any]]:
        """Light rows for the list screen (no documents), in a stable order."""
        cols = ", ".join(self._LIST_COLS)
        cur = self.conn.execute(f"SELECT {cols} FROM households ORDER BY group_code, address, head_name")
        return [dict(zip(self._LIST_COLS, r)) for r in cur]

    def household(self, household_id: str) -> dict[str, Any] | None:
        cur = self.conn.execute("SELECT * FROM households WHERE household_id = ?", (household_id,))
        row = cur.fetchone()
        if row is None:
            return None
        out = dict(zip([d[0] for d in cur.description], row))
        for k in ("doc", "raw", "server_problems", "server_classes"):
            out[k] = json.loads(out[k]) if out.get(k) else ({} if k in ("doc", "raw") else None)
        return out

    def save_household(self, household_id: str, conn: sqlite3.Connection | None = None, **fields: Any) -> None:
        """Insert or update one household row; JSON columns are serialised here."""
        for k in ("doc", "raw", "server_problems", "server_classes"):
            if k in fields and not isinstance(fields[k], (str, type(None))):
                fields[k] = json.dumps(fields[k], ensure_ascii=False)
        fields["updated_at"] = now_iso()

        def run(c: sqlite3.Connection) -> None:
            exists = c.execute("SELECT 1 FROM households WHERE household_id = ?", (household_id,)).fetchone()
            if exists:
                sets = ", ".join(f"{k} = ?" for k in fields)
                c.execute(f"UPDATE households SET {sets} WHERE household_id = ?", (*fields.values(), household_id))
            else:
                fields.setdefault("created_at", fields["updated_at"])
                fields.setdefault("doc", "{}")
                fields.setdefault("status", NOT_STARTED)
                cols = ["household_id", *fields]
                c.execute(f"INSERT INTO households ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                          (household_id, *fields.values()))
        if conn is not None:
            run(conn)
        else:
            with self.tx() as c:
                run(c)

    def count_households(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM households").fetchone()[0]

    # --- outbox --------------------------------------------------------------------------------

    def _outbox_dicts(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        cur = self.conn.execute(sql, args)
        names = [d[0] for d in cur.description]
        out = []
        for r in cur.fetchall():
            d = dict(zip(names, r))
            for k in ("receipt", "problems"):
                d[k] = json.loads(d[k]) if d.get(k) else None
            out.append(d)
        return out

    def outbox(self, household_id: str | None = None) -> list[dict[str, Any]]:
        if household_id:
            return self._outbox_dicts("SELECT * FROM outbox WHERE household_id = ? ORDER BY seq", (household_id,))
        return self._outbox_dicts("SELECT * FROM outbox ORDER BY seq")

    def outbox_entry(self, submission_id: str) -> dict[str, Any] | None:
        rows = self._outbox_dicts("SELECT * FROM outbox WHERE submission_id = ?", (submission_id,))
        return rows[0] if rows else None

    def pending(self) -> list[dict[str, Any]]:
        """Undelivered submissions (queued or failed), oldest first."""
        return self._outbox_dicts("SELECT * FROM outbox WHERE state IN (?, ?) ORDER BY seq", PENDING_STATES)

    def latest_outbox(self) -> dict[str, dict[str, Any]]:
        """Household id -> its latest submission that was not superseded (the list's sync state)."""
        rows = self._outbox_dicts(
            "SELECT * FROM outbox WHERE seq IN (SELECT MAX(seq) FROM outbox WHERE state != ? GROUP BY household_id)",
            (OB_SUPERSEDED,))
        return {r["household_id"]: r for r in rows}

    def outbox_counts(self) -> dict[str, int]:
        counts = {s: 0 for s in (OB_QUEUED, OB_FAILED, OB_DELIVERED, OB_REJECTED)}
        for state, n in self.conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"):
            counts[state] = n
        return counts

    def open_entry(self, household_id: str) -> dict[str, Any] | None:
        """The household's unfrozen (never attempted) pending submission, if any."""
        rows = self._outbox_dicts("SELECT * FROM outbox WHERE household_id = ? AND frozen = 0 AND state IN (?, ?) "
                                  "ORDER BY seq DESC LIMIT 1", (household_id, *PENDING_STATES))
        return rows[0] if rows else None

    def enqueue(self, household_id: str, revision: int, form_version: str, answers: dict[str, Any],
                conn: sqlite3.Connection) -> str:
        """A new finalised submission (unfrozen: base_revision and body are set at the first attempt)."""
        sid = str(uuid.uuid4())
        conn.execute("INSERT INTO outbox (submission_id, household_id, revision, form_version, answers, state, "
                     "frozen, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0, ?)",
                     (sid, household_id, revision, form_version, wire.canonical_json(answers), OB_QUEUED, now_iso()))
        return sid

    def freeze(self, seq: int, base_revision: int | None, device_time: str) -> dict[str, Any] | None:
        """Fix an entry's body before its first attempt; from now on it is sent byte for byte.

        None when the entry is no longer pending (an edit superseded it meanwhile).
        """
        with self.tx() as c:
            row = c.execute("SELECT submission_id, household_id, revision, form_version, answers, frozen, body, state "
                            "FROM outbox WHERE seq = ?", (seq,)).fetchone()
            if row is None or row[7] not in PENDING_STATES:
                return None
            if row[5]:
                return json.loads(row[6])
            answers = json.loads(row[4])
            sub = {"submission_id": row[0], "household_id": row[1], "revision": row[2],
                   "base_revision": base_revision, "form_version": row[3],
                   "collected_at": answers.get("collected_at"), "device_time": device_time, "answers": answers}
            body = wire.canonical_json(sub)
            c.execute("UPDATE outbox SET frozen = 1, base_revision = ?, body = ?, content_hash = ?, "
                      "first_attempt_at = ? WHERE seq = ?",
                      (base_revision, body, wire.content_hash(sub), device_time, seq))
        return sub

    def move_entry(self, seq: int, event: str, conn: sqlite3.Connection | None = None, **fields: Any) -> bool:
        """Move an outbox entry by ``event`` (``outbox.MOVES``), setting ``fields`` too; False (nothing
        written) when the entry is not in a state the event may move it from."""
        sources, target = outbox.MOVES[event]
        fields = self._entry_fields(fields)
        sets = ", ".join(["state = ?"] + [f"{k} = ?" for k in fields])
        sql = f"UPDATE outbox SET {sets} WHERE seq = ? AND state IN ({', '.join('?' * len(sources))})"
        args = (target, *fields.values(), seq, *sources)
        if conn is not None:
            return conn.execute(sql, args).rowcount == 1
        with self.tx() as c:
            return c.execute(sql, args).rowcount == 1

    def supersede_open(self, household_id: str, conn: sqlite3.Connection) -> None:
        """An edit replaces the household's finalised submissions never attempted (unfrozen)."""
        sources, target = outbox.MOVES["supersede"]
        conn.execute(f"UPDATE outbox SET state = ? WHERE household_id = ? AND frozen = 0 "
                     f"AND state IN ({', '.join('?' * len(sources))})", (target, household_id, *sources))

    @staticmethod
    def _entry_fields(fields: dict[str, Any]) -> dict[str, Any]:
        if "state" in fields:
            raise outbox.OutboxMoveError("an outbox state changes only by a move (move_entry)")
        for k in ("receipt", "problems"):
            if k in fields and fields[k] is not None and not isinstance(fields[k], str):
                fields[k] = json.dumps(fields[k], ensure_ascii=False)
        return fields

    def update_entry(self, seq: int, conn: sqlite3.Connection | None = None, **fields: Any) -> None:
        """Set an entry's other fields (attempts, errors); its state only moves by :meth:`move_entry`."""
        fields = self._entry_fields(fields)
        sets = ", ".join(f"{k} = ?" for k in fields)
        if conn is not None:
            conn.execute(f"UPDATE outbox SET {sets} WHERE seq = ?", (*fields.values(), seq))
        else:
            with self.tx() as c:
                c.execute(f"UPDATE outbox SET {sets} WHERE seq = ?", (*fields.values(), seq))

    # --- photos --------------------------------------------------------------------------------

    def add_photo(self, sha256: str, household_id: str, path: str, size: int,
                  conn: sqlite3.Connection | None = None) -> None:
        sql = ("INSERT INTO photos (sha256, household_id, path, size, added_at) VALUES (?, ?, ?, ?, ?) "
               "ON CONFLICT(sha256) DO NOTHING")
        args = (sha256, household_id, path, size, now_iso())
        if conn is not None:
            conn.execute(sql, args)
        else:
            with self.tx() as c:
                c.execute(sql, args)

    def photo(self, sha256: str) -> dict[str, Any] | None:
        cur = self.conn.execute("SELECT * FROM photos WHERE sha256 = ?", (sha256,))
        row = cur.fetchone()
        return None if row is None else dict(zip([d[0] for d in cur.description], row))

    def photos_to_upload(self) -> list[dict[str, Any]]:
        """Photos the server does not hold yet, oldest first."""
        cur = self.conn.execute("SELECT * FROM photos WHERE uploaded_at IS NULL ORDER BY added_at, sha256")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def mark_photo(self, sha256: str, uploaded: bool, error_vi: str | None = None) -> None:
        with self.tx() as c:
            c.execute("UPDATE photos SET uploaded_at = ?, last_error_vi = ? WHERE sha256 = ?",
                      (now_iso() if uploaded else None, error_vi, sha256))

    # --- returns -------------------------------------------------------------------------------

    def returns_for(self, household_id: str) -> list[dict[str, Any]]:
        cur = self.conn.execute("SELECT return_id, reason, returned_by, returned_at, server_revision FROM returns "
                                "WHERE household_id = ? ORDER BY returned_at", (household_id,))
        return [dict(zip(("return_id", "reason", "returned_by", "returned_at", "server_revision"), r)) for r in cur]
