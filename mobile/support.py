"""The tablet's view of the ward plan's support (issue 20), offline: for a household of the collaborator's
area, the support it has received and its open needs (pulled as ``support`` changes, read-only), and a
need the collaborator notes at the door (kept in a small outbox until the server's answer arrives).

Deliveries are entered in the office: the tablet never writes support. Plain Python, no Kivy: the screen
(``support_screen.py``) copies the presenter's state into widgets. Tables are created on first use so the
main store's schema is untouched.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from typing import Any

from shared import wire
from shared.programme import load_catalogue

from .i18n import tr
from .store import LocalStore, now_iso

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS support_views (household_id TEXT PRIMARY KEY, payload TEXT NOT NULL, "
    "received_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS need_outbox (client_id TEXT PRIMARY KEY, household_id TEXT NOT NULL, "
    "need_type TEXT NOT NULL, member_id TEXT, person_name TEXT, note TEXT NOT NULL DEFAULT '', noted_on TEXT NOT NULL, "
    "state TEXT NOT NULL DEFAULT 'pending', error_vi TEXT, created_at TEXT NOT NULL)",
)
PENDING, SENT, REFUSED = "pending", "sent", "refused"
NEEDS_PATH = "/api/v1/programme/device/needs"


def ensure_schema(conn: sqlite3.Connection) -> None:
    for sql in SCHEMA:
        conn.execute(sql)


def apply_change(conn: sqlite3.Connection, ch: dict[str, Any]) -> None:
    """A pulled ``support`` change: the household's latest view replaces the one kept (inside the pull's
    transaction). Needs the server now holds leave the outbox."""
    hid = ch.get("household_id")
    if not isinstance(hid, str) or not hid:
        return
    ensure_schema(conn)
    view = {"support": ch.get("support") if isinstance(ch.get("support"), list) else [],
            "open_needs": ch.get("open_needs") if isinstance(ch.get("open_needs"), list) else []}
    conn.execute("INSERT OR REPLACE INTO support_views (household_id, payload, received_at) VALUES (?, ?, ?)",
                 (hid, json.dumps(view, ensure_ascii=False), now_iso()))


def _vnd(n: Any) -> str:
    return f"{int(n):,}".replace(",", ".") + " đ" if isinstance(n, (int, float)) and n else ""


def _day(iso: Any) -> str:
    try:
        return dt.date.fromisoformat(str(iso)[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return str(iso or "")


class NeedError(ValueError):
    """A need the tablet refuses: the field and the reason (a key of mobile/i18n.py)."""

    def __init__(self, field: str, key: str, **kw: Any):
        self.field, self.key, self.kw = field, key, kw
        self.message_vi = tr(key, "vi", **kw)
        super().__init__(self.message_vi)

    def message(self, lang: str) -> str:
        return tr(self.key, lang, **self.kw)


def record_need(store: LocalStore, household_id: str, need_type: str, member_id: str | None, note: str,
                today: dt.date) -> str:
    """Note a need on the tablet (saved at once, sent with the next sync). Returns its client id."""
    cat = load_catalogue()
    nt = cat.need_types.get(need_type)
    if nt is None:
        raise NeedError("need_type", "support.need_type")
    h = store.household(household_id)
    if h is None:
        raise NeedError("household_id", "support.no_household")
    members = {str(m.get("member_id")): m.get("full_name") or "" for m in (h.get("doc") or {}).get("members") or ()
               if isinstance(m, dict) and m.get("member_id")}
    if nt["recipient"] == "person":
        if not member_id or member_id not in members:
            raise NeedError("member_id", "support.person_need", need=nt["label"]["vi"])
    else:
        member_id = None
    note = (note or "").strip()
    if len(note) > 500:
        raise NeedError("note", "support.note_too_long")
    cid = str(uuid.uuid4())
    with store.tx() as conn:
        ensure_schema(conn)
        conn.execute("INSERT INTO need_outbox (client_id, household_id, need_type, member_id, person_name, note, "
                     "noted_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (cid, household_id, need_type, member_id, members.get(member_id or ""), note, today.isoformat(),
                      now_iso()))
    return cid


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur]


def pending_needs(store: LocalStore) -> list[dict[str, Any]]:
    with store.tx() as conn:
        ensure_schema(conn)
    return _rows(store.conn, "SELECT * FROM need_outbox WHERE state = ? ORDER BY created_at", (PENDING,))


def push_needs(store: LocalStore, client: Any) -> int:
    """Send the pending needs; each answer is kept per need (accepted and duplicate leave the outbox, a
    refusal keeps the need with the server's reason). A network error raises (the caller's SyncError) and
    leaves everything pending. Returns how many the server now holds."""
    todo = pending_needs(store)
    if not todo:
        return 0
    items = [{"client_id": n["client_id"], "household_id": n["household_id"], "need_type": n["need_type"],
              "member_id": n["member_id"], "note": n["note"], "noted_on": n["noted_on"]} for n in todo]
    answer = client._call("POST", NEEDS_PATH, raw=wire.dumps({"protocol": wire.PROTOCOL_VERSION, "needs": items}),
                          headers={"Content-Type": "application/json"})
    done = 0
    with store.tx() as conn:
        for r in answer.get("results") or ():
            if not isinstance(r, dict) or not r.get("client_id"):
                continue
            if r.get("status") in ("accepted", "duplicate"):
                conn.execute("UPDATE need_outbox SET state = ?, error_vi = NULL WHERE client_id = ?",
                             (SENT, r["client_id"]))
                done += 1
            elif r.get("status") == "rejected":
                conn.execute("UPDATE need_outbox SET state = ?, error_vi = ? WHERE client_id = ?",
                             (REFUSED, str(r.get("message_vi") or tr("support.server_refused")), r["client_id"]))
    return done


class SupportPresenter:
    """What the support screen shows for one household."""

    def __init__(self, store: LocalStore, today: Any = dt.date.today):
        self.store = store
        self.today = today
        self.lang = "vi"
        self._listeners: list[Any] = []
        self.hid: str | None = None
        self.title = ""
        self.received: list[str] = []
        self.needs: list[str] = []
        self.error = ""
        self.message = ""
        cat = load_catalogue()
        self.need_choices = [(n["id"], n["label"]["vi"], n["recipient"]) for n in cat.data["need_types"]]
        self.members: list[tuple[str, str]] = []

    def bind(self, fn: Any) -> None:
        self._listeners.append(fn)

    def changed(self) -> None:
        for fn in list(self._listeners):
            fn()

    def open(self, hid: str) -> None:
        self.hid, self.error, self.message = hid, "", ""
        self.refresh()

    def refresh(self) -> None:
        hid = self.hid
        h = self.store.household(hid) if hid else None
        doc = (h or {}).get("doc") or {}
        self.title = tr("support.title", self.lang, name=(h or {}).get("head_name") or "").strip()
        self.members = [(str(m["member_id"]), m.get("full_name") or "") for m in doc.get("members") or ()
                        if isinstance(m, dict) and m.get("member_id")]
        with self.store.tx() as conn:
            ensure_schema(conn)
        row = self.store.conn.execute("SELECT payload, received_at FROM support_views WHERE household_id = ?",
                                      (hid,)).fetchone()
        view = json.loads(row[0]) if row else {"support": [], "open_needs": []}
        self.received = []
        for s in view["support"]:
            qty = f"{s.get('quantity')} {s.get('unit_vi') or ''}".strip()
            parts = [_day(s.get("delivered_on")), s.get("label_vi") or "", qty, _vnd(s.get("amount_vnd")),
                     s.get("person_name") or "", s.get("body_vi") or ""]
            self.received.append(" · ".join(p for p in parts if p))
        sent = {n.get("client_id") for n in view["open_needs"] if n.get("client_id")}
        self.needs = [" · ".join(p for p in (_day(n.get("noted_on")), n.get("label_vi") or "", n.get("person_name") or "",
                                              n.get("body_vi") or "") if p) for n in view["open_needs"]]
        labels = {k: v for k, v, _ in self.need_choices}
        for n in _rows(self.store.conn, "SELECT * FROM need_outbox WHERE household_id = ? AND state != ? "
                                        "ORDER BY created_at", (hid, SENT)):
            if n["client_id"] in sent:
                continue
            state = (tr("support.state_pending", self.lang) if n["state"] == PENDING
                     else tr("support.state_refused", self.lang, why=n["error_vi"]))
            self.needs.append(" · ".join(p for p in (_day(n["noted_on"]), labels.get(n["need_type"], n["need_type"]),
                                                     n["person_name"] or "", f"({state})") if p))
        if not self.received:
            self.received = [tr("support.none_received", self.lang)]
        if not self.needs:
            self.needs = [tr("support.no_needs", self.lang)]
        self.changed()

    def add_need(self, need_type: str, member_id: str | None, note: str) -> bool:
        try:
            record_need(self.store, self.hid or "", need_type, member_id or None, note, self.today())
        except NeedError as exc:
            self.error, self.message = exc.message(self.lang), ""
            self.changed()
            return False
        self.error, self.message = "", tr("support.saved", self.lang)
        self.refresh()
        return True
