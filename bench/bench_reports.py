"""Reports at scale: the ward XLSX workbook (every table report + the named lists) on a database of
N households (default 100,000), with the time and peak memory (tracemalloc: Python heap; and the
process's max RSS).

Setup (not timed): households are inserted straight into the tables (synthetic answers from
shared.synthetic, classified by shared.classify) — the ingest path is measured by bench_ingest.py.
Then every poor / near-poor household is marked as having stood at its meeting, so the named
lists are long.

Measures (each from report facts emptied, i.e. just after a bulk load of every household):
* ``cold_lazy_s``           — no background refresher: the report computes every household's facts itself;
* ``after_load_asked_at_once_s`` — the server's background refresher (server/reports/background.py)
  starts its pass and the user asks for the workbook at the same instant: what the user waits;
* ``background_pass_s``     — how long after the load the facts are current by themselves;
* ``warm_s_median``         — the workbook once the facts are current (what a user asking later waits).

    .venv/bin/python bench/bench_reports.py --households 100000
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared import wire  # noqa: E402
from shared.classify import classify_all  # noqa: E402
from shared.standards import load_standards  # noqa: E402
from shared.synthetic import generate_ward  # noqa: E402

from server.db import open_database  # noqa: E402
from server.demo import seed_demo  # noqa: E402
from server.store import facts
from server.reports import service
from server.reports.background import FactsRefresher  # noqa: E402

NOW = dt.datetime(2025, 12, 15, 12, tzinfo=wire.VN_TZ)
STD = "qn-provincial-2023-2025"


def build(path: str, n: int, chunk: int = 5000) -> None:
    db = open_database(path)
    seed_demo(db, households=0, now=NOW)
    groups = {r["code"]: r["id"] for r in db.all("SELECT id, code FROM area_groups")}
    stds = [load_standards()[STD], load_standards()["vn-national-2022-2025"]]
    stamp = "2025-12-15T05:00:00.000+00:00"
    done = 0
    while done < n:
        docs = generate_ward(min(chunk, n - done), seed=1000 + done)
        subs, hh, cl = [], [], []
        for d in docs:
            sid = str(uuid.uuid4())
            res = classify_all(d, stds)
            body = json.dumps({"answers": d, "household_id": d["household_id"], "submission_id": sid},
                              ensure_ascii=False, separators=(",", ":"))
            subs.append((sid, str(uuid.uuid4()), d["household_id"], "preload", "accepted", 1, 1, "2025.1",
                         d["collected_at"], stamp, "x", body))
            head = d["members"][0]["full_name"]
            hh.append((d["household_id"], groups[d["area"]["group_code"]], 1, sid, "submitted", head,
                       json.dumps({r["standard_id"]: r["class"] for r in res}), stamp, stamp))
            cl.extend((sid, d["household_id"], r["standard_id"], r["class"],
                       json.dumps(r, ensure_ascii=False, separators=(",", ":"))) for r in res)
        with db.write() as conn:
            conn.executemany("INSERT INTO submissions (submission_id, receipt_id, household_id, source, status, "
                             "revision, server_revision, form_version, collected_at, received_at, content_hash, "
                             "body) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", subs)
            conn.executemany("INSERT INTO households (household_id, group_id, server_revision, submission_id, status, "
                             "head_name, classes, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)", hh)
            conn.executemany("INSERT INTO classifications (submission_id, household_id, standard_id, class, result) "
                             "VALUES (?,?,?,?,?)", cl)
        done += len(docs)
    # Mark every discussed household as having stood at a meeting, so the named lists are full.
    with db.write() as conn:
        conn.execute("INSERT INTO community_meetings (round, group_id, standard_id, held_on, attendees, created_at) "
                     "VALUES (2025, 1, ?, '2025-11-20', 30, ?)", (STD, stamp))
        conn.execute(f"""INSERT INTO meeting_items (meeting_id, household_id, submission_id, category, movement,
            proposed_class, attendees, agree, outcome) SELECT 1, household_id, submission_id, 'new_poor', 'newly_poor',
            json_extract(classes, '$."{STD}"'), 30, 30, 'stands' FROM households
            WHERE json_extract(classes, '$."{STD}"') IN ('poor', 'near_poor')""")
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def _empty_facts(db) -> None:
    with db.write() as conn:
        conn.execute("DELETE FROM report_facts")
        conn.execute("DELETE FROM report_class_facts")


def background_pass(path: str) -> float:
    """Seconds from a bulk load (facts empty) until the background refresher has made them current."""
    db = open_database(path)
    _empty_facts(db)
    t = time.perf_counter()
    r = FactsRefresher(db, interval=3600).start()
    while r.passes < 1:
        time.sleep(0.01)
    secs = time.perf_counter() - t
    r.stop()
    assert db.value("SELECT COUNT(*) FROM report_facts") == db.value("SELECT COUNT(*) FROM households")
    db.close()
    return round(secs, 2)


def measure(path: str, out_dir: str, warm: bool, trace: bool, background: bool = False) -> dict:
    """One workbook. ``warm``: facts refreshed beforehand. ``trace``: under tracemalloc (Python heap
    peak; tracemalloc slows Python down 2-3x, so times come from untraced passes). ``background``
    (cold only): the background refresher starts its pass as the workbook is asked for."""
    db = open_database(path)
    if warm:
        facts.refresh(db)
    else:
        _empty_facts(db)
    refresher = FactsRefresher(db, interval=3600).start() if background and not warm else None
    if trace:
        tracemalloc.start()
    t = time.perf_counter()
    xlsx, name, totals = service.xlsx_file(db, 2025, STD, directory=out_dir)
    secs = time.perf_counter() - t
    if refresher is not None:
        refresher.stop()
    out = {"seconds": round(secs, 2)}
    if trace:
        out["python_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    out.update(xlsx_mib=round(os.path.getsize(xlsx) / 2**20, 1), named_rows=sum(totals["named_lists"].values()),
               households=totals["overall"]["households"])
    os.unlink(xlsx)
    db.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--db", default="")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="rasoat-bench-reports-")
    path = a.db or os.path.join(work, "bench.db")
    if not os.path.exists(path):
        t = time.perf_counter()
        build(path, a.households)
        print(f"setup: {a.households} households in {time.perf_counter() - t:.1f} s "
              f"({os.path.getsize(path) / 2**20:.0f} MiB database)", flush=True)
    load0 = os.getloadavg()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    colds, at_onces, bgs = [], [], []
    for _ in range(2):          # alternated: the shared machine's load drifts
        cold = measure(path, work, warm=False, trace=False)    # includes the first facts refresh of every household
        colds.append(cold["seconds"])
        at_onces.append(measure(path, work, warm=False, trace=False, background=True)["seconds"])
        bgs.append(background_pass(path))
    warm = [measure(path, work, warm=True, trace=False)["seconds"] for _ in range(3)]
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    traced_cold = measure(path, work, warm=False, trace=True)
    traced_warm = measure(path, work, warm=True, trace=True)
    print(json.dumps({"households": a.households, "cold_lazy_s": colds,
                      "after_load_asked_at_once_s": at_onces, "background_pass_s": bgs,
                      "warm_s_median": sorted(warm)[1], "warm_s": warm,
                      "named_rows": cold["named_rows"], "xlsx_mib": cold["xlsx_mib"],
                      "loadavg_before": [round(x, 2) for x in load0],
                      "loadavg_after": [round(x, 2) for x in os.getloadavg()],
                      "python_heap_peak_mib_cold": traced_cold["python_peak_mib"],
                      "python_heap_peak_mib_warm": traced_warm["python_peak_mib"],
                      "max_rss_mib_before_reports": round(rss0, 1), "max_rss_mib_after_untraced_reports": round(rss1, 1)},
                     indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
