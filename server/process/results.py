"""The result of a round for each household, under one standard: where it stands in the process.

One query (households + report facts + the register before the round + meeting and complaint
state) streamed row by row; the pure part (:func:`judge`) decides, per household:

* its movement between the register before the round and its latest classification
  (``shared.transitions.movement``; no previous status known = not on the register = new);
* whether the community meeting must discuss it (new poor, new near-poor, escaping) and
  whether its result already stands for the current submission;
* its state — ``settled``, ``unclassified`` (class unknown / missing), ``re_review`` (returned
  to the collaborator), ``not_surveyed`` (only last round's answers), ``awaiting_review`` (collected,
  not yet accepted by an officer), ``awaiting_meeting``, ``complaint_pending`` — and the list it belongs
  to once settled (poor, near_poor, escaped_poverty, escaped_near_poverty, or none).

The candidates of a meeting, the posting lists, the recognition lists and the named-list
report all read this, so they cannot disagree.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from shared.transitions import NEAR_POOR, POOR, Movement, movement, status_of

from ..db import Database
from ..history import status_history
from ..history.lifecycle import gone_before_sql, is_gone
from ..history.movements import household_movement

CATEGORY_OF = {
    "newly_poor": "new_poor", "relapsed_poor": "new_poor", "near_poor_to_poor": "new_poor",
    "newly_near_poor": "new_near_poor", "relapsed_near_poor": "new_near_poor",
    "poor_to_near_poor": "escaping", "escaped_poverty": "escaping", "escaped_near_poverty": "escaping",
    # a household that arrived (moved in, split off) poor / near-poor is new on the lists too
    "poor_other_increase": "new_poor", "near_poor_other_increase": "new_near_poor",
}
CATEGORY_LABELS = {
    "new_poor": ("Hộ nghèo mới", "New poor"),
    "new_near_poor": ("Hộ cận nghèo mới", "New near-poor"),
    "escaping": ("Hộ thoát nghèo, thoát cận nghèo", "Escaping poverty or near-poverty"),
}
LISTS = ("poor", "near_poor", "escaped_poverty", "escaped_near_poverty")
LIST_LABELS = {k: status_history.STATUS_LABELS[k] for k in LISTS}
STATE_LABELS = {
    "settled": ("Đã xong", "Settled"),
    "unclassified": ("Chưa phân loại được", "Not classified"),
    "not_surveyed": ("Chưa rà soát trong đợt", "Not surveyed this round"),
    "awaiting_review": ("Chờ cán bộ duyệt phiếu", "Awaiting the officer's review"),
    "re_review": ("Đang rà soát lại", "Being re-reviewed"),
    "awaiting_meeting": ("Chờ họp dân", "Awaiting the community meeting"),
    "complaint_pending": ("Có khiếu nại chưa phúc tra", "Complaint not yet re-checked"),
}
# What the officer must do for a household in each state before the decision (shown with the list
# of households a decision refuses).
STATE_TODO = {
    "unclassified": ("Hoàn thành phiếu để phân loại được hộ", "Complete the form so the household can be classified"),
    "not_surveyed": ("Rà soát hộ (hộ có trong danh sách năm trước)", "Survey the household (on last year's list)"),
    "awaiting_review": ("Duyệt hoặc trả lại phiếu ở trang của hộ", "Accept or return its form on its page"),
    "re_review": ("Chờ cộng tác viên gửi lại phiếu, rồi duyệt", "Wait for the collaborator's new form, then review"),
    "awaiting_meeting": ("Đưa hộ ra họp dân và ghi biểu quyết", "Take it to the community meeting, record the vote"),
    "complaint_pending": ("Ghi kết quả phúc tra khiếu nại", "Record the re-check of the complaint"),
}


def blocks_decision(state: str, register_status: str | None) -> bool:
    """Pure: does a household in ``state`` keep the recognition decision from being issued?

    Every household that is not settled does, except one never reached in this round (not
    classified, or not surveyed) that was on neither list before: it stays outside the lists."""
    if state == "settled":
        return False
    if state in ("unclassified", "not_surveyed"):
        return register_status in (POOR, NEAR_POOR)
    return True


@dataclass(frozen=True)
class Judgement:
    after: str | None               # poor / near_poor / other, None when not classified
    movement: Movement | None
    category: str | None            # meeting category, None when the meeting need not discuss it
    state: str
    list: str | None                # the list once settled


def judge(cls: str | None, register_status: str | None, ever_poor: bool, ever_near_poor: bool,
          household_status: str, stood: bool, complaint_pending: bool,
          lifecycle_event: str | None = None, *, reviewed: bool = False) -> Judgement:
    """Pure: where one household stands. ``cls`` is its latest class under the standard;
    ``lifecycle_event`` the round's lifecycle event (moved away, dissolved, merged: gone — an
    other decrease; moved in, split_from: an other increase; ``server.process.transitions``);
    ``reviewed``: an officer accepted its current submission.

    No step can be skipped: a household reaches the meeting, the posting and the decision only
    once its current submission is accepted (not preloaded, not returned, not waiting)."""

    if is_gone(lifecycle_event):
        return Judgement(None, household_movement(register_status, None, lifecycle_event), None,
                         "settled" if reviewed else "awaiting_review", None)
    after = status_of(cls) if cls not in (None, "unknown") else None
    mv = household_movement(register_status, cls if after else None, lifecycle_event, ever_poor,
                            ever_near_poor) if after else None
    category = CATEGORY_OF.get(mv.kind) if mv else None
    if household_status == "preloaded" and not reviewed:
        state = "not_surveyed"
    elif after is None:
        state = "unclassified"
    elif household_status == "returned":
        state = "re_review"
    elif not reviewed:
        state = "awaiting_review"
    elif category is not None and not stood:
        state = "awaiting_meeting"
    elif complaint_pending:
        state = "complaint_pending"
    else:
        state = "settled"
    lst = None
    if mv is not None:
        lst = ("poor" if after == POOR else "near_poor" if after == NEAR_POOR else
               mv.kind if mv.kind in ("escaped_poverty", "escaped_near_poverty") else None)
    return Judgement(after, mv, category, state, lst)


@dataclass(frozen=True)
class ResultRow:
    household_id: str
    submission_id: str
    household_status: str
    group_id: int
    group_code: str
    group_name: str
    head_name: str | None
    address: str | None
    persons: int
    cls: str | None
    deprived_mask: int
    register_status: str | None
    flags: dict[str, bool]
    judgement: Judgement
    lifecycle_event: str | None = None

    @property
    def deprived(self) -> list[int]:
        return [n for n in range(1, 13) if self.deprived_mask >> (n - 1) & 1]

    def as_dict(self) -> dict[str, Any]:
        j = self.judgement
        return {"household_id": self.household_id, "submission_id": self.submission_id,
                "household_status": self.household_status, "group_code": self.group_code,
                "group_name": self.group_name, "head_name": self.head_name, "address": self.address,
                "persons": self.persons, "class": self.cls, "deprived": self.deprived,
                "register_status": self.register_status, "after": j.after,
                "movement": j.movement.kind if j.movement else None,
                "movement_vi": j.movement.label_vi if j.movement else None, "category": j.category,
                "state": j.state, "list": j.list, **self.flags}


_SQL = """SELECT h.household_id, h.submission_id, h.status AS household_status, h.group_id,
    g.code AS group_code, g.name AS group_name, COALESCE(f.head_name, h.head_name) AS head_name,
    f.address, COALESCE(f.persons, 0) AS persons, f.ethnic_minority, f.person_of_merit, f.no_labour, f.farm,
    cf.class, COALESCE(cf.deprived_mask, 0) AS deprived_mask,
    reg.status AS register_status, reg.ever_poor, reg.ever_near_poor,
    EXISTS (SELECT 1 FROM meeting_items mi JOIN community_meetings m ON m.id = mi.meeting_id
            WHERE mi.household_id = h.household_id AND mi.submission_id = h.submission_id
              AND mi.outcome = 'stands' AND m.round = :round AND m.standard_id = :standard_id) AS stood,
    EXISTS (SELECT 1 FROM complaints c WHERE c.household_id = h.household_id AND c.round = :round
              AND c.outcome = 'pending') AS complaint_pending,
    EXISTS (SELECT 1 FROM review_decisions rd WHERE rd.submission_id = h.submission_id) AS reviewed,
    sr.lifecycle_event
