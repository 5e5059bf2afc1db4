"""Diagnosis of a batch run on a labelled set: where the true pairs went (auto, review, new, not
blocked) and why, by the pair's comparison levels and rule reasons. A development tool: whatever set
it is run on counts as looked at (docs/dedup.md, "Labelled data").

    .venv/bin/python bench/dedup_misses.py --set vnreg --households 4000 --seed 13 [--show 20]
"""
from __future__ import annotations

import argparse
import collections
import sys
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.dedup.compare import FIELDS  # noqa: E402
from server.dedup.compare import compare  # noqa: E402
from server.dedup.decide import decide, probability  # noqa: E402
from server.dedup.engine import MAX_BLOCK, run_batch  # noqa: E402
from server.dedup.features import make_record  # noqa: E402


def describe(gamma) -> str:
    names = list(FIELDS)
    return " ".join(f"{names[i]}={FIELDS[names[i]][g]}" for i, g in enumerate(gamma) if g)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="vnreg", choices=("vn", "vnreg", "regs"))
    ap.add_argument("--households", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--show", type=int, default=0)
    args = ap.parse_args()
    if args.set == "regs":
        from server.dedup.evalset_registers import generate
        es = generate(args.households, seed=args.seed)
    else:
        from server.dedup.evalset import REGISTER_MIX, generate
        es = generate(args.households, seed=args.seed, rates=REGISTER_MIX if args.set == "vnreg" else None)
    records = [make_record(d) for d in es.records]
    result = run_batch(None, records=records)
    truth = es.true_pairs()
    clustered = {frozenset(p) for g in result.clusters() for p in combinations(g, 2)}
    links = {frozenset((l.a, l.b)): l for l in result.links}
    hc = es.pairs_of_kind("head_change")
    tp = len(clustered & truth)
    print(f"records {len(records)} true {len(truth)} predicted {len(clustered)} tp {tp} "
          f"P {tp / max(1, len(clustered)):.4f} R {tp / max(1, len(truth)):.4f} "
          f"hc {len(clustered & hc)}/{len(hc)}")
    review = [l for l in result.links if l.band == "review"]
    rr = {x for l in review for x in (l.a, l.b)}
    print(f"review pairs {len(review)} records {len(rr)} ({len(rr) / len(records):.3%}); "
          f"true among review pairs {sum(frozenset((l.a, l.b)) in truth for l in review)}")
    by = {r.rid: r for r in records}
    block_size = collections.Counter(k for r in records for k in r.keys)
    miss = collections.Counter()
    examples = collections.defaultdict(list)
    for pair in truth - clustered:
        l = links.get(pair)
        kind = "hc" if pair in hc else "other"
        if l is None:
            a, b = (by[x] for x in pair)
            shared = set(a.keys) & set(b.keys)
            if not shared:
                key = (kind, "unblocked", "")
            elif all(block_size[k] > MAX_BLOCK for k in shared):
                key = (kind, "blocks-over-cap", ",".join(sorted({k.split(":", 1)[0] for k in shared})))
            else:
                gamma = compare(a, b)
                weight = result.model.weight(gamma, a, b)
                band, reasons = decide(gamma, a, b, weight, result.model)
                p = probability(weight)
                bucket = "p<0.05" if p < 0.05 else "p<0.20" if p < 0.20 else "p<0.80" if p < 0.80 else "p>=0.80"
                key = (kind, "new", f"{bucket} {','.join(reasons)}")
        else:
            key = (kind, l.band, ",".join(l.reasons))
        miss[key] += 1
        examples[key].append(pair)
    print("missed true pairs:")
    for key, n in miss.most_common():
        print(f"  {n:5d} {key}")
    rev = collections.Counter()
    for l in review:
        t = frozenset((l.a, l.b)) in truth
        rev[(t, ",".join(l.reasons))] += 1
    print("review band pairs (true?, reasons):")
    for key, n in rev.most_common():
        print(f"  {n:5d} {key}")
    fp = clustered - truth
    print(f"false links {len(fp)} split {len(clustered & es.split_pairs)}")
    if args.show:
        for key, pairs in sorted(examples.items(), key=lambda kv: -len(kv[1])):
            print("==", key)
            for pair in pairs[:args.show]:
                a, b = (by[x] for x in sorted(pair))
                l = links.get(pair)
                print(f"   {a.head_key!r} {a.head_year} {a.house}/{a.street}/{a.group} ph={sorted(a.phones)} "
                      f"size={a.size} r={a.round} | {b.head_key!r} {b.head_year} {b.house}/{b.street}/{b.group} "
                      f"ph={sorted(b.phones)} size={b.size} r={b.round}")
                if l:
                    print(f"      p={l.probability:.3f} {describe(l.gamma)}")
                elif key[1] == "new":
                    gamma = compare(a, b)
                    print(f"      p={probability(result.model.weight(gamma, a, b)):.3f} {describe(gamma)} "
                          f"keys={sorted(set(a.keys) & set(b.keys))}")
        falses = collections.defaultdict(list)
        for l in review:
            if frozenset((l.a, l.b)) not in truth:
                falses[",".join(l.reasons)].append(l)
        for key, ls in sorted(falses.items(), key=lambda kv: -len(kv[1])):
            print("== false in review:", key)
            for l in ls[:args.show]:
                a, b = by[l.a], by[l.b]
                print(f"   {a.head_key!r} {a.head_year} {a.house}/{a.street}/{a.group} ph={sorted(a.phones)} "
                      f"size={a.size} r={a.round} | {b.head_key!r} {b.head_year} {b.house}/{b.street}/{b.group} "
                      f"ph={sorted(b.phones)} size={b.size} r={b.round} [{es.kind[l.a]} {es.kind[l.b]}]")
                print(f"      p={l.probability:.3f} {describe(l.gamma)}")
        for pair in sorted(clustered & es.split_pairs, key=sorted):
            a, b = (by[x] for x in sorted(pair))
            print("SPLIT MERGED", a.rid, es.kind.get(a.rid), "|", b.rid, es.kind.get(b.rid))
            group = next(g for g in result.clusters() if a.rid in g)
            for x in sorted(group):
                r = by[x]
                print(f"   {x} {r.head_key!r} {r.head_year} {r.house}/{r.street}/{r.group} ph={sorted(r.phones)} "
                      f"size={r.size} r={r.round} [{es.kind.get(x)}]")
            for l in result.links:
                if l.a in group and l.b in group and l.band == "auto":
                    print(f"      link {l.a}-{l.b} p={l.probability:.3f} {','.join(l.reasons)} {describe(l.gamma)}")
        for pair in list(fp)[:args.show]:
            a, b = (by[x] for x in sorted(pair))
            l = links.get(pair)
            print("FP", a.head_key, a.head_year, a.house, "|", b.head_key, b.head_year, b.house,
                  describe(l.gamma) if l else "(through a cluster)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
