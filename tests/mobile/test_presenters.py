"""Presenters in plain Python: no window."""
from __future__ import annotations

import time

from mobile import store as st
from mobile.collect import summary_columns
from mobile.i18n import tr
from mobile.presenters import (EnrollPresenter, FormPresenter, HouseholdListPresenter, SummaryPresenter,
                               SyncPresenter)
from shared.synthetic import generate_ward

from .helpers import fill_household


def seed(store, n):
    with store.tx() as c:
        for i, doc in enumerate(generate_ward(n, seed=7, groups=("KP01", "KP02"))):
            store.save_household(doc["household_id"], conn=c, group_code=doc["area"]["group_code"], doc=doc,
                                 raw={}, status=st.STATUSES[i % 6], form_version="2025.1", **summary_columns(doc))


def test_search_ignores_diacritics_and_case(store, coll):
    hid = coll.new_household("KP01")
    fill_household(coll, hid)
    p = HouseholdListPresenter(store)
    p.reload()
    for q in ("TRẦN VĂN HÙNG", "tran van hung", "hung vuon dao", "0912"):
        p.set_query(q)
        assert [r["household_id"] for r in p.visible] == [hid], q
    p.set_query("nguyen van khong co")
    assert p.visible == []


def test_filters_by_status_and_group(store):
    seed(store, 600)
    p = HouseholdListPresenter(store)
    p.reload()
    p.set_status(st.RETURNED)
    assert p.visible and all(r["status"] == st.RETURNED for r in p.visible)
    p.set_group("KP02")
    assert p.visible and all(p.row(r["household_id"])["group_code"] == "KP02" for r in p.visible)
    assert all(r["status"] == st.RETURNED for r in p.visible)
    assert sum(p.counts.values()) == 300


def test_typing_refines_the_last_result_and_matches_a_full_scan(store):
    """Typing on rescans only the previous hits; every step must equal a scan of all rows."""
    from shared import identity
    seed(store, 600)
    p = HouseholdListPresenter(store)
    p.reload()

    def expected():
        tokens = identity.fold(p.query).split()
        return [r["household_id"] for r in p.rows
                if (p.status is None or r["status"] == p.status) and (p.group is None or r["group_code"] == p.group)
                and all(t in r["search_key"] for t in tokens)]

    steps = [("q", "n"), ("q", "ng"), ("q", "ngu"), ("q", "nguy"), ("q", "nguyen"), ("q", "nguyen "),
             ("q", "nguyen t"), ("q", "nguyen th"), ("status", st.DRAFT), ("q", "nguyen thi"),
             ("group", "KP01"), ("q", "nguyen th"), ("q", "Nguyễn Thị"), ("status", None), ("q", "nguyen thi a"),
             ("group", None), ("q", ""), ("q", "zzz"), ("q", "zzzz"), ("q", "thi")]
    seen_nonempty = 0
    for kind, value in steps:
        {"q": p.set_query, "status": p.set_status, "group": p.set_group}[kind](value)
        assert [r["household_id"] for r in p.visible] == expected(), (kind, value)
        seen_nonempty += bool(p.visible)
    assert seen_nonempty >= 10


def test_list_items_are_display_ready_and_reused_when_nothing_changes(store):
    seed(store, 60)
    p = HouseholdListPresenter(store)
    p.reload()
    item = p.visible[0]
    assert set(item) == {"household_id", "title", "detail", "status", "status_text"}
    assert item["status_text"] == tr(f"status.{item['status']}") and item["title"]
    p.set_query("")
    shown = p.visible
    p.set_query("   ")                       # spaces only: the same rows, so the same list (no redraw)
    assert p.visible is shown
    p.set_query("nguyen")
    assert p.visible is not shown


def test_filtering_5000_households_is_fast(store):
    seed(store, 5000)
    p = HouseholdListPresenter(store)
    p.reload()
    t = time.perf_counter()
    for q in ("nguyen", "thi lan", "tran van", "12/3"):
        p.set_query(q)
    per_query = (time.perf_counter() - t) / 4
    assert per_query < 0.1, per_query


