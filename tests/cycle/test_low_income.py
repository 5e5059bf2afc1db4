"""Low-income workers in the ward: a request recorded in the office, identified at once, listed,
counted in the overall report, re-identified after a correction; refused inputs name the field."""
from __future__ import annotations

import datetime as dt

import pytest

from server.register import low_income
from server.cycle import rounds
from server.errors import ApiError
from server.reports import service as reports

import uuid

from tests.factories import household, member
from tests.server.helpers import push, submission

TODAY = dt.datetime(2026, 10, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def _doc(income, hid=None):
    h = household([member("m1"), member("m2", "spouse", 38, "female", full_name="Lê Thị Bình")],
                  collected_at="2026-10-01", income_pp_month=income)
    h["household_id"] = hid or str(uuid.uuid4())
    return h


def _household(client, device, income):
    h = _doc(income)
    res = push(client, device, [submission(h)]).json()["results"][0]
    assert res["status"] == "accepted", res
    return h["household_id"]


def test_a_request_is_identified_listed_and_counted(app, client, db, clock, device):
    from tests.server.conftest import session_token
    clock.now = TODAY
    officer = session_token(app, "officer")
    rounds.open_round(db, "periodic", 2026, None, clock.now)
    hid = _household(client, device, 2_800_000)          # above the 2.0 M urban line, ≤ 3.0 M
    r = client.post("/api/v1/cycle/low-income", headers={"Authorization": f"Bearer {officer}"},
                    json={"household_id": hid, "member_id": "m2", "requested_by": "worker",
                          "requested_on": "2026-10-15"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["outcome"] == "identified" and body["worker_name"] == "Lê Thị Bình"
    assert body["result"]["income_per_person_month"] == 2_800_000 and body["result"]["income_max"] == 3_000_000
    assert [p["id"] for p in body["policies"]] == ["employment_support", "vocational_training"]
    listing = client.get("/api/v1/cycle/low-income?year=2026", headers={"Authorization": f"Bearer {officer}"}).json()
    assert listing["identified"] == 1 and listing["identified_by_group"]["KP01"] == 1
    rep = reports.report_json(db, "overall", 2026, "vn-national-2022-2025")
    assert rep["total"]["low_income_workers"] == 1
    kp01 = next(x for x in rep["rows"] if x["group_code"] == "KP01")
    assert kp01["low_income_workers"] == 1


def test_a_poorer_household_is_not_identified_and_a_correction_is_re_identified(client, db, clock, device):
    clock.now = TODAY
    hid = _household(client, device, 3_200_000)
    r = low_income.record_request(db, hid, "m1", "household", "2026-10-15", clock.now)
    assert r["outcome"] == "not_identified" and "cao hơn" in " ".join(r["result"]["reasons_vi"])
    doc = _doc(2_500_000, hid)
    res = push(client, device, [submission(doc, revision=2, base=1)]).json()["results"][0]
    assert res["status"] == "accepted", res
    again = low_income.reidentify(db, r["id"], clock.now)
    assert again["outcome"] == "identified"
    actions = [a for (a,) in db.conn.execute("SELECT action FROM audit_log WHERE action LIKE 'low_income.%' "
                                             "ORDER BY id")]
    assert actions == ["low_income.request", "low_income.reidentify"]


@pytest.mark.parametrize("field,value,code", [("member_id", "m9", "member_not_found"),
                                              ("requested_by", "neighbour", "invalid_requested_by"),
                                              ("requested_on", "15/10/2026", "invalid_date"),
                                              ("household_id", "00000000-0000-4000-8000-000000000000",
                                               "household_not_found")])
def test_bad_requests_are_refused_naming_the_field_and_store_nothing(client, db, clock, device, field, value, code):
    clock.now = TODAY
    hid = _household(client, device, 2_500_000)
    args = {"household_id": hid, "member_id": "m1", "requested_by": "worker", "requested_on": "2026-10-15"}
    args[field] = value
    with pytest.raises(ApiError) as exc:
        low_income.record_request(db, args["household_id"], args["member_id"], args["requested_by"],
                                  args["requested_on"], clock.now)
    assert exc.value.code == code and exc.value.message_vi
    assert db.value("SELECT COUNT(*) FROM low_income_requests") == 0
