"""Preloaded households (confirm each section, lifecycle, split) and evidence (GPS, photos) on the
tablet: presenter level, no window."""
from __future__ import annotations

import copy
import io
import uuid

from PIL import Image

from mobile import store as st
from mobile.evidence import GpsProvider, photo_path, store_photo
from mobile.presenters import FormPresenter
from mobile.sync import SyncWorker, apply_change, apply_result

from .helpers import fill_household

CONFIRM = ["address", "members", "housing", "water_sanitation", "information", "income"]


def preloaded(store, coll) -> str:
    """A household as the server preloads it: last review's answers, ``preloaded_from`` set."""
    hid = coll.new_household("KP01")
    fill_household(coll, hid)
    doc = copy.deepcopy(coll.household(hid)["doc"])
    doc["household_id"] = new = str(uuid.uuid4())
    doc["preloaded_from"] = "review:2024"
    doc["collected_at"] = "2024-10-02"
    with store.tx() as c:
        apply_change(store, {"kind": "household", "household_id": new, "submission_id": str(uuid.uuid4()),
                             "server_revision": 1, "group_code": "KP01", "status": "preloaded", "answers": doc}, c)
    return new


def test_preloaded_household_is_not_ready_until_every_section_is_confirmed(store, coll):
    hid = preloaded(store, coll)
    p = FormPresenter(coll)
    p.open(hid)
    assert p.section.id == "status"                      # preloaded: first, is the household still here?
    assert {s["id"]: s["confirm"] for s in p.sections() if s["confirm"] is not None} == {c: "" for c in CONFIRM}
    assert not p.finish() and coll.household(hid)["status"] != st.READY
    for sid in CONFIRM[:-1]:
        p.go_section([s["id"] for s in p.sections()].index(sid))
        assert p.confirm_state() == "" and "Không thay đổi" in p.confirm_text()
        p.confirm_unchanged()
        assert p.confirm_state() == "unchanged"
    assert coll.household(hid)["status"] == st.DRAFT     # income still unconfirmed
    assert [x.path for x in coll.problems(hid) if x.severity == "error"] == ["confirmations.income"]
    p.go_section([s["id"] for s in p.sections()].index("income"))
    assert p.answer("income.wages", "36.000.000")        # an edit confirms the section as changed
    doc = coll.household(hid)["doc"]
    assert doc["confirmations"] == {**{c: "unchanged" for c in CONFIRM[:-1]}, "income": "changed"}
    assert coll.household(hid)["status"] == st.READY
    p.confirm_unchanged()                                # 'changed' is never turned back into 'unchanged'
    assert coll.household(hid)["doc"]["confirmations"]["income"] == "changed"
    assert p.finish()


def test_roster_edit_marks_members_changed(store, coll):
    hid = preloaded(store, coll)
    coll.add_member(hid)
    assert coll.household(hid)["doc"]["confirmations"] == {"members": "changed"}


def test_moved_away_needs_nothing_else(store, coll):
    hid = preloaded(store, coll)
    p = FormPresenter(coll)
    p.open(hid)
    p.set_lifecycle("moved_away", note="Chuyển vào TP.HCM")
    assert p.lifecycle() == {"event": "moved_away", "note": "Chuyển vào TP.HCM"}
    assert [x for x in coll.problems(hid) if x.severity == "error"] == []
    assert coll.household(hid)["status"] == st.READY


def test_merged_needs_the_related_household(store, coll):
    hid = preloaded(store, coll)
    p = FormPresenter(coll)
    p.open(hid)
    p.set_lifecycle("merged")
    assert "lifecycle.related_household_id" in [x.path for x in coll.problems(hid) if x.severity == "error"]
    other = str(uuid.uuid4())
    p.set_lifecycle("merged", other)
    assert coll.household(hid)["status"] == st.READY and p.lifecycle()["related_household_id"] == other


