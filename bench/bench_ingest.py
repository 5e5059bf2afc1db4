"""Sync ingest benchmark (not a test).

N simulated devices push households over loopback to a real `rasoat serve`
(its own process), gzip bodies, validation and classification included.
Reports submissions/s, p50/p95 push latency, bytes on the wire per household,
and — in the same run — raw SQLite inserts of the same payloads as the floor.

    .venv/bin/python bench/bench_ingest.py [--devices 200] [--per-device 30] [--rounds 3] [--workers 2]

To profile the server during a run: ``py-spy record -p <server pid> --subprocesses``.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import platform
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared import wire  # noqa: E402
from shared.synthetic import generate_ward  # noqa: E402
from shared.validation import errors, validate  # noqa: E402

GROUPS = ("KP01", "KP02", "KP03", "KP04", "KP05", "KP06")
COLLAB_GROUP = {1: "KP01", 2: "KP02", 3: "KP03", 4: "KP04", 5: "KP05"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def valid_households(n: int, group: str, seed: int) -> list[dict]:
    import datetime as dt
    out, k = [], 0
    while len(out) < n:
        for h in generate_ward(n + 5, seed=seed * 100 + k, groups=(group,)):
            if not errors(validate(h, today=dt.date.today())):
                out.append(h)
                if len(out) == n:
                    break
        k += 1
    return out


def submission(doc: dict) -> dict:
    return {"submission_id": str(uuid.uuid4()), "household_id": doc["household_id"], "revision": 1,
            "base_revision": None, "form_version": doc["form_version"], "collected_at": doc["collected_at"],
            "device_time": "2025-12-15T19:00:00+07:00", "answers": doc}


def start_server(db: Path, port: int, workers: int, profile: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "RASOAT_SECRET": "bench-secret-" + "x" * 20}
    # --profile: sample the server with py-spy (collapsed stacks, one line per stack with its count).
    spy = [str(Path(sys.executable).with_name("py-spy")), "record", "--subprocesses", "--format", "raw",
           "--rate", "200", "--gil", "--output", profile, "--"] if profile else []
    proc = subprocess.Popen([*spy, sys.executable, "-m", "server.cli", "serve", "--db", str(db), "--port", str(port),
                             "--log-level", "warning", "--workers", str(workers)], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(url + "/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


def process_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user+system) of a process and each of its children, from /proc (Linux)."""
    out: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            out[p] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError):
            pass
    return out


def process_tree_cpu(pid: int) -> float:
    return sum(process_cpu(pid).values())


