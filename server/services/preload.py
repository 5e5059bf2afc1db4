"""Preload households (last review's answers, an import, the demo) as server-side revisions.

They go through the same ingest path as a device push (validation, classification,
history, changes for devices), with source 'preload' and no device. A large import of new
households (the register) stores them in bulk (:func:`bulk_rows` + :func:`write_bulk_rows`:
one ``executemany`` per table per batch), writing the rows the per-record path would.
"""
from __future__ import annotations

import collections
import datetime as dt
import uuid
from typing import Any, Iterable, Iterator

from shared import wire

from ..auth import DeviceGroup
from ..db import Database
from ..store import areas, households
from .ingest import Actor, apply_batch, prepare
from .rows import bulk_eligible, bulk_rows, write_bulk_rows
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
