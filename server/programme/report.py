"""The plan's year-end report: the targets, what was delivered by plan section and by responsible body, to
how many households and persons, and the funds used; the Fund for the Poor. One set of tables
(:func:`tables`) feeds both the printable page and the XLSX, so they cannot differ.

A table is ``{"id", "title", "columns", "rows", "total"}``; a cell is text, an int (households, persons,
VND: thousands dots), a float (a percentage: one decimal, decimal comma) or None (not measured: "—").
"""
from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
from typing import Any

from ..db import Database
from ..exportsafe import workbook
from . import eligible, fund, targets

TITLE = "BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH GIẢM NGHÈO BỀN VỮNG NĂM {year}"
NOTE = ("Danh mục hỗ trợ, đơn vị và nguồn kinh phí theo Kế hoạch của phường (mục II–IV); diện được hưởng từng loại "
        "hỗ trợ là dữ liệu chưa đối chiếu văn bản pháp luật [U]. Số người: thành viên được hỗ trợ trực tiếp.")


def _delivered(conn: sqlite3.Connection, year: int, group_by: str) -> dict[str, dict[str, int]]:
    y0, y1 = f"{year}-01-01", f"{year}-12-31"
    out = {}
    for key, n, hh, persons, qty, amount in conn.execute(
            f"SELECT {group_by}, COUNT(*), COUNT(DISTINCT household_id), "
            f"COUNT(DISTINCT CASE WHEN member_id IS NOT NULL THEN household_id || '/' || member_id END), "
            f"SUM(quantity), COALESCE(SUM(amount_vnd), 0) FROM support_current WHERE delivered_on BETWEEN ? AND ? "
            f"GROUP BY {group_by}", (y0, y1)):
        out[key] = {"deliveries": n, "households": hh, "persons": persons, "quantity": qty, "amount": amount}
    return out


def _total(conn: sqlite3.Connection, year: int, where: str = "1 = 1", params: tuple[Any, ...] = ()) -> dict[str, int]:
    row = conn.execute(
        "SELECT COUNT(*), COUNT(DISTINCT household_id), COUNT(DISTINCT CASE WHEN member_id IS NOT NULL THEN "
        "household_id || '/' || member_id END), COALESCE(SUM(quantity), 0), COALESCE(SUM(amount_vnd), 0) "
        f"FROM support_current WHERE delivered_on BETWEEN ? AND ? AND {where}",
        (f"{year}-01-01", f"{year}-12-31", *params)).fetchone()
    return {"deliveries": row[0], "households": row[1], "persons": row[2], "quantity": row[3], "amount": row[4]}


def build(db: Database, year: int, on: dt.date) -> dict[str, Any]:
    conn = db.conn
    cat = eligible.catalogue()
    t = targets.compute(db, year, on)
    by_type = _delivered(conn, year, "support_type")
    by_body = _delivered(conn, year, "body_id")
    by_fund = _delivered(conn, year, "fund")
    y0, y1 = f"{year}-01-01", f"{year}-12-31"
    needs_by_body: dict[str, dict[str, int]] = {}
    for body, opened, by_delivery, by_reason, still_open in conn.execute(
            "SELECT body_id, SUM(noted_on BETWEEN :a AND :b), "
            "SUM(status = 'closed' AND close_delivery_id IS NOT NULL AND closed_on BETWEEN :a AND :b), "
            "SUM(status = 'closed' AND close_delivery_id IS NULL AND closed_on BETWEEN :a AND :b), "
            "SUM(noted_on <= :b AND (status = 'open' OR closed_on > :b)) FROM needs GROUP BY body_id",
            {"a": y0, "b": y1}):
        needs_by_body[body] = {"opened": opened or 0, "by_delivery": by_delivery or 0, "by_reason": by_reason or 0,
                               "open": still_open or 0}
    return {"year": year, "on": on.isoformat(), "targets": t, "by_type": by_type, "by_body": by_body,
            "by_fund": by_fund, "needs": needs_by_body, "total": _total(conn, year), "cat": cat,
            "fund": fund.public_summary(conn, year),
            "sections": {s["id"]: _total(conn, year, "plan_section = ?", (s["id"],)) for s in cat.data["sections"]}}


def _goal(row: dict[str, Any]) -> str:
    g = row["goal"]
    g = int(g) if float(g).is_integer() else g
    if row["unit"] == "percent":
        return f"≥ {str(g).replace('.', ',')}%"
    return f"≤ {g} hộ"


