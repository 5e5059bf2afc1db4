"""Faults, each repeated ``reps`` times, with a count of records lost and duplicated (goal: 0 and 0).

- ``kill_server``: the server SIGKILLed in the middle of a push batch, then restarted; the tablet retries.
- ``lost_response``: the connection cut after the server committed but before the answer arrived
  (harness/proxy.py); the real tablet sync (mobile/sync.py + mobile/store.py outbox) retries.
- ``kill_tablet``: the tablet's sync process (harness/tablet_proc.py, the real outbox) SIGKILLed mid-sync
  and started again.
- ``concurrent_duplicate``: the same batch delivered by several connections at the same moment.
- ``clock_skew``: a device clock hours off (device_time and collected_at from that clock).
- ``disk_full``: the database's filesystem (a loop-mounted tmpfs of a few MB) full during a push.
- ``disk_full_capped``: the same without root: the database capped by ``RASOAT_DB_MAX_MB``.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import sqlite3
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

from shared import wire

from .common import (PUSH_HEADERS, ROOT, ServerProcess, Ward, account, auth, households, integrity, is_envelope,
                     push_payload, ro_connect, submission)


def _push(url: str, token: str, subs: list[dict[str, Any]], timeout: float = 60) -> requests.Response:
    return requests.post(url + "/api/v1/sync/push", data=push_payload(subs),
                         headers={**PUSH_HEADERS, **auth(token)}, timeout=timeout)


def _stored(db_path: Path, sids: list[str]) -> int:
    conn = ro_connect(db_path)
    try:
        q = ",".join("?" * len(sids))
        return conn.execute(f"SELECT COUNT(*) FROM submissions WHERE submission_id IN ({q})", sids).fetchone()[0]
    finally:
        conn.close()


def _result(name: str, reps: int, acc: dict[str, Any], **extra: Any) -> dict[str, Any]:
    out = {"fault": name, "repetitions": reps, "records": acc["held"], "lost": acc["lost"],
           "duplicated": acc["duplicated"], "receipt_mismatch": acc.get("receipt_mismatch", 0)}
    out.update(extra)
    return out


# --- 1. the server killed mid-batch --------------------------------------------------------------

def kill_server(reps: int, work: Path, batch: int = 40, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    ward = Ward(work / "kill-server")
    dev = ward.enroll(1)[0]
    server = ServerProcess(ward.db_path).start()
    held: dict[str, str] = {}
    receipts: dict[str, dict[str, Any]] = {}
    outcome = {"killed_before_commit": 0, "killed_after_commit": 0, "answered_before_kill": 0, "partial_batch": 0,
               "retry_not_200": 0, "receipt_changed": 0}
    t0 = time.monotonic()
    calib = max(0.05, _timed_push(server.url, dev, batch, held, receipts))
    try:
        for rep in range(reps):
            subs = [submission(h) for h in households(batch, dev["group"], seed=seed * 10000 + rep)]
            held.update({s["submission_id"]: s["household_id"] for s in subs})
            answer: dict[str, Any] = {}

            def send() -> None:
                try:
                    r = _push(server.url, dev["token"], subs, timeout=30)
                    answer["status"] = r.status_code
                    answer["body"] = r.json() if r.status_code == 200 else None
                except requests.RequestException as exc:
                    answer["error"] = type(exc).__name__

            t = threading.Thread(target=send)
            t.start()
            time.sleep(rng.uniform(0.0, calib * 1.1))
            server.kill()
            t.join(30)
            sids = [s["submission_id"] for s in subs]
            n = _stored(ward.db_path, sids)
            if n == 0:
                outcome["killed_before_commit"] += 1
            elif n == len(sids):
                outcome["killed_after_commit"] += 1
            else:
                outcome["partial_batch"] += 1          # one transaction per batch: must never happen
            first = {}
            if answer.get("body"):
                outcome["answered_before_kill"] += 1
                first = {r["submission_id"]: r["receipt"] for r in answer["body"]["results"] if r.get("receipt")}
            server.start()
            for attempt in range(5):
                r = _push(server.url, dev["token"], subs)
                if r.status_code == 200:
                    break
                time.sleep(0.5)
            if r.status_code != 200:
                outcome["retry_not_200"] += 1
                continue
            for res in r.json()["results"]:
                if res["status"] in wire.DELIVERED:
                    receipts[res["submission_id"]] = res["receipt"]
                    if res["submission_id"] in first and first[res["submission_id"]] != res["receipt"]:
                        outcome["receipt_changed"] += 1
        # A kill between a push's commit and its dedup match leaves marks; the restarts match them.
        server.stop()
        server.start()
    finally:
        server.stop()
    acc = account(ward.db_path, held, receipts)
    return _result("kill_server", reps, acc, batch=batch, integrity=integrity(ward.db_path),
                   seconds=round(time.monotonic() - t0, 1), **outcome, **_dedup_left(ward.db_path))


def _dedup_left(db_path: Path) -> dict[str, int]:
    """Stored households missing from the dedup index, and marks still waiting for their match."""
    conn = sqlite3.connect(str(db_path), timeout=30)
    try:
        unindexed = conn.execute("SELECT COUNT(*) FROM households h WHERE NOT EXISTS "
                                 "(SELECT 1 FROM dedup_records r WHERE r.record_id = h.household_id)").fetchone()[0]
        pending = conn.execute("SELECT COUNT(*) FROM dedup_pending").fetchone()[0]
    finally:
        conn.close()
    return {"dedup_unindexed": unindexed, "dedup_pending_left": pending}


def _timed_push(url: str, dev: dict[str, Any], batch: int, held: dict[str, str],
                receipts: dict[str, dict[str, Any]]) -> float:
    subs = [submission(h) for h in households(batch, dev["group"], seed=424242)]
    held.update({s["submission_id"]: s["household_id"] for s in subs})
    t = time.monotonic()
    r = _push(url, dev["token"], subs)
    dt_ = time.monotonic() - t
    for res in r.json()["results"]:
        receipts[res["submission_id"]] = res["receipt"]
    return dt_


# --- tablets with the real outbox --------------------------------------------------------------------

def _tablet_store(data_dir: Path, url: str, token: str, group: str):
    from mobile.store import LocalStore
    store = LocalStore.in_dir(data_dir)
    store.set(server_url=url, token=token, collaborator={"name": "Harness"})
    store.upsert_group(group, group, {"province_code": "22", "ward_code": "BAICHAY", "area_type": "urban"})
    return store


def _queue_households(store: Any, docs: list[dict[str, Any]]) -> list[str]:
    """Households finalised the way the collection screen does (mobile.collect.Collection.finalise)."""
    from mobile import store as st
    from mobile.collect import Collection, summary_columns
    coll = Collection(store)
    out = []
    for doc in docs:
        hid = doc["household_id"]
        store.save_household(hid, group_code=doc["area"]["group_code"], doc=doc, raw={}, status=st.READY,
                             form_version=doc["form_version"], revision=0, preloaded=0, **summary_columns(doc))
        coll.finalise(hid)
        out.append(hid)
    return out


def _outbox_accounting(store: Any) -> tuple[dict[str, str], dict[str, dict[str, Any]], dict[str, int]]:
    held, receipts, states = {}, {}, {}
    for e in store.outbox():
        held[e["submission_id"]] = e["household_id"]
        states[e["state"]] = states.get(e["state"], 0) + 1
        if e["receipt"]:
            receipts[e["submission_id"]] = e["receipt"]
    return held, receipts, states


def lost_response(reps: int, work: Path, per_rep: int = 5, seed: int = 2) -> dict[str, Any]:
    from mobile.sync import SyncWorker

    from .proxy import DropProxy
    ward = Ward(work / "lost-response")
    dev = ward.enroll(1)[0]
    server = ServerProcess(ward.db_path).start()
    proxy = DropProxy(server.port).start()
    store = _tablet_store(work / "lost-response-tablet", proxy.url, dev["token"], dev["group"])
    worker = SyncWorker(lambda: store, lambda _p: None, auto_interval=3600)
    outcome = {"dropped": 0, "first_run_errors": 0, "stored_while_pending": 0, "not_delivered_after_retry": 0}
    t0 = time.monotonic()
    try:
        for rep in range(reps):
            hids = _queue_households(store, households(per_rep, dev["group"], seed=seed * 10000 + rep))
            proxy.drop_push_responses(1)
            p = worker.run_once(store, manual=True)
            if p.phase == "error":
                outcome["first_run_errors"] += 1
            pend = [e for e in store.pending() if e["household_id"] in hids]
            if pend:
                outcome["stored_while_pending"] += _stored(ward.db_path, [e["submission_id"] for e in pend])
            p = worker.run_once(store, manual=True)
            left = [e for e in store.pending() if e["household_id"] in hids]
            outcome["not_delivered_after_retry"] += len(left)
        outcome["dropped"] = proxy.dropped
        held, receipts, states = _outbox_accounting(store)
    finally:
        proxy.close()
        server.stop()
        store.close()
    acc = account(ward.db_path, held, receipts)
    return _result("lost_response", reps, acc, outbox=states, integrity=integrity(ward.db_path),
                   seconds=round(time.monotonic() - t0, 1), **outcome)


def kill_tablet(reps: int, work: Path, per_rep: int = 30, seed: int = 3) -> dict[str, Any]:
    rng = random.Random(seed)
    ward = Ward(work / "kill-tablet")
    dev = ward.enroll(1)[0]
    server = ServerProcess(ward.db_path).start()
    tablet_dir = work / "kill-tablet-tablet"
    _tablet_store(tablet_dir, server.url, dev["token"], dev["group"]).close()
    outcome = {"killed_mid_sync": 0, "finished_before_kill": 0, "not_delivered_after_restart": 0}
    durations = [1.0]
    cmd = [sys.executable, "-m", "harness.tablet_proc", str(tablet_dir)]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    t0 = time.monotonic()
    try:
        for rep in range(reps):
            from mobile.store import LocalStore
            store = LocalStore.in_dir(tablet_dir)
            _queue_households(store, households(per_rep, dev["group"], seed=seed * 10000 + rep))
            store.close()
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                    text=True)
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if line.startswith("START"):
                time.sleep(rng.uniform(0.0, sum(durations[-5:]) / len(durations[-5:])))
            if proc.poll() is None:
                proc.kill()
                outcome["killed_mid_sync"] += 1
            else:
                outcome["finished_before_kill"] += 1
            proc.wait(10)
            proc.stdout.close()
            out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120).stdout
            for ln in out.splitlines():
                if ln.startswith("DONE"):
                    durations.append(float(ln.split()[3]))
            store = LocalStore.in_dir(tablet_dir)
            outcome["not_delivered_after_restart"] += len(store.pending())
            store.close()
        store = LocalStore.in_dir(tablet_dir)
        held, receipts, states = _outbox_accounting(store)
        store.close()
    finally:
        server.stop()
    acc = account(ward.db_path, held, receipts)
    return _result("kill_tablet", reps, acc, outbox=states, integrity=integrity(ward.db_path),
                   mean_sync_s=round(sum(durations) / len(durations), 2), seconds=round(time.monotonic() - t0, 1),
                   **outcome)


# --- 4. the same batch twice at once --------------------------------------------------------------

def concurrent_duplicate(reps: int, work: Path, batch: int = 10, senders: int = 3, seed: int = 4) -> dict[str, Any]:
    ward = Ward(work / "concurrent")
    dev = ward.enroll(1)[0]
    tokens = [dev["token"]] * senders     # one tablet on several connections (a retry racing its first attempt)
    server = ServerProcess(ward.db_path).start()
    held: dict[str, str] = {}
    receipts: dict[str, dict[str, Any]] = {}
    outcome = {"not_one_accepted": 0, "receipts_differ": 0, "http_errors": 0}
    t0 = time.monotonic()
    try:
        for rep in range(reps):
            subs = [submission(h) for h in households(batch, dev["group"], seed=seed * 10000 + rep)]
            held.update({s["submission_id"]: s["household_id"] for s in subs})
            barrier = threading.Barrier(senders)
            answers: list[Any] = [None] * senders

            def send(i: int) -> None:
                barrier.wait()
                try:
                    r = _push(server.url, tokens[i], subs)
                    answers[i] = r.json()["results"] if r.status_code == 200 else None
                except requests.RequestException:
                    answers[i] = None

            ts = [threading.Thread(target=send, args=(i,)) for i in range(senders)]
            for t in ts:
                t.start()
            for t in ts:
                t.join(60)
            ok = [a for a in answers if a is not None]
            outcome["http_errors"] += senders - len(ok)
            for j, s in enumerate(subs):
                statuses = sorted(a[j]["status"] for a in ok)
                if statuses.count("accepted") != 1 or any(x not in ("accepted", "duplicate") for x in statuses):
                    outcome["not_one_accepted"] += 1
                if len({json.dumps(a[j].get("receipt"), sort_keys=True) for a in ok}) != 1:
                    outcome["receipts_differ"] += 1
                if ok:
                    receipts[s["submission_id"]] = ok[0][j]["receipt"]
    finally:
        server.stop()
    acc = account(ward.db_path, held, receipts)
    return _result("concurrent_duplicate", reps, acc, senders=senders, batch=batch,
                   integrity=integrity(ward.db_path), seconds=round(time.monotonic() - t0, 1), **outcome)


# --- 5. a device clock hours off ---------------------------------------------------------------------

def clock_skew(reps: int, work: Path, batch: int = 5, max_hours: int = 72, seed: int = 5) -> dict[str, Any]:
    """Each repetition: a device whose clock is off by a random number of hours (−max…+max). Records
    whose collected_at is ahead of the server's clock are accepted when the device's own device_time
    shows the same skew (up to wire.MAX_CLOCK_SKEW, with a warning for the office); further ahead they are
    refused with ``future`` (stored nothing, the device keeps them). Receipts carry the server's time."""
    rng = random.Random(seed)
    ward = Ward(work / "clock")
    dev = ward.enroll(1)[0]
    server = ServerProcess(ward.db_path).start()
    held: dict[str, str] = {}
    receipts: dict[str, dict[str, Any]] = {}
    outcome = {"accepted": 0, "accepted_clock_ahead_warning": 0, "refused_future": 0, "wrong_outcome": 0,
               "received_at_from_device": 0, "refused_but_stored": 0, "order_broken": 0}
    t0 = time.monotonic()
    last_seq = 0
    try:
        for rep in range(reps):
            hours = rng.uniform(-max_hours, max_hours)
            dev_now = (dt.datetime.now(wire.VN_TZ) + dt.timedelta(hours=hours)).replace(microsecond=0)
            docs = _valid_now(batch, dev["group"], seed * 10000 + rep)
            subs = []
            for d in docs:
                d["collected_at"] = dev_now.isoformat()
                subs.append(submission(d, device_time=dev_now.isoformat()))
            r = _push(server.url, dev["token"], subs)
            server_now = dt.datetime.now(dt.timezone.utc)
            # The device's own device_time shows its skew: up to wire.MAX_CLOCK_SKEW ahead the server accepts
            # (with a device_clock_ahead warning); beyond it, collected_at is refused as in the future.
            future = hours > 24.5 + wire.MAX_CLOCK_SKEW.total_seconds() / 3600
            for s, res in zip(subs, r.json()["results"]):
                if res["status"] in wire.DELIVERED:
                    outcome["accepted"] += 1
                    if any(p.get("code") == "device_clock_ahead" for p in res.get("problems") or ()):
                        outcome["accepted_clock_ahead_warning"] += 1
                    held[s["submission_id"]] = s["household_id"]
                    receipts[s["submission_id"]] = res["receipt"]
                    got = dt.datetime.fromisoformat(res["receipt"]["received_at"])
                    if abs((got - server_now).total_seconds()) > 120:
                        outcome["received_at_from_device"] += 1
                    if future:
                        outcome["wrong_outcome"] += 1
                elif res["status"] == wire.REJECTED and any(p["code"] == "future" for p in res["problems"]):
                    outcome["refused_future"] += 1
                    if _stored(ward.db_path, [s["submission_id"]]):
                        outcome["refused_but_stored"] += 1
                    if not future:
                        outcome["wrong_outcome"] += 1
                else:
                    outcome["wrong_outcome"] += 1
            # the pull feed is ordered by the server's sequence, whatever the device's clock says
            conn = ro_connect(ward.db_path)
            seqs = [x[0] for x in conn.execute("SELECT seq FROM changes WHERE seq > ? ORDER BY seq", (last_seq,))]
            conn.close()
            if seqs and seqs[0] <= last_seq:
                outcome["order_broken"] += 1
            last_seq = seqs[-1] if seqs else last_seq
    finally:
        server.stop()
    acc = account(ward.db_path, held, receipts)
    return _result("clock_skew", reps, acc, max_hours=max_hours, integrity=integrity(ward.db_path),
                   seconds=round(time.monotonic() - t0, 1), **outcome)


