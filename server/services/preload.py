"""Preload households (last review's answers, an import, the demo) as server-side revisions.

They go through the same ingest path as a device push (validation, classification,
history, changes for devices), with source 'preload' and no device.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Iterable

from shared import wire

from ..auth import DeviceGroup
from ..db import Database
from ..store import areas, households
from .ingest import Actor, apply_batch, prepare
from ..clock import iso


def all_groups_lookup(db: Database):
    groups = {(r["ward_code"], r["group_code"]): DeviceGroup(
        group_id=r["group_id"], group_code=r["group_code"], group_name=r["group_name"], ward_code=r["ward_code"],
        province_code=r["province_code"], area_type=r["area_type"]) for r in areas.list_groups(db.conn)}
    return lambda ward, code: groups.get((ward, code))


def preload_households(db: Database, docs: Iterable[dict[str, Any]], now: dt.datetime,
                       batch_size: int = 200, user_id: int | None = None, *, lenient: bool = False,
                       round_ctx: Any = None) -> dict[str, Any]:
    """Store each household document as the household's next revision. Returns counts and rejections.

    ``lenient``: accept incomplete documents (missing answers are warnings; type/range errors still
    reject), e.g. households imported from a register. ``round_ctx``: the review round
    (``server.cycle.rounds.RoundContext``) the revisions belong to. Called inside a caller's
    ``db.write()``, every batch joins that one transaction (all-or-nothing)."""
    find_group = all_groups_lookup(db)
    counts = {wire.ACCEPTED: 0, wire.DUPLICATE: 0, wire.CONFLICT: 0, wire.REJECTED: 0}
    rejected: list[dict[str, Any]] = []
    actor = Actor(source="preload", user_id=user_id)
    batch: list[dict[str, Any]] = []

    def flush() -> None:
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
        prepared = [prepare(i, raw, find_group, now, round_ctx=round_ctx, lenient=lenient)
                    for i, raw in enumerate(items)]
        with db.write() as conn:
            results = apply_batch(conn, prepared, actor, iso(now), round_ctx)
        for doc, r in zip(batch, results):
            counts[r["status"]] += 1
            if r["status"] == wire.REJECTED:
                rejected.append({"household_id": doc.get("household_id"), "problems": r["problems"]})
        batch.clear()

    for doc in docs:
        batch.append(doc)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return {"counts": counts, "rejected": rejected}
