"""Ingest of pushed submissions.

Three steps, per push:

1. ``prepare`` (pure, outside any transaction, where the CPU time goes):
   envelope checks (shared.wire), the area check against the device's groups,
   validation (shared.validation) and classification under every standard in
   force (shared.classify), canonical JSON and content hash.
2. gather, inside ONE write transaction for the whole batch: the current
   revision and group of each household named in the batch.
3. ``decide`` (pure) per record, then apply: INSERT the submission and catch
   IntegrityError (the UNIQUE submission_id is what makes a retry a duplicate:
   there is no check-then-insert), move the household to its next revision,
   store classifications, append changes for devices and the audit log.

Every record runs inside a SAVEPOINT: an unexpected failure in one record
rolls back that record only and answers it ``rejected`` with ``retry: true``.

A push whose stored records are all households new to the server (a day's
work: revision 1, no photo, no lifecycle link to check) skips step 3 per
record: ``store_new_households`` writes the same rows with one statement per
table (``rows.bulk_rows``), in one SAVEPOINT; anything unexpected rolls it
back and the batch takes the per-record path.
"""
from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import time
import unicodedata
import uuid
import weakref
from typing import Any

from shared import wire
from shared.classify import classify_all
from shared.validation import ERROR, validate

from ..auth import DeviceGroup
from ..clock import iso, server_date
from ..cycle import hooks as cycle_hooks
from ..cycle import rounds as cycle_rounds
from ..db import Database
from ..errors import is_disk_full
from ..dedup import review as dedup_review
from ..store import audit, changes, classifications, households, returns, submissions
from . import attachments as attachments_service
from .records import Actor, Decision, GroupLookup, Prepared, Unreadable, compact_results, decide  # noqa: F401 (re-exported)
from .rows import (accepted_audit, bulk_eligible, bulk_rows, change_payloads, classes_of, household_status,
                   submission_row, write_bulk_rows)

log = logging.getLogger("rasoat.ingest")



def _problem(path: str, code: str, vi: str, en: str, severity: str = ERROR) -> dict[str, str]:
    return {"path": path, "code": code, "message_vi": vi, "message_en": en, "severity": severity}


# --- 1. the pure step -------------------------------------------------------------------------

def _poison(raw: Any) -> list[dict[str, str]]:
    """``wire.json_value_problems`` of a pushed record; paths inside the answers are the household
    document's paths, as validation names them (``members[0].full_name``)."""
    if not isinstance(raw, dict):
        return [p.to_dict() for p in wire.json_value_problems(raw)]
    out = [p.to_dict() for p in wire.json_value_problems({k: v for k, v in raw.items() if k != "answers"})]
    if "answers" in raw:
        out += [p.to_dict() for p in wire.json_value_problems(raw["answers"], max_depth=wire.MAX_JSON_DEPTH - 1)]
    return out


def nfc(value: Any) -> Any:
    """``value`` with every string (and key) in Unicode NFC: "Nguyễn" typed with combining marks and
    precomposed is stored the same. Call after ``wire.json_value_problems`` (bounded depth)."""
    if isinstance(value, str):
        return value if value.isascii() else unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {nfc(k): nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc(v) for v in value]
    return value


def _head_name(doc: dict[str, Any]) -> str | None:
    for m in doc.get("members") or ():
        if isinstance(m, dict) and m.get("relation") == "head" and isinstance(m.get("full_name"), str):
            return m["full_name"]
    return None


def _area_problems(doc: dict[str, Any], find_group: GroupLookup) -> tuple[DeviceGroup | None, list[dict[str, str]]]:
    area = doc.get("area")
    if not isinstance(area, dict) or not isinstance(area.get("group_code"), str) \
            or not isinstance(area.get("ward_code"), str):
        return None, []          # validation reports the missing area fields
    group = find_group(area["ward_code"], area["group_code"])
    if group is None:
        return None, [_problem("area.group_code", "forbidden_group",
                               f"Khu phố {area['ward_code']}/{area['group_code']} không được giao cho thiết bị này",
                               f"Group {area['ward_code']}/{area['group_code']} is not assigned to this device")]
    out = []
    if area.get("province_code") != group.province_code:
        out.append(_problem("area.province_code", "area_mismatch",
                            f"Mã tỉnh phải là {group.province_code} cho phường {group.ward_code}",
                            f"province_code must be {group.province_code} for ward {group.ward_code}"))
    if area.get("area_type") != group.area_type:
        out.append(_problem("area.area_type", "area_mismatch",
                            f"Khu vực của phường {group.ward_code} là '{group.area_type}'",
                            f"The area type of ward {group.ward_code} is '{group.area_type}'"))
    return group, out


