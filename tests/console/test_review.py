"""The review loop in process: accept, return (reaches the device's pull), conflicts, duplicates,
search without diacritics, the dashboard's numbers, and the diff/merge core."""
from __future__ import annotations

import json

import pytest

from server.services import diff

from .conftest import client_as, csrf_of


def current(app, hid):
    return app.state.db.one("SELECT * FROM households WHERE household_id = ?", (hid,))


def post(client, url, **data):
    return client.post(url, data={**data, "csrf_token": csrf_of(client)})


def test_accept_marks_the_current_submission(app, world):
    officer = client_as(app, "officer")
    hid = world["submitted"]
    r = post(officer, f"/console/households/{hid}/accept", submission_id=current(app, hid)["submission_id"])
    assert r.status_code == 303
    page = officer.get(r.headers["location"]).text
    assert "Đã duyệt phiếu." in page
    assert hid in officer.get("/console/households?status=accepted").text
    assert hid not in officer.get("/console/review").text
    # an old submission id (the officer looked at a stale page) is refused, saying why, nothing recorded
    old = app.state.db.value("SELECT submission_id FROM submissions WHERE household_id = ? AND server_revision = 1",
                             (hid,))
    before = app.state.db.value("SELECT COUNT(*) FROM review_decisions")
    r = post(officer, f"/console/households/{hid}/accept", submission_id=old)
    assert r.status_code == 303
    assert "Phiếu đã có bản mới hơn" in officer.get(r.headers["location"]).text
    assert app.state.db.value("SELECT COUNT(*) FROM review_decisions") == before


def test_accepting_checked_households_names_each_refused_one_and_accepts_the_others(app, world):
    officer = client_as(app, "officer")
    ok, conflicted = current(app, world["submitted"]), current(app, world["conflicted"])
    r = officer.post("/console/review/accept", data={
        "pick": [f"{ok['household_id']}|{ok['submission_id']}",
                 f"{conflicted['household_id']}|{conflicted['submission_id']}", "no-bar", "|x"],
        "csrf_token": csrf_of(officer)})
    assert r.status_code == 303 and r.headers["location"] == "/console/review"
    page = officer.get(r.headers["location"]).text
    assert (f"Đã duyệt 1 phiếu; 1 phiếu chưa duyệt được: {conflicted['head_name']}: "
            "Hộ còn xung đột chưa xử lý") in page
    assert app.state.db.value("SELECT COUNT(*) FROM review_decisions WHERE household_id = ?", (ok["household_id"],)) == 1
    r = officer.post("/console/review/accept", data={"pick": ["no-bar"], "csrf_token": csrf_of(officer)})
    assert "Chưa chọn phiếu nào." in officer.get(r.headers["location"]).text


def test_a_returned_household_reaches_the_device_on_its_next_pull(app, world):
    officer = client_as(app, "officer")
    hid = world["submitted"]
    r = post(officer, f"/console/households/{hid}/return", reason_code="missing_health_insurance",
             reason_text="Thành viên thứ 2 chưa ghi số thẻ", submission_id=current(app, hid)["submission_id"])
    assert r.status_code == 303
    assert current(app, hid)["status"] == "returned"
    pulled = app.state.db  # the device pulls through the real API
    from fastapi.testclient import TestClient
    api = TestClient(app)
    body = api.get("/api/v1/sync/pull", params={"cursor": 0, "limit": 1000},
                   headers={"Authorization": f"Bearer {world['device_token']}"}).json()
    returns = [c for c in body["changes"] if c["kind"] == "return" and c["household_id"] == hid]
    assert returns and returns[-1]["reason"] == ("Thiếu thông tin BHYT của thành viên: "
                                                 "Thành viên thứ 2 chưa ghi số thẻ")
    assert pulled.value("SELECT COUNT(*) FROM audit_log WHERE action = 'household.return'") == 1


def test_other_needs_a_text_and_codes_come_from_the_list(app, world):
    officer = client_as(app, "officer")
    hid = world["submitted"]
    sid = current(app, hid)["submission_id"]
    assert post(officer, f"/console/households/{hid}/return", reason_code="other", reason_text="",
                submission_id=sid).status_code == 422
    assert post(officer, f"/console/households/{hid}/return", reason_code="made_up",
                submission_id=sid).status_code == 422


