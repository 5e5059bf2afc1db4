"""Register columns for the household's member count ("Số nhân khẩu") and the head's old ID number
("Số CMND", or a 9-digit number in a "CMND/CCCD" or CCCD column): read, put in the preloaded
document (form 2026.1 carries them), and used by dedup (issue 19)."""
from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest

from server.db import open_database
from server.register.importer import document, import_file
from server.register.parse import parse_register
from shared.forms import load_form
from shared.validation import errors, validate

from tests.server.helpers import NOW

GROUPS = {"kp01": "KP01", "kp02": "KP02"}


def write(path, header, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["DANH SÁCH HỘ NGHÈO NĂM 2024"])
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


HEADER = ["STT", "Họ và tên chủ hộ", "Năm sinh", "Số CCCD", "Số CMND", "Số nhà", "Đường", "Khu phố",
          "Số nhân khẩu", "Phân loại"]
ROWS = [
    [1, "Nguyễn Văn An", 1970, "022070001234", None, "12", "Hạ Long", "KP01", 4, "Hộ nghèo"],
    [2, "Trần Thị Bình", 1955, None, "100234567", "45", "Vườn Đào", "KP02", 2, "Hộ cận nghèo"],
    [3, "Lê Văn Cường", 1960, "100765432", None, "7", "Hạ Long", "KP01", 3, "Hộ nghèo"],   # CMND in the CCCD column
    [4, "Phạm Văn Dũng", 1962, None, 31234567, "9", "Hạ Long", "KP01", None, "Hộ nghèo"],   # Excel ate the 0
]


def test_member_count_and_old_ids_are_read(tmp_path):
    res = parse_register(write(tmp_path / "r.xlsx", HEADER, ROWS), GROUPS, today=dt.date(2025, 9, 1))
    assert res.ok, [p.to_dict() for p in res.problems]
    assert res.mapping["old_id_number"] == "Số CMND" and res.mapping["members_count"] == "Số nhân khẩu"
    assert [r.members_count for r in res.rows] == [4, 2, 3, None]
    assert [(r.citizen_id, r.old_id_number) for r in res.rows] == [
        ("022070001234", None), (None, "100234567"), (None, "100765432"), (None, "031234567")]


@pytest.mark.parametrize("header", ["CMND/CCCD", "Số CMND/CCCD", "Số CCCD/CMND"])
def test_one_column_for_both_kinds_of_number(tmp_path, header):
    head = ["STT", "Họ và tên chủ hộ", "Năm sinh", header, "Khu phố", "Phân loại"]
    rows = [[1, "Nguyễn Văn An", 1970, "022070001234", "KP01", "Hộ nghèo"],
            [2, "Trần Thị Bình", 1955, "100234567", "KP01", "Hộ nghèo"]]
    res = parse_register(write(tmp_path / "r.xlsx", head, rows), GROUPS)
    assert res.ok and res.mapping["citizen_id"] == header
    assert [(r.citizen_id, r.old_id_number) for r in res.rows] == [("022070001234", None), (None, "100234567")]


def test_a_bad_old_id_is_a_problem_naming_the_column(tmp_path):
    rows = [[1, "Nguyễn Văn An", 1970, None, "12345", "12", "Hạ Long", "KP01", 4, "Hộ nghèo"]]
    res = parse_register(write(tmp_path / "r.xlsx", HEADER, rows), GROUPS)
    (p,) = res.problems
    assert (p.row, p.column, p.code) == (3, "Số CMND", "old_id_number_pattern")
    assert "9 chữ số" in p.message_vi


def test_the_same_old_id_on_two_rows_is_a_warning(tmp_path):
    rows = [[1, "Nguyễn Văn An", 1970, None, "100234567", "12", "Hạ Long", "KP01", 4, "Hộ nghèo"],
            [2, "Nguyen Van Anh", 1971, None, "100234567", "14", "Hạ Long", "KP01", 4, "Hộ nghèo"]]
    res = parse_register(write(tmp_path / "r.xlsx", HEADER, rows), GROUPS)
    assert res.ok
    (w,) = res.warnings
    assert w.rows == [3, 4] and w.column == "Số CMND" and "CMND" in w.message_vi


def test_documents_carry_the_count_and_the_old_id_and_validate_as_2026_1(tmp_path):
    res = parse_register(write(tmp_path / "r.xlsx", HEADER, ROWS), GROUPS)
    ward = {"ward_code": "BAICHAY", "province_code": "22", "area_type": "urban"}
    docs = [document(r, ward, 2024) for r in res.rows]
    assert docs[1]["form_version"] == "2026.1" and docs[1]["member_count"] == 2
    assert docs[1]["members"][0]["old_id_number"] == "100234567" and "citizen_id" not in docs[1]["members"][0]
    for d in docs:
        found = [p for p in errors(validate(d, form=load_form(d["form_version"]), today=dt.date(2025, 9, 1)))
                 if p.code not in ("required", "confirmation_required")]
        assert found == [], found


def test_an_import_indexes_the_count_and_the_old_id_for_dedup(tmp_path, db_path):
    db = open_database(db_path)
    try:
        rep = import_file(db, write(tmp_path / "r.xlsx", HEADER, ROWS), NOW)
        assert rep["imported"], rep["problems"]
        feats = [json.loads(r[0]) for r in db.all("SELECT features FROM dedup_records")]
        by_head = {f["head_key"]: f for f in feats}
        assert by_head["tran thi binh"]["size"] == 2 and by_head["tran thi binh"]["head_oid"] == "100234567"
        assert by_head["le van cuong"]["head_oid"] == "100765432"
        keys = {r[0] for r in db.all("SELECT key FROM dedup_keys")}
        assert "cid:100234567" in keys
    finally:
        db.close()