def raw_sqlite_floor(bodies: list[list[dict]], path: Path) -> float:
    """Seconds to INSERT the same submissions into a bare table, one transaction per push."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE s (seq INTEGER PRIMARY KEY, submission_id TEXT NOT NULL UNIQUE, household_id TEXT, "
                  "content_hash TEXT, body TEXT)")
    t0 = time.perf_counter()
    for subs in bodies:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO s (submission_id, household_id, content_hash, body) VALUES (?, ?, ?, ?)",
                         [(s["submission_id"], s["household_id"], wire.content_hash(s), wire.canonical_submission(s))
                          for s in subs])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devices", type=int, default=200)
    ap.add_argument("--per-device", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3, help="pushes per device (fresh households each round)")
    ap.add_argument("--spread", type=float, default=0.0,
                    help="seconds over which device starts are spread evenly (0: all at once, a burst)")
    ap.add_argument("--workers", type=int, default=2, help="server processes (default 2: one per core here)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--profile", metavar="FILE", help="sample the server with py-spy into FILE (collapsed stacks)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="rasoat-bench-"))
    db = tmp / "bench.db"
    subprocess.run([sys.executable, "-m", "server.cli", "seed-demo", "--db", str(db), "--households", "0"],
                   cwd=ROOT, check=True, capture_output=True)
    print(f"generating {args.devices * args.per_device * args.rounds} households ...", file=sys.stderr)
    plan: list[list[tuple[bytes, list[dict]]]] = []     # per device, per round: (gzip body, submissions)
    wire_bytes = 0
    for d in range(args.devices):
        group = COLLAB_GROUP[1 + d % 5]
        docs = valid_households(args.per_device * args.rounds, group, seed=d + 1)
        rounds = []
        for r in range(args.rounds):
            subs = [submission(x) for x in docs[r * args.per_device:(r + 1) * args.per_device]]
            body = wire.gzip_bytes(wire.dumps({"protocol": 1, "submissions": subs}))
            wire_bytes += len(body)
            rounds.append((body, subs))
        plan.append(rounds)
    total = args.devices * args.per_device * args.rounds

    port = free_port()
    proc = start_server(db, port, args.workers, args.profile)
    url = f"http://127.0.0.1:{port}"
    try:
        admin = httpx.post(url + "/api/v1/login", json={"username": "admin", "password": "admin-demo-2025"}).json()["token"]
        tokens = []
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {admin}"}) as office:
            for d in range(args.devices):
                code = office.post(f"/api/v1/collaborators/{1 + d % 5}/enrollment-codes").json()["code"]
                tokens.append(office.post("/api/v1/enroll", json={"protocol": 1, "code": code}).json()["token"])
        latencies: list[float] = []
        statuses: dict[str, int] = {}
        lock = threading.Lock()
        barrier = threading.Barrier(args.devices)
        resp_bytes = [0]

        def device(d: int) -> None:
            # http.client, not httpx: the load generator shares the 2 cores with the server and must stay light.
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            headers = {"Authorization": f"Bearer {tokens[d]}", "Content-Type": "application/json",
                       "Content-Encoding": "gzip", "Accept-Encoding": "gzip"}
            barrier.wait()
            if args.spread:
                time.sleep(args.spread * d / args.devices)
            for body, _ in plan[d]:
                t = time.perf_counter()
                conn.request("POST", "/api/v1/sync/push", body=body, headers=headers)
                r = conn.getresponse()
                data = r.read()
                dt_ = time.perf_counter() - t
                if r.status != 200:
                    raise RuntimeError(f"push answered {r.status}: {data[:200]!r}")
                results = json.loads(gzip.decompress(data) if r.getheader("content-encoding") == "gzip" else data)
                with lock:
                    latencies.append(dt_)
                    resp_bytes[0] += len(data)
                    for res in results["results"]:
                        statuses[res["status"]] = statuses.get(res["status"], 0) + 1
            conn.close()

        server_cpu0 = process_tree_cpu(proc.pid)
        per_process0 = process_cpu(proc.pid)
        t0, c0 = time.perf_counter(), time.process_time()
        with ThreadPoolExecutor(args.devices) as pool:
            list(pool.map(device, range(args.devices)))
        wall, client_cpu = time.perf_counter() - t0, time.process_time() - c0
        server_cpu = process_tree_cpu(proc.pid) - server_cpu0
        # How the work split between the server processes (a skewed split leaves a core idle).
        split = sorted((round(c - per_process0.get(p, 0.0), 1) for p, c in process_cpu(proc.pid).items()), reverse=True)
    finally:
        if args.profile:   # stop the server under py-spy; py-spy writes its file when its target exits
            for child in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split():
                os.kill(int(child), signal.SIGTERM)
        else:
            proc.terminate()
        proc.wait(timeout=60)

    floor_s = raw_sqlite_floor([subs for rounds in plan for _, subs in rounds], tmp / "floor.db")
    lat = sorted(latencies)
    figures = {
        "server_workers": args.workers, "spread_s": args.spread, "devices": args.devices, "households_per_push": args.per_device, "rounds": args.rounds,
        "submissions": total, "statuses": statuses,
        "wall_s": round(wall, 2), "submissions_per_s": round(total / wall),
        "push_latency_p50_ms": round(statistics.median(lat) * 1000),
        "push_latency_p95_ms": round(lat[int(len(lat) * 0.95) - 1] * 1000),
        "push_latency_max_ms": round(lat[-1] * 1000),
        "server_cpu_s": round(server_cpu, 1), "server_cpu_split_s": split, "client_cpu_s": round(client_cpu, 1),
        "server_cpu_ms_per_submission": round(server_cpu / total * 1000, 2),
        "raw_sqlite_inserts_per_s": round(total / floor_s),
        "api_over_floor": round((total / wall) / (total / floor_s), 3),
        "request_bytes_per_household_gzip": round(wire_bytes / total),
        "response_bytes_per_household_gzip": round(resp_bytes[0] / total),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
                   f"SQLite {sqlite3.sqlite_version}",
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for k, v in figures.items():
            print(f"{k:36} {v}")
    ok = statuses.get("accepted", 0) == total
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
