"""Reading ward register files: header detection, every bad row reported, CSV and XLSX."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from server.register.parse import RegisterFileError, parse_register

GROUPS = {"khu pho 1": "KP01", "kp01": "KP01", "1": "KP01", "khu pho 2": "KP02", "kp02": "KP02"}
HEADER = ["STT", "Họ và tên chủ hộ", "Năm sinh", "Giới tính", "Số CCCD", "Số nhà", "Đường", "Khu phố",
          "Số nhân khẩu", "Phân loại", "Số quyết định", "Ngày quyết định", "Ghi chú"]
GOOD = [
    [1, "Nguyễn Văn An", 1970, "Nam", "022070001234", "12/3A", "Hạ Long", "Khu phố 1", 4, "Hộ nghèo",
     "123/QĐ-UBND", "20/12/2024", ""],
    [2, "Trần Thị Bình", 1985, "Nữ", None, "45", "Vườn Đào", "KP02", 3, "Hộ cận nghèo", "123/QĐ-UBND",
     dt.datetime(2024, 12, 20), ""],
    [3, "Lê Văn Cường", 1960.0, "nam", 22060009876, "7", "Hạ Long", "Khu phố 2", 2, "Thoát nghèo",
     "124/QĐ-UBND", "2024-12-21", ""],
]


def write_xlsx(path, rows, title=True):
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append(["DANH SÁCH HỘ NGHÈO, HỘ CẬN NGHÈO NĂM 2024"])
        ws.append(["Phường Bãi Cháy"])
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_xlsx_with_a_title_block_is_read_and_mapped(tmp_path):
    res = parse_register(write_xlsx(tmp_path / "r.xlsx", GOOD), GROUPS, today=dt.date(2025, 9, 1))
    assert res.ok, res.problems
    assert res.header_row == 3
    assert [r.status for r in res.rows] == ["poor", "near_poor", "escaped_poverty"]
    assert [r.group for r in res.rows] == ["KP01", "KP02", "KP02"]
    assert res.rows[0].decision_date == "2024-12-20" and res.rows[1].decision_date == "2024-12-20"
    assert res.rows[2].citizen_id == "022060009876"     # Excel dropped the leading zero
    assert res.rows[0].row == 4 and res.rows[0].house_number == "12/3A"


def test_every_bad_row_is_reported_with_row_column_and_reason(tmp_path):
    bad = [
        [1, "", 1970, "Nam", None, "1", "Hạ Long", "Khu phố 1", 4, "Hộ nghèo", None, None, ""],
        [2, "Phạm Văn D", "abc", "Nam", None, "2", "Hạ Long", "Khu phố 9", 4, "Hộ nghèo", None, None, ""],
        [3, "Vũ Thị E", 1990, "X", "022190001234", "3", "Hạ Long", "KP01", 4, "giàu", None, "31/02/2024", ""],
    ]
    res = parse_register(write_xlsx(tmp_path / "r.xlsx", GOOD + bad), GROUPS)
    got = {(p.row, p.column, p.code) for p in res.problems}
    assert got == {
        (7, "Họ và tên chủ hộ", "required"),
        (8, "Năm sinh", "range"), (8, "Khu phố", "unknown_group"),
        (9, "Giới tính", "choice"), (9, "Phân loại", "choice"), (9, "Ngày quyết định", "type"),
    }
    assert all(p.message_vi for p in res.problems)
    assert len(res.rows) == 3 and not res.ok


def test_csv_semicolons_without_diacritics_in_headers(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("TT;Ho ten chu ho;Nam sinh;Thon;Loai ho\n1;Đỗ Văn Giang;1977;1;can ngheo\n\n2;Ngô Thị Hà;1980;KP02;ngheo\n",
                 encoding="utf-8")
    res = parse_register(f, GROUPS)
    assert res.ok, res.problems
    assert [(r.head_name, r.group, r.status) for r in res.rows] == [
        ("Đỗ Văn Giang", "KP01", "near_poor"), ("Ngô Thị Hà", "KP02", "poor")]


def test_duplicate_rows_in_one_file_are_reported(tmp_path):
    res = parse_register(write_xlsx(tmp_path / "r.xlsx", GOOD + [GOOD[0]]), GROUPS)
    assert [(p.row, p.code) for p in res.problems] == [(7, "duplicate")]


@pytest.mark.parametrize("name,content,needle", [
    ("r.pdf", b"%PDF", "không được hỗ trợ"),
    ("r.xlsx", b"not a zip", "Không mở được tệp Excel"),
    ("r.csv", "a,b\n1,2\n".encode(), "Không tìm thấy dòng tiêu đề"),
])
def test_unreadable_files_fail_as_a_whole_with_a_clear_message(tmp_path, name, content, needle):
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(RegisterFileError, match=needle):
        parse_register(f, GROUPS)


def test_cp1258_encoded_csv_is_read(tmp_path):
    f = tmp_path / "r.csv"
    f.write_bytes("Chu ho,Thon,Phan loai\nLe Van A,1,ngheo\n".encode("cp1258"))
    res = parse_register(f, GROUPS)
    assert res.ok and res.rows[0].status == "poor"


def test_citizen_id_inconsistent_with_the_row_is_reported(tmp_path):
    row = [1, "Vũ Thị E", 1990, "Nữ", "022090001234", "3", "Hạ Long", "KP01", 4, "Hộ nghèo", None, None, ""]
    res = parse_register(write_xlsx(tmp_path / "r.xlsx", [row]), GROUPS)
    assert [(p.row, p.column, p.code) for p in res.problems] == [(4, "Số CCCD", "citizen_id_sex_mismatch")]


def test_row_numbers_are_the_sheets_when_the_table_starts_below_and_right_of_a1(tmp_path):
    """The reader keeps leading empty rows and columns: a problem names the row the officer sees."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for r, values in enumerate([HEADER] + GOOD + [[4, "", 1970, "Nam", None, "1", "Hạ Long", "KP01", 4, "Hộ nghèo",
                                                    None, None, ""]], start=5):
        for c, v in enumerate(values, start=3):        # from C5
            ws.cell(r, c).value = v
    wb.save(tmp_path / "r.xlsx")
    res = parse_register(tmp_path / "r.xlsx", GROUPS, today=dt.date(2025, 9, 1))
    assert res.header_row == 5 and [r.row for r in res.rows] == [6, 7, 8]
    assert [(p.row, p.column, p.code) for p in res.problems] == [(9, "Họ và tên chủ hộ", "required")]
    assert res.rows[2].citizen_id == "022060009876" and res.rows[2].birth_year == 1960
    assert res.rows[1].decision_date == "2024-12-20"          # a date cell


def test_an_empty_workbook_has_no_header_row(tmp_path):
    openpyxl.Workbook().save(tmp_path / "r.xlsx")
    with pytest.raises(RegisterFileError, match="Không tìm thấy dòng tiêu đề"):
        parse_register(tmp_path / "r.xlsx", GROUPS)
