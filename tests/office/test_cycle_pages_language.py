"""The rounds, register, eligibility and low-income pages in every state a person meets them: in
Vietnamese no raw key, standard id, ISO date or English (tests/vn_check.py); with the English switch
on, in English (no raw key, id or ISO date either) — the walker of test_vietnamese.py sees only their
first view, this one also the register's check of a good and a bad file, a closed round, each
policy's list and a household chosen for a low-income request."""
from __future__ import annotations

from typing import Any

import pytest

from server.process import eligibility
from server.cycle import rounds
from tests.console.conftest import csrf_of
from tests.cycle.helpers import register_rows, ward_docs, write_register_xlsx
from tests.vn_check import page_text, problems

# what each page says in each language (a heading or a button), and what must be gone in the other
SAYS = {
    "rounds": ("Các đợt", "Rounds"), "open": ("Mở đợt", "Open a round"),
    "register": ("Kiểm tra tệp", "Check the file"), "columns": ("Các cột được nhận diện", "Recognised columns"),
    "eligibility": ("Danh sách hộ được hưởng chính sách", "Households eligible for a policy"),
    "download": ("Tải Excel", "Download Excel"), "low_income": ("Các đề nghị", "Requests"),
    "record": ("Ghi nhận và xác định", "Record and identify"), "confirm": ("Xác nhận nhập", "Confirm: import"),
    "problems": ("Các dòng lỗi", "Rows with problems"),
}


def _files(tmp_path) -> dict[str, bytes]:
    docs = ward_docs(6, seed=9, year=2025)
    rows = [list(r) for r in register_rows(docs, 2025, "vn-national-2022-2025")]
    good = write_register_xlsx(tmp_path / "good.xlsx", [tuple(r) for r in rows])
    rows[1][2] = ""                 # no head name
    rows[2][11] = "Hộ giàu"         # a class nobody knows
    rows[3][3] = "19x5"             # a birth year that is no year
    rows.append(list(rows[0]))      # a row repeated
    bad = write_register_xlsx(tmp_path / "bad.xlsx", [tuple(r) for r in rows])
    return {"good": good.read_bytes(), "bad": bad.read_bytes()}


def _views(app: Any, client, tmp_path) -> list[tuple[str, str, list[str]]]:
    """(where, html, the SAYS keys it must show) for every state of the four pages."""
    db = app.state.db
    out = []
    for url, keys in (("/console/cycle", ["rounds", "open"]), ("/console/cycle/register", ["register", "columns"]),
                      ("/console/cycle/low-income", ["low_income"]), ("/console/cycle/low-income?year=2025", [])):
        out.append((url, client.get(url).text, keys))
    for p in eligibility.policies(db.conn)["policies"]:
        for q in ("", "&group=KP01"):
            url = f"/console/cycle/eligibility?policy={p['id']}{q}"
            out.append((url, client.get(url).text, ["eligibility", "download"]))
    hid = db.value("SELECT household_id FROM low_income_requests LIMIT 1")
    url = f"/console/cycle/low-income?household_id={hid}"
    out.append((url, client.get(url).text, ["record"]))
    for name, body in _files(tmp_path).items():
        r = client.post("/console/cycle/register", data={"csrf_token": csrf_of(client, "/console/cycle/register")},
                        files={"file": (f"{name}.xlsx", body)})
        assert r.status_code == (200 if name == "good" else 422), r.text[:300]
        out.append((f"register check of the {name} file", r.text, ["confirm" if name == "good" else "problems"]))
    rounds.close_round(db, db.value("SELECT id FROM review_rounds WHERE status = 'open'"), app.state.clock())
    out.append(("/console/cycle (round closed)", client.get("/console/cycle").text, ["rounds"]))
    return out


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_cycle_pages_speak_one_language(office, as_role, tmp_path, lang):
    app, _ = office
    client = as_role["officer"]
    client.cookies.set("rasoat_lang", lang)
    found: list[str] = []
    i, other = (0, 1) if lang == "vi" else (1, 0)
    for where, html, keys in _views(app, client, tmp_path):
        text = page_text(html)
        found += problems(text, f"{lang} {where}", lang=lang)
        for k in keys:
            if SAYS[k][i] not in text:
                found.append(f"{lang} {where}: does not say «{SAYS[k][i]}»")
            if SAYS[k][other] in text and SAYS[k][other] not in SAYS[k][i]:
                found.append(f"{lang} {where}: still says «{SAYS[k][other]}»")
    assert not found, f"{len(found)} problem(s):\n" + "\n".join(found[:60])


def test_the_register_problems_name_columns_in_english(office, as_role, tmp_path):
    app, _ = office
    client = as_role["officer"]
    client.cookies.set("rasoat_lang", "en")
    r = client.post("/console/cycle/register", data={"csrf_token": csrf_of(client, "/console/cycle/register")},
                    files={"file": ("bad.xlsx", _files(tmp_path)["bad"])})
    text = page_text(r.text)
    assert "Head's full name is missing" in text and "head_name" not in text


@pytest.mark.parametrize("lang, said", [("vi", "Đã kết thúc đợt rà soát định kỳ năm 2026"),
                                        ("en", "Closed the periodic review 2026")])
def test_what_a_cycle_form_did_is_said_in_the_readers_language(office, as_role, lang, said):
    app, _ = office
    client = as_role["officer"]
    client.cookies.set("rasoat_lang", lang)
    rid = app.state.db.value("SELECT id FROM review_rounds WHERE status = 'open'")
    r = client.post(f"/console/cycle/rounds/{rid}/close", data={"csrf_token": csrf_of(client, "/console/cycle")})
    assert r.status_code == 303
    page = page_text(client.get(r.headers["location"]).text)
    assert said in page
    assert not problems(page, f"{lang} after closing", lang=lang)
