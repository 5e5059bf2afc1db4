"""Rows of one register file that are probably the same household (same head's CCCD, or same head name +
birth year + group) are listed as warnings naming both rows — the import goes ahead; rows with the same
household code are a problem that blocks it."""
from __future__ import annotations

import datetime as dt

import openpyxl

from server.db import open_database
from server.register.importer import import_file
from server.register.parse import parse_register

from tests.server.helpers import NOW

HEADER = ["STT", "Mã hộ", "Họ và tên chủ hộ", "Năm sinh", "Giới tính", "Số CCCD", "Số nhà", "Đường", "Khu phố",
          "Phân loại", "Ngày quyết định"]
GROUPS = {"kp01": "KP01", "kp02": "KP02"}


def row(code, name, year, sex, cid, house, group="KP01", status="Hộ nghèo"):
    return [None, code, name, year, sex, cid, house, "Hạ Long", group, status, "20/12/2024"]


ROWS = [
    row("H1", "Nguyễn Văn An", 1970, "Nam", "022070001234", "12"),        # file row 3
    row("H2", "Trần Thị Bình", 1985, "Nữ", None, "45"),                    # 4
    row("H3", "Nguyen Van An", 1970, "Nam", "022070001234", "12A"),       # 5: CCCD of row 3
    row("H4", "TRẦN THỊ  BÌNH", 1985, "Nữ", None, "47"),                  # 6: name + year + group of row 4
    row("H5", "Lê Văn Cường", 1960, "Nam", "022060009876", "7"),          # 7
    row("H6", "Lê Văn Cường", 1960, "Nam", "022060001111", "9"),          # 8: same name, another CCCD: no
    row("H7", "Trần Thị Bình", 1985, "Nữ", None, "45", group="KP02"),     # 9: another group: no
    row("H8", "Phạm Văn Dũng", 1975, "Nam", None, "3"),                   # 10
]


def write(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["DANH SÁCH HỘ NGHÈO NĂM 2024"])
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_possible_duplicates_are_warnings_naming_both_rows(tmp_path):
    res = parse_register(write(tmp_path / "r.xlsx", ROWS), GROUPS, today=dt.date(2025, 9, 1))
    assert res.ok, res.problems
    got = [(w.rows, w.column, w.code) for w in res.warnings]
    assert got == [([3, 5], "Số CCCD", "possible_duplicate"), ([4, 6], "Họ và tên chủ hộ", "possible_duplicate")]
    assert "Dòng 3 và dòng 5" in res.warnings[0].message_vi and "Rows 4 and 6" in res.warnings[1].message_en
    assert res.warnings[0].to_dict()["rows"] == [3, 5] and res.warnings[0].row == 5


def test_the_import_goes_ahead_and_reports_the_warnings(tmp_path, db_path):
    db = open_database(db_path)
    try:
        rep = import_file(db, write(tmp_path / "r.xlsx", ROWS), NOW)
        assert rep["ok"] and rep["imported"] and rep["new_households"] == len(ROWS), rep
        assert [w["rows"] for w in rep["warnings"]] == [[3, 5], [4, 6]]
        assert rep["problems"] == [] and all("rows" not in p for p in rep["problems"])
    finally:
        db.close()


def test_the_same_household_code_twice_blocks_the_import(tmp_path, db_path):
    rows = ROWS + [row("H2", "Trần Thị Bình", 1985, "Nữ", None, "45")]      # row 11 repeats H2 (row 4)
    db = open_database(db_path)
    try:
        rep = import_file(db, write(tmp_path / "r.xlsx", rows), NOW)
        assert not rep["ok"] and not rep["imported"]
        assert [(p["row"], p["code"]) for p in rep["problems"]] == [(11, "duplicate")]
        assert "dòng 4" in rep["problems"][0]["message_vi"]
        assert db.value("SELECT COUNT(*) FROM households") == 0
    finally:
        db.close()


def test_csv_rows_are_checked_the_same_way(tmp_path):
    import csv

    path = tmp_path / "r.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for r in ROWS[:4]:
            w.writerow(["" if v is None else v for v in r])
    res = parse_register(path, GROUPS, today=dt.date(2025, 9, 1))
    assert res.ok and [w.rows for w in res.warnings] == [[2, 4], [3, 5]]
