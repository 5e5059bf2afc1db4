"""Eligibility lists: per household, its status history (one standard) → ``shared.eligibility``,
with the window lengths from the process settings (``window_programme_support_months``,
``window_policy_credit_months``; console "Thiết lập" or ``PUT /api/v1/process/settings``).

A list per policy: every household that qualifies on a date, its basis (status) and the last
day of its window (escaped households; ``None`` = while the status holds). Streamed from SQLite
(status history ordered by household), XLSX written with xlsxwriter in constant memory.
"""
from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
import tempfile
from typing import Any, Iterator

from shared.eligibility import StatusChange, eligibility, load_policies

from .. import exportsafe, vnformat
from ..history.status_history import STATUS_LABELS, status_changes
from . import config as process_config

WINDOW_SETTINGS = {"programme_support": "window_programme_support_months",
                   "policy_credit": "window_policy_credit_months"}


def policies(conn: sqlite3.Connection) -> dict[str, Any]:
    """The policy table with the ward's window lengths."""
    values = process_config.load(conn)
    return load_policies(windows={k: int(values[v]) for k, v in WINDOW_SETTINGS.items()})


def household_eligibility(conn: sqlite3.Connection, household_id: str, standard_id: str, on: dt.date
                          ) -> list[dict[str, Any]]:
    table = policies(conn)
    labels = {p["id"]: p["label"] for p in table["policies"]}
    return [{"policy_id": e.policy_id, "label": labels[e.policy_id], "eligible": e.eligible, "basis": e.basis,
             "window_end": e.window_end.isoformat() if e.window_end else None}
            for e in eligibility(status_changes(conn, household_id, standard_id), on, table)]


_SQL = """SELECT sh.household_id, sh.status, sh.decision_date, g.code AS group_code, g.name AS group_name,
    COALESCE(f.head_name, h.head_name) AS head_name, f.address
FROM household_status_history sh
JOIN households h ON h.household_id = sh.household_id
JOIN area_groups g ON g.id = h.group_id
LEFT JOIN report_facts f ON f.household_id = sh.household_id
WHERE sh.standard_id = ? {where}
ORDER BY sh.household_id, sh.decision_date, sh.id"""


