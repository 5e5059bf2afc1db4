"""The local record: autosave, raw text kept, statuses, outbox rules. Plain Python, real SQLite."""
from __future__ import annotations

import sqlite3

import pytest

from mobile import store as st
from mobile.collect import Collection
from mobile.store import LocalStore, StoreError

from .helpers import fill_household


def test_every_answer_is_saved_at_once(coll, store, tmp_path):
    hid = coll.new_household("KP01")
    coll.set_answer(hid, "address.street", "Vườn Đào")
    other = LocalStore.in_dir(tmp_path)          # a second connection sees it: it is committed
    assert other.household(hid)["doc"]["address"]["street"] == "Vườn Đào"
    other.close()


def test_a_filled_household_is_ready_and_valid(coll):
    hid = coll.new_household("KP01")
    fill_household(coll, hid)
    h = coll.household(hid)
    assert [p for p in coll.problems(hid) if p.severity == "error"] == []
    assert h["status"] == st.READY
    assert h["head_name"] == "Trần Văn Hùng" and h["member_count"] == 3
    assert h["doc"]["income"]["wages"] == 30_000_000            # "30.000.000" typed
    assert h["doc"]["members"][0]["birth_date"] == "1971-03-14"  # "14/03/1971" typed


@pytest.mark.parametrize("path,text,expect", [
    ("income.wages", "ba triệu", "Chỉ được nhập chữ số"),
    ("housing.floor_area_m2", "28m2", "Chỉ được nhập số"),
    ("members[0].birth_date", "31/02/1980", "không có thật"),
    ("members[0].birth_year", "19x5", "Chỉ được nhập chữ số"),
])
def test_bad_text_is_kept_raw_with_a_vietnamese_message(coll, path, text, expect):
    hid = coll.new_household("KP01")
    coll.add_member(hid)
    problems = coll.set_answer(hid, path, text)
    assert problems and expect in problems[0].message_vi
    h = coll.household(hid)
    assert h["raw"][path] == text and h["status"] == st.DRAFT
    coll.set_answer(hid, path, "1980" if "year" in path else ("01/02/1980" if "date" in path else "28"))
    assert path not in coll.household(hid)["raw"]


def test_citizen_id_of_wrong_length_is_reported(coll):
    hid = coll.new_household("KP01")
    coll.add_member(hid)
    problems = coll.set_answer(hid, "members[0].citizen_id", "02207100451")
    assert any("12" in p.message_vi for p in problems), problems


def test_relevance_follows_age(coll):
    hid = coll.new_household("KP01")
    i = coll.add_member(hid)
    form = coll.form()
    nutrition = form.field("nutrition", "members")
    coll.set_answer(hid, f"members[{i}].birth_year", "2015")
    assert coll.relevant(coll.household(hid)["doc"], nutrition, i)
    coll.set_answer(hid, f"members[{i}].birth_year", "1970")
    assert not coll.relevant(coll.household(hid)["doc"], nutrition, i)


def test_remove_member_shifts_raw_answers(coll):
    hid = coll.new_household("KP01")
    for _ in range(3):
        coll.add_member(hid)
    coll.set_answer(hid, "members[2].birth_year", "abc")
    coll.remove_member(hid, 0)
    h = coll.household(hid)
    assert len(h["doc"]["members"]) == 2 and h["raw"] == {"members[1].birth_year": "abc"}


def test_finalise_refuses_errors_then_queues(coll, store):
    hid = coll.new_household("KP01")
    with pytest.raises(ValueError):
        coll.finalise(hid)
    fill_household(coll, hid)
    sid = coll.finalise(hid)
    assert coll.household(hid)["status"] == st.WAITING
    [e] = store.pending()
    assert e["submission_id"] == sid and e["revision"] == 1 and not e["frozen"]


def test_edit_before_first_attempt_supersedes_the_queued_submission(coll, store):
    hid = coll.new_household("KP01")
    fill_household(coll, hid)
    coll.finalise(hid)
    coll.set_answer(hid, "notes", "Sửa lại")
    assert store.pending() == [] and coll.household(hid)["status"] == st.READY
    coll.finalise(hid)
    assert len(store.pending()) == 1


