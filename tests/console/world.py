"""A small demo ward for console tests: demo users, households, a device with a submitted
household and a conflict, a household with a hostile name, dedup candidates (if dedup is there)."""
from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

from shared import wire

from server.db import Database
from server.demo import seed_demo
from server.services import enrollment, ingest
from server.services.preload import all_groups_lookup, preload_households
from server.store import submissions

NOW = dt.datetime(2025, 12, 15, 12, 0, tzinfo=wire.VN_TZ)
XSS = "<script>alert(1)</script>"


def answers(db: Database, household_id: str) -> dict[str, Any]:
    sid = db.value("SELECT submission_id FROM households WHERE household_id = ?", (household_id,))
    body = submissions.body(db.conn, sid)
    doc = dict(body["answers"])
    for k in ("household_id", "form_version", "collected_at"):
        doc.setdefault(k, body[k])
    return doc


def envelope(doc: dict[str, Any], revision: int, base: int | None) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    return {"submission_id": str(uuid.uuid4()), "household_id": doc["household_id"], "revision": revision,
            "base_revision": base, "form_version": doc["form_version"], "collected_at": doc["collected_at"],
            "device_time": "2025-12-15T11:00:00+07:00", "answers": doc}


def device_push(db: Database, device_id: str, collaborator_id: int, docs: list[tuple[dict, int, int | None]]):
    find = all_groups_lookup(db)
    group_ids = [r[0] for r in db.all("SELECT group_id FROM assignments WHERE collaborator_id = ?", (collaborator_id,))]
    actor = ingest.Actor(source="device", device_id=device_id, collaborator_id=collaborator_id,
                         allowed_group_ids=frozenset(group_ids))
    return ingest.push(db, actor, find, [envelope(d, r, b) for d, r, b in docs], NOW)


def dedup_available() -> bool:
    try:
        from server.dedup import review  # noqa: F401
        from server.dedup.schema import apply_schema  # noqa: F401
    except Exception:
        return False
    return True


def build(db: Database, households: int = 24) -> dict[str, Any]:
    seed_demo(db, households=households, now=NOW)
    kp = {code: gid for gid, code in db.all("SELECT id, code FROM area_groups")}
    world: dict[str, Any] = {}
    # a device of collaborator 1 (KP01)
    code = enrollment.create_code(db, 1, None, NOW, 24, "http://testserver", with_qr=False)
    enrolled = enrollment.enroll(db, code["code"], "Máy tính bảng KP01", NOW)
    world["device_id"], world["device_token"] = enrolled["device_id"], enrolled["token"]
    kp01 = [r[0] for r in db.all("SELECT household_id FROM households WHERE group_id = ? ORDER BY household_id",
                                  (kp["KP01"],))]
    # household A: a new revision from the device (submitted); household B: submitted, then a stale-base conflict
    a, b = kp01[0], kp01[1]
    doc_a = answers(db, a)
    doc_a["members"][0]["health_insurance"] = not doc_a["members"][0].get("health_insurance", False)
    doc_a["notes"] = "Đã kiểm tra lại BHYT"
    r = device_push(db, world["device_id"], 1, [(doc_a, 2, 1)])
    assert r[0]["status"] == "accepted", r
    doc_b = answers(db, b)
    doc_b2 = copy.deepcopy(doc_b)
    doc_b2["phone"] = "0912 345 678"
    r = device_push(db, world["device_id"], 1, [(doc_b2, 2, 1)])
    assert r[0]["status"] == "accepted", r
    doc_b3 = copy.deepcopy(doc_b)
    doc_b3["notes"] = "Ghi chú từ thiết bị"
    doc_b3["housing"]["floor_area_m2"] = float(doc_b3["housing"].get("floor_area_m2", 30)) + 5
    r = device_push(db, world["device_id"], 1, [(doc_b3, 2, 1)])
    assert r[0]["status"] == "conflict", r
    world.update(submitted=a, conflicted=b, conflict_submission=r[0]["submission_id"])
    # a household whose head is named like a script (in KP02)
    hostile = copy.deepcopy(answers(db, kp01[2]))
    hostile["household_id"] = str(uuid.uuid4())
    hostile["area"]["group_code"] = "KP02"
    hostile["members"][0]["full_name"] = XSS
    res = preload_households(db, [hostile], NOW)
    assert res["counts"]["accepted"] == 1, res
    world["hostile"] = hostile["household_id"]
    world["groups"] = kp
    world["dedup"] = dedup_available()
    if world["dedup"]:
        world.update(_dedup(db, kp01[3]))
    return world


def _dedup(db: Database, original: str) -> dict[str, Any]:
    from server.clock import iso
    from server.dedup import review
    from server.dedup.schema import apply_schema

    dup = answers(db, original)
    dup["household_id"] = str(uuid.uuid4())
    dup["phone"] = None
    dup.pop("phone")
    for m in dup["members"]:
        m["member_id"] = str(uuid.uuid4())
        m.pop("citizen_id", None)          # weaker evidence: the pair lands in the review band
    dup["members"] = dup["members"][:2]
    dup["address"]["house_number"] = str(dup["address"].get("house_number") or "7") + "A"
    res = preload_households(db, [dup], NOW)
    assert res["counts"]["accepted"] == 1, res
    with db.write() as conn:
        apply_schema(conn)
        for (hid,) in conn.execute("SELECT household_id FROM households ORDER BY household_id").fetchall():
            review.on_ingest(conn, hid, answers(db, hid), iso(NOW))
    row = db.one("SELECT id, status FROM dedup_candidates WHERE (a = ? AND b = ?) OR (a = ? AND b = ?)",
                 (original, dup["household_id"], dup["household_id"], original))
    return {"dup_original": original, "dup_copy": dup["household_id"],
            "candidate_id": row["id"] if row else None, "candidate_status": row["status"] if row else None}