def _met(row: dict[str, Any]) -> str:
    if not row.get("measured", True) or row["met"] is None:
        return "Chưa đo"
    return "Đạt" if row["met"] else "Chưa đạt"


def tables(data: dict[str, Any]) -> list[dict[str, Any]]:
    cat = data["cat"]
    out: list[dict[str, Any]] = []
    # 1. targets, ward
    trows = []
    for r in data["targets"]["targets"]:
        measured = r.get("measured", True)
        counted = measured and r["unit"] == "percent"           # a target not measured shows no counts
        trows.append([r["label_vi"], _goal(r), r["value"] if measured else None, r["part"] if counted else None,
                      r["whole"] if counted else None, _met(r), len(r["blocking"]) if measured else None])
    out.append({"id": "targets", "title": "I. Chỉ tiêu kế hoạch (mục I.2) — toàn phường",
                "columns": ["Chỉ tiêu", "Mục tiêu", "Kết quả (hộ hoặc %)", "Số đạt", "Tổng số", "Đánh giá",
                            "Số hộ/người chưa đạt"], "rows": trows, "total": None,
                "notes": [*data["targets"]["not_measured"]] + [r["note_vi"] for r in data["targets"]["targets"]
                                                                if r.get("note_vi")]})
    # 2. targets per group
    groups = data["targets"]["groups"]
    grows = []
    for r in data["targets"]["targets"]:
        cells: list[Any] = [r["label_vi"]]
        for g in r["per_group"]:
            cells.append(g["value"] if r.get("measured", True) else None)
        grows.append(cells)
    out.append({"id": "targets_by_group", "title": "II. Chỉ tiêu theo khu phố (số hộ hoặc %)",
                "columns": ["Chỉ tiêu", *groups.values()], "rows": grows, "total": None, "notes": []})
    # 3. by plan section and support type
    srows = []
    for s in cat.data["sections"]:
        types = [t for t in cat.data["support_types"] if t["section"] == s["id"]]
        if not types:
            continue
        st = data["sections"][s["id"]]
        srows.append([s["id"], s["label"]["vi"], "", st["deliveries"], st["households"], st["persons"], st["amount"]])
        for t in types:
            d = data["by_type"].get(t["id"], {})
            srows.append(["", t["label"]["vi"], cat.label("body", t["body"]), d.get("deliveries", 0),
                          d.get("households", 0), d.get("persons", 0), d.get("amount", 0)])
    tot = data["total"]
    out.append({"id": "by_section", "title": "III. Kết quả hỗ trợ theo nội dung của Kế hoạch (mục II)",
                "columns": ["Mục", "Nội dung hỗ trợ", "Đơn vị thực hiện", "Lượt hỗ trợ", "Số hộ", "Số người",
                            "Kinh phí (đồng)"], "rows": srows,
                "total": ["", "Tổng cộng", "", tot["deliveries"], tot["households"], tot["persons"], tot["amount"]],
                "notes": ["Số hộ của tổng cộng là số hộ khác nhau được hỗ trợ (một hộ nhận nhiều loại được tính một lần)."]})
    # 4. by body
    brows = []
    for b in cat.delivering_bodies():
        d, n = data["by_body"].get(b["id"], {}), data["needs"].get(b["id"], {})
        brows.append([b["plan_section"], b["label"]["vi"], d.get("deliveries", 0), d.get("households", 0),
                      d.get("persons", 0), d.get("amount", 0), n.get("opened", 0), n.get("by_delivery", 0),
                      n.get("by_reason", 0), n.get("open", 0)])
    nt = [sum(r[i] for r in brows) for i in range(6, 10)]
    out.append({"id": "by_body", "title": "IV. Kết quả theo cơ quan, đơn vị thực hiện (mục IV)",
                "columns": ["Mục", "Cơ quan, đơn vị", "Lượt hỗ trợ", "Số hộ", "Số người", "Kinh phí (đồng)",
                            "Nhu cầu ghi nhận trong năm", "Đã giải quyết bằng hỗ trợ", "Đóng vì lý do khác",
                            "Còn chờ cuối năm"], "rows": brows,
                "total": ["", "Tổng cộng", tot["deliveries"], tot["households"], tot["persons"], tot["amount"], *nt],
                "notes": []})
    # 5. by fund
    frows = []
    for f in cat.data["funds"]:
        d = data["by_fund"].get(f["id"], {})
        frows.append([f["label"]["vi"], d.get("deliveries", 0), d.get("households", 0), d.get("amount", 0)])
    out.append({"id": "by_fund", "title": "V. Kinh phí sử dụng theo nguồn (mục III)",
                "columns": ["Nguồn kinh phí", "Lượt hỗ trợ", "Số hộ", "Kinh phí (đồng)"], "rows": frows,
                "total": ["Tổng cộng", tot["deliveries"], tot["households"], tot["amount"]], "notes": []})
    fs = data["fund"]
    out.append({"id": "fund", "title": "VI. Quỹ Vì người nghèo", "columns": ["Nội dung", "Số tiền (đồng)"],
                "rows": [["Vận động được trong năm", fs["raised"]], ["Đã chi hỗ trợ trong năm", fs["spent"]],
                         ["Số hộ được hỗ trợ từ Quỹ", fs["households_helped"]], ["Số dư Quỹ", fs["balance"]["balance"]]],
                "total": None, "notes": []})
    # 6. who keeps the targets from being met
    krows = []
    for r in data["targets"]["targets"]:
        for b in r["blocking"]:
            krows.append([r["label_vi"], b["group_code"], b.get("head_name") or "", b.get("address") or "",
                          b.get("person_name") or "", b["reason_vi"]])
    out.append({"id": "blocking", "title": "VII. Hộ, người chưa đạt chỉ tiêu",
                "columns": ["Chỉ tiêu", "Khu phố", "Chủ hộ", "Địa chỉ", "Người", "Lý do"], "rows": krows,
                "total": None, "notes": []})
    return out


