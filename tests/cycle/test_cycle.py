"""The annual review cycle: register import, rounds, preload to the assigned tablet, confirmations,
lifecycle, transitions with the movement identity, eligibility windows, targets, console pages."""
from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl

from server.cli import main as cli_main
from server.register.importer import import_file
from shared.transitions import movement_report

from tests.server.helpers import NOW, pull_all, push

from .helpers import (GROUPS, STANDARD, envelope, gone, hid_of, is_valid, register_file, survey, table_rows,
                      ward_docs)

NATIONAL = "vn-national-2022-2025"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def open_round(client, officer, year=2025, standards=(STANDARD, NATIONAL), **kw):
    r = client.post("/api/v1/cycle/rounds", json={"kind": "periodic", "year": year, "standards": list(standards), **kw},
                    headers=auth(officer))
    assert r.status_code == 201, r.text
    return r.json()


# --- register import ----------------------------------------------------------------------------

def test_import_a_good_file_through_the_command_line(tmp_path, db, db_path, capsys):
    docs = ward_docs(60)
    path, rows = register_file(tmp_path, docs)
    code = cli_main(["import-register", str(path), "--ward", "BAICHAY", "--round", "2024", "--db", str(db_path)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["imported"] and out["new_households"] == 60, out
    assert out["mapping"]["head_name"] == "Họ và tên chủ hộ" and out["header_row"] == 3
    # each row: a preloaded household with a partial document and its previous class + decision date
    hid = hid_of(rows[0])
    h = db.one("SELECT status, group_id FROM households WHERE household_id = ?", (hid,))
    assert h["status"] == "preloaded"
    body = json.loads(db.value("SELECT body FROM submissions WHERE household_id = ?", (hid,)))["answers"]
    assert body["preloaded_from"] == "register:2024"
    assert body["members"][0]["full_name"] == rows[0][2] and body["members"][0]["member_id"] == "m1"
    assert body["area"]["group_code"] == docs[0]["area"]["group_code"]
    hist = db.all("SELECT standard_id, status, decision_date, decision_number, source, round "
                  "FROM household_status_history WHERE household_id = ? ORDER BY standard_id", (hid,))
    assert {r["source"] for r in hist} == {"register"} and {r["round"] for r in hist} == {2024}
    assert hist[0]["decision_date"] == "2024-12-20" and hist[0]["decision_number"] == rows[0][12]
    expected = {"Hộ nghèo": "poor", "Hộ cận nghèo": "near_poor", "Thoát nghèo": "escaped_poverty",
                "Thoát cận nghèo": "escaped_near_poverty", "Không nghèo": "other"}[rows[0][11]]
    assert hist[0]["status"] == expected
    assert db.value("SELECT COUNT(*) FROM household_status_history") == 60 * 2   # both standards in force in 2024


def test_a_file_with_bad_rows_lists_them_all_and_writes_nothing(tmp_path, db):
    path, rows = register_file(tmp_path, ward_docs(12))
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws.cell(5, 3).value = None            # row 5: no head name
    ws.cell(7, 9).value = "Khu phố 99"    # row 7: unknown group
    ws.cell(7, 12).value = "giàu"         # row 7: unknown status
    ws.cell(9, 4).value = 1800            # row 9: birth year out of range
    ws.cell(10, 11).value = "abc!"        # row 10: phone pattern (found by document validation)
    wb.save(path)
    before = table_rows(db)
    report = import_file(db, path, NOW)
    assert not report["ok"] and not report["imported"]
    got = {(p["row"], p["column"], p["code"]) for p in report["problems"]}
    assert {(5, "Họ và tên chủ hộ", "required"), (7, "Khu phố", "unknown_group"), (7, "Phân loại", "choice"),
            (9, "Năm sinh", "range")} <= got
    assert any(p["row"] == 10 and p["column"] == "Điện thoại" for p in report["problems"]), report["problems"]
    assert table_rows(db) == before


def test_importing_the_same_file_again_changes_nothing(tmp_path, db):
    path, _ = register_file(tmp_path, ward_docs(40))
    first = import_file(db, path, NOW)
    assert first["imported"] and first["new_households"] == 40
    before = table_rows(db)
    again = import_file(db, path, NOW)
    assert again["imported"] and again["new_households"] == 0 and again["status_rows_added"] == 0
    assert table_rows(db) == before


# --- preload reaches only the assigned tablet; confirmations; lifecycle ------------------------

def test_preload_reaches_only_the_tablets_of_the_group_and_confirmations_are_recorded(tmp_path, client, db, device,
                                                                                       device2, officer):
    docs = ward_docs(30)
    path, rows = register_file(tmp_path, docs)
    assert import_file(db, path, NOW)["imported"]
    kp01 = {hid_of(r) for r, d in zip(rows, docs) if d["area"]["group_code"] == "KP01"}
    kp02 = {hid_of(r) for r, d in zip(rows, docs) if d["area"]["group_code"] == "KP02"}
    changes1, _ = pull_all(client, device)
    changes2, _ = pull_all(client, device2)
    got1 = {c["household_id"] for c in changes1 if c["kind"] == "household"}
    got2 = {c["household_id"] for c in changes2 if c["kind"] == "household"}
    assert got1 == kp01 and got2 == kp02 and kp01 and not kp01 & kp02
    pre = next(c for c in changes1 if c["kind"] == "household")
    assert pre["status"] == "preloaded" and pre["answers"]["preloaded_from"] == "register:2024"
    # the collaborator confirms every section unchanged (income changed) and sends it back
    i = next(k for k, d in enumerate(docs) if d["area"]["group_code"] == "KP01" and
             is_valid(survey(d, hid_of(rows[k]))))
    doc = survey(docs[i], hid_of(rows[i]))
    doc["confirmations"]["income"] = "changed"
    r = push(client, device, [envelope(doc, 1)])
    assert r.json()["results"][0]["status"] == "accepted", r.text
    conf = client.get(f"/api/v1/cycle/households/{doc['household_id']}/confirmations",
                      params={"section": "housing"}, headers=auth(officer)).json()["confirmations"]
    assert [(c["section"], c["value"]) for c in conf] == [("housing", "unchanged")]
    full = client.get(f"/api/v1/cycle/households/{doc['household_id']}", headers=auth(officer)).json()
    assert {c["section"]: c["value"] for c in full["confirmations"]}["income"] == "changed"
    # a preloaded household sent without confirmations is refused (stale data never confirmed silently)
    bare = survey(docs[i], hid_of(rows[i]))
    bare.pop("confirmations")
    res = push(client, device, [envelope(bare, 2)]).json()["results"][0]
    assert res["status"] == "rejected" and {p["code"] for p in res["problems"]} == {"confirmation_required"}


def test_lifecycle_events_are_recorded_and_split_from_needs_a_known_parent(tmp_path, client, db, device, officer):
    docs = ward_docs(24)
    path, rows = register_file(tmp_path, docs)
    assert import_file(db, path, NOW)["imported"]
    k = [i for i, d in enumerate(docs) if d["area"]["group_code"] == "KP01"]
    parent = hid_of(rows[k[0]])
    moved = gone(docs[k[1]], hid_of(rows[k[1]]), "moved_away")
    child = survey(docs[k[0]], "0b0b0b0b-0000-4000-8000-00000000c0de")
    child.pop("preloaded_from")
    child.pop("confirmations")
    child["lifecycle"] = {"event": "split_from", "related_household_id": parent}
    orphan = dict(child, household_id="0b0b0b0b-0000-4000-8000-00000000dead",
                  lifecycle={"event": "split_from", "related_household_id": "no-such-household"})
    res = push(client, device, [envelope(moved, 1), envelope(child, None), envelope(orphan, None)]).json()["results"]
    assert [r["status"] for r in res[:2]] == ["accepted", "accepted"], res
    assert res[2]["status"] == "rejected" and res[2]["problems"][0]["code"] == "related_household_unknown"
    assert "phường" in res[2]["problems"][0]["message_vi"]
    links = client.get(f"/api/v1/cycle/households/{parent}", headers=auth(officer)).json()["lifecycle"]
    assert links["named_by"] == [{"household_id": child["household_id"], "lifecycle_event": "split_from"}]
    ev = db.value("SELECT lifecycle_event FROM submission_rounds sr JOIN households h ON h.submission_id = "
                  "sr.submission_id WHERE h.household_id = ?", (moved["household_id"],))
    assert ev == "moved_away"


# --- rounds ---------------------------------------------------------------------------------------

def test_a_closed_round_refuses_pushes_with_a_clear_message(client, clock, db, device, officer):
    from tests.server.helpers import simple_household, submission

    rnd = open_round(client, officer)
    assert rnd["status"] == "open" and rnd["standards"] == [STANDARD, NATIONAL]
    h = simple_household()
    first = submission(h)
    r = push(client, device, [first]).json()["results"][0]
    assert r["status"] == "accepted"
    assert {c["standard_id"] for c in r["classifications"]} == {STANDARD, NATIONAL}
    assert db.value("SELECT round_id FROM submission_rounds WHERE submission_id = ?", (first["submission_id"],)) == rnd["id"]
    assert client.post(f"/api/v1/cycle/rounds/{rnd['id']}/close", headers=auth(officer)).json()["status"] == "closed"
    h2 = simple_household()
    r = push(client, device, [submission(h2)]).json()["results"][0]
    assert r["status"] == "rejected" and r["problems"][0]["code"] == "round_closed"
    assert r["problems"][0]["message_vi"] == "Đợt rà soát định kỳ năm 2025 đã kết thúc; liên hệ cán bộ phường"
    # a retry of a body stored before the close still gets its original receipt
    assert push(client, device, [first]).json()["results"][0]["status"] == "duplicate"
    # another round cannot open while one is open; a 2026 round may name the 2027–2030 standard explicitly
    # (a general review setting 2027's lists); its form must then ask the new questions
    from server.cycle import rounds
    from server.errors import ApiError
    clock.now = dt.datetime(2026, 10, 5, 12, tzinfo=NOW.tzinfo)
    r26 = rounds.open_round(db, "periodic", 2026, ["vn-national-2027-2030"], clock.now)
    assert r26["standard_details"][0]["in_period"] is False
    h3 = simple_household(collected_at="2026-10-01")
    res = push(client, device, [submission(h3)]).json()["results"][0]
    assert res["status"] == "rejected" and res["problems"][0]["code"] == "form_version_round", res
    assert "2025.1" in res["problems"][0]["message_vi"] and "năm 2026" in res["problems"][0]["message_vi"]
    h3.update(form_version="2026.1", internet_access=True, digital_services=True, waste_treatment="collected")
    res = push(client, device, [submission(h3)]).json()["results"][0]
    assert res["status"] == "accepted", res
    assert [c["standard_id"] for c in res["classifications"]] == ["vn-national-2027-2030"]
    try:
        rounds.open_round(db, "regular", 2026, [NATIONAL], clock.now, month=11)
        raise AssertionError("a second open round")
    except ApiError as exc:
        assert exc.status == 409 and exc.code == "round_open"


# --- transitions and the movement identity on a two-year ward ----------------------------------

def test_transitions_and_the_movement_identity_on_a_generated_two_year_ward(tmp_path, client, db, device, officer):
    from server.reports import service as reports

    docs = ward_docs(180, seed=4)
    path, rows = register_file(tmp_path, docs)
    assert import_file(db, path, NOW)["imported"]
    open_round(client, officer)
    kp01 = [i for i, d in enumerate(docs) if d["area"]["group_code"] == "KP01"]
    subs, expected_gone = [], {"poor": 0, "near_poor": 0}
    status_of = {"Hộ nghèo": "poor", "Hộ cận nghèo": "near_poor"}
    leaving = {i for n, i in enumerate(kp01) if n % 7 == 0}
    leaving |= {next(i for i in kp01 if rows[i][11] == s) for s in ("Hộ nghèo", "Hộ cận nghèo")
                if any(rows[i][11] == s for i in kp01)}
    leaving.discard(kp01[1])
    for n, i in enumerate(kp01):
        hid = hid_of(rows[i])
        if i in leaving:
            subs.append(envelope(gone(docs[i], hid, ("moved_away", "dissolved", "merged")[n % 3]
                                      if n % 3 != 2 else "dissolved"), 1))
            if rows[i][11] in status_of:
                expected_gone[status_of[rows[i][11]]] += 1
            continue
        doc = survey(docs[i], hid, income_factor=(0.2, 1.0, 3.0)[n % 3])
        if is_valid(doc):
            subs.append(envelope(doc, 1))
    poor_parent = kp01[1]
    child = survey(docs[poor_parent], "0c0c0c0c-0000-4000-8000-000000000001", income_factor=0.0)
    child.pop("preloaded_from"), child.pop("confirmations")
    child["lifecycle"] = {"event": "split_from", "related_household_id": hid_of(rows[poor_parent])}
    subs.append(envelope(child, None))
    from shared.classify import classify
    from shared.standards import load_standards
    child_class = classify(child, load_standards()[STANDARD])["class"]
    assert child_class in ("poor", "near_poor")
    results = push(client, device, subs).json()["results"]
    assert all(r["status"] == "accepted" for r in results), [r for r in results if r["status"] != "accepted"][:2]
    rep = reports.report_json(db, "movement_poor", 2025, STANDARD)
    total = rep["total"]
    assert total["end"] == total["start"] - total["decreases"] + total["increases"]
    assert total["other_decreases"] == expected_gone["poor"] > 0
    assert total["other_increases"] == (child_class == "poor")     # the split-off household
    near = reports.report_json(db, "movement_near_poor", 2025, STANDARD)["total"]
    assert near["end"] == near["start"] - near["decreases"] + near["increases"]
    assert near["other_decreases"] == expected_gone["near_poor"]
    assert near["other_increases"] == (child_class == "near_poor")
    # the per-household transitions agree with the report, and the identity holds by construction
    t = client.get("/api/v1/cycle/transitions", params={"round": 2025, "standard_id": STANDARD, "limit": 100000},
                   headers=auth(officer)).json()
    assert t["counts"].get("poor_other_decrease", 0) == expected_gone["poor"]
    assert t["counts"].get(f"{child_class}_other_increase", 0) == 1
    from shared.transitions import Movement
    moves = [Movement(h["movement"], *_ends(h)) for h in t["households"] if h["movement"]]
    assert movement_report(moves)["poor"]["end"] == total["end"]


def _ends(h):
    from server.history.status_history import transition_status
    before = transition_status(h["before"])
    gone_ = h["movement"].endswith("other_decrease") or h["movement"] == "left_not_poor"
    after = None if gone_ else (h["after"] if not h["carried"] else before)
    return before, after


# --- eligibility ------------------------------------------------------------------------------------

def test_eligibility_windows_at_their_boundaries(client, db, officer):
    from server.history import status_history

    hid = "0e0e0e0e-0000-4000-8000-000000000001"
    from tests.server.helpers import simple_household
    from server.services.preload import preload_households
    h = simple_household()
    h["household_id"] = hid
    assert preload_households(db, [h], NOW)["counts"]["accepted"] == 1
    with db.write() as conn:
        status_history.record(conn, hid, STANDARD, "poor", "2023-12-20", source="register", now="x", round_=2023)
        status_history.record(conn, hid, STANDARD, "escaped_poverty", "2024-12-20", source="register", now="x",
                              round_=2024)

    def listed(policy, on):
        r = client.get("/api/v1/cycle/eligibility", params={"policy": policy, "standard_id": STANDARD, "on": on},
                       headers=auth(officer))
        assert r.status_code == 200, r.text
        return {x["household_id"]: x for x in r.json()["households"]}

    # 36 months from 2024-12-20: the last eligible day is 2027-12-19
    for day, inside in (("2027-12-18", True), ("2027-12-19", True), ("2027-12-20", False)):
        got = listed("policy_credit", day)
        assert (hid in got) is inside, day
        if inside:
            assert got[hid]["window_end"] == "2027-12-19" and got[hid]["basis"] == "escaped_poverty"
    assert hid not in listed("electricity", "2025-01-10")      # no escaped window for electricity
    # window lengths are settings: 12 months ends on 2025-12-19
    assert client.put("/api/v1/process/settings", json={"values": {"window_policy_credit_months": 12}},
                      headers=auth(officer)).status_code == 200
    assert hid in listed("policy_credit", "2025-12-19") and hid not in listed("policy_credit", "2025-12-20")
    x = client.get("/api/v1/cycle/eligibility.xlsx", params={"policy": "policy_credit", "standard_id": STANDARD,
                                                              "on": "2025-12-19"}, headers=auth(officer))
    assert x.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(x.content), read_only=True).active
    assert any(hid in [str(c) for c in row] for row in ws.iter_rows(values_only=True))


# --- targets and console pages ------------------------------------------------------------------------

def test_console_pages_import_flow_and_targets(tmp_path, app, client, db, officer):
    from tests.server.conftest import session_token

    docs = ward_docs(18)
    path, rows = register_file(tmp_path, docs)
    client.cookies.set("rasoat_session", session_token(app, "officer"))
    page = client.get("/console/cycle")
    assert page.status_code == 200 and "Đợt rà soát" in page.text
    csrf = _csrf(page.text)
    up = client.post("/console/cycle/register", data={"csrf_token": csrf},
                     files={"file": ("danh-sach.xlsx", path.read_bytes())})
    assert up.status_code == 200 and "Xác nhận nhập 18 hộ" in up.text, up.text[:2000]
    assert db.value("SELECT COUNT(*) FROM households") == 0          # nothing written before the confirmation
    token = up.text.split('name="token" value="')[1].split('"')[0]
    assert 'action="/console/cycle/register" id="confirm"' in up.text        # one address for the import
    done = client.post("/console/cycle/register", data={"csrf_token": csrf, "token": token, "round": "2024",
                                                         "file_name": "danh-sach.xlsx"}, follow_redirects=False)
    assert done.status_code == 303
    assert db.value("SELECT COUNT(*) FROM households") == 18
    r = client.post("/console/cycle/rounds", data={"csrf_token": csrf, "kind": "periodic", "year": "2025",
                                                   "standards": [STANDARD, NATIONAL]}, follow_redirects=False)
    assert r.status_code == 303
    escaped = next((hid_of(row) for row in rows if row[11] == "Thoát nghèo"), hid_of(rows[0]))
    client.post("/console/cycle/credit", data={"csrf_token": csrf, "household_id": escaped,
                                               "requested_on": "2025-03-01", "received_on": "2025-04-01"})
    t = client.get("/api/v1/cycle/targets", params={"standard_id": STANDARD}, headers=auth(officer)).json()
    ids = [x["id"] for x in t["targets"]]
    assert ids == ["poor", "near_poor", "health_insurance", "safe_housing", "policy_credit"]
    poor = sum(1 for row in rows if row[11] == "Hộ nghèo")
    assert t["targets"][0]["value"] == poor and t["targets"][0]["target"] == 0
    for url in ("/console/cycle/targets", "/console/cycle/eligibility?policy=health_insurance",
                "/console/cycle/register"):
        assert client.get(url).status_code == 200, url
    x = client.get("/console/cycle/eligibility.xlsx", params={"policy": "health_insurance"})
    assert x.status_code == 200 and x.content[:2] == b"PK"
    # a viewer reads but cannot post
    client.cookies.set("rasoat_session", session_token(app, "viewer"))
    assert client.get("/console/cycle").status_code == 200
    assert client.post("/console/cycle/rounds", data={"csrf_token": _csrf(client.get("/console/cycle").text),
                                                      "year": "2030"}).status_code == 403


def test_the_console_import_refuses_each_bad_step_by_name_and_a_checked_file_imports_once(tmp_path, app, client,
                                                                                         db):
    from tests.server.conftest import session_token

    client.cookies.set("rasoat_session", session_token(app, "officer"))
    csrf = _csrf(client.get("/console/cycle/register").text)
    post = lambda data, files=None: client.post("/console/cycle/register", data={"csrf_token": csrf, **data},  # noqa: E731
                                                files=files, follow_redirects=False)
    r = post({})
    assert r.status_code == 422 and "Chưa chọn tệp" in r.text
    r = post({}, {"file": ("danh-sach.pdf", b"%PDF-1.4")})
    assert r.status_code == 422 and "Chỉ nhận tệp .xlsx hoặc .csv" in r.text
    r = post({}, {"file": ("danh-sach.xlsx", b"not a workbook")})
    assert r.status_code == 422 and "Traceback" not in r.text and 'name="token"' not in r.text
    assert post({"token": "../../etc"}).status_code == 422
    r = post({"token": "A" * 32})
    assert r.status_code == 404 and "không còn trên máy chủ" in r.text
    path, _ = register_file(tmp_path, ward_docs(4))
    check = lambda: post({}, {"file": ("danh-sach.xlsx", path.read_bytes())})  # noqa: E731
    token = check().text.split('name="token" value="')[1].split('"')[0]
    r = post({"token": token, "round": "hai nghìn"})          # a bad round: refused, and the checked file is gone
    assert r.status_code == 422 and post({"token": token, "round": "2024"}).status_code == 404
    token = check().text.split('name="token" value="')[1].split('"')[0]
    assert post({"token": token, "round": "2024", "file_name": "danh-sach.xlsx"}).status_code == 303
    assert db.value("SELECT COUNT(*) FROM households") == 4
    assert post({"token": token, "round": "2024"}).status_code == 404     # imported once


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def test_the_console_import_page_lists_possible_duplicates_before_the_confirmation(tmp_path, app, client, db):
    from tests.register.test_duplicates import ROWS, write
    from tests.server.conftest import session_token

    client.cookies.set("rasoat_session", session_token(app, "officer"))
    csrf = _csrf(client.get("/console/cycle").text)
    up = client.post("/console/cycle/register", data={"csrf_token": csrf},
                     files={"file": ("r.xlsx", write(tmp_path / "r.xlsx", ROWS).read_bytes())})
    assert up.status_code == 200 and f"Xác nhận nhập {len(ROWS)} hộ" in up.text   # warnings do not block
    table = up.text.split('<table id="warnings">')[1].split("</table>")[0]
    assert "<td class=\"num\">3, 5</td>" in table and "<td class=\"num\">4, 6</td>" in table
    assert "Số CCCD" in table and "Dòng 3 và dòng 5" in table
    assert db.value("SELECT COUNT(*) FROM households") == 0


def test_an_import_through_the_api_checks_first_then_imports_and_wakes_the_report_facts(tmp_path, app, client, db,
                                                                                           officer):
    class Refresher:
        woken = 0

        def wake(self):
            Refresher.woken += 1

    app.state.facts_refresher = Refresher()
    path, _ = register_file(tmp_path, ward_docs(6))
    send = lambda dry: client.post("/api/v1/cycle/register/import", headers=auth(officer),  # noqa: E731
                                   data={"dry_run": str(dry).lower(), "round": "2024"},
                                   files={"file": ("r.xlsx", path.read_bytes())})
    checked = send(True)
    assert checked.status_code == 200 and checked.json()["rows"] == 6 and not checked.json().get("imported")
    assert db.value("SELECT COUNT(*) FROM households") == 0 and Refresher.woken == 0
    done = send(False)
    assert done.status_code == 200 and done.json()["imported"], done.text[:500]
    assert db.value("SELECT COUNT(*) FROM households") == 6 and Refresher.woken == 1