FROM households h JOIN area_groups g ON g.id = h.group_id
LEFT JOIN submission_rounds sr ON sr.submission_id = h.submission_id AND sr.round_year = :round
LEFT JOIN report_facts f ON f.household_id = h.household_id
LEFT JOIN report_class_facts cf ON cf.standard_id = :standard_id AND cf.household_id = h.household_id
LEFT JOIN ({register}) reg ON reg.household_id = h.household_id
WHERE {where}
ORDER BY g.code, h.head_name, h.household_id"""


def _row(r: sqlite3.Row) -> ResultRow:
    j = judge(r["class"], r["register_status"], bool(r["ever_poor"]), bool(r["ever_near_poor"]),
              r["household_status"], bool(r["stood"]), bool(r["complaint_pending"]), r["lifecycle_event"],
              reviewed=bool(r["reviewed"]))
    flags = {k: bool(r[k]) for k in ("ethnic_minority", "person_of_merit", "no_labour", "farm")}
    return ResultRow(r["household_id"], r["submission_id"], r["household_status"], r["group_id"], r["group_code"],
                     r["group_name"], r["head_name"], r["address"], r["persons"], r["class"], r["deprived_mask"],
                     r["register_status"], flags, j, r["lifecycle_event"])


def iter_results(conn: sqlite3.Connection, round_: int, standard_id: str, group_id: int | None = None,
                 household_ids: list[str] | None = None) -> Iterator[ResultRow]:
    """Stream every household's result (call ``store.facts.refresh(db)`` first)."""

    # a household gone in an earlier round is not part of this one (its decrease was that round's)
    where, params = [f"h.household_id NOT IN ({gone_before_sql(':round')})"], {
        "round": round_, "standard_id": standard_id, "round_start": status_history.round_start(round_).isoformat()}
    if group_id is not None:
        where.append("h.group_id = :group_id")
        params["group_id"] = group_id
    if household_ids is not None:
        marks = []
        for i, hid in enumerate(household_ids):
            params[f"h{i}"] = hid
            marks.append(f":h{i}")
        where.append(f"h.household_id IN ({','.join(marks) or 'NULL'})")
    extra = ("AND household_id IN (SELECT household_id FROM households WHERE group_id = :group_id)"
             if group_id is not None else "")
    sql = _SQL.format(register=status_history.register_sql(extra_where=extra), where=" AND ".join(where))
    for r in conn.execute(sql, params):
        yield _row(r)


@contextmanager
def reader(db: Database) -> Iterator[sqlite3.Connection]:
    """A separate read-only connection in one read transaction, for long streamed reads.

    Streaming responses run their iterator on several worker threads, so they must not use the
    thread-local connection (or its snapshot mode) of ``Database``."""
    conn = sqlite3.connect(db.path, check_same_thread=False, isolation_level=None,
                           timeout=db.busy_timeout_ms / 1000)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA query_only = ON")
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        try:
            conn.execute("COMMIT")
        finally:
            conn.close()


def round_of(day: dt.date) -> int:
    """The review round a date belongs to (its year)."""
    return day.year