def prepare(index: int, raw: Any, find_group: GroupLookup, now: dt.datetime, *,
            round_ctx: cycle_rounds.RoundContext | None = None, lenient: bool = False) -> Prepared:
    """Check, validate and classify one pushed record. Pure: no database, ``now`` passed in.

    ``round_ctx``: the review round it belongs to (its standards; a closed round refuses it).
    ``lenient``: missing answers (``required``, ``confirmation_required``) are warnings, not errors
    (a preload of an incomplete document, e.g. an imported register row)."""
    if isinstance(raw, Unreadable):
        return Prepared(index, raw.submission_id, True, [raw.problem.to_dict()])
    sid = raw.get("submission_id") if isinstance(raw, dict) and wire.is_uuid(raw.get("submission_id")) else None
    poison = _poison(raw)
    if poison:      # not hashable, not storable: refused on its own, naming the field (issue 18)
        return Prepared(index, sid, True, poison)
    # The content hash is of the record as sent (the tablet checks it on the receipt); what is
    # validated, classified and stored is the record with every string in NFC.
    sent_body = wire.canonical_submission(raw) if isinstance(raw, dict) else ""
    sent_hash = wire.sha256_hex(sent_body) if sent_body else ""
    normalized = nfc(raw)
    same, raw = normalized == raw, normalized
    if round_ctx is not None and round_ctx.closed and isinstance(raw, dict):
        # A retry of a body stored before the round closed is still answered 'duplicate' (by hash).
        return Prepared(index, sid, True, [cycle_hooks.closed_problem(round_ctx)], raw=raw, content_hash=sent_hash)
    problems = [p.to_dict() for p in wire.check_submission(raw, now)]
    if not isinstance(raw, dict) or not isinstance(raw.get("answers"), dict):
        return Prepared(index, sid, True, problems)
    doc = wire.submission_document(raw)
    group, area_problems = _area_problems(doc, find_group)
    problems += area_problems
    # A device clock running ahead (see wire.clock_skew) moves "today" for the future-date check only.
    skew = wire.clock_skew(raw, now) if isinstance(raw, dict) else dt.timedelta(0)
    problems += [p.to_dict() for p in validate(doc, today=server_date(now + skew))]
    misfit = round_ctx.form_problem(doc) if round_ctx is not None else None
    if misfit is not None:
        problems.append(misfit)
    if lenient:
        for p in problems:
            if p["code"] in ("required", "confirmation_required"):
                p["severity"] = "warning"
    errors = [p for p in problems if p["severity"] == ERROR]
    body = sent_body if same else wire.canonical_submission(raw)
    if errors:
        # The hash lets a retry of a body stored earlier still be answered 'duplicate'.
        return Prepared(index, sid, True, errors, raw=raw, content_hash=sent_hash)
    try:
        results = classify_all(doc, standards=round_ctx.standards_for(doc) if round_ctx is not None else None)
    except Exception:  # a bug in a rule must not lose the record: keep it, say so
        log.exception("classification failed for submission %s", sid)
        results = []
        problems.append(_problem("", "classification_failed", "Không phân loại được hộ; cán bộ phường sẽ kiểm tra",
                                 "The household could not be classified; the office will check", "warning"))
    return Prepared(index, sid, False, problems, raw=raw, household_id=raw["household_id"], body=body,
                    content_hash=sent_hash, group=group, head_name=_head_name(doc), results=results,
                    dedup_record=dedup_review.prepare_record(raw["answers"], raw["household_id"]))


# --- 2 + 3. gather, decide, apply ---------------------------------------------------------------

def _rejected(p: Prepared) -> dict[str, Any]:
    return {"submission_id": p.submission_id, "status": wire.REJECTED, "problems": p.problems}


def _duplicate_of(conn: sqlite3.Connection, p: Prepared) -> dict[str, Any] | None:
    """The original answer if this exact body was stored before (read only; used for refused records)."""
    if not p.submission_id or not p.content_hash:
        return None
    row = submissions.get(conn, p.submission_id)
    if row is not None and row["content_hash"] == p.content_hash:
        return _duplicate(conn, row)
    return None


