"""The Fund for the Poor ("Quỹ Vì người nghèo", plan §IV.8): campaigns, contributions in, disbursements out.

Contributions are append-only like the ledger (``fund_entries``; corrections and voids name the entry they
supersede; ``fund_current`` is the fund as it stands). A disbursement is a ledger delivery whose fund is
``fund_for_poor``, so a household's support and the fund can never disagree. The balance is
contributions minus disbursements and is never allowed below zero: a disbursement larger than the
balance, or a correction or void of a contribution that would leave less than has been spent, is refused.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from ..clock import iso, server_date
from ..db import Database
from ..errors import ApiError
from ..store import audit
from . import eligible, ledger, rules
from .scope import Scope, denied

_COLUMNS = ("kind", "supersedes", "root_id", "campaign_id", "donor_name", "donor_kind", "anonymous", "amount_vnd",
            "received_on", "receipt_no", "note", "reason", "recorded_by", "recorded_at")
DONOR_KINDS_VI = {"person": "Cá nhân", "organisation": "Tổ chức", "business": "Doanh nghiệp", "unit": "Cơ quan, đơn vị"}


def _guard(scope: Scope) -> None:
    if not scope.may_write_fund:
        raise denied("Only the Fatherland Front or the ward office records the Fund",
                     "Chỉ Ủy ban MTTQ hoặc cán bộ phường ghi nhận Quỹ Vì người nghèo")


def _invalid(problems: list[rules.Problem]) -> ApiError:
    return ApiError(422, "invalid_contribution", "; ".join(f"{p.field}: {p.message_en}" for p in problems),
                    "; ".join(p.message_vi for p in problems), [p.as_dict() for p in problems])


def create_campaign(db: Database, scope: Scope, payload: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    _guard(scope)
    today = server_date(now)
    problems: list[rules.Problem] = []
    name = str(payload.get("name") or "").strip()
    if not name or len(name) > rules.MAX_TEXT["name"]:
        problems.append(rules.Problem("name", "required", "Tên đợt vận động: chưa nhập (tối đa 200 ký tự)",
                                      "name: required (at most 200 characters)"))
    start = rules.parse_day(payload.get("starts_on"))
    if start is None:
        problems.append(rules.Problem("starts_on", "invalid_date", "Ngày bắt đầu: không hợp lệ (dd/mm/yyyy)",
                                      "starts_on: not a date"))
    end = rules.parse_day(payload.get("ends_on")) if payload.get("ends_on") else None
    if payload.get("ends_on") and (end is None or (start and end < start)):
        problems.append(rules.Problem("ends_on", "invalid_date", "Ngày kết thúc: không hợp lệ hoặc trước ngày bắt đầu",
                                      "ends_on: not a date on or after starts_on"))
    try:
        year = int(payload.get("year") or (start.year if start else today.year))
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= 2100:
        problems.append(rules.Problem("year", "invalid", "Năm: không hợp lệ", "year: 2000-2100"))
    if problems:
        raise _invalid(problems)
    stamp = iso(now)
    with db.write() as w:
        try:
            cid = w.execute("INSERT INTO fund_campaigns (year, name, starts_on, ends_on, note, created_by, created_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (year, name, start.isoformat(), end.isoformat() if end else None,
                             str(payload.get("note") or "")[:500], scope.user_id, stamp)).lastrowid
        except sqlite3.IntegrityError:
            raise ApiError(409, "campaign_exists", f"A campaign {name!r} exists for {year}",
                           f"Đã có đợt vận động \"{name}\" năm {year}") from None
        audit.record(w, stamp, "user", scope.user_id, "fund.campaign", "campaign", cid, {"name": name, "year": year})
    return campaign(db.conn, int(cid))


def campaign(conn: sqlite3.Connection, campaign_id: int) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM fund_campaigns WHERE id = ?", (campaign_id,)).fetchone()
    if row is None:
        raise ApiError(404, "campaign_not_found", "No such campaign", "Không tìm thấy đợt vận động")
    out = dict(row)
    out["raised"] = conn.execute("SELECT COALESCE(SUM(amount_vnd), 0) FROM fund_current WHERE campaign_id = ?",
                                 (campaign_id,)).fetchone()[0]
    out["contributors"] = conn.execute("SELECT COUNT(*) FROM fund_current WHERE campaign_id = ?",
                                       (campaign_id,)).fetchone()[0]
    out["spent"] = conn.execute("SELECT COALESCE(SUM(amount_vnd), 0) FROM support_current WHERE fund = ? "
                                "AND campaign_id = ?", (ledger.FUND, campaign_id)).fetchone()[0]
    return out


def campaigns(conn: sqlite3.Connection, year: int | None = None) -> list[dict[str, Any]]:
    sql, params = "SELECT id FROM fund_campaigns", []
    if year:
        sql += " WHERE year = ?"
        params.append(year)
    return [campaign(conn, r[0]) for r in conn.execute(sql + " ORDER BY starts_on DESC, id DESC", params)]


def _insert(conn: sqlite3.Connection, row: dict[str, Any]) -> int:
    cols = ("id", *_COLUMNS) if row.get("id") else _COLUMNS
    return int(conn.execute(f"INSERT INTO fund_entries ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                            [row.get(c) for c in cols]).lastrowid)


def _campaign_exists(conn: sqlite3.Connection, campaign_id: int | None) -> None:
    if campaign_id is None or conn.execute("SELECT 1 FROM fund_campaigns WHERE id = ?", (campaign_id,)).fetchone() is None:
        raise ApiError(404, "campaign_not_found", "campaign_id: no such campaign", "Đợt vận động: không tìm thấy",
                       [{"field": "campaign_id", "code": "unknown_campaign", "message_vi": "Đợt vận động: không tìm thấy",
                         "message_en": "no such campaign"}])


def contribute(db: Database, scope: Scope, payload: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    _guard(scope)
    clean, problems = rules.check_contribution(payload, server_date(now))
    if problems:
        raise _invalid(problems)
    stamp = iso(now)
    with db.write() as w:
        _campaign_exists(w, clean["campaign_id"])
        eid = w.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM fund_entries").fetchone()[0]
        _insert(w, {**clean, "id": eid, "root_id": eid, "kind": "contribution", "reason": "",
                    "received_on": clean["received_on"].isoformat(),
                    "recorded_by": scope.user_id, "recorded_at": stamp})
        audit.record(w, stamp, "user", scope.user_id, "fund.contribution", "fund_entry", eid,
                     {"campaign": clean["campaign_id"], "amount": clean["amount_vnd"], "donor": clean["donor_name"]})
    return entry(db.conn, eid)


def _current(conn: sqlite3.Connection, entry_id: int) -> dict[str, Any]:
    row = conn.execute("SELECT e.*, EXISTS (SELECT 1 FROM fund_entries n WHERE n.supersedes = e.id) AS superseded "
                       "FROM fund_entries e WHERE e.id = ?", (entry_id,)).fetchone()
    if row is None:
        raise ApiError(404, "entry_not_found", "No such fund entry", "Không tìm thấy khoản đóng góp")
    if row["kind"] == "void" or row["superseded"]:
        raise ApiError(409, "entry_superseded", "Already corrected or voided", "Khoản này đã được sửa hoặc hủy")
    return dict(row)


def correct(db: Database, scope: Scope, entry_id: int, payload: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    _guard(scope)
    old = _current(db.conn, entry_id)
    merged = {k: old[k] for k in ("campaign_id", "donor_name", "donor_kind", "anonymous", "amount_vnd", "received_on",
                                  "receipt_no", "note")}
    merged.update({k: v for k, v in payload.items() if k in merged})
    clean, problems = rules.check_contribution(merged, server_date(now))
    reason = str(payload.get("reason") or "").strip()
    if not reason:
        problems.append(rules.Problem("reason", "required", "Lý do sửa: chưa nhập", "reason: required"))
    if problems:
        raise _invalid(problems)
    stamp = iso(now)
    with db.write() as w:
        _campaign_exists(w, clean["campaign_id"])
        drop = old["amount_vnd"] - clean["amount_vnd"]
        _keep_covered(w, drop)
        try:
            nid = _insert(w, {**clean, "kind": "correction", "supersedes": entry_id, "root_id": old["root_id"],
                              "received_on": clean["received_on"].isoformat(), "reason": reason[:500],
                              "recorded_by": scope.user_id, "recorded_at": stamp})
        except sqlite3.IntegrityError:
            raise ApiError(409, "entry_superseded", "Corrected meanwhile", "Khoản này vừa được người khác sửa") from None
        audit.record(w, stamp, "user", scope.user_id, "fund.correct", "fund_entry", nid,
                     {"supersedes": entry_id, "reason": reason, "amount": [old["amount_vnd"], clean["amount_vnd"]]})
    return entry(db.conn, nid)


def void(db: Database, scope: Scope, entry_id: int, reason: str, now: dt.datetime) -> dict[str, Any]:
    _guard(scope)
    old = _current(db.conn, entry_id)
    reason = (reason or "").strip()
    if not reason:
        raise _invalid([rules.Problem("reason", "required", "Lý do hủy: chưa nhập", "reason: required")])
    stamp = iso(now)
    with db.write() as w:
        _keep_covered(w, old["amount_vnd"])
        row = {c: old[c] for c in _COLUMNS}
        row.update(kind="void", supersedes=entry_id, reason=reason[:500], recorded_by=scope.user_id, recorded_at=stamp)
        try:
            nid = _insert(w, row)
        except sqlite3.IntegrityError:
            raise ApiError(409, "entry_superseded", "Corrected meanwhile", "Khoản này vừa được người khác sửa") from None
        audit.record(w, stamp, "user", scope.user_id, "fund.void", "fund_entry", nid,
                     {"supersedes": entry_id, "reason": reason, "amount": old["amount_vnd"]})
    return entry(db.conn, nid)


def _keep_covered(conn: sqlite3.Connection, less_in: int) -> None:
    bal = ledger.fund_balance(conn)["balance"]
    if less_in > bal:
        raise ApiError(409, "fund_insufficient", "The fund would hold less than has been disbursed",
                       f"Không thể giảm {less_in:,} đồng: quỹ chỉ còn {bal:,} đồng chưa chi".replace(",", "."),
                       [{"field": "amount_vnd", "balance": bal}])


def entry(conn: sqlite3.Connection, entry_id: int) -> dict[str, Any]:
    row = conn.execute("SELECT e.*, EXISTS (SELECT 1 FROM fund_entries n WHERE n.supersedes = e.id) AS superseded "
                       "FROM fund_entries e WHERE e.id = ?", (entry_id,)).fetchone()
    if row is None:
        raise ApiError(404, "entry_not_found", "No such fund entry", "Không tìm thấy khoản đóng góp")
    out = dict(row)
    out["donor_kind_vi"] = DONOR_KINDS_VI.get(out["donor_kind"], out["donor_kind"])
    out["state"] = "voided" if out["kind"] == "void" else "superseded" if out["superseded"] else "current"
    return out


def contributions(conn: sqlite3.Connection, campaign_id: int | None = None, year: int | None = None
                  ) -> list[dict[str, Any]]:
    sql = "SELECT e.id FROM fund_current e JOIN fund_campaigns c ON c.id = e.campaign_id WHERE 1 = 1"
    params: list[Any] = []
    if campaign_id:
        sql += " AND e.campaign_id = ?"
        params.append(campaign_id)
    if year:
        sql += " AND c.year = ?"
        params.append(year)
    return [entry(conn, r[0]) for r in conn.execute(sql + " ORDER BY e.received_on DESC, e.id DESC", params)]


def disbursements(conn: sqlite3.Connection, scope: Scope, year: int | None = None) -> list[dict[str, Any]]:
    return [d for d in ledger.deliveries(conn, Scope(scope.user_id, scope.username, scope.full_name, "viewer"),
                                         year=year) if d["fund"] == ledger.FUND]


def overview(conn: sqlite3.Connection, scope: Scope, year: int | None = None) -> dict[str, Any]:
    return {"balance": ledger.fund_balance(conn), "campaigns": campaigns(conn, year),
            "contributions": contributions(conn, year=year), "disbursements": disbursements(conn, scope, year)}


def public_summary(conn: sqlite3.Connection, year: int) -> dict[str, Any]:
    """What may be posted: campaigns, contributors (named unless they asked not to be), totals, what was
    given out by support type with the number of households — no household is named."""
    cat = eligible.catalogue()
    camps = campaigns(conn, year)
    donors = [{"donor": "Nhà hảo tâm (không nêu tên)" if c["anonymous"] else c["donor_name"],
               "donor_kind_vi": c["donor_kind_vi"], "amount_vnd": c["amount_vnd"], "received_on": c["received_on"],
               "campaign_id": c["campaign_id"]} for c in contributions(conn, year=year)]
    out_rows = [{"support_type": r[0], "type_vi": cat.label("type", r[0]), "households": r[1], "amount_vnd": r[2]}
                for r in conn.execute("SELECT support_type, COUNT(DISTINCT household_id), SUM(amount_vnd) "
                                      "FROM support_current WHERE fund = ? AND delivered_on BETWEEN ? AND ? "
                                      "GROUP BY support_type ORDER BY 3 DESC",
                                      (ledger.FUND, f"{year}-01-01", f"{year}-12-31"))]
    raised = sum(d["amount_vnd"] for d in donors)
    spent = sum(r["amount_vnd"] or 0 for r in out_rows)
    return {"year": year, "campaigns": camps, "donors": donors, "raised": raised, "spent": spent,
            "households_helped": conn.execute("SELECT COUNT(DISTINCT household_id) FROM support_current WHERE fund = ? "
                                              "AND delivered_on BETWEEN ? AND ?",
                                              (ledger.FUND, f"{year}-01-01", f"{year}-12-31")).fetchone()[0],
            "by_type": out_rows, "balance": ledger.fund_balance(conn)}
