"""Register text on import (issue 18): NFC, line breaks inside a cell, control and bidi characters."""
from __future__ import annotations

import datetime as dt
import unicodedata

from server.db import open_database
from server.register import importer
from server.register.parse import parse_register

from tests.register.test_parse import GOOD, GROUPS, write_xlsx
from tests.server.helpers import NOW


def test_cells_are_nfc_and_line_breaks_become_spaces(tmp_path):
    row = list(GOOD[0])
    row[1] = unicodedata.normalize("NFD", "Nguyễn  Văn\nÁnh")
    row[6] = "Hạ\tLong\r\n" + unicodedata.normalize("NFD", "Bãi Cháy")
    res = parse_register(write_xlsx(tmp_path / "r.xlsx", [row]), GROUPS, today=dt.date(2025, 9, 1))
    assert res.ok, res.problems
    assert res.rows[0].head_name == "Nguyễn Văn Ánh"
    assert res.rows[0].street == "Hạ Long Bãi Cháy"


def test_control_and_bidi_characters_are_refused_naming_the_column(tmp_path, db_path):
    rows = [list(r) for r in GOOD]
    rows[0][1] = "Nguyễn Văn \u202eAn"       # right-to-left override
    rows[1][6] = "Vườn\u2066Đào"             # a bidi isolate in the street
    path = write_xlsx(tmp_path / "r.xlsx", rows)
    db = open_database(db_path)
    try:
        checked = importer.check_file(db, path, NOW)
        got = {(p.row, p.column, p.code) for p in checked.problems}
        assert (4, "Họ và tên chủ hộ", "control_character") in got, checked.problems
        assert (5, "Đường", "control_character") in got, checked.problems
        msgs = [p.message_vi for p in checked.problems if p.code == "control_character"]
        assert all("ký tự điều khiển" in m and "U+" in m for m in msgs), msgs
        assert not checked.ok and db.value("SELECT COUNT(*) FROM households") == 0
    finally:
        db.close()


def test_a_nul_in_a_csv_register_is_refused(tmp_path, db_path):
    import csv
    from tests.register.test_parse import HEADER
    path = tmp_path / "r.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i, r in enumerate(GOOD):
            r = ["" if v is None else v for v in r]
            if i == 0:
                r[1] = "Nguyễn Văn\x00 An"
            w.writerow(r)
    db = open_database(db_path)
    try:
        checked = importer.check_file(db, path, NOW)
        got = {(p.row, p.column, p.code) for p in checked.problems}
        assert (2, "Họ và tên chủ hộ", "control_character") in got, checked.problems
    finally:
        db.close()
