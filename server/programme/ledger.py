"""The support ledger: each delivery of support to a household or a person, append-only.

A correction or a void is a new entry naming the one it supersedes (``supersedes`` is unique, so two
officers correcting the same entry at once cannot both win); the database refuses UPDATE and DELETE
(triggers of migration 14). ``support_current`` is the ledger as it stands. Every entry is written with
its audit row in the same transaction, closes the needs it answers (a void reopens them) and refreshes
the household's support on the tablets of its group.

Each write is three steps: gather (catalogue, household, eligibility, open needs), check (pure:
``rules.check_delivery``; scope and eligibility), apply (one ``BEGIN IMMEDIATE`` transaction).
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from ..clock import iso, server_date
from ..db import Database
from ..errors import ApiError
from ..store import audit
from . import eligible, households, rules, tablet
from .scope import Scope, denied
from .evidence import may_name

FUND = "fund_for_poor"
_COLUMNS = ("kind", "supersedes", "root_id", "household_id", "member_id", "person_name", "support_type", "body_id",
            "plan_section", "delivered_on", "quantity", "amount_vnd", "fund", "campaign_id", "evidence_no",
            "evidence_sha256", "note", "reason", "recorded_by", "recorded_at")


def _invalid(problems: list[rules.Problem]) -> ApiError:
    return ApiError(422, "invalid_delivery", "; ".join(f"{p.field}: {p.message_en}" for p in problems),
                    "; ".join(p.message_vi for p in problems), [p.as_dict() for p in problems])


def fund_balance(conn: sqlite3.Connection) -> dict[str, int]:
    cin = conn.execute("SELECT COALESCE(SUM(amount_vnd), 0) FROM fund_current").fetchone()[0]
    cout = conn.execute("SELECT COALESCE(SUM(amount_vnd), 0) FROM support_current WHERE fund = ?", (FUND,)).fetchone()[0]
    return rules.fund_balance([cin], [cout])


def _check_fund(conn: sqlite3.Connection, amount: int | None, released: int = 0) -> None:
    bal = fund_balance(conn)["balance"] + released
    if (amount or 0) > bal:
        raise ApiError(409, "fund_insufficient", f"The Fund for the Poor holds {bal} VND, less than {amount}",
                       f"Quỹ Vì người nghèo chỉ còn {bal:,} đồng, không đủ chi {amount:,} đồng".replace(",", "."),
                       [{"field": "amount_vnd", "balance": bal}])


def _campaign_ok(conn: sqlite3.Connection, campaign_id: int | None) -> None:
    if campaign_id is not None and conn.execute("SELECT 1 FROM fund_campaigns WHERE id = ?", (campaign_id,)).fetchone() is None:
        raise ApiError(404, "campaign_not_found", "campaign_id: no such campaign", "Đợt vận động: không tìm thấy",
                       [{"field": "campaign_id", "code": "unknown_campaign", "message_vi": "Đợt vận động: không tìm thấy",
                         "message_en": "no such campaign"}])


def _evidence_ok(conn: sqlite3.Connection, sha256: str | None, scope: Scope | None = None) -> None:
    if sha256 and (conn.execute("SELECT 1 FROM support_evidence WHERE sha256 = ?", (sha256,)).fetchone() is None
                   or (scope is not None and not may_name(conn, scope, sha256))):   # another body's: as if absent
        raise ApiError(404, "evidence_not_found", "evidence_sha256: no photo stored with that hash",
                       "Ảnh chứng từ: chưa được tải lên", [{"field": "evidence_sha256", "code": "unknown_evidence",
                                                            "message_vi": "Ảnh chứng từ: chưa được tải lên",
                                                            "message_en": "no such photo"}])


def _members(conn: sqlite3.Connection, household_id: str) -> dict[str, str]:
    return {m["member_id"]: m["full_name"] for m in households.members(conn, household_id)}


def open_needs(conn: sqlite3.Connection, household_id: str, body_id: str | None = None) -> list[dict[str, Any]]:
    sql, params = "SELECT * FROM needs WHERE household_id = ? AND status = 'open'", [household_id]
    if body_id:
        sql += " AND body_id = ?"
        params.append(body_id)
    return [dict(r) for r in conn.execute(sql + " ORDER BY id", params)]


def _allowed(conn: sqlite3.Connection, household_id: str, t: dict[str, Any], day: dt.date) -> dict[str, Any] | None:
    """Why the household may receive type ``t`` on ``day``: its eligibility, or an open need routed to
    the type's body (a household in difficulty found door to door). None: it may not."""
    basis = eligible.household_types(conn, household_id, day).get(t["id"])
    if basis:
        return {"eligible": basis}
    needs = open_needs(conn, household_id, t["body"])
    if needs:
        return {"need_ids": [n["id"] for n in needs]}
    return None