def test_the_conflict_page_shows_base_device_and_server(app, world):
    html = client_as(app, "officer").get(f"/console/conflicts/{world['conflict_submission']}").text
    assert "Bản gốc" in html and "Bản từ thiết bị" in html and "Bản trên máy chủ" in html
    assert "Ghi chú từ thiết bị" in html and "0912 345 678" in html


@pytest.mark.parametrize("resolution", ["keep_server", "take_device", "merge"])
def test_a_conflict_resolution_is_recorded(app, world, resolution):
    officer = client_as(app, "officer")
    hid = world["conflicted"]
    before = current(app, hid)
    assert before["needs_review"] == 1
    data = {"resolution": resolution, "server_submission_id": before["submission_id"], "note": "đã gọi điện"}
    if resolution == "merge":
        data["take:notes"] = "device"                   # notes from the device, phone stays the server's
    r = post(officer, f"/console/conflicts/{world['conflict_submission']}/resolve", **data)
    assert r.status_code == 303, r.text[:500]
    after = current(app, hid)
    assert after["needs_review"] == 0
    db = app.state.db
    row = db.one("SELECT * FROM conflict_resolutions WHERE submission_id = ?", (world["conflict_submission"],))
    assert row["resolution"] == resolution
    audit = db.one("SELECT details FROM audit_log WHERE action = 'conflict.resolve'")
    assert json.loads(audit[0])["resolution"] == resolution
    doc = json.loads(db.value("SELECT body FROM submissions WHERE submission_id = ?", (after["submission_id"],)))
    answers = doc["answers"]
    if resolution == "keep_server":
        assert after["submission_id"] == before["submission_id"] and row["result_submission_id"] is None
    else:
        assert after["server_revision"] == before["server_revision"] + 1
        assert row["result_submission_id"] == after["submission_id"]
        assert db.value("SELECT source FROM submissions WHERE submission_id = ?", (after["submission_id"],)) == "office"
        assert answers["notes"] == "Ghi chú từ thiết bị"
        assert answers["phone"] == ("0912 345 678" if resolution == "merge" else answers["phone"])
        if resolution == "take_device":
            assert answers.get("phone") != "0912 345 678"
    # a second resolution of the same conflict is refused
    r = post(officer, f"/console/conflicts/{world['conflict_submission']}/resolve", **data)
    assert r.status_code == 409


def test_merge_a_duplicate_and_undo_it(app, world):
    assert world["dedup"] and world["candidate_id"], "the test world must hold a duplicate candidate"
    officer = client_as(app, "officer")
    cid = world["candidate_id"]
    assert "Bằng chứng theo từng trường" in officer.get(f"/console/duplicates/{cid}").text
    assert post(officer, f"/console/duplicates/{cid}/decide", decision="same", note="cùng hộ").status_code == 303
    db = app.state.db
    link = db.one("SELECT id FROM dedup_links WHERE candidate_id = ? AND undone_at IS NULL", (cid,))
    assert link is not None
    page = officer.get(f"/console/duplicates/{cid}").text
    assert f"/console/duplicates/links/{link['id']}/undo" in page
    r = post(officer, f"/console/duplicates/links/{link['id']}/undo", reason="nhầm hộ tách")
    assert r.status_code == 303 and r.headers["location"] == f"/console/duplicates/{cid}"   # back to the pair
    assert db.value("SELECT undone_at FROM dedup_links WHERE id = ?", (link["id"],)) is not None
    assert db.value("SELECT status FROM dedup_candidates WHERE id = ?", (cid,)) == "open"
    # refusals are the console's error pages, nothing written
    decided = db.value("SELECT COUNT(*) FROM dedup_decisions")
    assert post(officer, f"/console/duplicates/{cid}/decide", decision="maybe").status_code == 422
    assert post(officer, "/console/duplicates/999999/decide", decision="same").status_code == 404
    assert post(officer, "/console/duplicates/links/999999/undo", reason="x").status_code == 404
    assert post(officer, f"/console/duplicates/links/{link['id']}/undo", reason="lần hai").status_code == 409
    assert db.value("SELECT COUNT(*) FROM dedup_decisions") == decided


def test_search_ignores_diacritics_and_case(app, world):
    viewer = client_as(app, "viewer")
    head = current(app, world["submitted"])["head_name"]
    from shared.identity import fold
    for q in (head, fold(head), fold(head).upper()):
        html = viewer.get("/console/households", params={"q": q}).text
        assert world["submitted"] in html, q