def test_enroll_validates_and_parses_a_qr_text(store, fake):
    p = EnrollPresenter(store)
    p.submit("", "ABCD")
    assert p.error_vi == "Chưa nhập địa chỉ máy chủ"
    code = fake.new_code()
    p.submit("", f"rasoat://enroll?server={fake.url}&code={code}")
    assert p.error_vi == "" and store.get("token") and store.get("server_url") == fake.url
    assert [g["code"] for g in store.groups()] == ["KP01"]


def test_form_presenter_sections_relevance_and_finish(store, coll):
    hid = coll.new_household("KP01")
    p = FormPresenter(coll)
    p.open(hid)
    current = next(s for s in p.sections() if s["current"])
    assert current["label"] == "Địa bàn"         # a new household opens on its area, not on its status
    assert not p.finish() and "lỗi" in p.error_vi
    fill_household(coll, hid)
    p.open(hid)
    p.go_section([s["id"] for s in p.sections()].index("members"))
    assert p.fields() == [] and len(p.members()) == 3
    p.edit_member(2)
    rows = {f.field.name: f for f in p.fields()}
    assert rows["nutrition"].relevant and not rows["work_status"].relevant
    assert rows["birth_date"].text == "01/06/2012"
    assert p.finish() and coll.household(hid)["status"] == st.WAITING


def test_summary_presenter_lists_reasons_and_missing(store, coll):
    hid = coll.new_household("KP01")
    coll.add_member(hid)
    s = SummaryPresenter(coll)
    s.open(hid)
    assert s.cards and s.missing
    fill_household(coll, hid, members=3)
    coll.remove_member(hid, 0)
    s.open(hid)
    assert s.missing == [] and s.cards[0]["class_label"] and len(s.cards[0]["indicators"]) == 12


def test_sync_presenter_counts_and_last_success(store, coll):
    hid = coll.new_household("KP01")
    fill_household(coll, hid)
    coll.finalise(hid)
    p = SyncPresenter(store, None)
    assert "Chờ gửi: 1" in p.summary_line()
    assert p.last_ok_line().endswith("chưa có")
    p.on_progress({"phase": "error", "message_vi": "Không kết nối được máy chủ", "results": []})
    assert p.message == "Không kết nối được máy chủ" and p.pending_rows()


def test_opening_an_old_draft_in_a_round_that_needs_new_questions_moves_it_and_says_so(store):
    import datetime as dt

    from mobile.collect import Collection
    from mobile.sync import apply_change
    coll = Collection(store, today=lambda: dt.date(2026, 11, 27), now=lambda: "2026-11-27T09:00:00+07:00")
    hid = coll.new_household("KP01")
    h = coll.household(hid)
    store.save_household(hid, doc=dict(h["doc"], form_version="2025.1"), form_version="2025.1")
    with store.tx() as c:
        apply_change(store, {"seq": 1, "kind": "round", "round_id": 3, "round_kind": "periodic", "year": 2026,
                             "status": "open", "standards": ["vn-national-2027-2030"]}, c)
    p = FormPresenter(coll)
    p.open(hid)
    assert "2026.1" in p.info and coll.household(hid)["form_version"] == "2026.1"
    assert "waste_treatment" in {f.name for f in p.form.fields()}


def test_messages_show_once_a_question_is_left_or_finish_is_tapped(store, coll):
    hid = coll.new_household("KP01")
    p = FormPresenter(coll)
    p.open(hid)
    assert p.error_count() == 0 and p.all_error_count() > 0          # a fresh form: nothing red yet
    assert all(not s["errors"] for s in p.sections())
    p.answer("income.wages", "ba mươi triệu")                         # typing: not left yet
    assert p.messages_for("income.wages") == ([], [])
    p.leave("income.wages")
    assert "Chỉ được nhập chữ số" in p.messages_for("income.wages")[0][0]
    p.answer("housing.walls", "durable")                              # a choice made counts as left
    assert p.messages_for("housing.roof") == ([], [])
    assert not p.finish()                                              # finish: every message shows
    assert p.messages_for("housing.roof")[0] and p.error_count() == p.all_error_count()
    p.open(hid)                                                        # reopened: what was answered shows
    assert p.messages_for("income.wages")[0] and p.messages_for("housing.roof") == ([], [])