def _insert(conn: sqlite3.Connection, row: dict[str, Any]) -> int:
    cols = ("id", *_COLUMNS) if row.get("id") else _COLUMNS
    cur = conn.execute(f"INSERT INTO support_entries ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                       [row.get(c) for c in cols])
    return int(cur.lastrowid)


def _entry(conn: sqlite3.Connection, entry_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT e.*, EXISTS (SELECT 1 FROM support_entries n WHERE n.supersedes = e.id) AS superseded "
                       "FROM support_entries e WHERE e.id = ?", (entry_id,)).fetchone()
    return dict(row) if row else None


def record(db: Database, scope: Scope, household_id: str, payload: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """Record one delivery. 422 with every problem; 403 outside the scope's body; 404 household."""
    cat = eligible.catalogue()
    today = server_date(now)
    conn = db.conn
    households.require_visible(conn, scope, household_id, today)
    clean, problems = rules.check_delivery(cat, payload, today, _members(conn, household_id))
    if problems:
        raise _invalid(problems)
    t = cat.types[clean["support_type"]]
    if not scope.may_write_body(t["body"]):
        raise denied(f"{t['id']} belongs to {t['body']}, not to your body",
                     f"\"{t['label']['vi']}\" do {cat.label('body', t['body'])} ghi nhận, không thuộc đơn vị của bạn")
    why = _allowed(conn, household_id, t, clean["delivered_on"])
    if why is None:
        raise ApiError(422, "not_eligible", f"The household does not qualify for {t['id']} on "
                       f"{clean['delivered_on'].isoformat()} and has no open need for {t['body']}",
                       f"Hộ không thuộc diện được \"{t['label']['vi']}\" vào ngày "
                       f"{clean['delivered_on'].strftime('%d/%m/%Y')} và không có nhu cầu đang chờ với đơn vị này",
                       [{"field": "support_type", "code": "not_eligible"}])
    stamp = iso(now)
    row = {**clean, "kind": "delivery", "household_id": household_id, "delivered_on": clean["delivered_on"].isoformat(),
           "reason": "",
           "recorded_by": scope.user_id, "recorded_at": stamp, "evidence_sha256": payload.get("evidence_sha256") or None}
    with db.write() as w:
        _campaign_ok(w, row["campaign_id"])
        _evidence_ok(w, row["evidence_sha256"], scope)
        if row["fund"] == FUND:
            _check_fund(w, row["amount_vnd"])
        # a first delivery is its own chain's root: its id is taken in advance (writers are serialised
        # by BEGIN IMMEDIATE), as the row can never be updated afterwards
        entry_id = w.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM support_entries").fetchone()[0]
        _insert(w, {**row, "id": entry_id, "root_id": entry_id})
        closed = rules.close_matches(row, t.get("closes", ()), open_needs(w, household_id, t["body"]))
        _close_needs(w, closed, entry_id, scope.user_id, row["delivered_on"], stamp)
        audit.record(w, stamp, "user", scope.user_id, "support.deliver", "household", household_id,
                     {"entry": entry_id, "type": row["support_type"], "body": row["body_id"],
                      "on": row["delivered_on"], "quantity": row["quantity"], "amount": row["amount_vnd"],
                      "fund": row["fund"], "evidence": row["evidence_no"], "photo": row["evidence_sha256"],
                      "closed_needs": closed, "basis": why})
        tablet.publish(w, household_id, stamp)
    return {**get(db.conn, entry_id), "closed_needs": closed}


def _close_needs(conn: sqlite3.Connection, need_ids: list[int], entry_id: int, user_id: int, on: str, stamp: str) -> None:
    for nid in need_ids:
        conn.execute("UPDATE needs SET status = 'closed', closed_on = ?, closed_by = ?, closed_at = ?, "
                     "close_delivery_id = ?, close_reason = NULL WHERE id = ? AND status = 'open'",
                     (on, user_id, stamp, entry_id, nid))


def get(conn: sqlite3.Connection, entry_id: int) -> dict[str, Any]:
    e = _entry(conn, entry_id)
    if e is None:
        raise ApiError(404, "entry_not_found", "No such ledger entry", "Không tìm thấy bản ghi hỗ trợ")
    return _present(e)


def _present(e: dict[str, Any]) -> dict[str, Any]:
    cat = eligible.catalogue()
    e = dict(e)
    e["type_vi"] = cat.label("type", e["support_type"])
    e["body_vi"] = cat.label("body", e["body_id"])
    e["fund_vi"] = cat.label("fund", e["fund"])
    t = cat.types.get(e["support_type"])
    e["unit_vi"] = t["unit"]["vi"] if t else ""
    e["state"] = ("voided" if e["kind"] == "void" else "superseded" if e.get("superseded") else "current")
    return e


def _successor_guard(conn: sqlite3.Connection, scope: Scope, entry_id: int) -> dict[str, Any]:
    e = _entry(conn, entry_id)
    if e is None or not scope.sees_body(e["body_id"]):
        raise ApiError(404, "entry_not_found", "No such ledger entry", "Không tìm thấy bản ghi hỗ trợ")
    if not scope.may_write_body(e["body_id"]):
        raise denied("This entry belongs to another body", "Bản ghi này thuộc đơn vị khác")
    if e["kind"] == "void" or e["superseded"]:
        latest = conn.execute("WITH RECURSIVE c(id) AS (SELECT ? UNION ALL SELECT n.id FROM support_entries n "
                              "JOIN c ON n.supersedes = c.id) SELECT MAX(id) FROM c", (entry_id,)).fetchone()[0]
        raise ApiError(409, "entry_superseded", f"Entry {entry_id} was already corrected or voided; the latest is "
                       f"{latest}", f"Bản ghi {entry_id} đã được sửa hoặc hủy; hãy sửa bản ghi mới nhất ({latest})",
                       [{"latest_id": latest}])
    return e


def correct(db: Database, scope: Scope, entry_id: int, payload: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """A correction: a new entry with the new values (same household and type), naming the old one."""
    cat = eligible.catalogue()
    today = server_date(now)
    conn = db.conn
    old = _successor_guard(conn, scope, entry_id)
    reason = str(payload.get("reason") or "").strip()
    merged = {k: old[k] for k in ("delivered_on", "quantity", "amount_vnd", "fund", "member_id", "evidence_no", "note",
                                  "campaign_id")}
    merged.update({k: v for k, v in payload.items() if k in merged})
    known = _members(conn, old["household_id"])
    if old["member_id"]:                   # a member who has since left the household may stay named
        known.setdefault(old["member_id"], old["person_name"] or "")
    clean, problems = rules.check_delivery(cat, merged, today, known, support_type=old["support_type"])
    if not reason:
        problems.append(rules.Problem("reason", "required", "Lý do sửa: chưa nhập", "reason: required"))
    elif len(reason) > rules.MAX_TEXT["reason"]:
        problems.append(rules.Problem("reason", "too_long", "Lý do sửa: quá dài", "reason: too long"))
    if problems:
        raise _invalid(problems)
    stamp = iso(now)
    row = {**clean, "kind": "correction", "supersedes": entry_id, "root_id": old["root_id"],
           "household_id": old["household_id"], "delivered_on": clean["delivered_on"].isoformat(),
           "reason": reason, "recorded_by": scope.user_id, "recorded_at": stamp,
           "evidence_sha256": payload.get("evidence_sha256", old["evidence_sha256"])}
    with db.write() as w:
        _campaign_ok(w, row["campaign_id"])
        _evidence_ok(w, row["evidence_sha256"] if row["evidence_sha256"] != old["evidence_sha256"] else None, scope)
        if row["fund"] == FUND:
            _check_fund(w, row["amount_vnd"], released=old["amount_vnd"] or 0 if old["fund"] == FUND else 0)
        try:
            new_id = _insert(w, row)
        except sqlite3.IntegrityError:
            raise ApiError(409, "entry_superseded", "Entry was corrected meanwhile", "Bản ghi vừa được người khác sửa") from None
        w.execute("UPDATE needs SET close_delivery_id = ? WHERE close_delivery_id = ?", (new_id, entry_id))
        audit.record(w, stamp, "user", scope.user_id, "support.correct", "household", old["household_id"],
                     {"entry": new_id, "supersedes": entry_id, "reason": reason,
                      "changed": {k: [old[k], row[k]] for k in ("delivered_on", "quantity", "amount_vnd", "fund",
                                                                 "member_id", "evidence_no", "note") if old[k] != row[k]}})
        tablet.publish(w, old["household_id"], stamp)
    return get(db.conn, new_id)


def void(db: Database, scope: Scope, entry_id: int, reason: str, now: dt.datetime) -> dict[str, Any]:
    """Cancel an entry: a void entry (a copy of its values) naming it; the needs it closed reopen."""
    conn = db.conn
    old = _successor_guard(conn, scope, entry_id)
    reason = (reason or "").strip()
    if not reason or len(reason) > rules.MAX_TEXT["reason"]:
        raise _invalid([rules.Problem("reason", "required", "Lý do hủy: chưa nhập (tối đa 500 ký tự)",
                                      "reason: required (at most 500 characters)")])
    stamp = iso(now)
    row = {c: old[c] for c in _COLUMNS if c in old}
    row.update(kind="void", supersedes=entry_id, root_id=old["root_id"], reason=reason,
               recorded_by=scope.user_id, recorded_at=stamp)
    with db.write() as w:
        try:
            new_id = _insert(w, row)
        except sqlite3.IntegrityError:
            raise ApiError(409, "entry_superseded", "Entry was corrected meanwhile", "Bản ghi vừa được người khác sửa") from None
        reopened = [r[0] for r in w.execute("SELECT id FROM needs WHERE close_delivery_id = ?", (entry_id,))]
        w.execute("UPDATE needs SET status = 'open', closed_on = NULL, closed_by = NULL, closed_at = NULL, "
                  "close_delivery_id = NULL WHERE close_delivery_id = ?", (entry_id,))
        audit.record(w, stamp, "user", scope.user_id, "support.void", "household", old["household_id"],
                     {"entry": new_id, "supersedes": entry_id, "reason": reason, "reopened_needs": reopened})
        tablet.publish(w, old["household_id"], stamp)
    return {**get(db.conn, new_id), "reopened_needs": reopened}


_LIST = ("SELECT e.*, 0 AS superseded, g.code AS group_code, g.name AS group_name, "
         "COALESCE(f.head_name, h.head_name) AS head_name FROM support_current e "
         "JOIN households h ON h.household_id = e.household_id JOIN area_groups g ON g.id = h.group_id "
         "LEFT JOIN report_facts f ON f.household_id = e.household_id WHERE {where} "
         "ORDER BY e.delivered_on DESC, e.id DESC")


def deliveries(conn: sqlite3.Connection, scope: Scope, year: int | None = None, body_id: str | None = None,
               support_type: str | None = None, group_id: int | None = None, household_id: str | None = None,
               limit: int | None = None) -> list[dict[str, Any]]:
    """The current ledger, newest first, within the scope."""
    where, params = ["1 = 1"], []
    if scope.is_partner:
        where.append("e.body_id = ?")
        params.append(scope.body_id)
        if scope.group_id is not None:
            where.append("h.group_id = ?")
            params.append(scope.group_id)
    if body_id:
        where.append("e.body_id = ?")
        params.append(body_id)
    if year:
        where.append("e.delivered_on BETWEEN ? AND ?")
        params += [f"{year}-01-01", f"{year}-12-31"]
    if support_type:
        where.append("e.support_type = ?")
        params.append(support_type)
    if group_id is not None:
        where.append("h.group_id = ?")
        params.append(group_id)
    if household_id:
        where.append("e.household_id = ?")
        params.append(household_id)
    sql = _LIST.format(where=" AND ".join(where)) + (f" LIMIT {int(limit)}" if limit else "")
    return [_present(dict(r)) for r in conn.execute(sql, params)]


def household_history(conn: sqlite3.Connection, scope: Scope, household_id: str) -> list[dict[str, Any]]:
    """Every entry of a household (current, corrected, voided), oldest first, within the scope's bodies."""
    sql = ("SELECT e.*, EXISTS (SELECT 1 FROM support_entries n WHERE n.supersedes = e.id) AS superseded "
           "FROM support_entries e WHERE e.household_id = ?")
    params: list[Any] = [household_id]
    if scope.is_partner:
        sql += " AND e.body_id = ?"
        params.append(scope.body_id)
    return [_present(dict(r)) for r in conn.execute(sql + " ORDER BY e.delivered_on, e.id", params)]


def body_totals(conn: sqlite3.Connection, year: int, body_id: str | None = None) -> list[dict[str, Any]]:
    """Per body: deliveries, households, persons, amount in ``year``; open needs now."""
    cat = eligible.catalogue()
    where, params = "delivered_on BETWEEN ? AND ?", [f"{year}-01-01", f"{year}-12-31"]
    if body_id:
        where += " AND body_id = ?"
        params.append(body_id)
    got = {r[0]: r for r in conn.execute(
        f"SELECT body_id, COUNT(*), COUNT(DISTINCT household_id), COUNT(DISTINCT household_id || '/' || member_id), "
        f"COALESCE(SUM(amount_vnd), 0) FROM support_current WHERE {where} GROUP BY body_id", params)}
    open_n = {r[0]: r[1] for r in conn.execute("SELECT body_id, COUNT(*) FROM needs WHERE status = 'open' GROUP BY body_id")}
    out = []
    for b in cat.data["bodies"]:
        if body_id and b["id"] != body_id:
            continue
        r = got.get(b["id"])
        out.append({"body": b, "deliveries": r[1] if r else 0, "households": r[2] if r else 0,
                    "persons": r[3] if r else 0, "amount": r[4] if r else 0, "open_needs": open_n.get(b["id"], 0)})
    return out
