"""Register import benchmark: a 100,000-row register file (XLSX from the synthetic generator) checked
and imported into an empty demo ward, then imported again (no change). Goal: < 60 s.

Besides wall-clock times it prints the CPU seconds of the import (this process and its worker) and the
load average before and after: on a shared machine the wall time depends on what else runs.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--per-record]
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared import wire  # noqa: E402
from shared.synthetic import generate_ward  # noqa: E402

from server.cycle.synth import register_rows, write_register_xlsx  # noqa: E402
from server.db import open_database  # noqa: E402
from server.demo import DEMO_GROUPS, seed_demo  # noqa: E402
from server.register.importer import import_file  # noqa: E402

NOW = dt.datetime(2025, 8, 20, 12, tzinfo=wire.VN_TZ)


def _cpu() -> float:
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--per-record", action="store_true",
                    help="store through the per-record ingest path instead of the bulk insert (to compare)")
    args = ap.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="rasoat-bench-import-") as tmp:
        db = open_database(Path(tmp) / "bench.db")
        seed_demo(db, households=0, now=NOW)
        docs = generate_ward(args.rows, seed=3, groups=tuple(c for c, _ in DEMO_GROUPS),
                             collected_from=dt.date(2024, 9, 1), collected_to=dt.date(2024, 12, 14))
        t = time.perf_counter()
        path = write_register_xlsx(Path(tmp) / "register.xlsx", register_rows(docs, 2024, classify_docs=False))
        del docs
        t_write = time.perf_counter() - t
        t = time.perf_counter()
        dry = import_file(db, path, NOW, dry_run=True)
        t_check = time.perf_counter() - t
        t, c = time.perf_counter(), _cpu()
        rep = import_file(db, path, NOW, bulk=not args.per_record)
        t_import, c_import = time.perf_counter() - t, _cpu() - c
        t = time.perf_counter()
        again = import_file(db, path, NOW)
        t_again = time.perf_counter() - t
        out = {"rows": args.rows, "path": "per-record" if args.per_record else "bulk",
               "file_mb": round(path.stat().st_size / 1e6, 1), "write_xlsx_s": round(t_write, 1),
               "check_dry_run_s": round(t_check, 1), "import_s": round(t_import, 1),
               "import_cpu_s": round(c_import, 1),
               "reimport_no_change_s": round(t_again, 1), "ok": dry["ok"] and rep["imported"],
               "new_households": rep["new_households"], "status_rows": rep["status_rows_added"],
               "possible_duplicate_warnings": len(rep["warnings"]),
               "reimport_new": again["new_households"] + again["status_rows_added"], "goal_s": 60,
               "db_mb": round((Path(tmp) / "bench.db").stat().st_size / 1e6, 1),
               "load_avg_1_5_15_before": [round(x, 2) for x in load_before],
               "load_avg_1_5_15_after": [round(x, 2) for x in os.getloadavg()]}
        db.close()
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
