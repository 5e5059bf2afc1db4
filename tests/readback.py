"""Read back what a person receives: the tables of an HTML page, an XLSX file (openpyxl), a CSV
file (csv), with Vietnamese numbers ("1.234", "12,50") turned back into numbers for comparison."""
from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self._stack: list[tuple[str, list[list[str]]]] = []
        self._cell: list[str] | None = None
        self._n = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._n += 1
            tid = dict(attrs).get("id") or f"table{self._n}"
            self._stack.append((tid, []))
        elif tag == "tr" and self._stack:
            self._stack[-1][1].append([])
        elif tag in ("td", "th") and self._stack:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._stack and self._cell is not None:
            rows = self._stack[-1][1]
            if rows:
                rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._stack:
            tid, rows = self._stack.pop()
            self.tables[tid] = rows

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_tables(html: str) -> dict[str, list[list[str]]]:
    """Every table of a page by its id (``table1``… when it has none): rows of cell texts."""
    p = _Tables()
    p.feed(html)
    return p.tables


_VN_NUMBER = re.compile(r"^-?\d{1,3}(\.\d{3})*(,\d+)?$|^-?\d+(,\d+)?$")


def vn_number(text: str) -> Any:
    """ "1.234" → 1234, "12,50" → 12.5, "" → None; anything else unchanged."""
    t = (text or "").strip()
    if t == "":
        return None
    if _VN_NUMBER.match(t):
        t = t.replace(".", "").replace(",", ".")
        return float(t) if "." in t else int(t)
    return text


def xlsx_sheets(path: str | Path) -> dict[str, list[tuple[Any, ...]]]:
    wb = openpyxl.load_workbook(path, read_only=False)
    try:
        out = {}
        for ws in wb.worksheets:
            out[ws.title] = [tuple(r) for r in ws.iter_rows(values_only=True)]
            for row in ws.iter_rows():
                for c in row:
                    assert c.data_type != "f", f"{ws.title}!{c.coordinate} is a formula: {c.value!r}"
        return out
    finally:
        wb.close()


def csv_table(data: bytes | str) -> list[list[str]]:
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    assert text.startswith("\ufeff"), "CSV without the UTF-8 BOM Excel needs for Vietnamese text"
    return list(csv.reader(io.StringIO(text[1:])))


def same(a: Any, b: Any) -> bool:
    """Cell equality across the page, XLSX and CSV: numbers compared as numbers (percentages to two
    decimals, as shown), blanks equal, text exact."""
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return round(float(a), 2) == round(float(b), 2)
    return str(a) == str(b)
