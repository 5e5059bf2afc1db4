"""``python -m harness`` (``make harness``): the full reliability, security and load run.

    python -m harness                      # everything, full counts (see docs/reliability.md)
    python -m harness --only faults,fuzz   # some sections
    python -m harness --reps 20 --devices 50 --knee 25,50,100

Writes test-output/harness-results.json and prints a summary. Exit status 1 when anything was lost,
duplicated, exposed or answered 5xx. Every connection goes to 127.0.0.1.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import ROOT

SECTIONS = ("security", "fuzz", "faults", "backup", "load", "knee")


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                            "cpus": os.cpu_count()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 2 ** 20, 1)
    except OSError:
        pass
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m harness", description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {SECTIONS}")
    ap.add_argument("--reps", type=int, default=100, help="repetitions of each fault (default 100)")
    ap.add_argument("--devices", type=int, default=200, help="tablets in the load run (default 200)")
    ap.add_argument("--per-device", type=int, default=30, help="households per tablet (default 30)")
    ap.add_argument("--think", default="2,8", help="think time between two syncs of a tablet, seconds (min,max)")
    ap.add_argument("--knee", default="25,50,100,200,300", help="tablet counts stepped to find the knee")
    ap.add_argument("--fuzz-examples", type=int, default=14,
                    help="schemathesis examples per operation, mode and identity (default 14: >= 5,000 cases)")
    ap.add_argument("--out", default=str(ROOT / "test-output" / "harness-results.json"))
    args = ap.parse_args(argv)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown sections {sorted(unknown)}")
    work = Path(tempfile.mkdtemp(prefix="rasoat-harness-"))
    results: dict[str, Any] = {"machine": machine(), "command": "python -m harness " + " ".join(argv or sys.argv[1:]),
                               "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    bad: list[str] = []

    def section(name: str, fn: Any) -> None:
        t = time.monotonic()
        print(f"== {name} ...", flush=True)
        results[name] = fn()
        results[name + "_seconds"] = round(time.monotonic() - t, 1)
        print(json.dumps(results[name], ensure_ascii=False, default=str)[:3000], flush=True)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str))

    if "security" in sections:
        from . import security
        section("security", security.run_all)
        s = results["security"]
        m = s["route_matrix"]
        if m["missing_from_table"] or m["failures"]:
            bad.append("security: route matrix")
        bad += [f"security: {k}" for k, v in s.items() if k != "route_matrix" and v]
    if "fuzz" in sections:
        from .common import ServerProcess, Ward
        from .fuzz import PARTNER_SCOPE, failed, fuzz

        def run_fuzz() -> dict[str, Any]:
            ward = Ward(work / "fuzz")
            dev = ward.enroll(1)[0]
            with ServerProcess(ward.db_path) as server:
                return fuzz(server.url, {"device": dev["token"], "officer": ward.session("officer"),
                                         "admin": ward.session("admin"), "partner": ward.partner()},
                            max_examples=args.fuzz_examples, scoped={"partner": PARTNER_SCOPE})
        section("fuzz", run_fuzz)
        bad += [f"fuzz: {k}" for k in failed(results["fuzz"])]
    if "faults" in sections:
        from .faults import ALL
        for name, fn in ALL.items():
            # The capped disk restarts the server twice a repetition (≈ 15 s each): at most 10.
            reps = min(args.reps, 10) if name == "disk_full_capped" else args.reps
            section(f"fault_{name}", lambda fn=fn, name=name, reps=reps: fn(reps, work / name))
            r = results[f"fault_{name}"]
            if r.get("lost") or r.get("duplicated") or r.get("receipt_mismatch") or r.get("integrity", "ok") != "ok":
                bad.append(f"fault {name}")
            for k in ("partial_batch", "receipt_changed", "not_one_accepted", "receipts_differ", "wrong_outcome",
                      "refusal_not_clean", "partial_batch_stored", "integrity_failures", "acknowledged_missing",
                      "retry_failed", "not_delivered_after_retry", "not_delivered_after_restart", "refused_but_stored",
                      "dedup_unindexed", "dedup_pending_left"):
                if r.get(k):
                    bad.append(f"fault {name}: {k}")
    if "backup" in sections:
        from .backup import backup_during_load
        section("backup", lambda: backup_during_load(devices=50, per_device=30, work=work / "backup"))
        b = results["backup"]
        if b["missing_acknowledged_before_backup"] or b["lost_after_resend"] or b["duplicated_after_resend"] \
                or b["integrity_restored"] != "ok" or b["receipt_mismatch"]:
            bad.append("backup")
    if "load" in sections:
        from .load import LoadConfig, run_load
        tmin, tmax = (float(x) for x in args.think.split(","))

        def run() -> dict[str, Any]:
            r = run_load(LoadConfig(devices=args.devices, per_device=args.per_device, think_min=tmin,
                                    think_max=tmax), work / "load")
            r.pop("_work")
            return r
        section("load", run)
        if results["load"]["lost"] or results["load"]["duplicated"] or results["load"]["unfinished"]:
            bad.append("load")
    if "knee" in sections:
        from .load import find_knee
        section("knee", lambda: find_knee([int(x) for x in args.knee.split(",")]))
    results["failed"] = bad
    Path(args.out).write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str))
    print(f"\nresults: {args.out}")
    print("FAILED: " + "; ".join(bad) if bad else "OK: nothing lost, duplicated, exposed or 5xx")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
