"""Needs and follow-up: a need belongs to the body whose support answers it (the catalogue's need types),
stays open until a delivery answers it (``ledger.record`` closes it) or someone closes it with a reason.

Needs come from the review's answers (:func:`derive_from_review`, once per household, type, member and
round), from a collaborator's tablet (:func:`record_from_device`, idempotent by the tablet's id), from the
office or from a partner (:func:`record`).
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from shared import wire
from shared.programme import suggest_needs

from ..auth import DevicePrincipal
from ..clock import iso, server_date
from ..db import Database
from ..errors import ApiError
from ..store import facts
from ..store import audit
from . import eligible, households, rules, tablet
from .scope import Scope, denied

SOURCES_VI = {"review": "Từ phiếu rà soát", "collaborator": "Cộng tác viên ghi nhận", "office": "Cán bộ phường ghi nhận",
              "partner": "Đơn vị phối hợp ghi nhận"}


def _problem(field: str, code: str, vi: str, en: str) -> ApiError:
    return ApiError(422, "invalid_need", f"{field}: {en}", vi, [{"field": field, "code": code, "message_vi": vi,
                                                                "message_en": en}])


def _clean(conn: sqlite3.Connection, household_id: str, payload: dict[str, Any], today: dt.date) -> dict[str, Any]:
    cat = eligible.catalogue()
    nt = cat.need_types.get(str(payload.get("need_type") or ""))
    if nt is None:
        if not payload.get("need_type"):
            raise _problem("need_type", "required", "Loại nhu cầu: chưa chọn", "need_type: required")
        raise _problem("need_type", "unknown_need", "Loại nhu cầu: không có trong danh mục", "unknown need type")
    mid = payload.get("member_id")
    mid = str(mid).strip() if mid not in (None, "") else None
    members = {m["member_id"]: m["full_name"] for m in households.members(conn, household_id)}
    if nt["recipient"] == "person":
        if mid is None:
            raise _problem("member_id", "required", f"Người có nhu cầu: chọn thành viên (\"{nt['label']['vi']}\")",
                           "a person's need names a member")
        if mid not in members:
            raise _problem("member_id", "unknown_member", "Người có nhu cầu: không phải thành viên của hộ",
                           "not a member of the household")
    else:
        mid = None
    noted = rules.parse_day(payload.get("noted_on")) if payload.get("noted_on") else today
    if noted is not None and noted > today:
        raise _problem("noted_on", "future_date", f"Ngày ghi nhận: {noted:%d/%m/%Y} chưa tới",
                       "noted_on: a day in the future")
    if noted is None or noted < rules.EARLIEST:
        raise _problem("noted_on", "invalid_date", "Ngày ghi nhận: không hợp lệ (dd/mm/yyyy)",
                       "noted_on: not a valid date")
    note = str(payload.get("note") or "").strip()
    if len(note) > rules.MAX_TEXT["note"]:
        raise _problem("note", "too_long", "Ghi chú: tối đa 500 ký tự", "note: at most 500 characters")
    return {"need_type": nt["id"], "body_id": nt["body"], "member_id": mid, "person_name": members.get(mid),
            "noted_on": noted.isoformat(), "note": note}


def _existing_open(conn: sqlite3.Connection, household_id: str, need_type: str, member_id: str | None
                   ) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM needs WHERE household_id = ? AND need_type = ? AND COALESCE(member_id, '') = ? "
                       "AND status = 'open' ORDER BY id LIMIT 1", (household_id, need_type, member_id or "")).fetchone()
    return dict(row) if row else None


def _insert(conn: sqlite3.Connection, household_id: str, clean: dict[str, Any], source: str, source_ref: str,
            actor_type: str, actor_id: Any, stamp: str, client_id: str | None = None) -> int:
    cur = conn.execute("INSERT INTO needs (client_id, household_id, member_id, person_name, need_type, body_id, source, "
                       "source_ref, noted_on, note, created_by_type, created_by, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (client_id, household_id, clean["member_id"], clean["person_name"], clean["need_type"],
                        clean["body_id"], source, source_ref, clean["noted_on"], clean["note"], actor_type,
                        None if actor_id is None else str(actor_id), stamp))
    return int(cur.lastrowid)


def record(db: Database, scope: Scope, household_id: str, payload: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """A need noted in the office or by a partner. An open need of the same type and person is returned
    as it is (``existing: true``), never doubled."""
    today = server_date(now)
    conn = db.conn
    if not scope.can_write:
        raise denied("Viewers cannot record needs", "Tài khoản chỉ xem không ghi nhận được nhu cầu")
    households.require_visible(conn, scope, household_id, today)
    clean = _clean(conn, household_id, payload, today)
    if not scope.records_any_need and clean["body_id"] != scope.body_id:
        raise denied("This need belongs to another body", "Nhu cầu này thuộc đơn vị khác phụ trách")
    stamp = iso(now)
    with db.write() as w:
        found = _existing_open(w, household_id, clean["need_type"], clean["member_id"])
        if found:
            return {**present(found), "existing": True}
        nid = _insert(w, household_id, clean, "partner" if scope.is_partner else "office", "", "user", scope.user_id,
                      stamp)
        audit.record(w, stamp, "user", scope.user_id, "need.record", "household", household_id,
                     {"need": nid, "type": clean["need_type"], "member": clean["member_id"]})
        tablet.publish(w, household_id, stamp)
    return {**get(db.conn, nid), "existing": False}


def record_from_device(db: Database, device: DevicePrincipal, items: Any, now: dt.datetime) -> list[dict[str, Any]]:
    """Needs a collaborator noted on the tablet: one result per item (accepted / duplicate / rejected),
    one bad item never sinks the others. ``client_id`` (a UUID made on the tablet) makes a resend safe."""
    if not isinstance(items, list) or len(items) > 500:
        raise ApiError(422, "invalid_needs", "needs: a list of at most 500 items",
                       "Danh sách nhu cầu không hợp lệ (tối đa 500)")
    today = server_date(now)
    out = []
    for item in items:
        cid = item.get("client_id") if isinstance(item, dict) else None
        try:
            if not isinstance(item, dict) or not wire.is_uuid(cid):
                raise _problem("client_id", "invalid", "Mã nhu cầu trên máy tính bảng không hợp lệ", "client_id: a UUID")
            hid = str(item.get("household_id") or "")
            with db.write() as w:
                prev = w.execute("SELECT * FROM needs WHERE client_id = ?", (cid,)).fetchone()
                if prev is not None:
                    if prev["household_id"] != hid or prev["need_type"] != item.get("need_type"):
                        raise ApiError(409, "client_id_conflict", "client_id reused for another need",
                                       "Mã nhu cầu đã dùng cho nhu cầu khác")
                    out.append({"client_id": cid, "status": "duplicate", "need": present(dict(prev))})
                    continue
                row = w.execute("SELECT group_id FROM households WHERE household_id = ?", (hid,)).fetchone()
                if row is None or row[0] not in device.group_ids:
                    raise ApiError(404, "household_not_found", "No such household in your area",
                                   "Không tìm thấy hộ trong địa bàn của bạn")
                clean = _clean(w, hid, item, today)
                stamp = iso(now)
                nid = _insert(w, hid, clean, "collaborator", "", "device", device.device_id, stamp, client_id=cid)
                audit.record(w, stamp, "device", device.device_id, "need.record", "household", hid,
                             {"need": nid, "type": clean["need_type"], "member": clean["member_id"]})
                tablet.publish(w, hid, stamp)
            out.append({"client_id": cid, "status": "accepted", "need": get(db.conn, nid)})
        except ApiError as exc:
            out.append({"client_id": cid, "status": "rejected", "code": exc.code, "message": exc.message,
                        "message_vi": exc.message_vi, "details": exc.details})
    return out


def close(db: Database, scope: Scope, need_id: int, reason: str, note: str, now: dt.datetime) -> dict[str, Any]:
    cat = eligible.catalogue()
    n = _need(db.conn, need_id)
    if n is None or not scope.sees_body(n["body_id"]) or (
            scope.group_id is not None and not households.visible(db.conn, scope, n["household_id"], server_date(now))):
        raise ApiError(404, "need_not_found", "No such need", "Không tìm thấy nhu cầu")
    if not scope.may_write_body(n["body_id"]):
        raise denied("This need belongs to another body", "Nhu cầu này thuộc đơn vị khác phụ trách")
    if reason not in cat.close_reasons:
        raise _problem("reason", "unknown_reason", "Lý do đóng: chọn một lý do trong danh sách", "reason: unknown")
    note = (note or "").strip()[:rules.MAX_TEXT["note"]]
    stamp = iso(now)
    with db.write() as w:
        cur = w.execute("UPDATE needs SET status = 'closed', closed_on = ?, closed_by = ?, closed_at = ?, "
                        "close_reason = ?, close_note = ? WHERE id = ? AND status = 'open'",
                        (server_date(now).isoformat(), scope.user_id, stamp, reason, note, need_id))
        if cur.rowcount != 1:
            raise ApiError(409, "need_closed", "The need is already closed", "Nhu cầu này đã được đóng")
        audit.record(w, stamp, "user", scope.user_id, "need.close", "household", n["household_id"],
                     {"need": need_id, "reason": reason, "note": note})
        tablet.publish(w, n["household_id"], stamp)
    return get(db.conn, need_id)


def _need(conn: sqlite3.Connection, need_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM needs WHERE id = ?", (need_id,)).fetchone()
    return dict(row) if row else None


def get(conn: sqlite3.Connection, need_id: int) -> dict[str, Any]:
    n = _need(conn, need_id)
    if n is None:
        raise ApiError(404, "need_not_found", "No such need", "Không tìm thấy nhu cầu")
    return present(n)


def present(n: dict[str, Any]) -> dict[str, Any]:
    cat = eligible.catalogue()
    n = dict(n)
    n["need_vi"] = cat.label("need", n["need_type"])
    n["body_vi"] = cat.label("body", n["body_id"])
    n["source_vi"] = SOURCES_VI.get(n["source"], n["source"])
    n["close_reason_vi"] = cat.label("reason", n["close_reason"]) if n.get("close_reason") else None
    return n


_LIST = ("SELECT n.*, g.code AS group_code, g.name AS group_name, COALESCE(f.head_name, h.head_name) AS head_name, "
         "f.address FROM needs n JOIN households h ON h.household_id = n.household_id "
         "JOIN area_groups g ON g.id = h.group_id LEFT JOIN report_facts f ON f.household_id = n.household_id "
         "WHERE {where} ORDER BY n.noted_on, n.id")


def list_needs(conn: sqlite3.Connection, scope: Scope, status: str | None = "open", body_id: str | None = None,
               group_id: int | None = None, household_id: str | None = None, year: int | None = None,
               limit: int | None = None) -> list[dict[str, Any]]:
    where, params = ["1 = 1"], []
    if scope.is_partner:
        if scope.body_id != "residential_groups":
            where.append("n.body_id = ?")
            params.append(scope.body_id)
        if scope.group_id is not None:
            where.append("h.group_id = ?")
            params.append(scope.group_id)
    for cond, value in (("n.status = ?", status), ("n.body_id = ?", body_id), ("h.group_id = ?", group_id),
                        ("n.household_id = ?", household_id)):
        if value not in (None, ""):
            where.append(cond)
            params.append(value)
    if year:
        where.append("(n.noted_on <= ? AND (n.status = 'open' OR n.closed_on >= ?))")
        params += [f"{year}-12-31", f"{year}-01-01"]
    sql = _LIST.format(where=" AND ".join(where)) + (f" LIMIT {int(limit)}" if limit else "")
    return [present(dict(r)) for r in conn.execute(sql, params)]


def _keys(standard_id: str, mask: int) -> set[str]:
    """The keys of the indicators a deprived mask sets, under its standard (numbers differ by standard)."""
    from shared.standards import load_standards
    std = load_standards().get(standard_id)
    return {i.key for i in std.indicators if mask >> (i.number - 1) & 1} if std else set()


def derive_from_review(db: Database, scope: Scope | None, year: int, now: dt.datetime) -> dict[str, Any]:
    """Needs read from the current answers of every household the programme is for (eligible for at least
    one support type on ``now``), once per household, type, member and round (``source_ref`` review:YEAR).
    Housing and information come from the classification's deprived indicators under the programme's
    standards."""
    facts.refresh(db)
    today = server_date(now)
    conn = db.conn
    cat = eligible.catalogue()
    stds = eligible.programme_standards(conn, year)
    hids = [hid for hid, _ in eligible.eligible_households(conn, list(cat.types), today, stds)]
    created, seen = 0, 0
    stamp = iso(now)
    ref = f"review:{year}"
    for i in range(0, len(hids), 200):
        chunk = hids[i:i + 200]
        marks = ",".join("?" * len(chunk))
        bodies = {r[0]: r[1] for r in conn.execute(
            f"SELECT h.household_id, s.body FROM households h JOIN submissions s ON s.submission_id = h.submission_id "
            f"WHERE h.household_id IN ({marks}) AND h.status != 'preloaded' AND s.collected_at >= ?",
            (*chunk, f"{year}-01-01"))}
        deprived: dict[str, set[str]] = {}
        if stds:
            for hid, std, mask in conn.execute(
                    f"SELECT household_id, standard_id, deprived_mask FROM report_class_facts WHERE household_id IN "
                    f"({marks}) AND standard_id IN ({','.join('?' * len(stds))})", (*chunk, *stds)):
                deprived.setdefault(hid, set()).update(_keys(std, mask))
        with db.write() as w:
            for hid, body in bodies.items():
                answers = (json.loads(body).get("answers") or {})
                if not isinstance(answers, dict) or answers.get("lifecycle", {}).get("event") in (
                        "moved_away", "dissolved", "merged"):
                    continue
                seen += 1
                for s in suggest_needs(answers, deprived.get(hid, ())):
                    nt = cat.need_types[s.need_type]
                    cur = w.execute("INSERT OR IGNORE INTO needs (household_id, member_id, person_name, need_type, "
                                    "body_id, source, source_ref, noted_on, note, created_by_type, created_by, "
                                    "created_at) VALUES (?, ?, ?, ?, ?, 'review', ?, ?, ?, ?, ?, ?)",
                                    (hid, s.member_id, s.person_name, s.need_type, nt["body"], ref,
                                     str(answers.get("collected_at") or today.isoformat())[:10], s.reason_vi,
                                     "user" if scope else "system", str(scope.user_id) if scope else None, stamp))
                    if cur.rowcount:
                        created += 1
                        tablet.publish(w, hid, stamp)
            audit.record(w, stamp, "user" if scope else "system", scope.user_id if scope else None,
                         "need.derive", "round", year, {"households": len(bodies), "chunk": i})
    return {"year": year, "households_read": seen, "needs_created": created}
