"""Report output: JSON-ready tables, XLSX (xlsxwriter, ``constant_memory``: rows go to disk as
they are written) and CSV (a generator of text chunks). Both read the database through a cursor:
the named lists of a province-sized database never sit in memory.

Sheet / file layout: title, scope line, the [U] note, the label row, the **column-code row**,
then the rows and (for tables) the total row. CSV: label row, code row, rows, total; UTF-8 with
a BOM so that Excel shows Vietnamese text, percentages with a decimal comma.
"""
from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .. import exportsafe, vnformat
from ..process.results import LIST_LABELS, LISTS
from .builders import BUILDERS, Scope, decision_id, iter_named, ward_pass


def build(conn: sqlite3.Connection, scope: Scope, layout: dict[str, Any],
          cache: dict[str, Any] | None = None) -> dict[str, Any]:
    """A table report (not the named lists): rows and total as metric dicts, plus cells in column order.
    ``cache`` shares one pass over the households between reports of the same scope."""
    rows, total, meta = BUILDERS[layout["builder"]](conn, scope, {**layout.get("params", {}), "_cache": cache})
    cols = layout["columns"]
    return {"report_id": layout["id"], "title": layout["title"], "unconfirmed": layout["unconfirmed"],
            "sheet": layout["sheet"],
            "note": layout.get("note"), "columns": [{k: c[k] for k in ("code", "metric", "label", "type")}
                                                    for c in cols],
            "rows": rows, "total": total, "meta": meta,
            "cells": [[r.get(c["metric"]) for c in cols] for r in rows],
            "total_cells": [total.get(c["metric"]) if c["type"] != "text" or c["metric"] == "group_name" else ""
                            for c in cols]}


HEAD_ROW, CODE_ROW = 3, 4      # 0-based rows of the column labels and the column codes


def scope_line(info: dict[str, Any]) -> str:
    """``Tỉnh Quảng Ninh · Phường Bãi Cháy · Toàn phường · Đợt rà soát năm 2026 · Chuẩn: …`` — the
    province and the ward (no district: two-tier local government since 1/7/2025)."""
    parts = [info.get("province_name"), info.get("ward_name"), info.get("group_name") or "Toàn phường",
             f"Đợt rà soát năm {info.get('round')}", f"Chuẩn: {info.get('standard_name') or ''}"]
    return " · ".join(p for p in parts if p)


def _sheet_name(text: str, used: set[str]) -> str:
    bad = '[]:*?/\\'
    base = "".join("_" if ch in bad else ch for ch in text)[:31]
    name, i = base, 2
    while name.lower() in used:
        suffix = f" {i}"
        name = base[:31 - len(suffix)] + suffix
        i += 1
    used.add(name.lower())
    return name