def test_split_creates_a_new_household_with_the_chosen_members(store, coll):
    parent = preloaded(store, coll)
    p = FormPresenter(coll)
    p.open(parent)
    assert p.split([]) is None and p.error_vi
    before = coll.household(parent)["doc"]["members"]
    child = p.split([1, 2])                              # the spouse and the child leave
    assert child and "2" in p.info
    c = coll.household(child)
    assert c["doc"]["lifecycle"] == {"event": "split_from", "related_household_id": parent}
    assert c["doc"]["area"] == coll.household(parent)["doc"]["area"]
    assert c["doc"]["address"] == coll.household(parent)["doc"]["address"]
    assert [m["full_name"] for m in c["doc"]["members"]] == [before[1]["full_name"], before[2]["full_name"]]
    assert c["doc"]["members"][0]["relation"] == "head" and "preloaded_from" not in c["doc"]
    assert c["group_code"] == "KP01" and c["preloaded"] == 0
    pdoc = coll.household(parent)["doc"]
    assert [m["full_name"] for m in pdoc["members"]] == [before[0]["full_name"]]
    assert pdoc["lifecycle"] == {"event": "split", "related_household_id": child}
    assert pdoc["confirmations"]["members"] == "changed"
    assert child in {r["household_id"] for r in store.household_rows()}


def test_round_closed_shows_the_servers_vietnamese_message(store, coll):
    hid = coll.new_household("KP01")
    fill_household(coll, hid)
    sid = coll.finalise(hid)
    e = store.outbox_entry(sid)
    msg = "Kỳ rà soát 2025 đã đóng ngày 15/12/2025; không nhận phiếu mới."
    result = {"submission_id": sid, "status": "rejected",
              "problems": [{"path": "", "code": "round_closed", "message_vi": msg, "message_en": "closed",
                            "severity": "error"}]}
    with store.tx() as c:
        assert apply_result(store, e, result, 0.0, c) == st.OB_REJECTED
    assert store.outbox_entry(sid)["last_error_vi"] == msg
    assert coll.household(hid)["server_note"] == msg
    p = FormPresenter(coll)
    p.open(hid)
    assert p.server_banner() == msg


# --- evidence --------------------------------------------------------------------------------

