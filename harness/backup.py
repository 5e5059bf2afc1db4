"""Backup during load: ``rasoat backup`` (a separate process, as an operator runs it) while tablets push;
then restore it (a fresh data directory, the server started on the copy) and check that every record
acknowledged BEFORE the backup started is there with the same receipt, and integrity_check passes.
Finally every tablet "resends all" (docs/operations.md, Restore): nothing lost, nothing duplicated."""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from shared import wire

from .common import PUSH_HEADERS, ServerProcess, account, auth, backup_cli, integrity, push_payload, ro_connect
from .load import LoadConfig, run_load


def backup_during_load(devices: int = 50, per_device: int = 30, think: tuple[float, float] = (0.3, 1.5),
                       delay: float = 2.0, work: Path | None = None) -> dict[str, Any]:
    work = Path(work or tempfile.mkdtemp(prefix="rasoat-backup-"))
    receipts_dir = work / "receipts"
    receipts_dir.mkdir(parents=True, exist_ok=True)
    dest = work / "backup" / "rasoat-backup.db"

    def during(server: ServerProcess, ward: Any) -> dict[str, Any]:
        time.sleep(delay)
        t_start = time.monotonic()
        info = backup_cli(ward.db_path, dest)
        return {"t_start": t_start, "t_end": time.monotonic(), "backup": info}

    cfg = LoadConfig(devices=devices, per_device=per_device, think_min=think[0], think_max=think[1], seed=77)
    load = run_load(cfg, work / "load", during=during, receipts_dir=receipts_dir)
    work_items = load.pop("_work")
    t_start = load["during"]["t_start"]
    before: dict[str, str] = {}
    after = 0
    for f in receipts_dir.glob("*.log"):
        for line in f.read_text().splitlines():
            t, sid, rid = line.split()
            if float(t) < t_start:
                before[sid] = rid
            else:
                after += 1
    # restore: a new data directory holding only the backup file, as docs/operations.md says
    restored_dir = work / "restored"
    restored_dir.mkdir()
    shutil.copyfile(dest, restored_dir / "rasoat.db")
    out: dict[str, Any] = {"devices": devices, "records": devices * per_device,
                           "acknowledged_before_backup": len(before), "acknowledged_after_backup_start": after,
                           "backup_seconds": round(load["during"]["t_end"] - t_start, 2),
                           "backup_counts": load["during"]["backup"]["counts"],
                           "integrity_backup": integrity(restored_dir / "rasoat.db"),
                           "load_lost": load["lost"], "load_duplicated": load["duplicated"],
                           "load_push_p95_ms": load["push_ms"]["p95"]}
    conn = ro_connect(restored_dir / "rasoat.db")
    try:
        missing = mismatched = 0
        for sid, rid in before.items():
            row = conn.execute("SELECT receipt_id FROM submissions WHERE submission_id = ?", (sid,)).fetchone()
            if row is None:
                missing += 1
            elif row[0] != rid:
                mismatched += 1
    finally:
        conn.close()
    out["missing_acknowledged_before_backup"] = missing
    out["receipt_mismatch"] = mismatched
    server = ServerProcess(restored_dir / "rasoat.db").start()
    try:
        out["health_after_restore"] = requests.get(server.url + "/api/v1/health", timeout=10).json()["status"]
        statuses: dict[str, int] = {}
        held: dict[str, str] = {}
        for dev, subs in work_items:           # every tablet: "resend all"
            for i in range(0, len(subs), 20):
                batch = subs[i:i + 20]
                r = requests.post(server.url + "/api/v1/sync/push", data=push_payload(batch),
                                  headers={**PUSH_HEADERS, **auth(dev["token"])}, timeout=60)
                for s, res in zip(batch, r.json()["results"]):
                    statuses[res["status"]] = statuses.get(res["status"], 0) + 1
                    if res["status"] in wire.DELIVERED:
                        held[s["submission_id"]] = s["household_id"]
        out["resend_statuses"] = statuses
    finally:
        server.stop()
    acc = account(restored_dir / "rasoat.db", {s["submission_id"]: s["household_id"]
                                               for _, subs in work_items for s in subs})
    out["lost_after_resend"] = acc["lost"]
    out["duplicated_after_resend"] = acc["duplicated"]
    out["integrity_restored"] = integrity(restored_dir / "rasoat.db")
    return out