def _valid_now(n: int, group: str, seed: int) -> list[dict[str, Any]]:
    """Households valid when collected now (synthetic ones are dated 2025: ages move with the date)."""
    from shared.validation import errors, validate
    out: list[dict[str, Any]] = []
    now = dt.datetime.now(wire.VN_TZ).replace(microsecond=0)
    k = 0
    while len(out) < n and k < 50:
        for d in households(n * 2, group, seed=seed * 50 + k):
            d["collected_at"] = now.isoformat()
            if not errors(validate(d, today=now.date())) and len(out) < n:
                out.append(d)
        k += 1
    return out


# --- 6. the database disk full ------------------------------------------------------------------------

def _mount_tmpfs(size_mb: int) -> Path | None:
    mnt = Path(tempfile.mkdtemp(prefix="rasoat-diskfull-"))
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(mnt)],
                           capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return mnt if r.returncode == 0 else None


def _umount(mnt: Path) -> None:
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=30)
    shutil.rmtree(mnt, ignore_errors=True)


def disk_full(reps: int, work: Path, size_mb: int = 24, batch: int = 10, seed: int = 6) -> dict[str, Any]:
    """The database on a tmpfs of ``size_mb`` MB; each repetition fills the disk with a file leaving a
    random few hundred KB, pushes until the server refuses, checks the refusal (HTTP 507 ``disk_full``
    envelope, nothing of the batch stored, integrity_check ok, every acknowledged record still there),
    frees the space and retries the refused batch."""
    mnt = _mount_tmpfs(size_mb)
    if mnt is None:
        return {"fault": "disk_full", "repetitions": 0, "skipped": "mount -t tmpfs not permitted here"}
    rng = random.Random(seed)
    outcome = {"refusals": 0, "refusal_not_clean": 0, "partial_batch_stored": 0, "integrity_failures": 0,
               "acknowledged_missing": 0, "retry_failed": 0, "never_filled": 0}
    codes: dict[str, int] = {}
    held: dict[str, str] = {}
    receipts: dict[str, dict[str, Any]] = {}
    t0 = time.monotonic()
    work.mkdir(parents=True, exist_ok=True)
    server = None
    totals = {"held": 0, "lost": 0, "duplicated": 0, "receipt_mismatch": 0}
    integrity_all = "ok"
    wards = 0

    def settle() -> None:         # account for one ward's records, then drop it (the tmpfs is small)
        nonlocal integrity_all
        server.stop()
        acc = account(ward.db_path, held, receipts)
        for k in totals:
            totals[k] += acc[k]
        check = integrity(ward.db_path)
        if check != "ok":
            integrity_all = check
        held.clear()
        receipts.clear()
        shutil.rmtree(ward.data_dir, ignore_errors=True)

    try:
        filler = mnt / "filler"
        for rep in range(reps):
            if server is None or os.path.getsize(ward.db_path) > size_mb * 2 ** 20 / 4:
                if server is not None:
                    settle()
                wards += 1
                ward = Ward(mnt / f"ward{wards}")
                dev = ward.enroll(1)[0]
                server = ServerProcess(ward.db_path, log=work / "disk-full-server.log").start()
            st = os.statvfs(mnt)
            free = st.f_bavail * st.f_frsize
            with open(filler, "wb") as f:
                f.truncate(0)
                left = max(0, free - rng.randint(16, 400) * 1024)
                chunk = b"\0" * (1 << 20)
                while left > 0:
                    try:
                        f.write(chunk[:min(left, len(chunk))])
                        f.flush()
                    except OSError:
                        break
                    left -= min(left, len(chunk))
            refused = None
            for i in range(60):
                subs = [submission(h) for h in households(batch, dev["group"], seed=seed * 100000 + rep * 100 + i)]
                try:
                    r = _push(server.url, dev["token"], subs)
                except requests.RequestException:
                    refused = (subs, None)
                    break
                if r.status_code != 200:
                    refused = (subs, r)
                    break
                body = r.json()
                for s, res in zip(subs, body["results"]):
                    if res["status"] in wire.DELIVERED:
                        held[s["submission_id"]] = s["household_id"]
                        receipts[s["submission_id"]] = res["receipt"]
                if any(res["status"] == wire.REJECTED for res in body["results"]):
                    refused = (subs, r)       # a per-record refusal would count as not clean
                    break
            if refused is None:
                outcome["never_filled"] += 1
                filler.unlink(missing_ok=True)
                continue
            subs, r = refused
            outcome["refusals"] += 1
            clean = r is not None and r.status_code == 507 and is_envelope(r.json()) \
                and r.json()["error"]["code"] == "disk_full"
            code = "connection" if r is None else f"{r.status_code} " + (
                r.json().get("error", {}).get("code", "") if r.headers.get("content-type", "").startswith(
                    "application/json") and r.status_code != 200 else "per-record")
            codes[code] = codes.get(code, 0) + 1
            if not clean:
                outcome["refusal_not_clean"] += 1
            n = _stored(ward.db_path, [s["submission_id"] for s in subs])
            if n not in (0,):
                outcome["partial_batch_stored"] += 1
            if integrity(ward.db_path) != "ok":
                outcome["integrity_failures"] += 1
            acc_now = account(ward.db_path, held)
            outcome["acknowledged_missing"] += acc_now["lost"]
            filler.unlink(missing_ok=True)
            ok = False
            for _ in range(5):
                r2 = _push(server.url, dev["token"], subs)
                if r2.status_code == 200 and all(x["status"] in wire.DELIVERED for x in r2.json()["results"]):
                    for s, res in zip(subs, r2.json()["results"]):
                        held[s["submission_id"]] = s["household_id"]
                        receipts[s["submission_id"]] = res["receipt"]
                    ok = True
                    break
                time.sleep(0.3)
            if not ok:
                outcome["retry_failed"] += 1
        if server is not None:
            settle()
        result = _result("disk_full", reps, totals, fs=f"tmpfs {size_mb} MB", wards=wards, refusal_codes=codes,
                         integrity=integrity_all, seconds=round(time.monotonic() - t0, 1), **outcome)
    finally:
        if server is not None:
            server.stop()
        _umount(mnt)
    return result


