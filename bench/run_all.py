"""`make bench`: run every benchmark script under bench/ in turn and print its figures.

Each script is standalone (`bench/bench_*.py`, prints JSON or a table); record
the figures in docs/performance.md (or docs/dedup.md, docs/reliability.md) with
the machine and the command.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    failed = []
    for script in sorted((ROOT / "bench").glob("bench_*.py")):
        print(f"== {script.name} ==", flush=True)
        rc = subprocess.call([sys.executable, str(script)], cwd=ROOT)
        if rc != 0:
            failed.append(script.name)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
