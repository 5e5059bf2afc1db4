"""Plan targets entered on the targets page: stored per year and standard with their history
(every change a new row, audited), judged against the measure; bad input is refused and named."""
from __future__ import annotations

import re

from server.cycle import plan_targets
from tests.console.conftest import csrf_of


def _post(client, **data):
    return client.post("/console/cycle/targets", data={**data, "csrf_token": csrf_of(client, "/console/cycle/targets")})


def test_targets_are_entered_edited_and_kept_with_their_history(office, as_role):
    app, world = office
    year, std = world["work"]["round"], world["work"]["standard_id"]
    officer = as_role["officer"]
    page = officer.get(f"/console/cycle/targets?round={year}&standard={std}").text
    assert "mặc định theo kế hoạch" in page and "Chưa có thay đổi" in page
    r = _post(officer, round=year, standard=std, **{"target:poor": "12", "note:poor": "Nghị quyết HĐND phường",
                                                     "target:health_insurance": "95,5"})
    assert r.status_code == 303
    r = _post(officer, round=year, standard=std, **{"target:poor": "10", "note:poor": "Điều chỉnh giữa năm"})
    assert r.status_code == 303
    page = officer.get(r.headers["location"]).text
    row = re.search(r'<tr data-target="poor">.*?</tr>', page, re.S).group(0)
    assert 'value="10"' in row and "Điều chỉnh giữa năm" in row
    hist = page[page.index('id="target-history"'):]
    assert hist.count("<tr>") >= 4          # header + three changes
    assert "95,5" in page and "12" in hist and "mặc định" in hist
    db = app.state.db
    assert [r["value"] for r in plan_targets.history(db.conn, year, std) if r["target"] == "poor"] == [10, 12]
    assert db.value("SELECT COUNT(*) FROM audit_log WHERE action = 'plan_target.set'") == 3
    # the same values again change nothing
    assert "Không có chỉ tiêu nào thay đổi" in officer.get(
        _post(officer, round=year, standard=std, **{"target:poor": "10", "note:poor": "Điều chỉnh giữa năm"})
        .headers["location"]).text


def test_bad_targets_are_refused_by_name_and_viewers_cannot_enter_them(office, as_role):
    app, world = office
    year, std = world["work"]["round"], world["work"]["standard_id"]
    r = _post(as_role["officer"], round=year, standard=std, **{"target:health_insurance": "120", "target:poor": "5"})
    assert r.status_code == 422 and "tỷ lệ từ 0 đến 100" in r.text
    assert app.state.db.value("SELECT COUNT(*) FROM plan_targets") == 0          # nothing half-saved
    viewer = as_role["viewer"]
    assert "<input name=\"target:" not in viewer.get("/console/cycle/targets").text
    assert viewer.post("/console/cycle/targets", data={"round": year, "standard": std, "target:poor": "1",
                                                       "csrf_token": csrf_of(viewer)}).status_code == 403


def test_met_follows_the_direction_of_each_target():
    measures = [{"id": "poor", "value": 8, "target": 0}, {"id": "health_insurance", "value": 96.0, "target": 100,
                                                          "whole": 50}]
    got = {t["id"]: t["met"] for t in plan_targets.apply(measures, {})}
    assert got == {"poor": False, "health_insurance": False}
    entered = {"poor": {"value": 10, "note": "", "set_at": "x"}, "health_insurance": {"value": 95, "note": "",
                                                                                      "set_at": "x"}}
    got = {t["id"]: t["met"] for t in plan_targets.apply(measures, entered)}
    assert got == {"poor": True, "health_insurance": True}
