"""The tablet's preview and the office's result are the same for the same document and round.

The round's standards reach the tablet by sync (a pull, applied by the tablet's own code); the same
documents are then classified through the tablet's path (``Collection.classification``) and the
server's (a device push: validate → classify → store) and the results are compared whole."""
from __future__ import annotations

import datetime as dt

import pytest

from mobile.collect import Collection
from mobile.store import LocalStore
from mobile.sync import apply_change
from server.cycle import rounds
from server.store import classifications
from shared.synthetic import generate_ward
from shared.validation import errors, validate

from .helpers import pull_all, push, submission

TODAY = dt.datetime(2026, 10, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def _documents(n: int) -> list[dict]:
    docs = generate_ward(n * 2, seed=26, groups=("KP01",), collected_from=dt.date(2026, 9, 2),
                         collected_to=dt.date(2026, 10, 19))
    return [d for d in docs if not errors(validate(d, today=TODAY.date()))][:n]


def _tablet(tmp_path, client, device) -> tuple[LocalStore, Collection]:
    store = LocalStore.in_dir(tmp_path / "tablet")
    changes, _ = pull_all(client, device)
    with store.tx() as c:
        for ch in changes:
            apply_change(store, ch, c)
    return store, Collection(store, today=lambda: TODAY.date(), now=lambda: TODAY.isoformat())


@pytest.mark.parametrize("standards", [None, ["vn-national-2027-2030"],
                                       ["qn-provincial-2023-2025", "vn-national-2022-2025"]],
                         ids=["date-rule", "general-review-2027", "named-outside-period"])
def test_the_tablet_and_the_office_give_the_same_result(tmp_path, client, db, clock, device, standards):
    clock.now = TODAY
    rnd = rounds.open_round(db, "periodic", 2026, standards, clock.now)
    store, coll = _tablet(tmp_path, client, device)
    assert coll.current_round() is not None and list(coll.current_round().standard_ids) == rnd["standards"]
    docs = _documents(25)
    compared = 0
    for doc in docs:
        store.save_household(doc["household_id"], group_code="KP01", status="ready", doc=doc, raw={},
                             form_version=doc["form_version"], revision=0, preloaded=0)
        tablet, _ = coll.classification(doc["household_id"])
        sub = submission(doc)
        res = push(client, device, [sub]).json()["results"][0]
        assert res["status"] == "accepted", res
        office = classifications.for_submission(db.conn, sub["submission_id"], full=True)
        by_id = {r["standard_id"]: r for r in tablet}
        assert sorted(by_id) == [r["standard_id"] for r in office]
        for r in office:
            assert by_id[r["standard_id"]] == r
        compared += len(office)
    store.close()
    assert compared >= 25
    classes = {r["class"] for r in office}
    assert classes       # the last document was classified on both sides


def test_a_change_of_the_rounds_standards_reaches_the_tablet(tmp_path, client, db, clock, device):
    clock.now = TODAY
    rnd = rounds.open_round(db, "periodic", 2026, None, clock.now)
    assert rnd["standards"] == ["vn-national-2022-2025"]          # the date rule: in force on 1/9/2026
    rounds.set_standards(db, rnd["id"], ["vn-national-2027-2030"], clock.now)
    store, coll = _tablet(tmp_path, client, device)
    assert list(coll.current_round().standard_ids) == ["vn-national-2027-2030"]
    store.close()


def test_standards_cannot_change_once_the_round_has_device_submissions(client, db, clock, device):
    from server.errors import ApiError
    clock.now = TODAY
    rnd = rounds.open_round(db, "periodic", 2026, None, clock.now)
    res = push(client, device, [submission(_documents(1)[0])]).json()["results"][0]
    assert res["status"] == "accepted", res
    with pytest.raises(ApiError) as exc:
        rounds.set_standards(db, rnd["id"], ["vn-national-2027-2030"], clock.now)
    assert exc.value.status == 409 and "không đổi chuẩn" in exc.value.message_vi
