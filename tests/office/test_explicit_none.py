"""The explicit "none" answer (form 2026.1): a household that owns no information device answers
"Không có"; it is stored as such, deprived on the information-devices indicator, shown as
"Không có" on its console page and counted in the indicator report. An empty selection is not an
answer there, and "none" never goes with another device."""
from __future__ import annotations

import copy
import re

import pytest

from server.console.web import SESSION_COOKIE
from server.process import review
from server.reports import service as reports
from tests.process.helpers import OFFICER, QN, valid_docs
from tests.server.conftest import session_token
from tests.server.helpers import NOW, push, submission

INFO = 12          # the information-devices indicator of the 2022–2025 standards


def as_2026(doc: dict, devices: list[str]) -> dict:
    d = copy.deepcopy(doc)
    d["area"]["group_code"] = "KP01"          # the device's group
    d.update(form_version="2026.1", info_devices=devices, internet_access=False, digital_services=False,
             waste_treatment=_first_choice("waste_treatment"))
    return d


def _first_choice(name: str) -> str:
    from shared.forms import load_form
    f = load_form("2026.1").field(name)
    return f.choices[0].value


def _indicator(db, submission_id: str, standard_id: str) -> dict:
    import json
    result = json.loads(db.value("SELECT result FROM classifications WHERE submission_id = ? AND standard_id = ?",
                                 (submission_id, standard_id)))
    return next(i for i in result["indicators"] if i["number"] == INFO)


@pytest.fixture
def poorish(db):
    """A synthetic household that already lacks two indicators' worth of comfort: the poorest of a
    small sample (lowest income), so that the report's class for it is poor or near-poor."""
    docs = valid_docs(40, seed=44)
    def income(d):
        inc = d.get("income") or {}
        return sum(v for v in inc.values() if isinstance(v, (int, float))) / max(1, len(d["members"]))
    return min(docs, key=income)


def test_owning_no_device_is_stored_deprived_shown_and_counted(app, client, db, device, poorish):
    doc = as_2026(poorish, ["none"])
    r = push(client, device, [submission(doc)])
    [res] = r.json()["results"]
    assert res["status"] == "accepted", res
    sid = res["submission_id"]
    hid = doc["household_id"]
    # stored as answered "none"
    import json
    body = json.loads(db.value("SELECT body FROM submissions WHERE submission_id = ?", (sid,)))
    assert body["answers"]["info_devices"] == ["none"] and body["form_version"] == "2026.1"
    # deprived on the indicator, under each standard it was classified with
    for std in [r[0] for r in db.all("SELECT standard_id FROM classifications WHERE submission_id = ?", (sid,))]:
        ind = _indicator(db, sid, std)
        assert ind["deprived"] is True, (std, ind)
    # the console shows "Không có", never an empty list or the raw value
    client.cookies.set(SESSION_COOKIE, session_token(app, "viewer"))
    page = client.get(f"/console/households/{hid}").text
    answers = page[page.index('id="answers"'):page.index("</section>", page.index('id="answers"'))]
    row = re.search(r"<th scope=\"row\">Phương tiện tiếp cận thông tin hộ có</th><td>([^<]*)</td>", answers)
    assert row and row.group(1) == "Không có"
    assert "[]" not in answers and ">none<" not in answers
    # the indicator report counts it among the households of its class deprived on indicator 12
    cls = json.loads(db.value("SELECT classes FROM households WHERE household_id = ?", (hid,)))[QN]
    assert cls in ("poor", "near_poor"), cls
    before = reports.report_json(db, f"indicators_{cls}", 2025, QN)["total"][f"ind_{INFO}"]
    # the same household with a TV instead: one fewer deprived on indicator 12
    with_tv = submission(as_2026(poorish, ["tv"]), revision=2, base=1)
    [res2] = push(client, device, [with_tv]).json()["results"]
    assert res2["status"] == "accepted", res2
    assert _indicator(db, res2["submission_id"], QN)["deprived"] is False
    cls2 = json.loads(db.value("SELECT classes FROM households WHERE household_id = ?", (hid,)))[QN]
    after = reports.report_json(db, f"indicators_{cls}", 2025, QN)["total"][f"ind_{INFO}"]
    assert after == before - 1 if cls2 == cls else after <= before - 1
    # and the officer can accept it like any other form
    assert [o.accepted for o in review.accept_many(db, OFFICER, [(hid, res2["submission_id"])], NOW)] == [True]


@pytest.mark.parametrize("devices, code", [([], "required"), (["none", "tv"], "exclusive_choice")])
def test_no_answer_or_none_with_a_device_is_refused_by_name(client, device, poorish, devices, code):
    r = push(client, device, [submission(as_2026(poorish, devices))])
    [res] = r.json()["results"]
    assert res["status"] == "rejected"
    problems = [p for p in res["problems"] if p["path"] == "info_devices"]
    assert problems and problems[0]["code"] == code and problems[0].get("message_vi"), res["problems"]
