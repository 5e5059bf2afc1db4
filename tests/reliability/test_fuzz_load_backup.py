"""A short schemathesis fuzz, a small load and a backup during load (full sizes: make harness)."""
from __future__ import annotations

from harness.backup import backup_during_load
from harness.common import ServerProcess, Ward
from harness.fuzz import PARTNER_SCOPE, failed, fuzz
from harness.load import LoadConfig, run_load


def test_fuzz_four_identities_no_5xx_no_undocumented_status_no_valid_request_rejected(tmp_path):
    """The fast subset of ``make harness``'s schemathesis run (1 example per operation and mode instead
    of 14): push bodies included, a partner body's account on the programme's operations; 0 server
    errors, 0 statuses outside the document, 0 requests valid by the document refused as malformed,
    every 4xx the error envelope."""
    ward = Ward(tmp_path / "ward")
    dev = ward.enroll(1)[0]
    with ServerProcess(ward.db_path) as server:
        r = fuzz(server.url, {"device": dev["token"], "officer": ward.session("officer"),
                              "admin": ward.session("admin"), "partner": ward.partner()}, max_examples=1,
                 scoped={"partner": PARTNER_SCOPE})
    assert r["cases"] >= 300 and set(r["by_identity"]) == {"device", "officer", "admin", "partner"}, r
    assert 40 <= r["by_identity"]["partner"] < r["by_identity"]["officer"], r["by_identity"]
    assert r["push_cases"] > 0, r                       # the push body schema resolves: pushes are generated
    assert failed(r) == [], (failed(r), r["failure_kinds"], r["failures"][:5])


def test_ids_beyond_64_bits_are_a_422_envelope_not_a_500(tmp_path):
    from harness.security import Env
    env = Env()
    try:
        token = env.session("officer")
        for path in ("/api/v1/process/meetings/99999999999999999999999", "/api/v1/cycle/rounds/99999999999999999999999",
                     "/api/v1/dedup/candidates/99999999999999999999999"):
            r = env.client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request", (path, r.text)
    finally:
        env.close()


def test_small_load_loses_and_duplicates_nothing(tmp_path):
    r = run_load(LoadConfig(devices=20, per_device=10, think_min=0.1, think_max=0.5), tmp_path)
    assert r["devices_reported"] == 20 and r["unfinished"] == 0, r
    assert r["receipts"] == 200 and r["lost"] == 0 and r["duplicated"] == 0 and r["errors"] == 0, r
    assert r["integrity"] == "ok"


def test_backup_during_load_then_restore(tmp_path):
    r = backup_during_load(devices=10, per_device=20, think=(0.2, 0.8), delay=1.0, work=tmp_path)
    assert r["integrity_backup"] == "ok" and r["integrity_restored"] == "ok", r
    assert r["missing_acknowledged_before_backup"] == 0 and r["receipt_mismatch"] == 0, r
    assert r["health_after_restore"] == "ok"
    assert r["lost_after_resend"] == 0 and r["duplicated_after_resend"] == 0, r
    assert sum(r["resend_statuses"].values()) == r["records"], r
