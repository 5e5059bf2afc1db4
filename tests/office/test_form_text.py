"""Console forms store text as NFC and refuse control and text-direction characters (issue 18:
"Names are NFC on ingest; control and bidi-override characters are refused" — the console side).
Every text a console form posts goes through ``server.console.web.form_data``: "Nguyễn" typed with
combining marks is stored as the one-character form; NUL, escape, a right-to-left override or a
direction isolate is refused with a Vietnamese message naming the field by its label, and nothing
of that form is saved. Line breaks are kept in notes (textareas); passwords are kept as typed."""
from __future__ import annotations

import unicodedata

import pytest

from tests.console.conftest import csrf_of

NFD = unicodedata.normalize("NFD", "Nguyễn Thị Hoà")
NFC = unicodedata.normalize("NFC", NFD)
assert NFD != NFC


def _forms(world):
    hid = world["households"]["submitted"]
    w = world["work"]
    return {
        # name: (role, url, form, the field under test, label shown, SQL reading what was stored)
        "user": ("admin", "/console/admin/users",
                 {"username": "canbo2", "role": "viewer", "password": "mat-khau-moi-2025"},
                 "full_name", "Họ và tên", "SELECT full_name FROM users WHERE username = 'canbo2'"),
        "collaborator": ("admin", "/console/admin/collaborators", {"phone": "0912000099", "groups": ["1"]},
                         "full_name", "Họ và tên", "SELECT full_name FROM collaborators WHERE phone = '0912000099'"),
        "group": ("admin", "/console/admin/groups", {"ward_id": "1", "code": "KP99"},
                  "name", "Tên", "SELECT name FROM area_groups WHERE code = 'KP99'"),
        "return": ("officer", f"/console/households/{hid}/return", {"reason_code": "other"},
                   "reason_text", "Nội dung cần sửa",
                   f"SELECT reason FROM returns WHERE household_id = '{hid}' ORDER BY id DESC LIMIT 1"),
        "complaint": ("officer", "/console/process/complaints",
                      {"round": str(w["round"]), "household_id": hid, "received_on": "2026-12-02",
                       "content": "Đề nghị xem lại", "posting_id": str(w["posting_id"])},
                      "complainant", "Người khiếu nại",
                      "SELECT complainant FROM complaints ORDER BY id DESC LIMIT 1"),
    }


def _post(client, url, data):
    return client.post(url, data={"csrf_token": csrf_of(client), **data})


@pytest.mark.parametrize("form", ["user", "collaborator", "group", "return", "complaint"])
def test_form_text_is_stored_nfc(office, as_role, form):
    app, world = office
    role, url, data, field, _, sql = _forms(world)[form]
    r = _post(as_role[role], url, {**data, field: NFD})
    assert r.status_code == 303, r.text[r.text.find("<main"):][:1500]
    stored = app.state.db.value(sql)
    assert NFC in stored and NFD not in stored


@pytest.mark.parametrize("bad", ["\u202e", "\x00", "\x1b", "\u2066", "\u200f"])
@pytest.mark.parametrize("form", ["user", "collaborator", "group", "return", "complaint"])
def test_control_and_bidi_characters_are_refused_naming_the_field(office, as_role, form, bad):
    app, world = office
    db = app.state.db
    role, url, data, field, label, sql = _forms(world)[form]
    before = db.value(sql)
    r = _post(as_role[role], url, {**data, field: f"Nguyễn{bad}Hoà"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert f"{label}: có ký tự điều khiển hoặc ký tự đảo chiều văn bản không được phép" in r.text
    assert f"U+{ord(bad):04X}" in r.text and "vị trí 7" in r.text
    assert db.value(sql) == before                      # nothing of that form saved


def test_notes_keep_their_line_breaks_and_passwords_are_as_typed(office, as_role):
    app, world = office
    db = app.state.db
    role, url, data, _, _, sql = _forms(world)["return"]
    r = _post(as_role[role], url, {**data, "reason_text": "Dòng một\r\nDòng hai\tcột"})
    assert r.status_code == 303 and "Dòng một\r\nDòng hai\tcột" in db.value(sql)
    # a line break in a one-line field is a control character
    role, url, data, field, label, _ = _forms(world)["group"]
    r = _post(as_role[role], url, {**data, field: "Khu phố\n99"})
    assert r.status_code == 422 and f"{label}: có ký tự điều khiển" in r.text
    # a password is checked as it was set: not normalised (an NFD password still logs in as typed)
    from server import auth
    role, url, data, field, _, _ = _forms(world)["user"]
    r = _post(as_role["admin"], url, {**data, "full_name": "Cán bộ", "password": "mật-khẩu-" + NFD})
    assert r.status_code == 303
    h = db.value("SELECT password_hash FROM users WHERE username = 'canbo2'")
    assert auth.verify_password(h, "mật-khẩu-" + NFD)


def test_the_english_page_names_the_field_in_english(office, as_role):
    app, world = office
    client = as_role["admin"]
    client.cookies.set("rasoat_lang", "en")
    role, url, data, field, _, _ = _forms(world)["group"]
    r = _post(client, url, {**data, field: "Khu\u202ephố"})
    assert r.status_code == 422 and "Name: holds a control or text-direction character" in r.text


def test_a_process_form_names_a_bad_or_missing_field_by_its_label(office, as_role):
    app, world = office
    role, url, data, _, _, _ = _forms(world)["complaint"]
    client = as_role[role]
    r = _post(client, url, {**data, "complainant": "Bà Hoa", "received_on": "hôm qua"})
    assert r.status_code == 422 and "Ngày nhận khiếu nại: cần chọn một ngày hợp lệ (ngày/tháng/năm)" in r.text
    r = _post(client, url, {**data, "complainant": "  "})
    assert r.status_code == 422 and "Người khiếu nại: cần nhập" in r.text
    for page in (r.text,):
        assert "received_on" not in page and "complainant" not in page.split("<main", 1)[1].split('name="', 1)[0]