def jpeg(w=3000, h=2000, colour=(120, 80, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (w, h), colour).save(out, "JPEG", quality=95)
    return out.getvalue()


def test_photo_is_resized_and_stored_once_by_hash(tmp_path):
    a = store_photo(tmp_path, jpeg())
    b = store_photo(tmp_path, jpeg())
    assert a["sha256"] == b["sha256"] and a["content_type"] == "image/jpeg"
    with Image.open(photo_path(tmp_path, a["sha256"])) as img:
        assert max(img.size) == 1280 and img.format == "JPEG"
    assert len(list((tmp_path / "photos").iterdir())) == 1


def test_photos_tied_to_questions_and_gps_never_blocks(store, coll, tmp_path):
    hid = coll.new_household("KP01")
    fill_household(coll, hid)
    p = FormPresenter(coll, gps=GpsProvider())
    p.open(hid)
    assert p.gps_text() == "Không có GPS trên thiết bị này"
    p.request_gps()
    assert p.gps_message == "Không có GPS trên thiết bị này"
    assert coll.household(hid)["status"] == st.READY          # no GPS: still ready
    src = tmp_path / "roof.png"
    Image.new("RGB", (1600, 900), (10, 20, 30)).save(src)
    assert not p.add_photo("housing.roof", str(tmp_path / "missing.jpg")) and p.error_vi
    assert p.add_photo("housing.roof", str(src))
    assert p.add_photo("latrine", jpeg(800, 600))
    photos = p.photos()
    assert [x["question"] for x in photos] == ["housing.roof", "latrine"]
    assert photos[0]["label"] and not photos[0]["uploaded"]
    doc = coll.household(hid)["doc"]
    assert [set(x) for x in doc["photos"]] == [{"sha256", "question", "taken_at", "size", "content_type"}] * 2
    assert {x["sha256"] for x in store.photos_to_upload()} == {x["sha256"] for x in photos}
    assert coll.household(hid)["status"] == st.READY
    assert not p.set_manual_gps("hai mươi", "107")
    assert p.set_manual_gps("20,9512", "107,0735", "15")
    assert coll.household(hid)["doc"]["gps"]["lat"] == 20.9512 and "±15 m" in p.gps_text()
    p.remove_photo(0)
    assert [x["question"] for x in coll.household(hid)["doc"]["photos"]] == ["latrine"]


def test_gps_fix_arrives_later_from_the_device(store, coll):
    class Fake(GpsProvider):
        available = True

        def request_fix(self, on_fix, on_error, timeout=60.0):
            self.deliver = on_fix

    gps = Fake()
    hid = coll.new_household("KP01")
    p = FormPresenter(coll, gps=gps)
    p.open(hid)
    p.request_gps()
    assert p.gps_busy and "GPS" in p.gps_message
    p.answer("address.street", "Vườn Đào")                  # the form goes on meanwhile
    gps.deliver({"lat": 20.95, "lon": 107.07, "accuracy_m": 8.0, "captured_at": "2025-10-02T09:31:00+07:00"})
    assert not p.gps_busy and coll.household(hid)["doc"]["gps"]["accuracy_m"] == 8.0
    assert coll.household(hid)["doc"]["address"]["street"] == "Vườn Đào"


def test_incomplete_receipt_is_shown_and_photos_are_resent(store, coll):
    hid = coll.new_household("KP01")
    fill_household(coll, hid)
    rec = coll.attach_photo(hid, "housing.walls", jpeg(600, 400))
    store.mark_photo(rec["sha256"], True)
    sid = coll.finalise(hid)
    sub = store.freeze(store.outbox_entry(sid)["seq"], None, "2025-10-02T10:00:00+07:00")
    e = store.outbox_entry(sid)
    from shared import wire
    result = {"submission_id": sid, "status": "accepted", "incomplete": {"missing": [rec["sha256"]]},
              "receipt": {"submission_id": sid, "content_hash": wire.content_hash(sub), "server_revision": 1}}
    with store.tx() as c:
        assert apply_result(store, e, result, 0.0, c) == st.OB_DELIVERED
    assert "thiếu 1 ảnh" in coll.household(hid)["server_note"]
    assert [x["sha256"] for x in store.photos_to_upload()] == [rec["sha256"]]
    assert SyncWorker  # the worker uploads them first at the next run (tests/server/test_attachments.py)


def test_a_preload_reviewed_elsewhere_is_no_longer_shown_as_not_started(store, coll):
    """Another tablet (or the office) stored a newer revision — here: the household moved away."""
    hid = preloaded(store, coll)
    assert coll.household(hid)["status"] == st.NOT_STARTED
    doc = copy.deepcopy(coll.household(hid)["doc"])
    doc["lifecycle"] = {"event": "moved_away"}
    doc["collected_at"] = "2025-10-05"
    with store.tx() as c:
        apply_change(store, {"kind": "household", "household_id": hid, "submission_id": str(uuid.uuid4()),
                             "server_revision": 2, "group_code": "KP01", "status": "submitted", "answers": doc}, c)
    h = coll.household(hid)
    assert h["status"] == st.SYNCED and not h["preloaded"] and h["server_revision"] == 2
    assert h["doc"]["lifecycle"] == {"event": "moved_away"}
    # A newer preload (next year's) of an untouched household stays a household to start.
    again = preloaded(store, coll)
    with store.tx() as c:
        apply_change(store, {"kind": "household", "household_id": again, "submission_id": str(uuid.uuid4()),
                             "server_revision": 2, "group_code": "KP01", "status": "preloaded",
                             "answers": coll.household(again)["doc"]}, c)
    assert coll.household(again)["status"] == st.NOT_STARTED
