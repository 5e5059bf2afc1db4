"""The tablets of a load run, launched from a lean process: ``python -m harness.tablets INPUT.json OUTPUT.json``.

Only ``requests`` and ``shared.wire`` are imported here before forking, so each of the N tablet processes
shares a small heap (forking the harness itself would copy its whole heap into every tablet).
"""
from __future__ import annotations

import json
import multiprocessing as mp
import sys
import time


def main() -> None:
    from .load import LoadConfig, _device

    spec = json.loads(open(sys.argv[1], encoding="utf-8").read())
    cfg = LoadConfig(**spec["config"])
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    procs = []
    for i, (dev, subs) in enumerate(spec["work"]):
        rf = f"{spec['receipts_dir']}/{i}.log" if spec.get("receipts_dir") else None
        p = ctx.Process(target=_device, args=(cfg, spec["url"], dev, subs, spec["start_at"], out, rf), daemon=True)
        p.start()
        procs.append(p)
    results = []
    deadline = time.monotonic() + cfg.max_seconds + 120
    while len(results) < len(procs) and time.monotonic() < deadline:
        try:
            results.append(out.get(timeout=5))
        except Exception:
            if not any(p.is_alive() for p in procs) and out.empty():
                break
    for p in procs:
        p.join(5)
        if p.is_alive():
            p.kill()
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump({"results": results, "finished_at": time.monotonic()}, f)


if __name__ == "__main__":
    main()