class Workbook:
    """An XLSX file written row by row (constant memory)."""

    def __init__(self, path: str | Path):
        self.wb = exportsafe.workbook(path, constant_memory=True)
        self.used: set[str] = set()
        self.title = self.wb.add_format({"bold": True, "font_size": 13})
        self.note = self.wb.add_format({"italic": True, "font_color": "#7a4b00"})
        self.head = self.wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "border": 1,
                                        "bg_color": "#eef3f8"})
        self.code = self.wb.add_format({"bold": True, "align": "center", "border": 1, "bg_color": "#f5f5f5"})
        self.int = self.wb.add_format({"num_format": "#,##0", "border": 1})
        self.pct = self.wb.add_format({"num_format": "0.00", "border": 1})
        self.text = self.wb.add_format({"border": 1})
        self.total_int = self.wb.add_format({"num_format": "#,##0", "border": 1, "bold": True})
        self.total_pct = self.wb.add_format({"num_format": "0.00", "border": 1, "bold": True})
        self.total_text = self.wb.add_format({"border": 1, "bold": True})
        self.sign = self.wb.add_format({"bold": True})

    def _head(self, ws: Any, layout: dict[str, Any], title: str, info: dict[str, Any]) -> int:
        """Title, scope, [U] note, the label row, the column-code row; returns the first data row.

        ``constant_memory`` writes a row to disk as soon as a later row is started: every header row
        is written whole before the next one (writing the two header rows cell by cell in one loop
        dropped every heading past column A)."""
        cols = layout["columns"]
        ws.write_string(0, 0, title, self.title)
        ws.write_string(1, 0, scope_line(info))
        ws.write_string(2, 0, layout["unconfirmed"]["vi"], self.note)
        for i, c in enumerate(cols):
            ws.set_column(i, i, 28 if c["type"] == "text" else 12)
        for i, c in enumerate(cols):
            ws.write_string(HEAD_ROW, i, c["label"]["vi"], self.head)
        for i, c in enumerate(cols):
            ws.write_string(CODE_ROW, i, str(c["code"]), self.code)
        ws.freeze_panes(CODE_ROW + 1, 0)
        return CODE_ROW + 1

    def _cell(self, ws: Any, row: int, col: int, c: dict[str, Any], value: Any, total: bool = False) -> None:
        if value is None or value == "":
            ws.write_blank(row, col, None, self.total_text if total else self.text)
        elif c["type"] == "text":
            ws.write_string(row, col, str(value), self.total_text if total else self.text)
        else:
            fmt = (self.total_pct if total else self.pct) if c["type"] == "percent" else \
                  (self.total_int if total else self.int)
            ws.write_number(row, col, value, fmt)

    def table(self, layout: dict[str, Any], report: dict[str, Any], info: dict[str, Any], ws: Any = None) -> None:
        ws = ws if ws is not None else self.wb.add_worksheet(_sheet_name(layout["sheet"]["vi"], self.used))
        row = self._head(ws, layout, layout["title"]["vi"], info)
        cols = layout["columns"]
        for r in report["rows"]:
            for i, c in enumerate(cols):
                self._cell(ws, row, i, c, r.get(c["metric"]))
            row += 1
        for i, c in enumerate(cols):
            v = report["total"].get(c["metric"]) if (c["type"] != "text" or c["metric"] == "group_name") else ""
            self._cell(ws, row, i, c, v, total=True)
        row += 2
        if layout.get("note"):
            ws.write_string(row, 0, layout["note"]["vi"], self.note)
            row += 2
        self._sign(ws, row, len(cols), info)

    def _sign(self, ws: Any, row: int, ncols: int, info: dict[str, Any]) -> None:
        """Place, date and the ward chair under a table: "Bãi Cháy, ngày … tháng … năm …",
        "CHỦ TỊCH UBND PHƯỜNG …", the chair's name (the process setting; dots when not set)."""
        col = max(0, ncols - 3)
        ward = str(info.get("ward_name") or "")
        place = ward.replace("Phường ", "").replace("Xã ", "")
        ws.write_string(row, col, f"{place}, {vnformat.long_date(info.get('signed_on'))}", self.note)
        ws.write_string(row + 1, col, f"CHỦ TỊCH ỦY BAN NHÂN DÂN {ward.upper()}", self.sign)
        ws.write_string(row + 5, col, str(info.get("chair_name") or "……………………"), self.sign)

    def named_lists(self, layout: dict[str, Any], rows: Iterable[dict[str, Any]], info: dict[str, Any],
                    lists: tuple[str, ...] = LISTS) -> dict[str, int]:
        """One sheet per list; rows arrive in any list order (constant_memory allows writing several
        sheets at once, each row by row)."""
        writer = self.named_writer(layout, info, lists)
        for r in rows:
            writer(r)
        writer.finish()  # type: ignore[attr-defined]
        return writer.counts  # type: ignore[attr-defined]

    def named_writer(self, layout: dict[str, Any], info: dict[str, Any],
                     lists: tuple[str, ...] = LISTS) -> Callable[[dict[str, Any]], None]:
        """Add the list sheets now; returns a function writing one named row (``.counts`` per list)."""
        sheets, next_row, counts = {}, {}, {}
        for name in lists:
            ws = self.wb.add_worksheet(_sheet_name(LIST_LABELS[name][0], self.used))
            next_row[name] = self._head(ws, layout, f"{layout['title']['vi']} — {LIST_LABELS[name][0]}", info)
            sheets[name], counts[name] = ws, 0
        cols = layout["columns"]

        def write(r: dict[str, Any]) -> None:
            name = r["list"]
            if name not in sheets:
                return
            counts[name] += 1
            ws, row = sheets[name], next_row[name]
            for i, c in enumerate(cols):
                self._cell(ws, row, i, c, counts[name] if c["metric"] == "seq" else r.get(c["metric"]))
            next_row[name] = row + 1

        def finish() -> None:
            """Sign every list sheet below its last row (call once, after the last row)."""
            for name, ws in sheets.items():
                self._sign(ws, next_row[name] + 1, len(cols), info)

        write.counts = counts  # type: ignore[attr-defined]
        write.finish = finish  # type: ignore[attr-defined]
        return write

    def close(self) -> None:
        self.wb.close()


