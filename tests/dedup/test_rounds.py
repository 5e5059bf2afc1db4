"""Matching across rounds (issue 19): a household of this round is matched against last round's
register and the other rounds' households of its ward, through the server's own paths (register
import, device push); what is decided is kept with the household's history."""
from __future__ import annotations

import uuid

import openpyxl

from server.db import open_database
from server.dedup import review
from server.register.importer import household_id_for, import_file
from server.register.parse import RegisterRow
from server.services import ingest
from server.services.preload import all_groups_lookup

from tests.server.helpers import NOW

HEADER = ["STT", "Mã hộ", "Họ và tên chủ hộ", "Năm sinh", "Giới tính", "Số CCCD", "Số nhà", "Đường", "Khu phố",
          "Số nhân khẩu", "Điện thoại", "Phân loại", "Ngày quyết định"]
ROWS = [
    [1, "R1", "Trần Hữu Việt", 1993, "Nam", None, "113/17", "Anh Đào", "KP01", 3, None, "Hộ nghèo", "20/12/2024"],
    [2, "R2", "VU DUC KIEN", 1970, "Nam", None, "233", "Vườn Đào", "KP02", 4, "0346873553", "Hộ nghèo",
     "20/12/2024"],
    [3, "R3", "Phạm Thị Mai", 1950, "Nữ", None, "7", "Hạ Long", "KP01", 1, None, "Hộ cận nghèo", "20/12/2024"],
]


def write(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["DANH SÁCH HỘ NGHÈO NĂM 2024"])
    ws.append(HEADER)
    for r in ROWS:
        ws.append(r)
    wb.save(path)
    return path


def _member(mid, name, relation, year, sex, cid=None):
    from tests.factories import member
    m = member(mid, relation, 2025 - year, sex, full_name=name)
    if cid:
        m["citizen_id"] = cid
    return m


IDS = {}


def _doc(hid, group, number, street, members, phone=None):
    from tests.factories import household
    IDS.setdefault(hid, str(uuid.uuid5(uuid.NAMESPACE_URL, hid)))
    d = household(members)
    d.update(household_id=IDS[hid], collected_at="2025-10-05",
             area=dict(d["area"], ward_code="BAICHAY", group_code=group),
             address={"house_number": number, "street": street})
    if phone:
        d["phone"] = phone
    return d


def _push(db, docs):
    collab = db.value("SELECT collaborator_id FROM assignments LIMIT 1")
    gids = frozenset(r[0] for r in db.all("SELECT id FROM area_groups"))
    actor = ingest.Actor(source="device", collaborator_id=collab, allowed_group_ids=gids)
    items = [{"submission_id": str(uuid.uuid5(uuid.NAMESPACE_URL, "s" + d["household_id"])), "household_id": d["household_id"], "revision": 1,
              "base_revision": None, "form_version": d["form_version"], "collected_at": d["collected_at"],
              "device_time": d["collected_at"] + "T18:00:00+07:00", "answers": d} for d in docs]
    return ingest.push(db, actor, all_groups_lookup(db), items, NOW)


def _register_id(code):
    return household_id_for(RegisterRow(row=0, head_name="", group="", status="", household_code=code), "BAICHAY")


def test_a_new_household_of_this_round_is_matched_with_last_rounds_register(tmp_path, db_path):
    db = open_database(db_path)
    try:
        rep = import_file(db, write(tmp_path / "r.xlsx"), NOW, ward_code="BAICHAY", year=2024,
                          standards=["vn-national-2022-2025"])
        assert rep["imported"], rep["problems"]
        viet = _doc("new-viet", "KP01", "113/17", "Anh Đào",
                    [_member("m1", "Trần Hữu Viết", "head", 1994, "male"),
                     _member("m2", "Lê Thị Hoa", "spouse", 1995, "female"),
                     _member("m3", "Trần Hữu Nam", "child", 2020, "male")])
        # the head died: his wife heads the household now; same house, same phone, one member fewer
        huyen = _doc("new-huyen", "KP02", "233", "Vườn Đào",
                     [_member("m1", "Hoàng Thị Huyền", "head", 1968, "female", "022168727556"),
                      _member("m2", "Vũ Thị Hương", "child", 2001, "female", "022301338910"),
                      _member("m3", "Vũ Ngọc Phương", "child", 2024, "female")], phone="0346 873 553")
        results = _push(db, [viet, huyen])
        assert {r["status"] for r in results} == {"accepted"}, results
        with db.snapshot() as conn:
            pairs = {(r[0], r[1]): (r[2], r[3]) for r in conn.execute(
                "SELECT a, b, band, status FROM dedup_candidates")}
            viet_pair = tuple(sorted((IDS["new-viet"], _register_id("R1"))))
            assert viet_pair in pairs                          # compared across the rounds
            assert review.cluster_of(conn, IDS["new-huyen"]) == {IDS["new-huyen"], _register_id("R2")}
            history = review.household(conn, IDS["new-huyen"])
            (link,) = history["links"]
            assert link["source"] == "auto"
            assert history["rounds"] == {IDS["new-huyen"]: 2025, _register_id("R2"): 2024}
            assert _register_id("R3") not in review.cluster_of(conn, IDS["new-viet"])
    finally:
        db.close()


def test_the_households_own_record_displaces_a_head_change_link(tmp_path, db_path):
    """A head change linked as the only match is undone when the household's own record of that
    round arrives (the other was a split-off household at the same house)."""
    db = open_database(db_path)
    try:
        rep = import_file(db, write(tmp_path / "r.xlsx"), NOW, ward_code="BAICHAY", year=2024,
                          standards=["vn-national-2022-2025"])
        assert rep["imported"]
        wife = _doc("wife-head", "KP02", "233", "Vườn Đào",
                    [_member("m1", "Hoàng Thị Huyền", "head", 1968, "female"),
                     _member("m2", "Vũ Văn An", "child", 1999, "male"),
                     _member("m3", "Vũ Thị Hương", "child", 2001, "female")], phone="0346873553")
        _push(db, [wife])
        with db.snapshot() as conn:
            assert _register_id("R2") in review.cluster_of(conn, IDS["wife-head"])
        own = _doc("kien-again", "KP02", "233", "Vườn Đào",
                   [_member("m1", "Vũ Đức Kiên", "head", 1970, "male"),
                    _member("m2", "Vũ Văn An", "child", 1999, "male"),
                    _member("m3", "Vũ Thị Hương", "child", 2001, "female"),
                    _member("m4", "Nguyễn Văn Tư", "other", 1990, "male")], phone="0346873553")
        _push(db, [own])
        with db.snapshot() as conn:
            assert review.cluster_of(conn, IDS["kien-again"]) == {IDS["kien-again"], _register_id("R2")}
            assert IDS["wife-head"] not in review.cluster_of(conn, _register_id("R2"))
            undone = conn.execute("SELECT undo_reason FROM dedup_links WHERE undone_at IS NOT NULL").fetchall()
            assert undone and "displaced" in undone[0][0]
            status = conn.execute("SELECT status FROM dedup_candidates WHERE a = ? AND b = ?",
                                  tuple(sorted((IDS["wife-head"], _register_id("R2"))))).fetchone()[0]
            assert status == "open"                    # back to a person
    finally:
        db.close()
