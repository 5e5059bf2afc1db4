"""Faults, 10 repetitions each (the full harness repeats each 100 times): nothing lost, nothing duplicated."""
from __future__ import annotations

import pytest

from harness import faults

REPS = 10


def _clean(r):
    assert r["lost"] == 0 and r["duplicated"] == 0 and r["receipt_mismatch"] == 0, r
    assert r.get("integrity", "ok") == "ok", r


def test_server_killed_mid_batch(tmp_path):
    r = faults.kill_server(REPS, tmp_path)
    _clean(r)
    assert r["partial_batch"] == 0 and r["retry_not_200"] == 0 and r["receipt_changed"] == 0, r
    assert r["killed_before_commit"] + r["killed_after_commit"] == REPS


def test_response_lost_after_commit_then_the_tablet_retries(tmp_path):
    r = faults.lost_response(REPS, tmp_path)
    _clean(r)
    assert r["dropped"] == REPS and r["first_run_errors"] == REPS, r
    assert r["stored_while_pending"] == r["records"], r          # committed, though the tablet had no receipt
    assert r["not_delivered_after_retry"] == 0 and r["outbox"] == {"delivered": r["records"]}, r


def test_tablet_sync_process_killed_mid_sync(tmp_path):
    r = faults.kill_tablet(REPS, tmp_path)
    _clean(r)
    assert r["not_delivered_after_restart"] == 0 and r["outbox"] == {"delivered": r["records"]}, r


def test_same_batch_delivered_concurrently(tmp_path):
    r = faults.concurrent_duplicate(REPS, tmp_path)
    _clean(r)
    assert r["not_one_accepted"] == 0 and r["receipts_differ"] == 0 and r["http_errors"] == 0, r


def test_device_clock_hours_off(tmp_path):
    r = faults.clock_skew(REPS * 2, tmp_path)
    _clean(r)
    assert r["wrong_outcome"] == 0 and r["received_at_from_device"] == 0 and r["refused_but_stored"] == 0, r
    assert r["order_broken"] == 0


# Disk full: 50 (≈ 6 s). Until the first commit after a full disk reset the WAL (server.db._reset_wal),
# the WAL kept the space it took and retries began to fail after ≈ 38 repetitions.
DISK_FULL_REPS = 50


DISK_FULL_CAPPED_REPS = 2      # each starts the server twice (≈ 15 s)


@pytest.mark.parametrize("fault, reps", [("disk_full", DISK_FULL_REPS), ("disk_full_capped", DISK_FULL_CAPPED_REPS)])
def test_disk_full_during_a_push(tmp_path, fault, reps):
    """On a real full filesystem (a tmpfs: needs root to mount) and, without root, on the database
    capped at its size (SQLite reports both as SQLITE_FULL)."""
    r = faults.ALL[fault](reps, tmp_path)
    if r.get("skipped"):
        pytest.skip(r["skipped"] + " (the disk_full_capped case covers the same refusal without root)")
    _clean(r)
    assert r["refusals"] + r["never_filled"] == reps and r["refusals"] >= 1, r
    assert r["refusal_codes"] == {"507 disk_full": r["refusals"]}, r
    for k in ("refusal_not_clean", "partial_batch_stored", "integrity_failures", "acknowledged_missing",
              "retry_failed"):
        assert r[k] == 0, (k, r)
