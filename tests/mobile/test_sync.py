"""The sync client and worker against a fake server speaking the documented contract."""
from __future__ import annotations

import gzip
import json
import threading

import pytest

from mobile import store as st
from mobile.sync import SyncClient, SyncError, SyncWorker, backoff_delay
from shared import wire

from .helpers import fill_household


def enroll(store, fake):
    out = SyncClient(fake.url).enroll(fake.new_code(), "Tab test")
    store.set(server_url=fake.url, token=out["token"], device_id=out["device_id"])
    return out


def worker(store, **kw):
    events = []
    w = SyncWorker(lambda: store, events.append, **kw)
    return w, events


def finalised(coll, n=1):
    ids = []
    for _ in range(n):
        hid = coll.new_household("KP01")
        fill_household(coll, hid)
        coll.finalise(hid)
        ids.append(hid)
    return ids


def test_enroll_then_push_gzip_and_receipt(store, coll, fake):
    enroll(store, fake)
    [hid] = finalised(coll)
    w, events = worker(store)
    p = w.run_once(store)
    assert p.phase == "done" and p.sent == 1
    assert fake.raw_bodies[-1][:2] == b"\x1f\x8b"                 # gzip on the wire
    [e] = store.outbox()
    assert e["state"] == st.OB_DELIVERED and e["receipt"]["content_hash"] == e["content_hash"]
    h = coll.household(hid)
    assert h["status"] == st.SYNCED and h["server_revision"] == 1
    assert len(fake.households) == 1
    assert events[-1]["phase"] == "done"


def test_pull_brings_groups_preloads_and_returns(store, coll, fake):
    enroll(store, fake)
    doc = json.loads(open("examples/household-poor.json", encoding="utf-8").read())
    doc["area"]["group_code"] = "KP01"
    fake.preload(doc)
    w, _ = worker(store)
    w.run_once(store)
    assert [g["code"] for g in store.groups()] == ["KP01"]
    h = coll.household(doc["household_id"])
    assert h["status"] == st.NOT_STARTED and h["preloaded"] == 1 and h["head_name"] == "Trần Văn Hùng"
    fake.return_household(doc["household_id"], "Thiếu số CCCD của vợ")
    w.run_once(store)
    h = coll.household(doc["household_id"])
    assert h["status"] == st.RETURNED and h["return_reason"] == "Thiếu số CCCD của vợ"


def test_returned_household_fixed_and_resent(store, coll, fake):
    enroll(store, fake)
    [hid] = finalised(coll)
    w, _ = worker(store)
    w.run_once(store)
    fake.return_household(hid, "Kiểm tra lại diện tích nhà")
    w.run_once(store)
    coll.set_answer(hid, "housing.floor_area_m2", "32")
    assert coll.household(hid)["status"] == st.RETURNED        # until it is resent
    coll.finalise(hid)
    w.run_once(store)
    h = coll.household(hid)
    assert h["status"] == st.SYNCED and h["server_revision"] == 2 and not h["return_reason"]
    second = store.outbox()[-1]
    assert json.loads(second["body"])["base_revision"] == 1 and second["revision"] == 2


def test_captive_portal_html_is_not_a_receipt(store, coll, fake):
    enroll(store, fake)
    finalised(coll)
    fake.mode = "html"
    w, _ = worker(store)
    p = w.run_once(store)
    assert p.phase == "error" and "Wi-Fi" in p.message_vi
    [e] = store.outbox()
    assert e["state"] == st.OB_FAILED and e["attempts"] == 1 and e["receipt"] is None


@pytest.mark.parametrize("mode,code", [("500", "http_500"), ("drop", "offline")])
def test_server_errors_keep_the_record(store, coll, fake, mode, code):
    enroll(store, fake)
    finalised(coll)
    fake.mode = mode
    w, _ = worker(store)
    p = w.run_once(store)
    assert p.error_code == code and p.message_vi
    assert store.pending()[0]["last_error_vi"]


def test_lost_answer_retry_is_the_same_bytes_and_a_duplicate(store, coll, fake):
    enroll(store, fake)
    [hid] = finalised(coll)
    fake.mode = "lost_answer"
    w, _ = worker(store)
    w.run_once(store)
    assert store.pending() and len(fake.households) == 1        # stored, but no receipt here
    fake.mode = "ok"
    w.run_once(store)
    first, second = [gzip.decompress(b) for b in fake.raw_bodies[-2:]]
    assert first == second                                        # byte for byte
    [e] = store.outbox()
    assert e["state"] == st.OB_DELIVERED and e["result_status"] == "duplicate"
    assert fake.pushed_ids.count(e["submission_id"]) == 2 and len(fake.households) == 1
    assert coll.household(hid)["status"] == st.SYNCED


