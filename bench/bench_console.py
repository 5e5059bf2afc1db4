"""Console page latency at 100,000 households (docs/performance.md, "Console").

Seeds a ward-office database quickly — 100,000 households over 300 residential groups, each a
synthetic household document (a pool of distinct generated documents, re-identified), stored
through the server's store functions (submissions, households, classifications) in large
transactions, not via HTTP — then times the console pages in process (FastAPI TestClient, an
officer session, the real templates and SQL): the dashboard, the household list (plain,
filtered, searched, a deep page) and a household page. Prints p50 / p95 / max per page.

    python bench/bench_console.py [--households 100000] [--runs 40] [--db /tmp/console-bench.db]
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared import wire  # noqa: E402
from shared.classify import classify_all  # noqa: E402
from shared.synthetic import generate_ward  # noqa: E402

from server import auth  # noqa: E402
from server.clock import iso  # noqa: E402
from server.store import search
from server.db import open_database  # noqa: E402
from server.demo import DEMO_WARD, seed_demo  # noqa: E402
from server.store import areas, classifications, collaborators, households, submissions  # noqa: E402

import datetime as dt  # noqa: E402

NOW = dt.datetime(2025, 12, 15, 12, 0, tzinfo=wire.VN_TZ)
GROUPS = 300
POOL = 3000


def seed(path: str, n: int) -> dict:
    t0 = time.perf_counter()
    db = open_database(path)
    seed_demo(db, households=0, now=NOW)
    stamp = iso(NOW)
    with db.write() as conn:
        ward_id = conn.execute("SELECT id FROM wards WHERE ward_code = ?", (DEMO_WARD["ward_code"],)).fetchone()[0]
        group_ids = {}
        for i in range(7, GROUPS + 1):
            areas.create_group(conn, ward_id, f"KP{i:03d}", f"Khu phố {i}")
        for g in areas.list_groups(conn):
            group_ids[g["group_code"]] = g["group_id"]
        collab_ids = {}
        for code, gid in group_ids.items():
            cid = collaborators.create_collaborator(conn, f"Cộng tác viên {code}", None, stamp)
            collaborators.assign(conn, cid, gid, stamp)
            collab_ids[gid] = cid
    codes = sorted(group_ids)
    pool = generate_ward(POOL, seed=11, groups=tuple(codes[:1]))
    prepared = []
    for doc in pool:
        try:
            results = classify_all(doc)
        except Exception:
            continue
        head = next((m["full_name"] for m in doc["members"] if m.get("relation") == "head"), None)
        prepared.append((doc, results, head))
    t_gen = time.perf_counter() - t0
    rng = random.Random(5)
    done = 0
    while done < n:
        with db.write() as conn:
            for _ in range(min(5000, n - done)):
                doc, results, head = prepared[done % len(prepared)]
                code = codes[done % len(codes)]
                gid = group_ids[code]
                d = copy.copy(doc)
                d["household_id"] = hid = str(uuid.uuid4())
                d["area"] = dict(doc["area"], group_code=code)
                answers = dict(d)
                body = wire.canonical_submission({"submission_id": "x", "household_id": hid, "revision": 1,
                                                  "base_revision": None, "form_version": d["form_version"],
                                                  "collected_at": d["collected_at"], "answers": answers})
                submitted = rng.random() < 0.35
                sid = str(uuid.uuid4())
                submissions.insert(conn, {
                    "submission_id": sid, "receipt_id": str(uuid.uuid4()), "household_id": hid,
                    "source": "device" if submitted else "preload", "device_id": None,
                    "collaborator_id": collab_ids[gid] if submitted else None, "status": "accepted",
                    "conflict_reason": None, "revision": 1, "base_revision": None, "server_revision": 1,
                    "form_version": d["form_version"], "collected_at": d["collected_at"], "device_time": None,
                    "received_at": stamp, "content_hash": wire.sha256_hex(body), "warnings": "[]", "body": body})
                classes = {r["standard_id"]: r["class"] for r in results}
                households.insert(conn, hid, gid, 1, sid, "submitted" if submitted else "preloaded", head, classes,
                                  stamp)
                classifications.insert_many(conn, sid, hid, results)
                done += 1
    t_insert = time.perf_counter() - t0 - t_gen
    t1 = time.perf_counter()
    folded = search.refresh(db)
    t_fold = time.perf_counter() - t1
    db.conn.execute("ANALYZE")
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return {"households": n, "groups": len(codes), "distinct_documents": len(prepared),
            "generate_s": round(t_gen, 1), "insert_s": round(t_insert, 1), "fold_search_keys_s": round(t_fold, 1),
            "folded": folded, "db_mb": round(os.path.getsize(path) / 1e6, 1)}


def measure(path: str, runs: int) -> dict:
    from fastapi.testclient import TestClient

    from server.app import create_app
    from server.console.web import SESSION_COOKIE
    from server.settings import Settings

    app = create_app(Settings(db_path=path, secret="bench-secret-" + "x" * 20, public_url="http://bench"))
    db = app.state.db
    uid = db.value("SELECT id FROM users WHERE username = 'officer'")
    with db.write() as conn:
        token, _ = auth.start_session(conn, uid, app.state.clock(), 12)
    client = TestClient(app)
    client.cookies.set(SESSION_COOKIE, token)
    some = db.value("SELECT household_id FROM households ORDER BY household_id LIMIT 1 OFFSET 777")
    head = db.value("SELECT head_name FROM households WHERE household_id = ?", (some,))
    gid = db.value("SELECT group_id FROM households WHERE household_id = ?", (some,))
    pages = {
        "dashboard": "/console/dashboard",
        "households (page 1)": "/console/households",
        "households, group filter": f"/console/households?group={gid}",
        "households, class filter": "/console/households?standard=vn-national-2022-2025&cls=poor",
        "households, status filter": "/console/households?status=submitted",
        "households, search (no diacritics)": "/console/households?q=" + head.split()[-1].lower()
                                              .translate(str.maketrans("àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ",
                                                                       "aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyd")),
        "households, search full name": "/console/households?q=" + head,
        "households, page 1000": "/console/households?page=1000",
        "household page": f"/console/households/{some}",
        "review queue": "/console/review",
    }
    out = {}
    for name, url in pages.items():
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            r = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
        times.sort()
        out[name] = {"p50_ms": round(statistics.median(times), 1),
                     "p95_ms": round(times[max(0, int(round(0.95 * len(times))) - 1)], 1),
                     "max_ms": round(times[-1], 1)}
    app.state.db.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--db", default="")
    args = ap.parse_args()
    path = args.db or os.path.join(tempfile.mkdtemp(prefix="console-bench-"), "bench.db")
    seeded = seed(path, args.households) if not os.path.exists(path) else {"reused": path}
    print(json.dumps({"seed": seeded}, ensure_ascii=False), flush=True)
    result = measure(path, args.runs)
    width = max(len(k) for k in result)
    print(f"{'page':<{width}}  {'p50 ms':>8}  {'p95 ms':>8}  {'max ms':>8}")
    for name, r in result.items():
        print(f"{name:<{width}}  {r['p50_ms']:>8}  {r['p95_ms']:>8}  {r['max_ms']:>8}")
    print(json.dumps({"pages": result}, ensure_ascii=False))
    slow = [k for k in ("dashboard", "households (page 1)") if result[k]["p95_ms"] >= 300]
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