def disk_full_capped(reps: int, work: Path, batch: int = 40, seed: int = 7) -> dict[str, Any]:
    """The same fault without root (no tmpfs to mount): the server runs with its database capped
    (``RASOAT_DB_MAX_MB``: SQLite's max_page_count, which fails a write as a full disk does, SQLITE_FULL).
    Each repetition starts the server with the cap 1 MB above the file's size, pushes until refused,
    checks the refusal as ``disk_full`` does, then restarts it uncapped (the space freed) and retries
    the refused batch."""
    outcome = {"refusals": 0, "refusal_not_clean": 0, "partial_batch_stored": 0, "integrity_failures": 0,
               "acknowledged_missing": 0, "retry_failed": 0, "never_filled": 0}
    codes: dict[str, int] = {}
    held: dict[str, str] = {}
    receipts: dict[str, dict[str, Any]] = {}
    t0 = time.monotonic()
    work.mkdir(parents=True, exist_ok=True)
    ward = Ward(work / "capped-ward")
    dev = ward.enroll(1)[0]
    log = work / "disk-full-capped-server.log"
    server = None
    try:
        for rep in range(reps):
            size_mb = -(-os.path.getsize(ward.db_path) // 2 ** 20)
            server = ServerProcess(ward.db_path, log=log, env={"RASOAT_DB_MAX_MB": str(size_mb + 1)}).start()
            refused = None
            for i in range(200):
                subs = [submission(h) for h in households(batch, dev["group"], seed=seed * 100000 + rep * 1000 + i)]
                r = _push(server.url, dev["token"], subs)
                if r.status_code != 200:
                    refused = (subs, r)
                    break
                for s_, res in zip(subs, r.json()["results"]):
                    if res["status"] in wire.DELIVERED:
                        held[s_["submission_id"]] = s_["household_id"]
                        receipts[s_["submission_id"]] = res["receipt"]
            server.stop()
            server = None
            if refused is None:
                outcome["never_filled"] += 1
                continue
            subs, r = refused
            outcome["refusals"] += 1
            is_json = r.headers.get("content-type", "").startswith("application/json")
            code = f"{r.status_code} " + (r.json().get("error", {}).get("code", "") if is_json else "")
            codes[code] = codes.get(code, 0) + 1
            if not (r.status_code == 507 and is_json and is_envelope(r.json())
                    and r.json()["error"]["code"] == "disk_full"):
                outcome["refusal_not_clean"] += 1
            if _stored(ward.db_path, [x["submission_id"] for x in subs]):
                outcome["partial_batch_stored"] += 1
            if integrity(ward.db_path) != "ok":
                outcome["integrity_failures"] += 1
            outcome["acknowledged_missing"] += account(ward.db_path, held)["lost"]
            server = ServerProcess(ward.db_path, log=log).start()        # uncapped: the space freed
            r2 = _push(server.url, dev["token"], subs)
            if r2.status_code == 200 and all(x["status"] in wire.DELIVERED for x in r2.json()["results"]):
                for s_, res in zip(subs, r2.json()["results"]):
                    held[s_["submission_id"]] = s_["household_id"]
                    receipts[s_["submission_id"]] = res["receipt"]
            else:
                outcome["retry_failed"] += 1
            server.stop()
            server = None
        totals = account(ward.db_path, held, receipts)
        return _result("disk_full_capped", reps, totals, fs="database capped (RASOAT_DB_MAX_MB)",
                       refusal_codes=codes, integrity=integrity(ward.db_path),
                       seconds=round(time.monotonic() - t0, 1), **outcome)
    finally:
        if server is not None:
            server.stop()


ALL = {"kill_server": kill_server, "lost_response": lost_response, "kill_tablet": kill_tablet,
       "concurrent_duplicate": concurrent_duplicate, "clock_skew": clock_skew, "disk_full": disk_full,
       "disk_full_capped": disk_full_capped}
