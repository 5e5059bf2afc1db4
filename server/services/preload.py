"""Preload households (last review's answers, an import, the demo) as server-side revisions.

They go through the same ingest path as a device push (validation, classification,
history, changes for devices), with source 'preload' and no device. A large import of new
households (the register) stores them in bulk (:func:`bulk_rows` + :func:`write_bulk_rows`:
one ``executemany`` per table per batch), writing the rows the per-record path would.
"""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import json
import sqlite3
import uuid
from typing import Any, Iterable, Iterator

from shared import wire

from ..auth import DeviceGroup
from ..cycle import hooks as cycle_hooks
from ..db import Database
from ..dedup import store as dedup_store
from ..store import areas, households, submissions
from .attachments import photos_of
from .ingest import Actor, Prepared, apply_batch, compact_results, decide, prepare
from ..clock import iso


def all_groups_lookup(db: Database):
    groups = _groups(db)
    return lambda ward, code: groups.get((ward, code))


MISSING = ("required", "confirmation_required")


def compact_missing(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A lenient preload's missing answers as ONE summary warning (code ``missing_answers``, the paths
    in ``paths``) instead of one stored warning each (≈19 per register row); other warnings kept."""
    missing = [p for p in problems if p.get("code") in MISSING]
    if not missing:
        return problems
    n = len(missing)
    return [p for p in problems if p.get("code") not in MISSING] + [{
        "path": "", "code": "missing_answers", "severity": "warning", "count": n,
        "paths": [p.get("path", "") for p in missing],
        "message_vi": f"Hộ nạp sẵn còn thiếu {n} câu trả lời; cộng tác viên bổ sung khi rà soát",
        "message_en": f"Preloaded household: {n} answers missing, to be completed by the survey"}]


def _groups(db: Database) -> dict[tuple[str, str], DeviceGroup]:
    return {(r["ward_code"], r["group_code"]): DeviceGroup(
        group_id=r["group_id"], group_code=r["group_code"], group_name=r["group_name"], ward_code=r["ward_code"],
        province_code=r["province_code"], area_type=r["area_type"]) for r in areas.list_groups(db.conn)}


def _prepare_items(items: list[dict[str, Any]], groups: dict[tuple[str, str], DeviceGroup], now: dt.datetime,
                   round_ctx: Any, lenient: bool) -> list[Any]:
    """The pure step of a batch (runs in this process or in a worker process)."""
    prepared = [prepare(i, raw, lambda w, c: groups.get((w, c)), now, round_ctx=round_ctx, lenient=lenient)
                for i, raw in enumerate(items)]
    if lenient:
        for p in prepared:
            if not p.rejected:
                p.problems = compact_missing(p.problems)
    return prepared


def _pool(workers: int) -> Any:
    """A process pool for the pure step, or None (then: in process). Forked workers (no re-import of
    the caller's main module), so only from a single-threaded process — the command line, a
    benchmark — where forking cannot copy a lock held by another thread; in the web server (thread
    pool) the import stays in process."""
    import concurrent.futures
    import multiprocessing
    import threading

    if threading.active_count() != 1 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    try:
        return concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    except (OSError, ValueError):   # pragma: no cover
        return None


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def bulk_eligible(items: list[dict[str, Any]]) -> bool:
    """A batch the bulk path may store: every household new (revision 1, no base) and no record that
    needs a per-record check (a lifecycle link to verify, photos to hold)."""
    for it in items:
        doc = it["answers"]
        if it["revision"] != 1 or it.get("base_revision") is not None or photos_of(doc):
            return False
        if cycle_hooks.lifecycle(doc)[0] in cycle_hooks.NEEDS_RELATED:
            return False
    return True


@dataclasses.dataclass
class BulkRows:
    """The rows a batch of new households adds to each table (built by :func:`bulk_rows`, a pure step
    that may run in a worker process; written by :func:`write_bulk_rows`)."""
    results: list[dict[str, Any]]         # per record: status (accepted / rejected), household_id, problems
    submissions: list[tuple] = dataclasses.field(default_factory=list)
    rounds: list[tuple] = dataclasses.field(default_factory=list)
    confirmations: list[tuple] = dataclasses.field(default_factory=list)
    households: list[tuple] = dataclasses.field(default_factory=list)
    classifications: list[tuple] = dataclasses.field(default_factory=list)
    dedup_records: list[tuple] = dataclasses.field(default_factory=list)
    dedup_keys: list[tuple] = dataclasses.field(default_factory=list)
    changes: list[tuple] = dataclasses.field(default_factory=list)
    audit: list[tuple] = dataclasses.field(default_factory=list)


def bulk_rows(prepared: list[Prepared], actor: Actor, now: str, round_ctx: Any) -> BulkRows:
    """Pure: the table rows of a batch of NEW households, exactly those ``ingest.apply_batch`` writes for
    them (tested row for row: ``tests/register/test_bulk.py``) — the submission, its ``submission_rounds``
    row and confirmations, the household (revision 1), classifications, the dedup record and keys, the
    two changes for devices (household, classification; in record order, so the change sequence is the
    same) and one audit row per household. Refused records are only reported."""
    from ..dedup.store import _dumps as dedup_dumps

    kind, actor_id = actor.audit_actor
    actor_id = None if actor_id is None else str(actor_id)
    status = "preloaded" if actor.source == "preload" else "submitted"
    rid = round_ctx.round_id if round_ctx is not None else None
    out = BulkRows([])
    for p in prepared:
        if p.rejected:
            out.results.append({"submission_id": p.submission_id, "status": wire.REJECTED, "problems": p.problems})
            continue
        raw = p.raw
        assert raw is not None and p.group is not None and p.household_id is not None
        d = decide(None, raw.get("base_revision"))
        assert d.status == wire.ACCEPTED, "bulk path: new households only"
        hid, answers, gid = p.household_id, raw["answers"], p.group.group_id
        sid = p.submission_id or str(uuid.uuid4())
        row = {"submission_id": sid, "receipt_id": str(uuid.uuid4()), "household_id": hid, "source": actor.source,
               "device_id": actor.device_id, "collaborator_id": actor.collaborator_id, "status": d.status,
               "conflict_reason": None, "revision": raw["revision"], "base_revision": raw.get("base_revision"),
               "server_revision": d.server_revision, "form_version": raw["form_version"],
               "collected_at": raw["collected_at"], "device_time": raw.get("device_time"), "received_at": now,
               "content_hash": p.content_hash, "warnings": _dumps(p.problems), "body": p.body}
        out.submissions.append(tuple(row.get(c) for c in submissions._COLUMNS))
        event, related = cycle_hooks.lifecycle(answers)
        pre = answers.get("preloaded_from") if isinstance(answers.get("preloaded_from"), str) else None
        out.rounds.append((sid, hid, rid, cycle_hooks._round_year(round_ctx, raw["collected_at"]), event, related, pre))
        conf = answers.get("confirmations")
        if isinstance(conf, dict):
            out.confirmations += [(sid, hid, k, v, rid, now) for k, v in conf.items() if v in ("unchanged", "changed")]
        classes = {r["standard_id"]: r["class"] for r in p.results}
        out.households.append((hid, gid, 1, sid, status, p.head_name, json.dumps(classes, separators=(",", ":")),
                               now, now))
        out.classifications += [(sid, hid, r["standard_id"], r["class"], _dumps(r)) for r in p.results]
        rec = p.dedup_record
        out.dedup_records.append((rec.rid, rec.round, rec.ward, dedup_dumps(rec.to_json()), now))
        out.dedup_keys += [(k, rec.rid) for k in rec.keys]
        head = {"household_id": hid, "submission_id": sid, "server_revision": d.server_revision}
        out.changes.append((wire.KIND_HOUSEHOLD, gid, None, hid, _dumps(
            {**head, "ward_code": p.group.ward_code, "group_code": p.group.group_code, "status": status}), now))
        out.changes.append((wire.KIND_CLASSIFICATION, gid, None, hid,
                            _dumps({**head, "results": compact_results(p.results)}), now))
        out.audit.append((now, kind, actor_id, f"submission.{actor.source}", "household", hid,
                          _dumps({"submission_id": sid, "server_revision": d.server_revision})))
        out.results.append({"submission_id": sid, "status": wire.ACCEPTED, "household_id": hid,
                            "problems": p.problems})
    return out


def write_bulk_rows(conn: sqlite3.Connection, rows: BulkRows, indexed: list[str]) -> list[dict[str, Any]]:
    """Write a batch built by :func:`bulk_rows`: one ``executemany`` per table. No savepoints: called inside
    the caller's one transaction, any failure rolls the whole import back. Preconditions (checked by
    :func:`bulk_eligible` and the caller): no household of the batch exists; dedup matching is deferred —
    the new ids are appended to ``indexed`` for ``dedup.review.match_deferred``."""
    if not rows.submissions:
        return rows.results
    conn.executemany(submissions._INSERT, rows.submissions)
    conn.executemany("INSERT OR IGNORE INTO submission_rounds (submission_id, household_id, round_id, round_year, "
                     "lifecycle_event, related_household_id, preloaded_from) VALUES (?, ?, ?, ?, ?, ?, ?)", rows.rounds)
    if rows.confirmations:
        conn.executemany("INSERT OR IGNORE INTO household_confirmations (submission_id, household_id, section, "
                         "value, round_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?)", rows.confirmations)
    conn.executemany("INSERT INTO households (household_id, group_id, server_revision, submission_id, status, "
                     "head_name, classes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows.households)
    if rows.classifications:
        conn.executemany("INSERT INTO classifications (submission_id, household_id, standard_id, class, result) "
                         "VALUES (?, ?, ?, ?, ?)", rows.classifications)
    # (returns: a household that did not exist has none to resolve — returns.household_id references it)
    ids = [r[0] for r in rows.dedup_records]
    known = [(r[0],) for r in conn.execute(
        f"SELECT record_id FROM dedup_records WHERE record_id IN ({','.join('?' * len(ids))})", ids)]
    if known:   # an index entry left for an id without a household: replaced, as dedup's upsert_record does
        conn.executemany(dedup_store.DELETE_KEYS_SQL, known)
    conn.executemany("INSERT INTO dedup_records (record_id, round, ward, features, updated_at) VALUES (?, ?, ?, ?, ?) "
                     "ON CONFLICT (record_id) DO UPDATE SET round = excluded.round, ward = excluded.ward, "
                     "features = excluded.features, updated_at = excluded.updated_at", rows.dedup_records)
    conn.executemany("INSERT OR IGNORE INTO dedup_keys (key, record_id) VALUES (?, ?)", rows.dedup_keys)
    indexed += ids
    conn.executemany("INSERT INTO changes (kind, group_id, collaborator_id, entity_id, payload, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?)", rows.changes)
    conn.executemany("INSERT INTO audit_log (at, actor_type, actor_id, action, target_type, target_id, details) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)", rows.audit)
    return rows.results


def store_new_bulk(conn: sqlite3.Connection, prepared: list[Prepared], actor: Actor, now: str,
                   round_ctx: Any, indexed: list[str]) -> list[dict[str, Any]]:
    """Store a batch of NEW households with one ``executemany`` per table (a register import); the same
    rows as the per-record ingest path (:func:`bulk_rows`, :func:`write_bulk_rows`)."""
    return write_bulk_rows(conn, bulk_rows(prepared, actor, now, round_ctx), indexed)


def _prepare_batch(items: list[dict[str, Any]], groups: dict[tuple[str, str], DeviceGroup], now: dt.datetime,
                   round_ctx: Any, lenient: bool, bulk_actor: Actor | None) -> Any:
    """The pure step of a batch: the prepared records, or — for a bulk batch — its table rows (smaller to
    send back from a worker process than the prepared records, and the JSON is encoded there)."""
    prepared = _prepare_items(items, groups, now, round_ctx, lenient)
    return prepared if bulk_actor is None else bulk_rows(prepared, bulk_actor, iso(now), round_ctx)


def preload_households(db: Database, docs: Iterable[dict[str, Any]], now: dt.datetime,
                       batch_size: int = 200, user_id: int | None = None, *, lenient: bool = False,
                       round_ctx: Any = None, workers: int = 0,
                       bulk_index: list[str] | None = None) -> dict[str, Any]:
    """Store each household document as the household's next revision. Returns counts and rejections.

    ``lenient``: accept incomplete documents (missing answers are warnings; type/range errors still
    reject), e.g. households imported from a register. ``round_ctx``: the review round
    (``server.cycle.rounds.RoundContext``) the revisions belong to. Called inside a caller's
    ``db.write()``, every batch joins that one transaction (all-or-nothing).

    ``workers`` > 0: the pure step (validation, classification, hashing) of the next batches runs in
    that many worker processes while this one stores the current batch (a large register import).
    Only for documents whose household ids are all distinct (each batch's revisions are read before
    the batches ahead of it are stored).

    ``bulk_index`` (a list; only inside the caller's ``db.write()`` and ``dedup.review.deferred_matching()``):
    batches of new households are stored by :func:`write_bulk_rows` (one statement per table per batch,
    the rows of the per-record path) and their ids appended to the list for ``match_deferred``; other
    batches (an existing household, a lifecycle link, photos) take the per-record path."""
    groups = _groups(db)
    counts = {wire.ACCEPTED: 0, wire.DUPLICATE: 0, wire.CONFLICT: 0, wire.REJECTED: 0}
    rejected: list[dict[str, Any]] = []
    actor = Actor(source="preload", user_id=user_id)

    def batches() -> Iterator[list[dict[str, Any]]]:
        batch: list[dict[str, Any]] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def items_of(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        current = households.get_many(db.conn, [d.get("household_id") for d in batch])
        items = []
        for doc in batch:
            hid = doc.get("household_id")
            cur = current.get(hid)
            items.append({"submission_id": str(uuid.uuid4()), "household_id": hid,
                          "revision": 1 if cur is None else cur["server_revision"] + 1,
                          "base_revision": None if cur is None else cur["server_revision"],
                          "form_version": doc.get("form_version"), "collected_at": doc.get("collected_at"),
                          "answers": doc})
        return items

    def store(batch: list[dict[str, Any]], prepared: Any, bulk: bool) -> None:
        with db.write() as conn:
            if bulk:
                results = write_bulk_rows(conn, prepared, bulk_index)
            else:
                results = apply_batch(conn, prepared, actor, iso(now), round_ctx)
        for doc, r in zip(batch, results):
            counts[r["status"]] += 1
            if r["status"] == wire.REJECTED:
                rejected.append({"household_id": doc.get("household_id"), "problems": r["problems"]})

    def is_bulk(items: list[dict[str, Any]]) -> bool:
        return bulk_index is not None and actor.source == "preload" and bulk_eligible(items)

    pool = _pool(workers) if workers > 0 else None
    if pool is None:
        for batch in batches():
            items = items_of(batch)
            bulk = is_bulk(items)
            store(batch, _prepare_batch(items, groups, now, round_ctx, lenient, actor if bulk else None), bulk)
        return {"counts": counts, "rejected": rejected}
    # The workers are kept fed (one batch running, one queued each); while they are busy and the oldest
    # batch is not ready, this process prepares the next batch itself instead of waiting. Batches are
    # stored strictly in order (the change sequence is the documents' order).
    with pool:
        ahead: collections.deque = collections.deque()     # (batch, bulk, future or prepared, local)
        pending = iter(batches())
        more = True

        def take() -> tuple[list[dict[str, Any]], bool, tuple] | None:
            nonlocal more
            batch = next(pending, None) if more else None
            if batch is None:
                more = False
                return None
            items = items_of(batch)
            bulk = is_bulk(items)
            return batch, bulk, (items, groups, now, round_ctx, lenient, actor if bulk else None)

        def in_pool() -> int:
            return sum(1 for *_, fut, local in ahead if not local and not fut.done())

        def feed() -> None:
            while more and in_pool() < 2 * workers:
                got = take()
                if got is not None:
                    ahead.append((got[0], got[1], pool.submit(_prepare_batch, *got[2]), False))

        while True:
            feed()
            if ahead and (ahead[0][3] or ahead[0][2].done()):
                done, bulk, fut, local = ahead.popleft()
                store(done, fut if local else fut.result(), bulk)
                continue
            if more and len(ahead) < 4 * workers + 2:
                got = take()
                if got is not None:
                    ahead.append((got[0], got[1], _prepare_batch(*got[2]), True))
                continue
            if not ahead:
                break
            done, bulk, fut, local = ahead.popleft()
            store(done, fut if local else fut.result(), bulk)
    return {"counts": counts, "rejected": rejected}
