"""Load: N simulated tablets, each its own process (multiprocessing, fork), real HTTP over loopback.

Each tablet (a process forked by a lean fork server) holds its day's households (``per_device``) and syncs the way a collaborator does on the
last evening: one pull at the start, then rounds of "push 1–``max_round`` households, pull what is new,
think for a while" until everything holds a receipt. A failed call (connection error, timeout, HTTP
error, a record answered ``retry``) is retried with back-off, the same submission_id and body.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import requests

from shared import wire

from .common import (PUSH_HEADERS, ROOT, Sampler, ServerProcess, Ward, account, auth, households, integrity, percentile,
                     push_payload, submission)


@dataclass
class LoadConfig:
    devices: int = 200
    per_device: int = 30
    think_min: float = 2.0          # seconds between two syncs of one tablet
    think_max: float = 8.0
    max_round: int = 10             # households pushed in one sync
    workers: int = 1                # server processes
    timeout: float = 60.0           # per request (the tablet's read timeout is 45 s)
    max_seconds: float = 600.0      # a tablet gives up after this (reported as lost, never hangs the run)
    seed: int = 1


def _device(cfg: LoadConfig, url: str, dev: dict[str, Any], subs: list[dict[str, Any]], start_at: float,
            out: Any, receipts_file: str | None) -> None:
    rng = random.Random(f"{cfg.seed}:{dev['device_id']}")
    http = requests.Session()       # a new one per sync, as the tablet's SyncWorker.run_once does
    http.trust_env = False
    lat: list[tuple[str, float, int]] = []
    receipts: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    rejected = 0
    cursor = 0
    log = open(receipts_file, "a", buffering=1) if receipts_file else None

    def call(kind: str, method: str, path: str, **kw: Any) -> requests.Response | None:
        t0 = time.perf_counter()
        try:
            r = http.request(method, url + path, timeout=cfg.timeout, **kw)
        except requests.RequestException as exc:
            lat.append((kind, time.perf_counter() - t0, 0))
            errors.append(f"{kind}: {type(exc).__name__}")
            return None
        lat.append((kind, time.perf_counter() - t0, r.status_code))
        if r.status_code != 200:
            errors.append(f"{kind}: HTTP {r.status_code}")
            return None
        return r

    def pull() -> None:
        nonlocal cursor
        for _ in range(100):
            r = call("pull", "GET", "/api/v1/sync/pull", params={"cursor": cursor}, headers=auth(dev["token"]))
            if r is None:
                return
            body = r.json()
            cursor = body["cursor"]
            if not body.get("more"):
                return

    time.sleep(max(0.0, start_at - time.monotonic()))
    deadline = time.monotonic() + cfg.max_seconds
    pull()
    pending = list(subs)
    attempt = 0
    while pending and time.monotonic() < deadline:
        k = rng.randint(1, cfg.max_round)
        batch = pending[:k]
        r = call("push", "POST", "/api/v1/sync/push", data=push_payload(batch),
                 headers={**PUSH_HEADERS, **auth(dev["token"])})
        if r is None:
            attempt += 1
            time.sleep(min(10.0, 0.5 * 2 ** attempt) * (0.8 + 0.4 * rng.random()))
            continue
        attempt = 0
        done = set()
        for res in r.json()["results"]:
            if res["status"] in wire.DELIVERED:
                receipts[res["submission_id"]] = res["receipt"]
                done.add(res["submission_id"])
                if log:
                    log.write(f"{time.monotonic():.6f} {res['submission_id']} {res['receipt']['receipt_id']}\n")
            elif res["status"] == wire.REJECTED and not res.get("retry"):
                rejected += 1
                done.add(res["submission_id"])
                errors.append("rejected: " + ",".join(p["code"] for p in res.get("problems", [])[:3]))
        pending = [s for s in pending if s["submission_id"] not in done]
        pull()
        if pending:
            time.sleep(rng.uniform(cfg.think_min, cfg.think_max))
            http.close()
            http = requests.Session()
            http.trust_env = False
    if log:
        log.close()
    out.put({"device_id": dev["device_id"], "lat": lat, "receipts": receipts, "errors": errors,
             "rejected": rejected, "held": {s["submission_id"]: s["household_id"] for s in subs},
             "unfinished": len(pending)})


def run_load(cfg: LoadConfig, work_dir: Path | str | None = None, during: Any = None,
             receipts_dir: Path | None = None) -> dict[str, Any]:
    """Run one load; ``during(server, ward)`` (optional) runs in the parent while the tablets sync."""
    work = Path(work_dir or tempfile.mkdtemp(prefix="rasoat-load-"))
    ward = Ward(work / "ward")
    devs = ward.enroll(cfg.devices)
    work_by_dev = []
    for i, d in enumerate(devs):
        docs = households(cfg.per_device, d["group"], seed=cfg.seed * 1000 + i % 50)
        work_by_dev.append([submission(h) for h in docs])
    server = ServerProcess(ward.db_path, workers=cfg.workers).start()
    start_at = time.monotonic() + 2.0 + cfg.devices * 0.02
    spec_path, out_path = work / "tablets-in.json", work / "tablets-out.json"
    spec_path.write_text(json.dumps({"config": asdict(cfg), "url": server.url, "start_at": start_at,
                                     "receipts_dir": str(receipts_dir) if receipts_dir else None,
                                     "work": [[d, w] for d, w in zip(devs, work_by_dev)]}))
    # The tablets are forked by a lean launcher (harness/tablets.py), not by this (large) process.
    launcher = subprocess.Popen([sys.executable, "-m", "harness.tablets", str(spec_path), str(out_path)], cwd=ROOT,
                                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    extra: Any = None
    try:
        with Sampler(server.pid) as sampler:
            if during is not None:
                time.sleep(max(0.0, start_at - time.monotonic()))
                extra = during(server, ward)
            launcher.wait(cfg.max_seconds + 300)
        got = json.loads(out_path.read_text()) if out_path.exists() else {"results": [], "finished_at": time.monotonic()}
        results = got["results"]
        wall = got["finished_at"] - start_at
    finally:
        if launcher.poll() is None:
            launcher.kill()
        server.stop()
    lat_push = [t for r in results for k, t, _ in r["lat"] if k == "push"]
    lat_pull = [t for r in results for k, t, _ in r["lat"] if k == "pull"]
    held = {sid: hid for r in results for sid, hid in r["held"].items()}
    receipts = {sid: rec for r in results for sid, rec in r["receipts"].items()}
    acc = account(ward.db_path, {s: held[s] for s in receipts}, receipts)
    errors = [e for r in results for e in r["errors"]]
    n_req = len(lat_push) + len(lat_pull)
    ms = lambda v: round(1000 * v, 1)  # noqa: E731
    report = {
        "config": asdict(cfg), "devices_reported": len(results), "wall_s": round(wall, 1),
        "requests": n_req, "requests_per_s": round(n_req / wall, 1) if wall else 0,
        "submissions_held": len(held), "receipts": len(receipts),
        "submissions_per_s": round(len(receipts) / wall, 1) if wall else 0,
        "push_ms": {"n": len(lat_push), "p50": ms(percentile(lat_push, 50)), "p95": ms(percentile(lat_push, 95)),
                    "p99": ms(percentile(lat_push, 99)), "max": ms(max(lat_push, default=0))},
        "pull_ms": {"n": len(lat_pull), "p50": ms(percentile(lat_pull, 50)), "p95": ms(percentile(lat_pull, 95)),
                    "p99": ms(percentile(lat_pull, 99)), "max": ms(max(lat_pull, default=0))},
        "errors": len(errors), "error_kinds": sorted({e.split(":")[0] + ":" + e.split(":")[1][:40] for e in errors})[:10],
        "unfinished": sum(r["unfinished"] for r in results) + (cfg.devices - len(results)) * cfg.per_device,
        "server": sampler.summary(), "lost": acc["lost"], "duplicated": acc["duplicated"],
        "receipt_mismatch": acc["receipt_mismatch"], "integrity": integrity(ward.db_path),
        "db_path": str(ward.db_path),
    }
    if extra is not None:
        report["during"] = extra
    report["_work"] = list(zip(devs, work_by_dev))      # for callers that resend (not for printing)
    return report


def find_knee(steps: list[int], per_device: int = 10, think: tuple[float, float] = (0.2, 1.0),
              workers: int = 1) -> dict[str, Any]:
    """Step the number of tablets (short think time: each step offers more load) and find where it degrades.

    The knee is the first step whose throughput grows less than 15 % over the step before while the p95
    push latency grows more than 50 % (or errors appear)."""
    rows = []
    for n in steps:
        r = run_load(LoadConfig(devices=n, per_device=per_device, think_min=think[0], think_max=think[1],
                                workers=workers, seed=n))
        r.pop("_work")
        rows.append({"devices": n, "submissions_per_s": r["submissions_per_s"], "requests_per_s": r["requests_per_s"],
                     "push_p50_ms": r["push_ms"]["p50"], "push_p95_ms": r["push_ms"]["p95"],
                     "push_p99_ms": r["push_ms"]["p99"], "pull_p95_ms": r["pull_ms"]["p95"], "errors": r["errors"],
                     "lost": r["lost"], "duplicated": r["duplicated"], "cpu_mean_pct": r["server"]["cpu_mean_pct"],
                     "rss_max_mib": r["server"]["rss_max_mib"], "wall_s": r["wall_s"]})
    knee = None
    for prev, cur in zip(rows, rows[1:]):
        gain = cur["submissions_per_s"] / prev["submissions_per_s"] if prev["submissions_per_s"] else 0
        slower = cur["push_p95_ms"] / prev["push_p95_ms"] if prev["push_p95_ms"] else 0
        if cur["errors"] or (gain < 1.15 and slower > 1.5):
            knee = {"devices": cur["devices"], "after": prev["devices"], "throughput_gain": round(gain, 2),
                    "p95_growth": round(slower, 2)}
            break
    return {"steps": rows, "knee": knee}