def csv_rows(layout: dict[str, Any], report: dict[str, Any] | None = None,
             named: Iterable[dict[str, Any]] | None = None, with_list: bool = False) -> Iterator[str]:
    """CSV text chunks (about 200 rows each): labels, codes, rows, total."""
    cols = layout["columns"]
    buf = io.StringIO()
    w = exportsafe.csv_writer(buf, lineterminator="\r\n")
    buf.write("\ufeff")
    labels = [c["label"]["vi"] for c in cols]
    codes = [str(c["code"]) for c in cols]
    if with_list:
        labels, codes = ["Danh sách", *labels], ["", *codes]
    w.writerow(labels)
    w.writerow(codes)

    def fmt(c: dict[str, Any], v: Any) -> Any:
        # a decimal comma, as a Vietnamese Excel reads a number; whole numbers stay plain digits
        return "" if v is None else (vnformat.number(v, 2) if c["type"] == "percent" else v)

    n = 0
    if report is not None:
        for r in report["rows"]:
            w.writerow([fmt(c, r.get(c["metric"])) for c in cols])
        w.writerow([fmt(c, report["total"].get(c["metric"]) if (c["type"] != "text" or c["metric"] == "group_name")
                        else "") for c in cols])
    if named is not None:
        seq: dict[str, int] = {}
        for r in named:
            seq[r["list"]] = seq.get(r["list"], 0) + 1
            cells = [fmt(c, seq[r["list"]] if c["metric"] == "seq" else r.get(c["metric"])) for c in cols]
            w.writerow([r["list_vi"], *cells] if with_list else cells)
            n += 1
            if n % 200 == 0:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
    yield buf.getvalue()


def write_workbook(conn: sqlite3.Connection, scope: Scope, layouts: dict[str, dict[str, Any]],
                   info: dict[str, Any], path: str | Path, report_ids: Iterable[str] | None = None) -> dict[str, Any]:
    """The ward workbook: every table report and the named lists (one sheet per list), in layout order.

    Sheets are added first; before a decision, the named lists are written during the single pass
    over the households that also counts the movements (``builders.ward_pass``), then the tables."""
    wb = Workbook(path)
    out: dict[str, Any] = {}
    cache: dict[str, Any] = {}
    try:
        ids = list(report_ids or layouts)
        sheets, writers = {}, {}
        for rid in ids:
            if layouts[rid]["builder"] == "named_lists":
                writers[rid] = wb.named_writer(layouts[rid], info)
            else:
                sheets[rid] = wb.wb.add_worksheet(_sheet_name(layouts[rid]["sheet"]["vi"], wb.used))
        if writers:
            if decision_id(conn, scope) is None:
                def each(row: dict[str, Any]) -> None:
                    for w in writers.values():
                        w(row)
                res = ward_pass(conn, scope, each, cache)
                cache.update(movement=res["movement"], decision_id=None, carried=res["carried"])
            else:
                for row in iter_named(conn, scope):
                    for w in writers.values():
                        w(row)
            for rid, w in writers.items():
                w.finish()  # type: ignore[attr-defined]
                out[rid] = dict(w.counts)  # type: ignore[attr-defined]
        for rid, ws in sheets.items():
            report = build(conn, scope, layouts[rid], cache)
            wb.table(layouts[rid], report, info, ws)
            out[rid] = report["total"]
    finally:
        wb.close()
    return out