def iter_list(conn: sqlite3.Connection, policy_id: str, standard_id: str, on: dt.date,
              group_code: str | None = None, table: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Households eligible for one policy on ``on`` (streamed, by household id)."""
    table = table or policies(conn)
    if policy_id not in {p["id"] for p in table["policies"]}:
        raise KeyError(policy_id)
    where, params = "", [standard_id]
    if group_code:
        where, params = "AND g.code = ?", [standard_id, group_code]
    rows = conn.execute(_SQL.format(where=where), params)
    for hid, grp in itertools.groupby(rows, key=lambda r: r["household_id"]):
        grp = list(grp)
        changes = [StatusChange(r["status"], dt.date.fromisoformat(r["decision_date"])) for r in grp]
        e = next(x for x in eligibility(changes, on, table) if x.policy_id == policy_id)
        if not e.eligible:
            continue
        last = grp[-1]
        decided = max((c for c in changes if c.decision_date <= on), key=lambda c: c.decision_date)
        yield {"household_id": hid, "group_code": last["group_code"], "group_name": last["group_name"],
               "head_name": last["head_name"], "address": last["address"], "basis": e.basis,
               "basis_vi": STATUS_LABELS[e.basis][0] if e.basis in STATUS_LABELS else e.basis,
               "basis_en": STATUS_LABELS[e.basis][1] if e.basis in STATUS_LABELS else e.basis,
               "decision_date": decided.decision_date.isoformat(),
               "window_end": e.window_end.isoformat() if e.window_end else None}


def list_page(conn: sqlite3.Connection, policy_id: str, standard_id: str, on: dt.date, group_code: str | None,
              page: int, per_page: int) -> dict[str, Any] | None:
    """One page of a policy's list as the console shows it (``page`` kept within the pages), with the
    policies, their windows and the groups to choose from. None: no such policy."""
    table = policies(conn)
    if policy_id not in {p["id"] for p in table["policies"]}:
        return None
    rows = list(iter_list(conn, policy_id, standard_id, on, group_code, table))
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(1, page), pages)
    return {"rows": rows[(page - 1) * per_page:page * per_page], "total": len(rows), "page": page, "pages": pages,
            "policies": table["policies"], "windows": table["windows_months"],
            "groups": conn.execute("SELECT code, name FROM area_groups ORDER BY code").fetchall()}


COLUMNS = (("group_name", "Khu phố", "text"), ("head_name", "Chủ hộ", "text"), ("address", "Địa chỉ", "text"),
           ("basis_vi", "Diện", "text"), ("decision_date", "Ngày quyết định", "date"),
           ("window_end", "Hưởng đến hết ngày", "date"), ("household_id", "Mã hộ", "text"))


def write_xlsx(conn: sqlite3.Connection, policy_id: str, standard_id: str, on: dt.date,
               group_code: str | None = None) -> str:
    """The list as an XLSX in a temporary file (constant memory: every row written whole, in order);
    the caller streams and deletes it. Dates are date cells shown dd/mm/yyyy; the scope names the
    province, the ward and the standard by name."""

    table = policies(conn)
    label = next((p["label"]["vi"] for p in table["policies"] if p["id"] == policy_id), None)
    if label is None:       # unknown policy: KeyError (the routes answer 404 policy_not_found), not StopIteration
        raise KeyError(policy_id)
    ward = conn.execute("SELECT name, province_code FROM wards ORDER BY id LIMIT 1").fetchone()
    group = (conn.execute("SELECT name FROM area_groups WHERE code = ?", (group_code,)).fetchone()
             if group_code else None)
    fh = tempfile.NamedTemporaryFile(prefix="rasoat-eligibility-", suffix=".xlsx", delete=False)
    fh.close()
    wb = exportsafe.workbook(fh.name, constant_memory=True)
    ws = wb.add_worksheet("Danh sách")
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "border": 1, "bg_color": "#eef3f8", "text_wrap": True})
    date = wb.add_format({"num_format": "dd/mm/yyyy", "border": 1})
    text = wb.add_format({"border": 1})
    ws.write_string(0, 0, f"DANH SÁCH HỘ ĐƯỢC HƯỞNG: {label.upper()}", bold)
    scope = [vnformat.province_name(ward["province_code"]) if ward else "", ward["name"] if ward else "",
             group["name"] if group else "Toàn phường", f"Chuẩn: {vnformat.standard(standard_id)}",
             f"Tính đến ngày {vnformat.date(on)}"]
    ws.write_string(1, 0, " · ".join(x for x in scope if x))
    ws.write_string(2, 0, "[U] Bảng chính sách theo diện hộ chưa được đối chiếu văn bản pháp luật")
    for i, c in enumerate(("STT", *(c[1] for c in COLUMNS))):
        ws.write_string(3, i, c, head)
    ws.set_column(0, 0, 6)
    ws.set_column(1, len(COLUMNS), 20)
    n = 0
    for n, row in enumerate(iter_list(conn, policy_id, standard_id, on, group_code, table), 1):
        ws.write_number(3 + n, 0, n, text)
        for i, (key, _, kind) in enumerate(COLUMNS, 1):
            v = row.get(key)
            if kind == "date" and v:
                ws.write_datetime(3 + n, i, dt.datetime.combine(dt.date.fromisoformat(v), dt.time()), date)
            elif kind == "date":
                ws.write_string(3 + n, i, f"khi còn là {str(row.get('basis_vi') or '').lower()}", text)
            else:
                ws.write_string(3 + n, i, str(v or ""), text)
    ws.write_string(4 + n, 1, f"Tổng cộng: {n} hộ", bold)
    wb.close()
    return fh.name