def test_a_frozen_submission_is_never_changed_by_a_later_edit(coll, store):
    hid = coll.new_household("KP01")
    fill_household(coll, hid)
    coll.finalise(hid)
    [e] = store.pending()
    store.freeze(e["seq"], None, "2025-10-02T10:00:00+07:00")
    body = store.outbox_entry(e["submission_id"])["body"]
    coll.set_answer(hid, "notes", "Sửa sau khi đã gửi thử")
    coll.finalise(hid)
    first, second = store.pending()
    assert first["body"] == body and first["frozen"] == 1
    assert second["revision"] == first["revision"] + 1 and second["submission_id"] != first["submission_id"]


def test_new_forms_use_the_newest_version_drafts_keep_theirs(coll, store):
    hid = coll.new_household("KP01")
    assert coll.household(hid)["doc"]["form_version"] == "2026.1"        # the newest bundled version
    definition = dict(coll.form("2026.1").raw, version="2099.1")
    store.save_form("2099.1", definition)                               # a newer one received by sync
    assert coll.latest_form_version() == "2099.1"
    assert coll.household(hid)["doc"]["form_version"] == "2026.1"
    assert coll.household(coll.new_household("KP01"))["doc"]["form_version"] == "2099.1"


def test_classification_preview_has_reasons(coll):
    hid = coll.new_household("KP01")
    fill_household(coll, hid)
    results, note = coll.classification(hid)
    assert results and note == "" and all(r["explanation_vi"] for r in results)
    assert all(len(r["indicators"]) == r["indicator_total"] == 12 for r in results)


def test_full_disk_is_a_vietnamese_message_and_loses_nothing(coll, store):
    hid = coll.new_household("KP01")
    coll.set_answer(hid, "address.street", "Vườn Đào")
    from .helpers import fill_disk
    fill_disk(store.conn)
    with pytest.raises(StoreError) as err:
        coll.set_answer(hid, "notes", "Ghi chú: " + "ộ" * 1900)
    assert err.value.code == "disk_full" and "đầy" in err.value.message_vi
    assert coll.household(hid)["doc"]["address"]["street"] == "Vườn Đào"


def _receive_round(store, standards, year=2026):
    from mobile.sync import apply_change
    with store.tx() as c:
        apply_change(store, {"seq": 1, "kind": "round", "round_id": 7, "round_kind": "periodic",
                             "year": year, "month": None, "status": "open", "standards": standards,
                             "starts_on": f"{year}-09-01", "ends_on": f"{year}-12-14"}, c)


def test_without_a_round_a_2026_household_gets_the_2022_2025_standard_and_the_provincial_note(store):
    import datetime as dt
    later = Collection(store, today=lambda: dt.date(2026, 11, 27), now=lambda: "2026-11-27T09:00:00+07:00")
    hid = later.new_household("KP01")
    fill_household(later, hid)
    results, note = later.classification(hid)
    assert [r["standard_id"] for r in results] == ["vn-national-2022-2025"]
    assert "Không có chuẩn nghèo riêng của tỉnh" in note


def test_the_rounds_standards_drive_the_preview(store):
    import datetime as dt
    later = Collection(store, today=lambda: dt.date(2026, 11, 27), now=lambda: "2026-11-27T09:00:00+07:00")
    hid = later.new_household("KP01")
    fill_household(later, hid)
    _receive_round(store, ["vn-national-2027-2030"])
    results, note = later.classification(hid)
    assert [r["standard_id"] for r in results] == ["vn-national-2027-2030"]
    assert results[0]["indicator_total"] == 14
    assert [s.id for s in later.round_standards(hid)] == ["vn-national-2027-2030"]


def test_a_draft_of_the_old_form_is_told_and_moved_to_the_version_the_round_needs(store):
    import datetime as dt
    later = Collection(store, today=lambda: dt.date(2026, 11, 27), now=lambda: "2026-11-27T09:00:00+07:00")
    hid = later.new_household("KP01")
    h = later.household(hid)
    store.save_household(hid, doc=dict(h["doc"], form_version="2025.1"), form_version="2025.1")
    later.set_answer(hid, "address.street", "Vườn Đào")
    _receive_round(store, ["vn-national-2027-2030"])
    _, note = later.classification(hid)
    assert "2025.1 không dùng được" in note and "2026.1" in note
    assert later.upgrade_form(hid) == "2026.1"
    assert later.household(hid)["doc"]["form_version"] == "2026.1"
    assert later.household(hid)["doc"]["address"]["street"] == "Vườn Đào"     # answers kept
    assert later.upgrade_form(hid) is None
