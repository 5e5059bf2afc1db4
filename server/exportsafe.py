"""Files that are safe to open in Excel: no cell of user text becomes a formula, a link or a number.

Names, streets and notes are typed on tablets by collaborators and pushed by any enrolled device; a
head name such as ``=HYPERLINK("http://x", "Bấm")`` or ``+1+cmd|' /C calc'!A0`` must reach the ward
officer's spreadsheet as the text that was typed, never as something Excel evaluates (OWASP "CSV
injection"). Every CSV and XLSX writer of the server goes through this module (a test greps for
writers that do not):

- XLSX: ``workbook(path)`` is an ``xlsxwriter.Workbook`` with ``strings_to_formulas``,
  ``strings_to_urls`` and ``strings_to_numbers`` off, so ``write``/``write_row`` store every string as
  a string cell; the text is kept exactly (Excel shows ``=1+2`` as typed).
- CSV has no cell types: Excel evaluates a field starting with ``=``, ``+``, ``-``, ``@``, tab or
  carriage return. ``cell`` prefixes such text with an apostrophe (``'=1+2``), which Excel shows and
  never evaluates; ``csv_writer`` applies it to every string of every row. Numbers are left alone,
  and so is text that is only a number (``-1.50``, ``+5``: Excel reads a number, nothing runs), so a
  negative percentage written as text stays a number.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any, Iterable

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")

# xlsxwriter options: store strings as strings (never as formulas, links or numbers).
WORKBOOK_OPTIONS: dict[str, Any] = {"strings_to_formulas": False, "strings_to_urls": False,
                                    "strings_to_numbers": False}


def cell(value: Any) -> Any:
    """A CSV field value that Excel shows as typed: text starting with a formula character gets a
    leading apostrophe; anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def row(values: Iterable[Any]) -> list[Any]:
    return [cell(v) for v in values]


class SafeCsvWriter:
    """``csv.writer`` whose rows pass through ``cell``."""

    def __init__(self, f: Any, **kwargs: Any):
        self._w = csv.writer(f, **kwargs)

    def writerow(self, values: Iterable[Any]) -> Any:
        return self._w.writerow(row(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for r in rows:
            self.writerow(r)


def csv_writer(f: Any, **kwargs: Any) -> SafeCsvWriter:
    return SafeCsvWriter(f, **kwargs)


def workbook(path: str | Path, **options: Any) -> Any:
    """An ``xlsxwriter.Workbook`` at ``path`` with ``WORKBOOK_OPTIONS`` (``options`` add to them,
    e.g. ``constant_memory=True``; they cannot turn the safe options back on)."""
    import xlsxwriter

    return xlsxwriter.Workbook(str(path), {**options, **WORKBOOK_OPTIONS})
