"""The rows a batch of NEW households adds to each table, built by one pure step (:func:`bulk_rows`,
which may run in a worker process) and written with one ``executemany`` per table
(:func:`write_bulk_rows`): a register import (``preload``) and a device push of new households
(``ingest.store_new_households``) both store through here; they are the same rows the per-record
path writes (tested row for row: ``tests/register/test_bulk.py``, ``tests/server/test_push_bulk.py``)."""
from __future__ import annotations

import dataclasses
import json
import sqlite3
import uuid
from typing import Any

from shared import wire

from .. import jsontext
from ..cycle import hooks as cycle_hooks
from ..dedup import store as dedup_store
from ..store import submissions
from .attachments import photos_of
from .records import Actor, Decision, Prepared, compact_results, decide


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --- the content of each row, built once for both paths ----------------------------------------------

def submission_row(p: Prepared, actor: Actor, d: Decision, sid: str, now: str) -> dict[str, Any]:
    """The ``submissions`` row of a prepared record (per-record path: ``submissions.insert``; bulk: a tuple
    in ``submissions.COLUMNS`` order)."""
    raw = p.raw
    assert raw is not None
    return {"submission_id": sid, "receipt_id": str(uuid.uuid4()), "household_id": p.household_id,
            "source": actor.source, "device_id": actor.device_id, "collaborator_id": actor.collaborator_id,
            "status": d.status, "conflict_reason": d.conflict_reason, "revision": raw["revision"],
            "base_revision": raw.get("base_revision"), "server_revision": d.server_revision,
            "form_version": raw["form_version"], "collected_at": raw["collected_at"],
            "device_time": raw.get("device_time"), "received_at": now, "content_hash": p.content_hash,
            "warnings": _dumps(p.problems), "body": p.body}


def household_status(actor: Actor) -> str:
    """The status an accepted submission gives its household."""
    return "preloaded" if actor.source == "preload" else "submitted"


def classes_of(p: Prepared) -> dict[str, str]:
    """The household row's ``classes``: each standard's class."""
    return {r["standard_id"]: r["class"] for r in p.results}


def change_payloads(p: Prepared, sid: str, d: Decision, status: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two changes devices pull for an accepted submission: the household, its classification."""
    assert p.group is not None
    head = {"household_id": p.household_id, "submission_id": sid, "server_revision": d.server_revision}
    return ({**head, "ward_code": p.group.ward_code, "group_code": p.group.group_code, "status": status},
            {**head, "results": compact_results(p.results)})


def accepted_audit(actor: Actor, sid: str, d: Decision) -> tuple[str, dict[str, Any]]:
    """The audit action and details of an accepted submission."""
    return f"submission.{actor.source}", {"submission_id": sid, "server_revision": d.server_revision}


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

    kind, actor_id = actor.audit_actor
    actor_id = None if actor_id is None else str(actor_id)
    status = household_status(actor)
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
        row = submission_row(p, actor, d, sid, now)
        out.submissions.append(tuple(row.get(c) for c in submissions.COLUMNS))
        event, related = cycle_hooks.lifecycle(answers)
        pre = answers.get("preloaded_from") if isinstance(answers.get("preloaded_from"), str) else None
        out.rounds.append((sid, hid, rid, cycle_hooks.round_year(round_ctx, raw["collected_at"]), event, related, pre))
        conf = answers.get("confirmations")
        if isinstance(conf, dict):
            out.confirmations += [(sid, hid, k, v, rid, now) for k, v in conf.items() if v in ("unchanged", "changed")]
        out.households.append((hid, gid, 1, sid, status, p.head_name,
                               json.dumps(classes_of(p), separators=(",", ":")), now, now))
        out.classifications += [(sid, hid, r["standard_id"], r["class"], _dumps(r)) for r in p.results]
        rec = p.dedup_record
        out.dedup_records.append((rec.rid, rec.round, rec.ward, jsontext.dumps(rec.to_json()), now))
        out.dedup_keys += [(k, rec.rid) for k in rec.keys]
        household_change, classification_change = change_payloads(p, sid, d, status)
        out.changes.append((wire.KIND_HOUSEHOLD, gid, None, hid, _dumps(household_change), now))
        out.changes.append((wire.KIND_CLASSIFICATION, gid, None, hid, _dumps(classification_change), now))
        action, details = accepted_audit(actor, sid, d)
        out.audit.append((now, kind, actor_id, action, "household", hid, _dumps(details)))
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
    conn.executemany(submissions.INSERT_SQL, rows.submissions)
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
