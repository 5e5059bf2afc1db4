"""What the programme shows of a household: who it is (head, address, group; members' names and birth
years for support given to a person) and whether a scope may see it at all. Nothing else of the answers
leaves this module for a partner."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from shared.dates import birth_year

from ..errors import ApiError
from . import eligible
from .scope import GROUP_BODY, Scope

_IDENT = ("SELECT h.household_id, h.submission_id, h.group_id, g.code AS group_code, g.name AS group_name, "
          "COALESCE(f.head_name, h.head_name) AS head_name, f.address FROM households h "
          "JOIN area_groups g ON g.id = h.group_id LEFT JOIN report_facts f ON f.household_id = h.household_id "
          "WHERE h.household_id = ?")


def identity(conn: sqlite3.Connection, household_id: str) -> dict[str, Any] | None:
    row = conn.execute(_IDENT, (household_id,)).fetchone()
    if row is None:
        return None
    out = dict(row)
    if out["address"] is None or out["head_name"] is None:
        doc = _answers(conn, out["submission_id"])
        addr = doc.get("address") if isinstance(doc.get("address"), dict) else {}
        out["address"] = out["address"] or " ".join(str(addr.get(k) or "") for k in ("house_number", "street")).strip()
        if out["head_name"] is None:
            head = next((m for m in doc.get("members") or () if isinstance(m, dict) and m.get("relation") == "head"), {})
            out["head_name"] = head.get("full_name")
    return out


def _answers(conn: sqlite3.Connection, submission_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT body FROM submissions WHERE submission_id = ?", (submission_id,)).fetchone()
    if row is None:
        return {}
    body = json.loads(row[0])
    answers = body.get("answers") if isinstance(body, dict) else None
    return answers if isinstance(answers, dict) else {}


def members(conn: sqlite3.Connection, household_id: str) -> list[dict[str, Any]]:
    """Member id, name and birth year of the household's current members (nothing else)."""
    row = conn.execute("SELECT submission_id FROM households WHERE household_id = ?", (household_id,)).fetchone()
    if row is None:
        return []
    out = []
    for m in _answers(conn, row[0]).get("members") or ():
        if isinstance(m, dict) and m.get("member_id"):
            out.append({"member_id": str(m["member_id"]), "full_name": m.get("full_name") or "",
                        "birth_year": birth_year(m), "relation": m.get("relation")})
    return out


def _has_history(conn: sqlite3.Connection, household_id: str, body_id: str) -> bool:
    return conn.execute("SELECT 1 FROM support_entries WHERE household_id = ? AND body_id = ? UNION ALL "
                        "SELECT 1 FROM needs WHERE household_id = ? AND body_id = ? LIMIT 1",
                        (household_id, body_id, household_id, body_id)).fetchone() is not None


def visible(conn: sqlite3.Connection, scope: Scope, household_id: str, on: dt.date) -> bool:
    if conn.execute("SELECT group_id FROM households WHERE household_id = ?", (household_id,)).fetchone() is None:
        return False
    if not scope.is_partner:
        return True
    gid = conn.execute("SELECT group_id FROM households WHERE household_id = ?", (household_id,)).fetchone()[0]
    if scope.group_id is not None and gid != scope.group_id:
        return False
    if scope.body_id == GROUP_BODY:
        return True
    cat = eligible.catalogue()
    mine = {t["id"] for t in cat.types_of(scope.body_id or "")}
    if mine & set(eligible.household_types(conn, household_id, on)):
        return True
    return _has_history(conn, household_id, scope.body_id or "")


def require_visible(conn: sqlite3.Connection, scope: Scope, household_id: str, on: dt.date) -> None:
    """404 for an unknown household and, to a partner, for one outside its body (a partner cannot tell
    an existing household it may not see from one that does not exist)."""
    if not visible(conn, scope, household_id, on):
        raise ApiError(404, "household_not_found", "Unknown household (or not one of your body's)",
                       "Không tìm thấy hộ (hoặc hộ không thuộc diện đơn vị được xem)")


def listing(conn: sqlite3.Connection, scope: Scope, on: dt.date, body_id: str | None = None,
            support_type: str | None = None, group_id: int | None = None, limit: int = 5000) -> list[dict[str, Any]]:
    """Households the scope's body serves on ``on``: eligible for one of its support types (a residential
    group: every household of its group), with those types, plus households it has needs or deliveries for."""
    cat = eligible.catalogue()
    body = scope.body_id if scope.is_partner else body_id
    if scope.group_id is not None:
        group_id = scope.group_id
    types = [t["id"] for t in (cat.types_of(body) if body else cat.data["support_types"])]
    if support_type:
        types = [t for t in types if t == support_type]
    found: dict[str, dict[str, Any]] = {hid: got for hid, got in eligible.eligible_households(
        conn, types, on, group_id=group_id)}
    extra_sql = "SELECT household_id FROM needs WHERE {b} UNION SELECT household_id FROM support_entries WHERE {b}"
    if body:
        for (hid,) in conn.execute(extra_sql.format(b="body_id = ?"), (body, body)):
            found.setdefault(hid, {})
    if scope.body_id == GROUP_BODY and group_id is not None and not support_type:
        for (hid,) in conn.execute("SELECT household_id FROM households WHERE group_id = ?", (group_id,)):
            found.setdefault(hid, {})
    ids = list(found)
    rows: list[dict[str, Any]] = []
    open_counts: dict[str, int] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        params: list[Any] = list(chunk)
        gsql = ""
        if group_id is not None:
            gsql = " AND h.group_id = ?"
            params.append(group_id)
        for r in conn.execute(
                "SELECT h.household_id, g.code AS group_code, g.name AS group_name, "
                "COALESCE(f.head_name, h.head_name) AS head_name, f.address FROM households h "
                f"JOIN area_groups g ON g.id = h.group_id LEFT JOIN report_facts f ON f.household_id = h.household_id "
                f"WHERE h.household_id IN ({marks}){gsql}", params):
            rows.append(dict(r, types=found[r["household_id"]]))
        nsql = f"SELECT household_id, COUNT(*) FROM needs WHERE status = 'open' AND household_id IN ({marks})"
        nparams: list[Any] = list(chunk)
        if body and body != GROUP_BODY:
            nsql += " AND body_id = ?"
            nparams.append(body)
        for hid, n in conn.execute(nsql + " GROUP BY household_id", nparams):
            open_counts[hid] = n
    for r in rows:
        r["open_needs"] = open_counts.get(r["household_id"], 0)
        r["types_vi"] = [cat.label("type", t) for t in r["types"]]
    rows.sort(key=lambda r: (r["group_code"], r["head_name"] or "", r["household_id"]))
    return rows[:limit]
