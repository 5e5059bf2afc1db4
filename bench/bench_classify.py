"""Classification and validation throughput on one core (issue 2 goal: >= 20,000 households/s).

Run: .venv/bin/python bench/bench_classify.py [--households N] [--repeat R]
Prints JSON. The baseline measured in the same run is json round-tripping the
same documents (a floor every ingest pays anyway), so the ratio is comparable
across noisy machines.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import time

from shared.classify import classify
from shared.standards import load_standards
from shared.synthetic import generate_ward
from shared.validation import validate


def rate(fn, items, repeat: int) -> float:
    """Median items/s over ``repeat`` passes."""
    rates = []
    for _ in range(repeat):
        t = time.perf_counter()
        for x in items:
            fn(x)
        rates.append(len(items) / (time.perf_counter() - t))
    return statistics.median(rates)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    ward = generate_ward(a.households, seed=2025)
    std = load_standards()
    nat, qn = std["vn-national-2022-2025"], std["qn-provincial-2023-2025"]
    today = dt.date(2025, 12, 31)
    out = {
        "machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}",
        "households": a.households,
        "json_roundtrip_per_s": rate(lambda h: json.loads(json.dumps(h)), ward, a.repeat),
        "classify_one_standard_per_s": rate(lambda h: classify(h, nat), ward, a.repeat),
        "classify_both_standards_per_s": rate(lambda h: (classify(h, nat), classify(h, qn)), ward, a.repeat),
        "validate_per_s": rate(lambda h: validate(h, today=today), ward, a.repeat),
    }
    out["classify_vs_json_ratio"] = out["classify_one_standard_per_s"] / out["json_roundtrip_per_s"]
    print(json.dumps({k: (round(v, 2) if isinstance(v, float) else v) for k, v in out.items()}, indent=2))


if __name__ == "__main__":
    main()
