"""``rasoat dedup``: deduplicate a JSON-lines file of household documents.

    rasoat dedup --input households.jsonl --output links.csv [--clusters clusters.csv]

Writes one CSV row per pair in the auto or review band (with the level of
every field and the reasons), optionally every record's cluster, and prints
a summary as JSON. Lines that are not JSON objects are skipped and counted.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from .. import exportsafe
from ..dedup.compare import FIELD_NAMES, FIELDS
from .base import CliError


def _read_jsonl(path: str) -> tuple[list[Any], list[str]]:

    docs, problems = [], []
    try:
        fh = sys.stdin if path == "-" else open(path, encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CliError(f"Không đọc được tệp / cannot read {path}: {exc}")
    with fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"dòng {n}: JSON không hợp lệ / line {n}: invalid JSON ({exc.msg})")
                continue
            if not isinstance(doc, dict):
                problems.append(f"dòng {n}: không phải đối tượng JSON / line {n}: not a JSON object")
                continue
            docs.append(doc)
    return docs, problems


def cmd_dedup(args: argparse.Namespace) -> int:

    from ..dedup.engine import run_batch
    from ..dedup.features import make_record
    from ..dedup.model import Model

    t0 = time.perf_counter()
    docs, problems = _read_jsonl(args.input)
    for p in problems[:20]:
        print(p, file=sys.stderr)
    model = None
    if args.model:
        try:
            with open(args.model, encoding="utf-8") as fh:
                model = Model.from_json(json.load(fh))
        except (OSError, ValueError, KeyError) as exc:
            raise CliError(f"--model: không đọc được mô hình / cannot read the model: {exc}")
    records = []
    for i, doc in enumerate(docs):
        rec = make_record(doc)
        if not rec.rid:
            rec.rid = f"#{i + 1}"
        records.append(rec)
    result = run_batch(None, model, records=records, max_block=args.max_block,
                       auto_threshold=args.auto_threshold, review_threshold=args.review_threshold)
    out = open(args.output, "w", encoding="utf-8", newline="") if args.output != "-" else sys.stdout
    try:
        w = exportsafe.csv_writer(out)
        w.writerow(["a", "b", "band", "linked", "probability", "weight", "cluster", "reasons", *FIELD_NAMES])
        for link in sorted((l for l in result.links if l.band != "new"), key=lambda l: -l.weight):
            same = result.cluster_of[link.a] == result.cluster_of[link.b]
            w.writerow([link.a, link.b, link.band, int(same), f"{link.probability:.6f}", f"{link.weight:.3f}",
                        result.cluster_of[link.a] if same else "", ";".join(link.reasons),
                        *(FIELDS[f][link.gamma[i] if i < len(link.gamma) else 0]
                          for i, f in enumerate(FIELD_NAMES))])
    finally:
        if out is not sys.stdout:
            out.close()
    if args.clusters:
        with open(args.clusters, "w", encoding="utf-8", newline="") as fh:
            w = exportsafe.csv_writer(fh)
            w.writerow(["record", "cluster", "flags"])
            for rec in result.records:
                w.writerow([rec.rid, result.cluster_of[rec.rid], ";".join(rec.flags)])
    if args.save_model:
        with open(args.save_model, "w", encoding="utf-8") as fh:
            json.dump(result.model.to_json(), fh, ensure_ascii=False)
    clusters = result.clusters()
    summary = {"records": len(records), "skipped_lines": len(problems), "candidate_pairs": result.pairs,
               "auto_links": sum(1 for l in result.links if l.band == "auto"),
               "review_pairs": len(result.review()),
               "households": len(clusters), "merged_records": sum(len(c) for c in clusters if len(c) > 1),
               "thin_records": sum(1 for r in records if r.thin),
               "seconds": round(time.perf_counter() - t0, 2)}
    print(json.dumps(summary, ensure_ascii=False), file=sys.stderr if args.output == "-" else sys.stdout)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dedup", help="find duplicate households in a JSON-lines file (links CSV out)")
    p.add_argument("--input", "-i", required=True, help="household documents, one JSON object per line (- = stdin)")
    p.add_argument("--output", "-o", required=True, help="links CSV (- = stdout)")
    p.add_argument("--clusters", help="also write record,cluster CSV here")
    p.add_argument("--model", help="use this model JSON instead of estimating one by EM")
    p.add_argument("--save-model", help="write the model used to this JSON file")
    p.add_argument("--auto-threshold", type=float, help="probability to link without a person (default 0.99)")
    p.add_argument("--review-threshold", type=float, help="probability to queue for a person (default 0.20)")
    p.add_argument("--max-block", type=int, default=80, help="blocks larger than this give no pairs")
    p.set_defaults(func=cmd_dedup)