def test_revoked_token_stops_and_keeps_everything(store, coll, fake):
    enroll(store, fake)
    finalised(coll, 2)
    fake.revoked.add(store.get("token"))
    w, _ = worker(store)
    p = w.run_once(store)
    assert p.error_code == "token_revoked" and "thu hồi" in p.message_vi
    assert len(store.pending()) == 2 and store.get("auth_error")


def test_unreachable_server(store, coll):
    store.set(server_url="http://127.0.0.1:9", token="x")
    finalised(coll)
    w, _ = worker(store, timeout=(0.5, 0.5))
    p = w.run_once(store)
    assert p.error_code == "offline" and "Không kết nối được" in p.message_vi


def test_wrong_server_enroll_message():
    with pytest.raises(SyncError) as err:
        SyncClient("http://127.0.0.1:9", timeout=(0.5, 0.5)).enroll("ABCD-EFGH", "Tab")
    assert "Không kết nối được" in err.value.message_vi


def test_bad_enrollment_code_message(fake):
    with pytest.raises(SyncError) as err:
        SyncClient(fake.url).enroll("ZZZZ-ZZZZ", "Tab")
    assert err.value.message_vi == "Mã đăng ký không đúng"


def test_rejected_record_goes_back_to_draft_with_messages(store, coll, fake, monkeypatch):
    enroll(store, fake)
    [hid] = finalised(coll)
    orig = fake.push_one
    monkeypatch.setattr(fake, "push_one", lambda sub: {"submission_id": sub["submission_id"], "status": "rejected",
                                                       "problems": [{"path": "members[0].citizen_id",
                                                                     "message_vi": "Số CCCD đã thuộc hộ khác"}]})
    w, _ = worker(store)
    p = w.run_once(store)
    assert p.rejected == 1
    h = coll.household(hid)
    assert h["status"] == st.DRAFT and h["server_problems"][0]["message_vi"] == "Số CCCD đã thuộc hộ khác"
    monkeypatch.setattr(fake, "push_one", orig)
    coll.set_answer(hid, "notes", "Đã kiểm tra CCCD")
    coll.finalise(hid)
    w.run_once(store)
    assert coll.household(hid)["status"] == st.SYNCED


def test_backoff_grows_and_is_capped():
    delays = [backoff_delay(a, rnd=lambda: 0.5) for a in range(1, 12)]
    assert delays[0] == 5 and delays[1] == 10 and delays[-1] == 600


def test_automatic_runs_wait_for_backoff(store, coll, fake):
    enroll(store, fake)
    finalised(coll)
    fake.mode = "500"
    t = [1000.0]
    w, _ = worker(store, clock=lambda: t[0])
    w.run_once(store, manual=False)
    fake.mode = "ok"
    w.run_once(store, manual=False)                     # too early: not sent
    assert store.pending()
    t[0] += 700
    w.run_once(store, manual=False)
    assert not store.pending()


def test_thread_reports_progress_and_resumes_pending_at_start(store, coll, fake, tmp_path):
    enroll(store, fake)
    finalised(coll, 3)
    done = threading.Event()
    events = []

    def on_progress(ev):
        events.append(ev)
        if ev["phase"] in ("done", "error"):
            done.set()
    w = SyncWorker(lambda: st.LocalStore.in_dir(tmp_path), on_progress, auto_interval=0.2)
    w.start()                                           # no request(): pending rows are enough
    assert done.wait(10)
    w.stop()
    assert events[-1]["phase"] == "done" and events[-1]["sent"] == 3
    assert store.outbox_counts()[st.OB_DELIVERED] == 3


def test_thirty_households_in_two_batches(store, coll, fake):
    enroll(store, fake)
    finalised(coll, 30)
    w, _ = worker(store)
    p = w.run_once(store)
    assert p.sent == 30 and fake.push_calls == 2 and len(fake.households) == 30


def test_a_stopped_run_sends_what_is_in_flight_and_leaves_the_rest_queued(store, coll, fake):
    enroll(store, fake)
    finalised(coll, 3)
    events = []
    w = SyncWorker(lambda: store, events.append, batch_size=1)
    w.on_progress = lambda e: (events.append(e), e["sent"] == 1 and w.cancel())   # stop after the first receipt
    w.running = True
    p = w._run(store, manual=True)
    w.running = False
    assert p.phase == "cancelled" and p.cancelled and p.sent == 1 and p.done == 1 and p.total == 3
    assert "đã gửi 1 phiếu; 2 phiếu vẫn giữ trên máy" in p.message_vi
    pending = store.pending()
    assert len(pending) == 2 and all(e["state"] == st.OB_QUEUED and not e["attempts"] and not e["frozen"]
                                     for e in pending)
    assert store.get("last_sync_ok_at") is None                    # a stopped run is not a successful sync
    assert p.started_at and p.finished_at >= p.started_at
    w.on_progress = events.append
    assert w.run_once(store).phase == "done" and not store.pending()  # the next run sends the rest