def test_a_deleted_member_comes_back_in_place_with_its_kept_text_until_finished(store, coll):
    hid = coll.new_household("KP01")
    fill_household(coll, hid)
    coll.set_answer(hid, "members[1].birth_year", "năm bảy lăm")       # kept as typed (raw)
    coll.set_answer(hid, "members[2].birth_date", "31/02/2012")
    p = FormPresenter(coll)
    p.open(hid)
    names = [m["full_name"] for m in store.household(hid)["doc"]["members"]]
    p.ask_remove_member(1)
    assert p.confirm_remove == 1 and len(store.household(hid)["doc"]["members"]) == 3
    p.remove_member(1)
    h = store.household(hid)
    assert [m["full_name"] for m in h["doc"]["members"]] == [names[0], names[2]]
    assert h["raw"] == {"members[1].birth_date": "31/02/2012"}
    assert [r["text"] for r in p.removed_lines()] == [f"Đã xoá: {names[1]}"]
    p.undo_remove(0)
    h = store.household(hid)
    assert [m["full_name"] for m in h["doc"]["members"]] == names
    assert h["raw"] == {"members[1].birth_year": "năm bảy lăm", "members[2].birth_date": "31/02/2012"}
    assert p.removed_lines() == []
    p.remove_member(2)
    coll.set_answer(hid, "members[1].birth_year", "1975")
    assert p.removed_members() and p.finish()
    assert p.removed_members() == []                                   # finished: no undo any more


def test_sync_state_words_and_progress_line(store, coll):
    from mobile.presenters import human_bytes, sync_state_text
    assert sync_state_text(None) == ""
    assert sync_state_text({"state": st.OB_QUEUED, "attempts": 0}) == "chờ gửi lên máy chủ phường"
    assert sync_state_text({"state": st.OB_FAILED, "attempts": 2, "last_error_vi": "Không kết nối được máy chủ."}) == \
        "chưa gửi được (2 lần): Không kết nối được máy chủ. Phiếu vẫn giữ trên máy và sẽ tự gửi lại."
    assert sync_state_text({"state": st.OB_DELIVERED, "attempts": 1, "delivered_at": "2026-12-04T08:31:00+00:00",
                            "receipt": {"server_revision": 2}}) == \
        "máy chủ phường đã nhận lúc 15:31 04/12/2026 (biên nhận, lần 2)"
    assert (human_bytes(371_000), human_bytes(1_234_567), human_bytes(12)) == ("371 kB", "1,2 MB", "12 B")
    p = SyncPresenter(store, None)
    assert p.progress_line() == ""
    p.progress = {"phase": "push", "total": 4, "done": 1, "photos_total": 2, "photos_sent": 1,
                  "photo_bytes": 500_000, "photo_bytes_total": 1_500_000, "started_at": 1000.0, "finished_at": 0}
    assert p.progress_line(now=1075.0) == "Phiếu: 1/4 · Ảnh: 1/2 (500 kB / 1,5 MB) · Thời gian: 1:15"
    assert p.fraction() == (500_000 / 1_500_000 + 1 / 4) / 2          # photo bytes count on the bar too
    p.progress = dict(p.progress, photo_bytes_total=0, photos_total=0)
    assert p.fraction() == 1 / 4


def test_income_lines_follow_the_typed_income_and_each_standard(store, coll):
    from shared.classify import vnd
    hid = coll.new_household("KP01")
    coll.set_answer(hid, "area.area_type", "rural")
    p = FormPresenter(coll)
    p.open(hid)
    p.go_section([s["id"] for s in p.sections()].index("income"))
    stds = coll.round_standards(hid)
    assert p.income_lines() == [f"{s.short_name['vi']}: chưa tính được — chưa có thành viên nào (mục Thành viên)."
                                for s in stds]
    for _ in range(3):
        coll.add_member(hid)
    coll.set_answer(hid, "income.wages", "18.000.000")
    coll.set_answer(hid, "income.business", "-1.800.000")            # a loss counts, as in shared.classify
    per = round(16_200_000 / 12 / 3)
    for s, text in zip(stds, p.income_lines()):
        assert text.startswith(f"{s.short_name['vi']}: {vnd(per)}/người/tháng; chuẩn nghèo nông thôn: "
                               f"{vnd(s.income_line['rural'])}/người/tháng; ")
        assert text.endswith("không cao hơn chuẩn nghèo" if per <= s.income_line["rural"] else "cao hơn chuẩn nghèo")
    p.go_section(0)
    assert p.income_lines() == []                                     # only in the income section
