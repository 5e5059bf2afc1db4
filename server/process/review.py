"""The officer's review of a submission: accepting it (one household, or several checked at once).

Acceptance is what lets a household into the process: only an accepted current submission reaches
the community meeting, the public posting and the recognition decision (``results.judge``). Every
acceptance is a row of ``review_decisions`` (append-only) and an audit entry, also when several are
accepted in one go; one household that cannot be accepted never sinks the others.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from ..auth import UserPrincipal
from ..clock import iso
from ..db import Database
from ..store import audit

MAX_NOTE = 2000
MAX_BATCH = 500

# Why a household could not be accepted (Vietnamese for the officer, English for the API).
REFUSALS = {
    "not_found": ("Không có hộ này", "No such household"),
    "not_current": ("Phiếu đã có bản mới hơn; tải lại trang và xem bản mới", "A newer revision arrived; reload"),
    "returned": ("Hộ đang được trả lại cho cộng tác viên; chờ phiếu mới", "Returned to the collaborator"),
    "conflict": ("Hộ còn xung đột chưa xử lý", "The household has an open conflict"),
    "already": ("Phiếu này đã được duyệt", "Already accepted"),
}


@dataclass(frozen=True)
class Outcome:
    household_id: str
    accepted: bool
    code: str = ""          # a REFUSALS key when not accepted

    @property
    def reason_vi(self) -> str:
        return REFUSALS[self.code][0] if self.code else ""


def accept_many(db: Database, user: UserPrincipal, items: Iterable[tuple[str, str]], now: dt.datetime,
                note: str = "", allow_preloaded: bool = False) -> list[Outcome]:
    """Accept each (household_id, submission_id) the officer saw; one audit entry per household.

    A household is refused (and the others still accepted) when its current submission is not the
    one shown, it is returned or has an open conflict, or that submission is already accepted.
    ``allow_preloaded``: last round's preloaded answers may be accepted too (tests and the demo; the
    console accepts only what was collected this round)."""
    stamp = iso(now)
    note = (note or "").strip()[:MAX_NOTE]
    out: list[Outcome] = []
    pairs = list(items)[:MAX_BATCH]
    with db.write() as conn:
        for household_id, submission_id in pairs:
            h = conn.execute("SELECT submission_id, status, needs_review FROM households WHERE household_id = ?",
                             (household_id,)).fetchone()
            if h is None:
                out.append(Outcome(household_id, False, "not_found"))
                continue
            if submission_id != h["submission_id"] or (h["status"] == "preloaded" and not allow_preloaded):
                out.append(Outcome(household_id, False, "not_current"))
                continue
            if h["status"] == "returned":
                out.append(Outcome(household_id, False, "returned"))
                continue
            if h["needs_review"]:
                out.append(Outcome(household_id, False, "conflict"))
                continue
            if conn.execute("SELECT 1 FROM review_decisions WHERE submission_id = ?", (submission_id,)).fetchone():
                out.append(Outcome(household_id, False, "already"))
                continue
            conn.execute("INSERT INTO review_decisions (household_id, submission_id, decision, note, decided_by, "
                         "decided_at) VALUES (?, ?, 'accepted', ?, ?, ?)",
                         (household_id, submission_id, note, user.id, stamp))
            audit.record(conn, stamp, "user", user.id, "household.accept", "household", household_id,
                         {"submission_id": submission_id, **({"batch": len(pairs)} if len(pairs) > 1 else {})})
            out.append(Outcome(household_id, True))
    return out


def head_names(db: Database, household_ids: list[str]) -> dict[str, str]:
    """The head's name of each household given (at most ``MAX_BATCH``: the refused ones of a batch)."""
    if not household_ids:
        return {}
    return dict(db.all("SELECT household_id, head_name FROM households WHERE household_id IN (%s)"
                       % ",".join("?" * len(household_ids)), household_ids))


def accept_all_current(db: Database, user: UserPrincipal, now: dt.datetime, household_ids: Iterable[str] | None = None
                       ) -> int:
    """Accept the current submission of every household given (default: all) — for tests and the demo
    (a ward whose review is done). Returns how many were accepted."""
    if household_ids is None:
        rows = db.all("SELECT household_id, submission_id FROM households")
    else:
        ids = list(household_ids)
        rows = []
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            rows += db.all(f"SELECT household_id, submission_id FROM households WHERE household_id IN "
                           f"({','.join('?' * len(chunk))})", chunk)
    n = 0
    for i in range(0, len(rows), MAX_BATCH):
        n += sum(o.accepted for o in accept_many(db, user, [(r["household_id"], r["submission_id"])
                                                            for r in rows[i:i + MAX_BATCH]], now,
                                                 allow_preloaded=True))
    return n