def test_filters_by_group_class_and_status(app, world):
    viewer = client_as(app, "viewer")
    db = app.state.db
    sid, cls = db.one("SELECT je.key, je.value FROM households h, json_each(h.classes) je LIMIT 1")
    n = db.value("SELECT COUNT(*) FROM households WHERE json_extract(classes, ?) = ?", (f'$."{sid}"', cls))
    html = viewer.get("/console/households", params={"standard": sid, "cls": cls}).text
    assert f"{n} kết quả" in html
    kp01 = world["groups"]["KP01"]
    n = db.value("SELECT COUNT(*) FROM households WHERE group_id = ? AND status = 'submitted'", (kp01,))
    html = viewer.get("/console/households", params={"group": kp01, "status": "submitted"}).text
    assert f"{n} kết quả" in html and n >= 2


def test_dashboard_counts(app, world):
    html = client_as(app, "viewer").get("/console/dashboard").text
    total = app.state.db.value("SELECT COUNT(*) FROM households")
    assert f"{total}/{total}" not in html                      # not everything is surveyed
    assert "Máy tính bảng KP01" in html and "<svg" in html
    assert "Nguyễn Thị Hoa" in html


def test_household_page_shows_diff_classification_and_history(app, world):
    html = client_as(app, "viewer").get(f"/console/households/{world['submitted']}").text
    assert "Đã kiểm tra lại BHYT" in html                         # the changed note in the diff
    assert "Thay đổi thành viên" in html
    assert "Chỉ số thiếu hụt" in html and "Bảo hiểm y tế" in html
    assert "Dữ liệu kỳ trước" in html and "Máy tính bảng" in html      # revision sources in words


# --- the pure core ----------------------------------------------------------------------------------

BASE = {"household_id": "h", "phone": "1", "housing": {"walls": "durable", "roof": "durable"},
        "members": [{"member_id": "m1", "full_name": "An", "sex": "male"},
                    {"member_id": "m2", "full_name": "Bình", "sex": "female"}]}


def test_diff_lists_fields_and_members():
    after = json.loads(json.dumps(BASE))
    after["housing"]["roof"] = "non_durable"
    after["members"][1]["full_name"] = "Bính"
    after["members"].append({"member_id": "m3", "full_name": "Chi"})
    del after["members"][0]
    d = diff.diff(BASE, after)
    assert d["fields"] == [("housing.roof", "durable", "non_durable")]
    kinds = {m["member_id"]: m["kind"] for m in d["members"]}
    assert kinds == {"m1": "removed", "m2": "changed", "m3": "added"}
    assert [m for m in d["members"] if m["member_id"] == "m2"][0]["fields"] == [("full_name", "Bình", "Bính")]


def test_merge_takes_only_the_chosen_units():
    device = json.loads(json.dumps(BASE))
    device["phone"] = "2"
    device["housing"]["walls"] = "non_durable"
    device["members"].append({"member_id": "m3", "full_name": "Chi"})
    merged = diff.merge(BASE, device, {"housing.walls", "members[m3]"})
    assert merged["phone"] == "1" and merged["housing"]["walls"] == "non_durable"
    assert [m["member_id"] for m in merged["members"]] == ["m1", "m2", "m3"]
    rows = diff.three_way(BASE, device, BASE)
    assert {r["unit"] for r in rows} == {"phone", "housing.walls", "members[m3]"}
    assert all(r["device_changed"] and not r["server_changed"] for r in rows)


def class_totals(db, sql):
    return {(s, c): n for s, c, n in db.all(sql) if n}


def test_the_class_counters_follow_every_household_change(app, world):
    db = app.state.db
    truth = "SELECT h.group_id || ':' || je.key, je.value, COUNT(*) FROM households h, json_each(h.classes) je GROUP BY 1, 2"
    kept = "SELECT group_id || ':' || standard_id, class, n FROM console_class_counts"
    assert class_totals(db, kept) == class_totals(db, truth)
    officer = client_as(app, "officer")
    hid = world["conflicted"]
    r = post(officer, f"/console/conflicts/{world['conflict_submission']}/resolve", resolution="take_device",
             server_submission_id=current(app, hid)["submission_id"])
    assert r.status_code == 303
    with db.write() as conn:        # a move between groups is counted too
        conn.execute("UPDATE households SET group_id = ? WHERE household_id = ?", (world["groups"]["KP06"], hid))
    assert class_totals(db, kept) == class_totals(db, truth)
