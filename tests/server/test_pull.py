"""Pull: incremental from a cursor, scoped to the device's groups."""
from __future__ import annotations

from .conftest import device_token
from .helpers import bearer, households, pull_all, push, simple_household, submission


def test_first_pull_has_forms_standards_and_assignments(client, device):
    changes, cursor = pull_all(client, device)
    kinds = [c["kind"] for c in changes]
    assert "form" in kinds and kinds.count("standard") >= 2
    form = next(c for c in changes if c["kind"] == "form")
    assert form["version"] == "2025.1" and form["definition"]["sections"]
    [a] = [c for c in changes if c["kind"] == "assignment"]
    assert (a["group_code"], a["active"], a["area_type"]) == ("KP01", True, "urban")
    assert [c["seq"] for c in changes] == sorted(c["seq"] for c in changes)
    again, cursor2 = pull_all(client, device, cursor)
    assert again == [] and cursor2 == cursor


def test_pull_is_incremental_and_scoped_to_the_groups(client, device, device2):
    _, c1 = pull_all(client, device)
    _, c2 = pull_all(client, device2)
    mine, theirs = simple_household("KP01"), simple_household("KP02")
    push(client, device, [submission(mine)])
    push(client, device2, [submission(theirs)])
    new1, _ = pull_all(client, device, c1)
    new2, _ = pull_all(client, device2, c2)
    assert {c["household_id"] for c in new1} == {mine["household_id"]}
    assert {c["household_id"] for c in new2} == {theirs["household_id"]}
    h = next(c for c in new1 if c["kind"] == "household")
    assert h["answers"] == mine and h["server_revision"] == 1
    cl = next(c for c in new1 if c["kind"] == "classification")
    assert {r["standard_id"] for r in cl["results"]} == {"vn-national-2022-2025", "qn-provincial-2023-2025"}
    assert all(r["explanation_vi"] for r in cl["results"])


def test_paging_with_limit(client, device):
    push(client, device, [submission(d) for d in households(12)])
    all_changes, final = pull_all(client, device, 0, limit=500)
    paged, final2 = pull_all(client, device, 0, limit=5)
    assert paged == all_changes and final == final2


def test_returned_household_reaches_the_device_with_the_reason(client, device, device2, officer):
    doc = simple_household()
    [res] = push(client, device, [submission(doc)]).json()["results"]
    _, cursor = pull_all(client, device)
    _, cursor2 = pull_all(client, device2)
    r = client.post(f"/api/v1/households/{doc['household_id']}/return",
                    json={"reason": "Thiếu diện tích nhà, đề nghị đo lại", "submission_id": res["submission_id"]},
                    headers=bearer(officer))
    assert r.status_code == 201, r.text
    new, _ = pull_all(client, device, cursor)
    [ret] = [c for c in new if c["kind"] == "return"]
    assert ret["reason"] == "Thiếu diện tích nhà, đề nghị đo lại" and ret["returned_by"]
    assert ret["submission_id"] == res["submission_id"]
    assert pull_all(client, device2, cursor2)[0] == []
    # the collaborator fixes and resends on the current base: the return is resolved
    fixed = dict(doc, notes="đã đo lại")
    assert push(client, device, [submission(fixed, revision=2, base=1)]).json()["results"][0]["status"] == "accepted"
    detail = client.get(f"/api/v1/households/{doc['household_id']}", headers=bearer(officer)).json()
    assert detail["status"] == "submitted" and detail["returns"][0]["resolved_by"]


def test_a_new_assignment_brings_the_groups_existing_households(client, app, device, device2, admin):
    theirs = [simple_household("KP02") for _ in range(3)]
    push(client, device2, [submission(d) for d in theirs])
    _, cursor = pull_all(client, device)
    r = client.put("/api/v1/collaborators/1/groups", json={"groups": ["KP01", "KP02"]}, headers=bearer(admin))
    assert r.status_code == 200, r.text
    new, cursor = pull_all(client, device, cursor)
    assert {c["household_id"] for c in new if c["kind"] == "household"} == {d["household_id"] for d in theirs}
    assert any(c["kind"] == "assignment" and c["group_code"] == "KP02" and c["active"] for c in new)
    # unassigned again: the device is told, and sees no more KP02 changes
    client.put("/api/v1/collaborators/1/groups", json={"groups": ["KP01"]}, headers=bearer(admin))
    new, cursor = pull_all(client, device, cursor)
    assert [(c["kind"], c["group_code"], c["active"]) for c in new] == [("assignment", "KP02", False)]
    push(client, device2, [submission(simple_household("KP02"))])
    assert pull_all(client, device, cursor)[0] == []


def test_another_collaborators_snapshot_is_not_visible(client, app, admin):
    dev = device_token(app, 3)          # KP03
    push(client, dev, [submission(simple_household("KP03"))])
    _, cursor = pull_all(client, dev)
    client.put("/api/v1/collaborators/4/groups", json={"groups": ["KP04", "KP03"]}, headers=bearer(admin))
    other = device_token(app, 4)
    snap, _ = pull_all(client, other)
    assert [c["kind"] for c in snap if c["kind"] in ("household", "classification")] == \
        ["household", "classification"] * 2        # the group's own rows and collaborator 4's snapshot
    assert pull_all(client, dev, cursor)[0] == []
    push(client, other, [submission(simple_household("KP03"))])
    new, _ = pull_all(client, dev, cursor)
    assert [c["kind"] for c in new] == ["household", "classification"]


def test_cursor_beyond_the_server_is_a_409(client, device):
    r = client.get("/api/v1/sync/pull", params={"cursor": 10**9}, headers=bearer(device))
    assert r.status_code == 409 and r.json()["error"]["code"] == "cursor_ahead"


def test_device_reads_its_own_households_only(client, device, device2):
    mine = simple_household("KP01")
    push(client, device, [submission(mine)])
    r = client.get(f"/api/v1/households/{mine['household_id']}", headers=bearer(device))
    assert r.status_code == 200 and r.json()["answers"] == mine and "history" not in r.json()
    r = client.get(f"/api/v1/households/{mine['household_id']}", headers=bearer(device2))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_group"
