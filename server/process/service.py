"""Use cases of the community meeting, public posting, complaints and recognition decision.

Each use case: gather (results of the round from :mod:`.results`), decide (pure rules in
:mod:`.config` and :func:`.results.judge`), apply inside one ``db.write()``.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from shared.standards import applicable_standards, load_standards

from .. import vnformat
from ..auth import UserPrincipal
from ..clock import iso, server_date
from ..db import Database
from ..errors import ApiError
from ..store import facts
from ..services import returns as returns_service
from ..store import audit
from . import config
from ..history import status_history
from .results import (CATEGORY_LABELS, LIST_LABELS, LISTS, STATE_LABELS, STATE_TODO, blocks_decision,
                      iter_results)

# --- lookups ------------------------------------------------------------------------------------


def _not_found(what_en: str, what_vi: str, ref: Any) -> ApiError:
    return ApiError(404, "not_found", f"No {what_en} {ref}", f"Không có {what_vi} {ref}")


def ward_of(conn: sqlite3.Connection, ward_code: str | None = None) -> sqlite3.Row:
    if ward_code:
        row = conn.execute("SELECT * FROM wards WHERE ward_code = ?", (ward_code,)).fetchone()
        if row is None:
            raise _not_found("ward", "phường", ward_code)
        return row
    rows = conn.execute("SELECT * FROM wards ORDER BY id LIMIT 2").fetchall()
    if not rows:
        raise ApiError(409, "no_ward", "No ward is set up yet", "Chưa có phường nào")
    if len(rows) > 1:
        raise ApiError(422, "ward_required", "Several wards: name one (ward_code)",
                       "Có nhiều phường: chọn một phường")
    return rows[0]


def group_of(conn: sqlite3.Connection, group: str | int, ward_code: str | None = None) -> sqlite3.Row:
    """A residential group by id (int) or code (str, within the ward)."""
    sql = ("SELECT g.id, g.code, g.name, g.ward_id, w.ward_code, w.name AS ward_name, w.province_code, w.area_type "
           "FROM area_groups g JOIN wards w ON w.id = g.ward_id WHERE ")
    if isinstance(group, int):
        row = conn.execute(sql + "g.id = ?", (group,)).fetchone()
    else:
        ward = ward_of(conn, ward_code)
        row = conn.execute(sql + "g.code = ? AND g.ward_id = ?", (group, ward["id"])).fetchone()
    if row is None:
        raise _not_found("residential group", "khu phố", group)
    return row


def standard_choices(conn: sqlite3.Connection, round_: int, ward_code: str | None = None) -> list[dict[str, str]]:
    """Standards a ward's round can use: those in force in the province during the review
    (provincial first), else every in-force standard."""
    try:
        ward = ward_of(conn, ward_code)
        province = ward["province_code"]
    except ApiError:
        province = None
    day = dt.date(round_, 10, 1)
    found = applicable_standards(province, day) if province else []
    if not found:
        found = [s for s in load_standards().values() if s.status == "in_force"]
    found.sort(key=lambda s: ("country" in s.scope, s.id))
    return [{"id": s.id, "name_vi": s.name.get("vi", s.id), "name_en": s.name.get("en", s.id)} for s in found]


def check_standard(conn: sqlite3.Connection, standard_id: str) -> str:
    if standard_id not in load_standards():
        raise ApiError(422, "unknown_standard", f"Unknown standard {standard_id}", f"Không có chuẩn {standard_id}")
    return standard_id


# The fields of the process's forms by their Vietnamese labels (an officer reads the message).
FIELD_VI = {"held_on": "Ngày họp", "posted_on": "Ngày niêm yết", "received_on": "Ngày nhận khiếu nại",
            "rechecked_on": "Ngày phúc tra", "decision_date": "Ngày quyết định", "location": "Địa điểm",
            "chair_name": "Người chủ trì", "front_representative": "Đại diện Mặt trận",
            "secretary_name": "Thư ký", "notes": "Ghi chú", "place": "Nơi niêm yết", "complainant": "Người khiếu nại",
            "content": "Nội dung khiếu nại", "note": "Ghi chú", "number": "Số quyết định", "signer_name": "Người ký",
            "signer_title": "Chức vụ người ký", "override_reason": "Lý do vẫn ban hành"}


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ApiError(422, "invalid_date", f"{field} must be a date YYYY-MM-DD",
                       f"{FIELD_VI.get(field, 'Ngày')}: cần chọn một ngày hợp lệ (ngày/tháng/năm)") from None


def _text(value: Any, field: str, max_len: int = 500, required: bool = False) -> str:
    text = str(value or "").strip()
    label = FIELD_VI.get(field, "Một trường của trang")
    if required and not text:
        raise ApiError(422, "required", f"{field} is required", f"{label}: cần nhập")
    if len(text) > max_len:
        raise ApiError(422, "too_long", f"{field} is longer than {max_len}",
                       f"{label}: dài quá {max_len} ký tự")
    return text


def default_round(now: dt.datetime, conn: sqlite3.Connection | None = None) -> int:
    """The round a page or an API call uses when none is named: the open round (periodic or
    regular; at most one is open), else the latest periodic round already begun, or the calendar
    year when no round was ever opened (or no connection is given)."""
    if conn is not None:
        try:
            r = conn.execute("SELECT year FROM review_rounds WHERE status = 'open' OR (kind = 'periodic' AND starts_on <= ?) "
                             "ORDER BY status = 'open' DESC, year DESC, id DESC LIMIT 1",
                             (server_date(now).isoformat(),)).fetchone()
        except sqlite3.OperationalError:      # no rounds table (cycle not installed)
            r = None
        if r is not None:
            return int(r[0])
    return server_date(now).year


# --- community meeting ----------------------------------------------------------------------------

def open_meeting_households(conn: sqlite3.Connection, round_: int, standard_id: str, group_id: int) -> set[str]:
    rows = conn.execute("SELECT mi.household_id FROM meeting_items mi JOIN community_meetings m ON m.id = mi.meeting_id "
                        "WHERE m.round = ? AND m.standard_id = ? AND m.group_id = ? AND mi.outcome = 'pending'",
                        (round_, standard_id, group_id)).fetchall()
    return {r[0] for r in rows}


def candidates(db: Database, round_: int, standard_id: str, group: str | int) -> list[dict[str, Any]]:
    """The list to discuss: new poor, new near-poor and escaping households of the group whose
    result does not yet stand for their current submission (not returned, not in an open meeting)."""
    facts.refresh(db)
    conn = db.conn
    g = group_of(conn, group)
    busy = open_meeting_households(conn, round_, standard_id, g["id"])
    return [r.as_dict() for r in iter_results(conn, round_, standard_id, group_id=g["id"])
            if r.judgement.state == "awaiting_meeting" and r.household_id not in busy]


def create_meeting(db: Database, user: UserPrincipal, round_: int, standard_id: str, group: str | int,
                   held_on: Any, now: dt.datetime, *, location: str = "", chair_name: str = "",
                   front_representative: str = "", secretary_name: str = "", notes: str = "") -> dict[str, Any]:
    """Open a meeting of a group with its list to discuss (a snapshot of the candidates)."""
    check_standard(db.conn, standard_id)
    day = _date(held_on, "held_on")
    fields = {"location": _text(location, "location"), "chair_name": _text(chair_name, "chair_name", 200),
              "front_representative": _text(front_representative, "front_representative", 200),
              "secretary_name": _text(secretary_name, "secretary_name", 200), "notes": _text(notes, "notes", 4000)}
    facts.refresh(db)
    stamp = iso(now)
    with db.write() as conn:
        g = group_of(conn, group)
        if open_meeting_households(conn, round_, standard_id, g["id"]):
            raise ApiError(409, "meeting_open", "This group has a meeting whose votes are not all recorded",
                           "Khu phố này còn cuộc họp chưa ghi xong kết quả biểu quyết")
        rows = [r for r in iter_results(conn, round_, standard_id, group_id=g["id"])
                if r.judgement.state == "awaiting_meeting"]
        if not rows:
            raise ApiError(409, "nothing_to_discuss", "No household of this group needs the community meeting",
                           "Khu phố này không có hộ nào cần đưa ra họp dân")
        cur = conn.execute("INSERT INTO community_meetings (round, group_id, standard_id, held_on, location, chair_name, "
                           "front_representative, secretary_name, notes, created_by, created_at) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (round_, g["id"], standard_id, day.isoformat(), fields["location"], fields["chair_name"],
                            fields["front_representative"], fields["secretary_name"], fields["notes"], user.id, stamp))
        mid = int(cur.lastrowid)
        conn.executemany("INSERT INTO meeting_items (meeting_id, household_id, submission_id, category, movement, "
                         "previous_status, proposed_class, head_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         [(mid, r.household_id, r.submission_id, r.judgement.category, r.judgement.movement.kind,
                           r.register_status, r.cls, r.head_name) for r in rows])
        audit.record(conn, stamp, "user", user.id, "meeting.create", "meeting", mid,
                     {"group": g["code"], "round": round_, "standard_id": standard_id, "households": len(rows)})
    return get_meeting(db, mid)


def get_meeting(db: Database, meeting_id: int) -> dict[str, Any]:
    conn = db.conn
    m = conn.execute("SELECT m.*, g.code AS group_code, g.name AS group_name, w.name AS ward_name, w.ward_code "
                     "FROM community_meetings m JOIN area_groups g ON g.id = m.group_id "
                     "JOIN wards w ON w.id = g.ward_id WHERE m.id = ?", (meeting_id,)).fetchone()
    if m is None:
        raise _not_found("meeting", "cuộc họp", meeting_id)
    items = [dict(r) for r in conn.execute(
        "SELECT mi.*, f.address, f.persons FROM meeting_items mi LEFT JOIN report_facts f "
        "ON f.household_id = mi.household_id WHERE mi.meeting_id = ? ORDER BY "
        "CASE mi.category WHEN 'new_poor' THEN 1 WHEN 'new_near_poor' THEN 2 ELSE 3 END, mi.head_name, mi.id",
        (meeting_id,))]
    from shared.transitions import LABELS
    for it in items:
        it["category_vi"] = CATEGORY_LABELS[it["category"]][0]
        it["movement_vi"] = LABELS[it["movement"]][0]
        it["percent"] = (round(100 * it["agree"] / it["attendees"], 1)
                         if it["agree"] is not None and it["attendees"] else None)
    out = dict(m)
    out["items"] = items
    out["counts"] = {k: sum(1 for i in items if i["outcome"] == k) for k in ("pending", "stands", "re_review")}
    return out


def list_meetings(db: Database, round_: int | None = None, standard_id: str | None = None,
                  group: str | None = None) -> list[dict[str, Any]]:
    where, params = ["1"], []
    if round_ is not None:
        where.append("m.round = ?")
        params.append(round_)
    if standard_id:
        where.append("m.standard_id = ?")
        params.append(standard_id)
    if group:
        where.append("m.group_id = ?")
        params.append(group_of(db.conn, group)["id"])
    rows = db.all("SELECT m.*, g.code AS group_code, g.name AS group_name, "
                  "(SELECT COUNT(*) FROM meeting_items i WHERE i.meeting_id = m.id) AS items, "
                  "(SELECT COUNT(*) FROM meeting_items i WHERE i.meeting_id = m.id AND i.outcome = 'stands') AS stands, "
                  "(SELECT COUNT(*) FROM meeting_items i WHERE i.meeting_id = m.id AND i.outcome = 're_review') "
                  "AS re_review FROM community_meetings m JOIN area_groups g ON g.id = m.group_id "
                  f"WHERE {' AND '.join(where)} ORDER BY m.round DESC, g.code, m.id", params)
    return [dict(r) for r in rows]


def record_votes(db: Database, user: UserPrincipal, meeting_id: int, attendees: int | None,
                 votes: dict[str, int], now: dt.datetime) -> dict[str, Any]:
    """Record the attendance and the number agreeing per household; votes are final.

    A result stands with ≥ 50% of attendees agreeing; otherwise the household goes back to
    the collaborator through the returns service with the reason ``config.REVIEW_REASON``.
    """
    stamp = iso(now)
    with db.write() as conn:
        m = conn.execute("SELECT * FROM community_meetings WHERE id = ?", (meeting_id,)).fetchone()
        if m is None:
            raise _not_found("meeting", "cuộc họp", meeting_id)
        count = m["attendees"]
        if attendees is not None:
            if isinstance(attendees, bool) or not isinstance(attendees, int) or attendees < 1:
                raise ApiError(422, "invalid_attendees", "attendees must be a positive whole number",
                               "Số người dự họp phải là số nguyên dương")
            voted = conn.execute("SELECT 1 FROM meeting_items WHERE meeting_id = ? AND outcome != 'pending' LIMIT 1",
                                 (meeting_id,)).fetchone()
            if voted and count != attendees:
                raise ApiError(409, "attendees_fixed", "Votes were recorded: the attendance can no longer change",
                               "Đã ghi biểu quyết: không sửa được số người dự họp")
            count = attendees
            conn.execute("UPDATE community_meetings SET attendees = ? WHERE id = ?", (count, meeting_id))
        if count is None:
            raise ApiError(422, "attendees_required", "Record the number of attendees first",
                           "Cần nhập số người dự họp trước")
        items = {r["household_id"]: r for r in conn.execute("SELECT * FROM meeting_items WHERE meeting_id = ?",
                                                            (meeting_id,))}
        problems = []
        for hid, agree in votes.items():
            it = items.get(hid)
            if it is None:
                problems.append({"household_id": hid, "code": "not_in_meeting"})
            elif it["outcome"] != "pending":
                problems.append({"household_id": hid, "code": "already_voted"})
            elif isinstance(agree, bool) or not isinstance(agree, int) or not 0 <= agree <= count:
                problems.append({"household_id": hid, "code": "invalid_agree", "max": count})
        if problems:
            raise ApiError(422, "invalid_votes", "Some votes cannot be recorded",
                           "Có số liệu biểu quyết không hợp lệ (số đồng ý phải từ 0 đến số người dự họp, "
                           "mỗi hộ chỉ ghi một lần)", problems)
        results = []
        for hid, agree in votes.items():
            stands = config.vote_stands(count, agree)
            return_id = None
            if not stands:
                ret = returns_service.return_household(db, user, hid, config.REVIEW_REASON, now)
                return_id = ret["return_id"]
            conn.execute("UPDATE meeting_items SET attendees = ?, agree = ?, outcome = ?, return_id = ?, voted_at = ?, "
                         "voted_by = ? WHERE meeting_id = ? AND household_id = ?",
                         (count, agree, "stands" if stands else "re_review", return_id, stamp, user.id,
                          meeting_id, hid))
            results.append({"household_id": hid, "agree": agree, "attendees": count,
                            "outcome": "stands" if stands else "re_review", "return_id": return_id})
        left = conn.execute("SELECT COUNT(*) FROM meeting_items WHERE meeting_id = ? AND outcome = 'pending'",
                            (meeting_id,)).fetchone()[0]
        if left == 0 and m["closed_at"] is None:
            conn.execute("UPDATE community_meetings SET closed_at = ? WHERE id = ?", (stamp, meeting_id))
        audit.record(conn, stamp, "user", user.id, "meeting.votes", "meeting", meeting_id,
                     {"attendees": count, "stands": sum(r["outcome"] == "stands" for r in results),
                      "re_review": sum(r["outcome"] == "re_review" for r in results)})
    return {"meeting_id": meeting_id, "attendees": count, "results": results, "pending": left}


# --- public posting -------------------------------------------------------------------------------

def create_posting(db: Database, user: UserPrincipal, round_: int, standard_id: str, group: str | int | None,
                   posted_on: Any, now: dt.datetime, place: str = "") -> dict[str, Any]:
    """Post the lists of a group (or, with ``group`` None, of the whole ward at the ward office).

    The lists posted are the settled results (poor, near-poor, escaped poverty, escaped
    near-poverty); the end date follows the posting length setting in working days."""
    check_standard(db.conn, standard_id)
    day = _date(posted_on, "posted_on")
    facts.refresh(db)
    stamp = iso(now)
    with db.write() as conn:
        settings = config.load(conn)
        days = settings["posting_working_days"]
        ends = config.posting_end(day, days, config.parse_holidays(settings["holidays"]))
        g = group_of(conn, group) if group not in (None, "") else None
        where_place = _text(place, "place", 300) or (f"Nhà văn hóa {g['name']}" if g else "Trụ sở UBND phường")
        cur = conn.execute("INSERT INTO postings (round, standard_id, group_id, place, posted_on, ends_on, working_days, "
                           "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (round_, standard_id, g["id"] if g else None, where_place, day.isoformat(),
                            ends.isoformat(), days, user.id, stamp))
        pid = int(cur.lastrowid)
        seq = 0
        batch = []
        for r in iter_results(conn, round_, standard_id, group_id=g["id"] if g else None):
            if r.judgement.state != "settled" or r.judgement.list is None:
                continue
            seq += 1
            batch.append((pid, seq, r.household_id, r.judgement.list,
                          r.judgement.movement.kind if r.judgement.movement else None, r.group_code, r.head_name,
                          r.address, r.persons))
            if len(batch) >= 1000:
                conn.executemany("INSERT INTO posting_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
                batch.clear()
        if batch:
            conn.executemany("INSERT INTO posting_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
        audit.record(conn, stamp, "user", user.id, "posting.create", "posting", pid,
                     {"group": g["code"] if g else None, "posted_on": day.isoformat(),
                      "ends_on": ends.isoformat(), "households": seq})
    return get_posting(db, pid, with_items=False)


def get_posting(db: Database, posting_id: int, with_items: bool = True) -> dict[str, Any]:
    p = db.one("SELECT p.*, g.code AS group_code, g.name AS group_name FROM postings p "
               "LEFT JOIN area_groups g ON g.id = p.group_id WHERE p.id = ?", (posting_id,))
    if p is None:
        raise _not_found("posting", "đợt niêm yết", posting_id)
    out = dict(p)
    out["unconfirmed_length"] = True
    out["counts"] = {k: 0 for k in LISTS}
    for r in db.all("SELECT list, COUNT(*) AS n FROM posting_items WHERE posting_id = ? GROUP BY list", (posting_id,)):
        out["counts"][r["list"]] = r["n"]
    if with_items:
        out["lists"] = {k: [] for k in LISTS}
        for r in db.all("SELECT i.*, g.name AS group_name FROM posting_items i "
                        "LEFT JOIN area_groups g ON g.code = i.group_code WHERE i.posting_id = ? ORDER BY i.seq",
                        (posting_id,)):
            out["lists"][r["list"]].append(dict(r))
    return out


def list_postings(db: Database, round_: int | None = None) -> list[dict[str, Any]]:
    rows = db.all("SELECT p.*, g.code AS group_code, g.name AS group_name, "
                  "(SELECT COUNT(*) FROM posting_items i WHERE i.posting_id = p.id) AS households "
                  "FROM postings p LEFT JOIN area_groups g ON g.id = p.group_id "
                  "WHERE (? IS NULL OR p.round = ?) ORDER BY p.id DESC", (round_, round_))
    return [dict(r) for r in rows]


# --- complaints -----------------------------------------------------------------------------------

COMPLAINT_OUTCOMES = ("confirmed", "changed", "withdrawn")
OUTCOME_LABELS = {"pending": "Chưa phúc tra", "confirmed": "Phúc tra: giữ nguyên kết quả",
                  "changed": "Phúc tra: kết quả thay đổi, rà soát lại", "withdrawn": "Rút khiếu nại"}


def record_complaint(db: Database, user: UserPrincipal, round_: int, household_id: str, received_on: Any,
                     complainant: str, content: str, now: dt.datetime, posting_id: int | None = None) -> dict[str, Any]:
    day = _date(received_on, "received_on")
    who = _text(complainant, "complainant", 200, required=True)
    what = _text(content, "content", 4000, required=True)
    stamp = iso(now)
    with db.write() as conn:
        if conn.execute("SELECT 1 FROM households WHERE household_id = ?", (household_id,)).fetchone() is None:
            raise _not_found("household", "hộ", household_id)
        late = None
        if posting_id is not None:
            p = conn.execute("SELECT ends_on FROM postings WHERE id = ?", (posting_id,)).fetchone()
            if p is None:
                raise _not_found("posting", "đợt niêm yết", posting_id)
            late = day.isoformat() > p["ends_on"]
        cur = conn.execute("INSERT INTO complaints (round, household_id, posting_id, received_on, complainant, content, "
                           "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (round_, household_id, posting_id, day.isoformat(), who, what, user.id, stamp))
        cid = int(cur.lastrowid)
        audit.record(conn, stamp, "user", user.id, "complaint.create", "household", household_id,
                     {"complaint_id": cid, "late": late})
    out = get_complaint(db, cid)
    out["after_posting_end"] = late
    return out


def get_complaint(db: Database, complaint_id: int) -> dict[str, Any]:
    r = db.one("SELECT c.*, h.head_name, g.code AS group_code FROM complaints c JOIN households h "
               "ON h.household_id = c.household_id JOIN area_groups g ON g.id = h.group_id WHERE c.id = ?",
               (complaint_id,))
    if r is None:
        raise _not_found("complaint", "khiếu nại", complaint_id)
    return dict(r, outcome_vi=OUTCOME_LABELS[r["outcome"]])


def list_complaints(db: Database, round_: int | None = None, household_id: str | None = None) -> list[dict[str, Any]]:
    rows = db.all("SELECT c.*, h.head_name, g.code AS group_code, g.name AS group_name FROM complaints c JOIN households h "
                  "ON h.household_id = c.household_id JOIN area_groups g ON g.id = h.group_id "
                  "WHERE (? IS NULL OR c.round = ?) AND (? IS NULL OR c.household_id = ?) ORDER BY c.id DESC",
                  (round_, round_, household_id, household_id))
    return [dict(r, outcome_vi=OUTCOME_LABELS[r["outcome"]]) for r in rows]


def resolve_complaint(db: Database, user: UserPrincipal, complaint_id: int, outcome: str, note: str,
                      rechecked_on: Any, now: dt.datetime) -> dict[str, Any]:
    """Record the re-check outcome. ``changed``: the result must change, so the household goes
    back to the collaborator for re-review (returns service) and through a new meeting."""
    if outcome not in COMPLAINT_OUTCOMES:
        raise ApiError(422, "invalid_outcome", f"outcome must be one of {COMPLAINT_OUTCOMES}",
                       "Kết quả phúc tra không hợp lệ")
    day = _date(rechecked_on, "rechecked_on")
    text = _text(note, "note", 4000, required=(outcome == "changed"))
    stamp = iso(now)
    with db.write() as conn:
        c = conn.execute("SELECT * FROM complaints WHERE id = ?", (complaint_id,)).fetchone()
        if c is None:
            raise _not_found("complaint", "khiếu nại", complaint_id)
        if c["outcome"] != "pending":
            raise ApiError(409, "already_resolved", "This complaint already has its outcome",
                           "Khiếu nại này đã có kết quả phúc tra")
        return_id = None
        if outcome == "changed":
            ret = returns_service.return_household(db, user, c["household_id"], f"Phúc tra khiếu nại: {text}", now)
            return_id = ret["return_id"]
        conn.execute("UPDATE complaints SET outcome = ?, outcome_note = ?, rechecked_on = ?, return_id = ?, "
                     "resolved_by = ?, resolved_at = ? WHERE id = ?",
                     (outcome, text, day.isoformat(), return_id, user.id, stamp, complaint_id))
        audit.record(conn, stamp, "user", user.id, "complaint.resolve", "household", c["household_id"],
                     {"complaint_id": complaint_id, "outcome": outcome})
    return get_complaint(db, complaint_id)


# --- recognition decision -------------------------------------------------------------------------

def _blocking_row(r: Any) -> dict[str, Any]:
    """A household that keeps the decision from being issued: who, where, why, what to do."""
    st = r.judgement.state
    return {"household_id": r.household_id, "head_name": r.head_name, "group_code": r.group_code,
            "group_name": r.group_name, "address": r.address, "state": st,
            "state_vi": STATE_LABELS[st][0], "state_en": STATE_LABELS[st][1],
            "todo_vi": STATE_TODO.get(st, ("", ""))[0], "todo_en": STATE_TODO.get(st, ("", ""))[1],
            "register_status": r.register_status}


def recognition_preview(db: Database, round_: int, standard_id: str, ward_code: str | None = None,
                        sample: int = 20) -> dict[str, Any]:
    """What a decision would recognise now: counts per list, and the households not settled
    (``unsettled`` per state; ``unsettled_examples``: the first ``sample`` of them, with why)."""
    check_standard(db.conn, standard_id)
    facts.refresh(db)
    conn = db.conn
    ward = ward_of(conn, ward_code)
    counts = {k: 0 for k in LISTS}
    unsettled: dict[str, int] = {}
    examples: list[dict[str, Any]] = []
    for r in _ward_results(conn, round_, standard_id, ward["id"]):
        st = r.judgement.state
        if st == "settled":
            if r.judgement.list:
                counts[r.judgement.list] += 1
        elif blocks_decision(st, r.register_status):
            unsettled[st] = unsettled.get(st, 0) + 1
            if len(examples) < sample:
                examples.append({**r.as_dict(), **_blocking_row(r)})
    existing = conn.execute("SELECT id, number, decision_date FROM recognition_decisions "
                            "WHERE ward_id = ? AND round = ? AND standard_id = ?",
                            (ward["id"], round_, standard_id)).fetchone()
    return {"round": round_, "standard_id": standard_id, "ward_code": ward["ward_code"], "counts": counts,
            "unsettled": unsettled, "unsettled_total": sum(unsettled.values()), "unsettled_examples": examples,
            "existing_decision": dict(existing) if existing else None}


def _ward_results(conn: sqlite3.Connection, round_: int, standard_id: str, ward_id: int):
    groups = [r[0] for r in conn.execute("SELECT id FROM area_groups WHERE ward_id = ? ORDER BY code", (ward_id,))]
    for gid in groups:
        yield from iter_results(conn, round_, standard_id, group_id=gid)


MIN_OVERRIDE_REASON = 10
MAX_LISTED = 200          # households named in a refusal (the count says how many more)


def create_decision(db: Database, user: UserPrincipal, round_: int, standard_id: str, number: str,
                    decision_date: Any, signer_name: str, signer_title: str, now: dt.datetime,
                    ward_code: str | None = None, allow_unsettled: bool = False,
                    override_reason: str = "") -> dict[str, Any]:
    """The ward chair's recognition decision: stores its four lists and, for every household in
    them, the new status with the decision date in the status history.

    Only settled households are recognised: accepted by an officer, through the meeting when it
    had to discuss them, without a complaint pending. Refused (409 ``unsettled``, the households
    and why in ``details``) while any household on the lists before, or surveyed this round, is not
    settled — unless ``allow_unsettled`` with an ``override_reason`` (at least 10 characters): those
    households then keep their previous status, are listed with the decision
    (``decision_left_out``) and the reason is audited and printed on it."""
    check_standard(db.conn, standard_id)
    day = _date(decision_date, "decision_date")
    number = _text(number, "number", 100, required=True)
    signer_name = _text(signer_name, "signer_name", 200, required=True)
    signer_title = _text(signer_title, "signer_title", 200, required=True)
    reason = _text(override_reason, "override_reason", 2000)
    if allow_unsettled and len(reason) < MIN_OVERRIDE_REASON:
        raise ApiError(422, "override_reason_required",
                       f"Issuing the decision with households not settled needs a reason "
                       f"(at least {MIN_OVERRIDE_REASON} characters)",
                       f"Ban hành khi còn hộ chưa xong cần ghi lý do (ít nhất {MIN_OVERRIDE_REASON} ký tự); "
                       "lý do được in trên quyết định")
    facts.refresh(db)
    stamp = iso(now)
    with db.write() as conn:
        ward = ward_of(conn, ward_code)
        if conn.execute("SELECT 1 FROM recognition_decisions WHERE ward_id = ? AND round = ? AND standard_id = ?",
                        (ward["id"], round_, standard_id)).fetchone():
            raise ApiError(409, "decision_exists", "This round already has a recognition decision for this standard",
                           "Đợt rà soát này đã có quyết định công nhận theo chuẩn này")
        if conn.execute("SELECT 1 FROM recognition_decisions WHERE ward_id = ? AND number = ?",
                        (ward["id"], number)).fetchone():
            raise ApiError(409, "number_used", f"Decision number {number} is already used",
                           f"Số quyết định {number} đã được dùng")
        cur = conn.execute("INSERT INTO recognition_decisions (ward_id, round, standard_id, number, decision_date, "
                           "signer_name, signer_title, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (ward["id"], round_, standard_id, number, day.isoformat(), signer_name, signer_title,
                            user.id, stamp))
        did = int(cur.lastrowid)
        counts = {k: 0 for k in LISTS}
        unsettled: dict[str, int] = {}
        left_out: list[dict[str, Any]] = []
        members, history = [], []

        def flush() -> None:
            conn.executemany("INSERT INTO decision_households (decision_id, household_id, list, movement, "
                             "previous_status, submission_id, group_id, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             members)
            status_history.record_many(conn, history, stamp)
            members.clear()
            history.clear()

        for r in _ward_results(conn, round_, standard_id, ward["id"]):
            j = r.judgement
            if j.state != "settled":
                if blocks_decision(j.state, r.register_status):
                    unsettled[j.state] = unsettled.get(j.state, 0) + 1
                    left_out.append(_blocking_row(r))
                continue
            if j.list is None:
                continue
            counts[j.list] += 1
            snap = {"head_name": r.head_name, "address": r.address, "persons": r.persons, "group_code": r.group_code,
                    "group_name": r.group_name, "class": r.cls, "deprived": r.deprived,
                    "movement_vi": j.movement.label_vi if j.movement else None, **r.flags}
            members.append((did, r.household_id, j.list, j.movement.kind, r.register_status, r.submission_id,
                            r.group_id, json.dumps(snap, ensure_ascii=False, separators=(",", ":"))))
            history.append({"household_id": r.household_id, "standard_id": standard_id, "status": j.list,
                            "previous_status": r.register_status, "decision_date": day, "round": round_,
                            "decision_id": did, "decision_number": number, "source": "recognition",
                            "user_id": user.id})
            if len(members) >= 1000:
                flush()
        if unsettled and not allow_unsettled:
            total = len(left_out)
            raise ApiError(409, "unsettled",
                           f"{total} household(s) are not settled yet: each must be accepted by an officer, "
                           "discussed at the community meeting when needed and have no complaint pending",
                           f"Chưa ban hành được: còn {total} hộ chưa xong các bước (duyệt phiếu, họp dân, "
                           "phúc tra khiếu nại). Xử lý từng hộ dưới đây, hoặc ban hành kèm lý do để các hộ này "
                           "giữ nguyên tình trạng cũ.",
                           [{"counts": unsettled, "total": total, "households": left_out[:MAX_LISTED]}])
        flush()
        conn.executemany("INSERT INTO decision_left_out (decision_id, household_id, state, register_status) "
                         "VALUES (?, ?, ?, ?)",
                         [(did, x["household_id"], x["state"], x["register_status"]) for x in left_out])
        conn.execute("UPDATE recognition_decisions SET counts = ?, override_reason = ? WHERE id = ?",
                     (json.dumps({**counts, "unsettled": unsettled}, separators=(",", ":")),
                      reason if left_out else "", did))
        audit.record(conn, stamp, "user", user.id, "recognition.create", "decision", did,
                     {"number": number, "round": round_, "standard_id": standard_id, "counts": counts,
                      **({"override": {"reason": reason, "left_out": len(left_out), "states": unsettled}}
                         if left_out else {})})
    return get_decision(db, did)


DECISION_FIELDS = ("number", "decision_date", "signer_name", "signer_title", "override_reason")
HELD_BACK = ("unsettled", "override_reason_required")   # refusals answered with the households to settle


@dataclass(frozen=True)
class DecisionOutcome:
    """The decision issued, or the refusal that keeps it back (a ``HELD_BACK`` code) with the
    recognition preview: the households not settled, each with what to do."""
    decision: dict[str, Any] | None = None
    refusal: ApiError | None = None
    preview: dict[str, Any] | None = None


def issue_decision(db: Database, user: UserPrincipal, round_: int, standard_id: str, fields: dict[str, str],
                   now: dt.datetime, allow_unsettled: bool = False) -> DecisionOutcome:
    """``create_decision`` with the ``DECISION_FIELDS`` as a form gives them; any other refusal is raised."""
    try:
        return DecisionOutcome(decision=create_decision(
            db, user, round_, standard_id, fields["number"], fields["decision_date"], fields["signer_name"],
            fields["signer_title"], now, allow_unsettled=allow_unsettled, override_reason=fields["override_reason"]))
    except ApiError as exc:
        if exc.code not in HELD_BACK:
            raise
        return DecisionOutcome(refusal=exc, preview=recognition_preview(db, round_, standard_id, sample=MAX_LISTED))


def decision_left_out(db: Database, decision_id: int) -> list[dict[str, Any]]:
    """The households a decision issued with an override did not settle (they kept their status)."""
    rows = db.all("SELECT lo.household_id, lo.state, lo.register_status, h.head_name, g.code AS group_code, "
                  "g.name AS group_name FROM decision_left_out lo JOIN households h ON h.household_id = lo.household_id "
                  "JOIN area_groups g ON g.id = h.group_id WHERE lo.decision_id = ? ORDER BY g.code, h.head_name",
                  (decision_id,))
    return [dict(r, state_vi=STATE_LABELS[r["state"]][0], state_en=STATE_LABELS[r["state"]][1]) for r in rows]


def get_decision(db: Database, decision_id: int) -> dict[str, Any]:
    d = db.one("SELECT d.*, w.name AS ward_name, w.ward_code FROM recognition_decisions d JOIN wards w "
               "ON w.id = d.ward_id WHERE d.id = ?", (decision_id,))
    if d is None:
        raise _not_found("decision", "quyết định", decision_id)
    std = load_standards().get(d["standard_id"])
    return dict(d, counts=json.loads(d["counts"]), standard_name=vnformat.standard(d["standard_id"]),
                standard_name_en=vnformat.standard(d["standard_id"], "en"),
                legal_basis=std.legal_basis if std else "")


def list_decisions(db: Database, round_: int | None = None) -> list[dict[str, Any]]:
    rows = db.all("SELECT d.*, w.name AS ward_name FROM recognition_decisions d JOIN wards w ON w.id = d.ward_id "
                  "WHERE (? IS NULL OR d.round = ?) ORDER BY d.id DESC", (round_, round_))
    return [dict(r, counts=json.loads(r["counts"])) for r in rows]


def decision_for(db: Database, round_: int, standard_id: str, ward_id: int | None = None) -> dict[str, Any] | None:
    r = db.one("SELECT id FROM recognition_decisions WHERE round = ? AND standard_id = ? AND (? IS NULL OR ward_id = ?)",
               (round_, standard_id, ward_id, ward_id))
    return None if r is None else get_decision(db, r["id"])


def decision_households(db: Database, decision_id: int, list_name: str | None = None,
                        group: str | None = None, after: int = 0, limit: int = 500) -> list[dict[str, Any]]:
    where, params = ["dh.decision_id = ?", "dh.rowid > ?"], [decision_id, after]
    if list_name:
        where.append("dh.list = ?")
        params.append(list_name)
    if group:
        where.append("dh.group_id = ?")
        params.append(group_of(db.conn, group)["id"])
    rows = db.all("SELECT dh.rowid AS rid, dh.*, g.code AS group_code FROM decision_households dh "
                  f"JOIN area_groups g ON g.id = dh.group_id WHERE {' AND '.join(where)} "
                  "ORDER BY dh.rowid LIMIT ?", (*params, limit))
    return [dict(r, snapshot=json.loads(r["snapshot"]), list_vi=LIST_LABELS[r["list"]][0]) for r in rows]


def certificate(db: Database, decision_id: int, household_id: str) -> dict[str, Any]:
    """What the certificate of one household prints: the decision, the household's list and its
    members as they were in the submission the decision recognised."""
    d = get_decision(db, decision_id)
    r = db.one("SELECT * FROM decision_households WHERE decision_id = ? AND household_id = ?",
               (decision_id, household_id))
    if r is None:
        raise _not_found("household in this decision", "hộ trong quyết định này", household_id)
    body = db.value("SELECT body FROM submissions WHERE submission_id = ?", (r["submission_id"],))
    answers = json.loads(body).get("answers", {}) if body else {}
    members = [{"full_name": m.get("full_name"), "relation": m.get("relation"),
                "birth_year": (m.get("birth_date") or "")[:4] or m.get("birth_year"), "sex": m.get("sex")}
               for m in answers.get("members") or () if isinstance(m, dict)]
    std = load_standards().get(d["standard_id"])
    return {"decision": d, "household_id": household_id, "list": r["list"], "list_vi": LIST_LABELS[r["list"]][0],
            "snapshot": json.loads(r["snapshot"]), "members": members,
            "standard_name_vi": std.name.get("vi", std.id) if std else d["standard_id"]}


def household_statuses(db: Database, household_id: str) -> dict[str, Any]:
    if db.one("SELECT 1 FROM households WHERE household_id = ?", (household_id,)) is None:
        raise _not_found("household", "hộ", household_id)
    return {"household_id": household_id, "history": status_history.history(db.conn, household_id),
            "complaints": list_complaints(db, household_id=household_id),
            "meetings": [dict(r) for r in db.all(
                "SELECT mi.meeting_id, m.round, m.standard_id, m.held_on, mi.category, mi.attendees, mi.agree, "
                "mi.outcome FROM meeting_items mi JOIN community_meetings m ON m.id = mi.meeting_id "
                "WHERE mi.household_id = ? ORDER BY mi.id", (household_id,))]}


def overview(db: Database, round_: int, standard_id: str) -> dict[str, Any]:
    """The process page of a round and standard: per group the households in each state and the
    settled ones per list, the groups whose meeting has households not voted on (``busy``), the
    meetings, postings, complaints and decisions, the recognition preview, the settings, the chair
    and the households posted."""
    preview = recognition_preview(db, round_, standard_id, sample=0)
    facts.refresh(db)
    groups = db.all("SELECT id, code, name FROM area_groups ORDER BY code")
    per_group: dict[str, dict[str, int]] = {}
    for g in groups:
        counts = {k: 0 for k in STATE_LABELS}
        lists = {k: 0 for k in LISTS}
        for row in iter_results(db.conn, round_, standard_id, group_id=g["id"]):
            counts[row.judgement.state] += 1
            if row.judgement.state == "settled" and row.judgement.list:
                lists[row.judgement.list] += 1
        per_group[g["code"]] = {**counts, **lists}
    meetings = list_meetings(db, round_, standard_id)
    return {"groups": groups, "per_group": per_group, "meetings": meetings,
            "busy": {m["group_code"] for m in meetings if m["items"] > m["stands"] + m["re_review"]},
            "postings": list_postings(db, round_), "complaints": list_complaints(db, round_),
            "decisions": list_decisions(db, round_), "preview": preview, "settings": settings_view(db),
            "chair_name": config.load(db.conn)["chair_name"],
            "posted": db.all("SELECT DISTINCT pi.household_id, pi.head_name, g.name AS group_name FROM posting_items pi "
                             "JOIN postings p ON p.id = pi.posting_id LEFT JOIN area_groups g ON g.code = pi.group_code "
                             "WHERE p.round = ? ORDER BY g.name, pi.head_name", (round_,))}


def settings_view(db: Database) -> list[dict[str, Any]]:
    return config.describe(db.conn)


def update_settings(db: Database, user: UserPrincipal, values: dict[str, Any], now: dt.datetime) -> list[dict[str, Any]]:
    stamp = iso(now)
    try:
        with db.write() as conn:
            clean = config.store(conn, values, user.id, stamp)
            audit.record(conn, stamp, "user", user.id, "process.settings", "settings", None, clean)
    except config.ProcessSettingError as exc:
        raise ApiError(422, "invalid_setting", str(exc), f"Thiết lập không hợp lệ: {exc}") from None
    return settings_view(db)