def cell_text(v: Any) -> str:
    """How a cell reads on the page (and what the test compares with the XLSX)."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "Có" if v else "Không"
    if isinstance(v, int):
        return f"{v:,}".replace(",", ".")
    if isinstance(v, float):
        return f"{v:.1f}".replace(".", ",")
    return str(v)


def write_xlsx(data: dict[str, Any]) -> str:
    """The report as an XLSX in a temporary file (the caller streams and deletes it). Text from users is
    written as text, never as a formula (``server.exportsafe``)."""

    fh = tempfile.NamedTemporaryFile(prefix="rasoat-programme-report-", suffix=".xlsx", delete=False)
    fh.close()
    wb = workbook(fh.name)
    title = wb.add_format({"bold": True, "font_size": 13})
    head = wb.add_format({"bold": True, "text_wrap": True, "border": 1, "bg_color": "#eef3f8", "valign": "top"})
    text = wb.add_format({"border": 1})
    num = wb.add_format({"border": 1, "num_format": "#,##0"})
    pct = wb.add_format({"border": 1, "num_format": "0.0"})
    bold_text = wb.add_format({"border": 1, "bold": True})
    bold_num = wb.add_format({"border": 1, "bold": True, "num_format": "#,##0"})
    note = wb.add_format({"italic": True, "font_color": "#7a4b00"})
    names = {"targets": "Chỉ tiêu", "targets_by_group": "Chỉ tiêu theo khu phố", "by_section": "Theo nội dung",
             "by_body": "Theo đơn vị", "by_fund": "Nguồn kinh phí", "fund": "Quỹ Vì người nghèo",
             "blocking": "Hộ chưa đạt"}
    for tbl in tables(data):
        ws = wb.add_worksheet(names[tbl["id"]])
        ws.write_string(0, 0, TITLE.format(year=data["year"]), title)
        ws.write_string(1, 0, tbl["title"], title)
        ws.write_string(2, 0, NOTE, note)
        for c, h in enumerate(tbl["columns"]):
            ws.write_string(3, c, h, head)
            ws.set_column(c, c, 40 if c == (1 if tbl["id"] in ("by_section", "by_body") else 0) else 16)
        r = 4
        for row in tbl["rows"] + ([tbl["total"]] if tbl["total"] else []):
            is_total = tbl["total"] is not None and row is tbl["total"]
            for c, v in enumerate(row):
                if v is None:
                    ws.write_string(r, c, "—", text)
                elif isinstance(v, bool):
                    ws.write_string(r, c, cell_text(v), text)
                elif isinstance(v, int):
                    ws.write_number(r, c, v, bold_num if is_total else num)
                elif isinstance(v, float):
                    ws.write_number(r, c, v, pct)
                else:
                    ws.write_string(r, c, str(v), bold_text if is_total else text)
            r += 1
        for n in tbl["notes"]:
            r += 1
            ws.write_string(r, 0, n, note)
    wb.close()
    return fh.name