def _duplicate(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    out = {"submission_id": row["submission_id"], "status": wire.DUPLICATE, "receipt": submissions.receipt(row),
           "problems": []}
    if row["status"] == wire.ACCEPTED:
        out["classifications"] = classifications.for_submission(conn, row["submission_id"])
    else:
        out["conflict"] = {"reason": row["conflict_reason"]}
    return out


def _apply_one(conn: sqlite3.Connection, p: Prepared, actor: Actor, state: dict[str, tuple[int, int]],
               now: str, round_ctx: cycle_rounds.RoundContext | None = None) -> dict[str, Any]:
    raw = p.raw
    assert raw is not None and p.group is not None and p.household_id is not None
    hid = p.household_id
    current = state.get(hid)
    if actor.allowed_group_ids is not None and current is not None and current[1] not in actor.allowed_group_ids:
        return _duplicate_of(conn, p) or _rejected(Prepared(
            p.index, p.submission_id, True,
            [_problem("household_id", "forbidden_group", "Hộ này thuộc khu phố không được giao cho thiết bị này",
                      "This household belongs to a group not assigned to this device")]))
    related = cycle_hooks.related_problem(conn, raw["answers"], p.group.ward_code)
    if related is not None:
        return _duplicate_of(conn, p) or _rejected(Prepared(p.index, p.submission_id, True, [related]))
    d = decide(current[0] if current else None, raw.get("base_revision"))
    sid = p.submission_id or str(uuid.uuid4())
    row = submission_row(p, actor, d, sid, now)
    try:
        submissions.insert(conn, row)
    except sqlite3.IntegrityError:
        stored = submissions.get(conn, sid)
        if stored is None:
            raise
        if stored["content_hash"] == p.content_hash:
            return _duplicate(conn, stored)
        return _different_content(conn, p, actor, stored, now)
    cycle_hooks.record(conn, sid, hid, raw["answers"], raw["collected_at"], round_ctx, now)
    kind, actor_id = actor.audit_actor
    if d.status == wire.CONFLICT:
        if current is not None:
            households.flag_for_review(conn, hid, now)
        audit.record(conn, now, kind, actor_id, "submission.conflict", "household", hid,
                     {"submission_id": sid, "reason": d.conflict_reason})
        return {"submission_id": sid, "status": wire.CONFLICT, "receipt": submissions.receipt(row),
                "conflict": {"reason": d.conflict_reason}, "problems": p.problems}
    classes = classes_of(p)
    status = household_status(actor)
    if current is None:
        households.insert(conn, hid, p.group.group_id, 1, sid, status, p.head_name, classes, now)
    elif not households.advance(conn, hid, current[0], p.group.group_id, sid, status, p.head_name, classes, now):
        raise RuntimeError(f"household {hid} moved during the transaction")
    state[hid] = (d.server_revision, p.group.group_id)  # type: ignore[assignment]
    if p.results:
        classifications.insert_many(conn, sid, hid, p.results)
    if current is not None:         # a household new to the server has no return to resolve
        returns.resolve_open(conn, hid, sid)
    # Match the new revision against the registry (same transaction: a crash leaves neither).
    dedup = dedup_review.on_ingest(conn, hid, raw["answers"], now, actor=f"{kind}:{actor_id}",
                                   record=p.dedup_record)
    if dedup.get("queued"):
        households.flag_for_review(conn, hid, now)
    household_change, classification_change = change_payloads(p, sid, d, status)
    changes.append(conn, wire.KIND_HOUSEHOLD, hid, household_change, now, group_id=p.group.group_id)
    changes.append(conn, wire.KIND_CLASSIFICATION, hid, classification_change, now, group_id=p.group.group_id)
    action, details = accepted_audit(actor, sid, d)
    audit.record(conn, now, kind, actor_id, action, "household", hid, details)
    return {"submission_id": sid, "status": wire.ACCEPTED, "receipt": submissions.receipt(row),
            "problems": p.problems, "classifications": [{"standard_id": r["standard_id"], "class": r["class"]}
                                                        for r in p.results]}


def _different_content(conn: sqlite3.Connection, p: Prepared, actor: Actor, stored: sqlite3.Row,
                       now: str) -> dict[str, Any]:
    """Same submission_id, another body: keep the body (once), flag it, answer conflict."""
    copy = {"submission_id": stored["submission_id"], "content_hash": p.content_hash,
            "receipt_id": str(uuid.uuid4()), "household_id": p.household_id, "device_id": actor.device_id,
            "received_at": now, "body": p.body}
    try:
        submissions.insert_conflict_copy(conn, copy)
    except sqlite3.IntegrityError:
        known = submissions.get_conflict_copy(conn, stored["submission_id"], p.content_hash)
        if known is None:
            raise
        return {"submission_id": known["submission_id"], "status": wire.DUPLICATE,
                "receipt": submissions.conflict_copy_receipt(known), "problems": [],
                "conflict": {"reason": wire.DIFFERENT_CONTENT}}
    kind, actor_id = actor.audit_actor
    audit.record(conn, now, kind, actor_id, "submission.conflict", "household", p.household_id,
                 {"submission_id": stored["submission_id"], "reason": wire.DIFFERENT_CONTENT})
    if p.household_id:
        households.flag_for_review(conn, p.household_id, now)
    return {"submission_id": stored["submission_id"], "status": wire.CONFLICT,
            "receipt": submissions.conflict_copy_receipt(copy),
            "conflict": {"reason": wire.DIFFERENT_CONTENT}, "problems": p.problems}


def apply_batch(conn: sqlite3.Connection, prepared: list[Prepared], actor: Actor, now: str,
                round_ctx: cycle_rounds.RoundContext | None = None) -> list[dict[str, Any]]:
    """Decide and store every record of a batch; call inside one write transaction."""
    ids = [p.household_id for p in prepared if not p.rejected and p.household_id]
    state = {hid: (r["server_revision"], r["group_id"]) for hid, r in households.get_many(conn, ids).items()}
    out = []
    for p in prepared:
        if p.rejected:
            out.append(_duplicate_of(conn, p) or _rejected(p))
            continue
        conn.execute("SAVEPOINT record")
        try:
            result = _apply_one(conn, p, actor, state, now, round_ctx)
            # Photos it names: held as incomplete until every file is on the server (issue 9).
            result = attachments_service.on_result(conn, result, p.household_id, (p.raw or {}).get("answers"), now)
        except Exception as exc:
            if is_disk_full(exc):   # the whole push fails (507 disk_full envelope), never a half-stored batch
                raise
            conn.execute("ROLLBACK TO record")
            log.exception("storing submission %s failed", p.submission_id)
            result = {"submission_id": p.submission_id, "status": wire.REJECTED, "retry": True,
                      "problems": [_problem("", "server_error", "Lỗi máy chủ khi lưu phiếu; thiết bị sẽ tự gửi lại sau",
                                            "Server error while storing; the device will retry later")]}
            # state may hold this record's household; re-read it from the database
            hid = p.household_id
            if hid:
                r = households.get(conn, hid)
                state.pop(hid, None)
                if r is not None:
                    state[hid] = (r["server_revision"], r["group_id"])
        conn.execute("RELEASE record")
        out.append(result)
    return out


def store_new_households(conn: sqlite3.Connection, prepared: list[Prepared], actor: Actor, now: str,
                         round_ctx: cycle_rounds.RoundContext | None = None) -> list[dict[str, Any]] | None:
    """``apply_batch`` for a batch whose stored records are all new households, written with one statement
    per table; the same rows and the same answers (tested: ``tests/server/test_push_bulk.py``). None when
    the batch does not qualify or the bulk write failed (rolled back): the caller takes the per-record
    path. Call inside one write transaction and ``dedup.review.matching_after_commit()``."""
    ok = [p for p in prepared if not p.rejected]
    if not ok or actor.source != "device":
        return None
    hids = {p.household_id for p in ok}
    sids = {p.submission_id for p in ok}
    if (len(hids) != len(ok) or None in sids or len(sids) != len(ok)
            or any(p.submission_id in sids for p in prepared if p.rejected)   # answered by what is stored
            or not bulk_eligible([p.raw for p in ok])):                        # type: ignore[misc]
        return None
    if households.get_many(conn, list(hids)):
        return None
    rows = bulk_rows(ok, actor, now, round_ctx)
    conn.execute("SAVEPOINT new_households")
    try:
        write_bulk_rows(conn, rows, [])
        dedup_review.mark_pending(conn, [p.dedup_record for p in ok], now)
    except Exception as exc:
        if is_disk_full(exc):
            raise
        conn.execute("ROLLBACK TO new_households")
        conn.execute("RELEASE new_households")
        if isinstance(exc, sqlite3.IntegrityError):
            # e.g. a submission id stored earlier for another household: the per-record path answers it
            log.info("bulk store of %d new households refused (%s); storing record by record", len(ok), exc)
        else:
            log.warning("bulk store of %d new households failed; storing record by record", len(ok), exc_info=True)
        return None
    conn.execute("RELEASE new_households")
    stored = iter(zip(ok, rows.submissions))
    out = []
    for p in prepared:
        if p.rejected:
            out.append(_duplicate_of(conn, p) or _rejected(p))
            continue
        q, values = next(stored)
        row = dict(zip(submissions.COLUMNS, values))
        out.append({"submission_id": row["submission_id"], "status": wire.ACCEPTED,
                    "receipt": submissions.receipt(row), "problems": q.problems,
                    "classifications": [{"standard_id": r["standard_id"], "class": r["class"]} for r in q.results]})
    return out


def push(db: Database, actor: Actor, find_group: GroupLookup, items: list[Any], now: dt.datetime, *,
         bulk: bool = True) -> list[dict[str, Any]]:
    """The whole use case: prepare every record, then one write transaction for the batch. ``bulk``: a
    batch of new households only is written in bulk (:func:`store_new_households`; the same rows); off,
    every record goes the per-record way (the tests comparing the two: tests/server/test_push_bulk.py)."""
    # Device pushes belong to the open review round (none defined: the old behaviour).
    round_ctx = cycle_rounds.context_for_push(db.conn) if actor.source == "device" else None
    prepared = []
    for i, raw in enumerate(items):
        db.yield_to_writer()
        prepared.append(prepare(i, raw, find_group, now, round_ctx=round_ctx))
    stamp = iso(now)
    # The dedup match of the stored households runs after the commit, outside the write lock.
    with dedup_review.matching_after_commit() as indexed, db.write() as conn:
        if actor.source == "device" and round_ctx is not None and not round_ctx.closed:
            latest = cycle_rounds.context_for_push(conn)      # the round closed while we validated
            if latest is not None and latest.closed:
                round_ctx = latest
                prepared = [prepare(i, raw, find_group, now, round_ctx=latest) for i, raw in enumerate(items)]
        results = store_new_households(conn, prepared, actor, stamp, round_ctx) if bulk else None
        if results is None:
            results = apply_batch(conn, prepared, actor, stamp, round_ctx)
        if actor.device_id:
            conn.execute("UPDATE devices SET last_seen_at = ? WHERE id = ?", (stamp, actor.device_id))
    kind, actor_id = actor.audit_actor
    # The records as stored (a later conflicting or rejected item of the same household is not).
    stored = dict(indexed)
    match_indexed(db, [(hid, stamp) for hid in stored], stamp, f"{kind}:{actor_id}", stored)
    retry_due = _RETRY_AT.get(db)
    if retry_due is not None and time.monotonic() >= retry_due:
        _RETRY_AT.pop(db, None)
        match_leftovers(db, now)
    return results


# A match that failed after its push is retried by a later push of the same process, this long after.
RETRY_SECONDS = 60.0
_RETRY_AT: "weakref.WeakKeyDictionary[Database, float]" = weakref.WeakKeyDictionary()


def _match_marks(db: Database, marks: list[tuple[str, str]], now: str, actor: str,
                 records: dict[str, Any] | None = None) -> None:
    with db.snapshot() as conn:
        to_match = dedup_review.pending_matches(conn, (hid for hid, _ in marks), records, db.yield_to_writer)
    with db.write() as conn:
        for hid in dedup_review.apply_matches(conn, to_match, marks, now, actor):
            households.flag_for_review(conn, hid, now)


def match_indexed(db: Database, marks: list[tuple[str, str]], now: str, actor: str,
                  records: dict[str, Any] | None = None) -> bool:
    """Match households a committed push indexed (``dedup_pending`` rows ``marks``): score on a read
    snapshot, without the write lock; then one short write for the pairs found (rare) and the marks.

    The push is already stored and answered: a failure here is logged and the marks stay, to be matched
    by ``match_leftovers`` — from a later push of this process after ``RETRY_SECONDS``, or at the next
    start — so a household is never left unmatched for good. Returns whether the match ran."""
    if not marks:
        return True
    try:
        _match_marks(db, marks, now, actor, records)
        return True
    except Exception:
        log.exception("dedup match of %d household(s) failed after their push was stored; "
                      "they stay pending and are matched again later", len(marks))
        _RETRY_AT.setdefault(db, time.monotonic() + RETRY_SECONDS)
        return False


def match_leftovers(db: Database, now: dt.datetime, batch: int = 2000) -> int:
    """Match every household left pending (a crash between a push's commit and its match, or a match
    that failed). A batch that fails is retried one household at a time, so one household that keeps
    failing (logged) does not hold back the others. Returns the households matched."""
    matched, failed = 0, set()
    stamp = iso(now)
    while True:
        with db.snapshot() as conn:
            marks = [m for m in dedup_review.pending_ids(conn, batch + len(failed)) if m[0] not in failed][:batch]
        if not marks:
            return matched
        try:
            _match_marks(db, marks, stamp, "system:retry")
            matched += len(marks)
        except Exception:
            log.warning("matching %d pending households together failed; trying one at a time", len(marks))
            for mark in marks:
                if match_indexed(db, [mark], stamp, "system:retry"):
                    matched += 1
                else:
                    failed.add(mark[0])
