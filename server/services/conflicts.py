"""Conflicts between a device's submission and the server's version: the three versions side by side
(base, device, server) and their resolution by an officer — keep the server's, take the device's, or
merge section by section — stored as the household's next revision through the ingest path, recorded
and audited in one write transaction. The console's page only asks and shows (console/review.py)."""
from __future__ import annotations

import json
import uuid
from typing import Any, Callable

from shared import wire

from ..clock import iso
from ..db import Database
from ..errors import ApiError
from ..store import audit, households, submissions
from . import diff as diffs
from .ingest import Actor, apply_batch, prepare
from .preload import all_groups_lookup

RESOLUTIONS = ("keep_server", "take_device", "merge")


_REFUSALS = {
    404: ("conflict_not_found", "No such conflict", "Không có xung đột này"),
    409: ("conflict_changed", "The conflict was resolved or the household changed meanwhile: reload the page",
          "Xung đột đã được xử lý hoặc hộ vừa thay đổi: tải lại trang"),
    422: ("conflict_invalid", "The merged version is invalid", "Bản gộp không hợp lệ"),
}


class Refused(ApiError):
    """The resolution cannot be stored: 404 (no such conflict), 409 (resolved already, or the server's
    version changed while the officer compared), 422 with the problems of an invalid merged version.
    An ApiError: wherever it escapes, it is a 4xx page or envelope, never a 500."""

    def __init__(self, status: int, details: list[str] | None = None):
        code, message, message_vi = _REFUSALS[status]
        super().__init__(status, code, message, message_vi, details or [])


def load(conn, submission_id: str) -> dict[str, Any]:
    """The conflict's submission, household and the three versions (base may be None), and its
    resolution if one was recorded."""
    s = submissions.get(conn, submission_id)
    if s is None or s["status"] != "conflict":
        raise Refused(404)
    h = households.get(conn, s["household_id"])
    base_doc = None
    if s["base_revision"] is not None:
        b = conn.execute("SELECT submission_id FROM submissions WHERE household_id = ? AND server_revision = ?",
                         (s["household_id"], s["base_revision"])).fetchone()
        if b is not None:
            base_doc = wire.submission_document(submissions.body(conn, b[0]))
    resolution = conn.execute("SELECT cr.*, u.full_name AS resolved_by_name FROM conflict_resolutions cr JOIN users u "
                              "ON u.id = cr.resolved_by WHERE cr.submission_id = ?", (submission_id,)).fetchone()
    return {"submission": dict(s), "household": dict(h) if h else None,
            "device": wire.submission_document(json.loads(s["body"])),
            "server": wire.submission_document(submissions.body(conn, h["submission_id"])) if h else None,
            "base": base_doc, "resolution": dict(resolution) if resolution else None}


def office_revision(db: Database, conn, household_id: str, doc: dict[str, Any], user_id: int, now) -> dict[str, Any]:
    """Store ``doc`` as the household's next revision (source 'office'), through the ingest path."""
    h = households.get(conn, household_id)
    raw = {"submission_id": str(uuid.uuid4()), "household_id": household_id,
           "revision": h["server_revision"] + 1, "base_revision": h["server_revision"],
           "form_version": doc.get("form_version"), "collected_at": doc.get("collected_at"), "answers": doc}
    p = prepare(0, raw, all_groups_lookup(db), now)
    if p.rejected:
        raise Refused(422, [f"{x.get('path')}: {x.get('message_vi')}" for x in p.problems])
    return apply_batch(conn, [p], Actor(source="office", user_id=user_id), iso(now))[0]


def resolve(db: Database, submission_id: str, resolution: str, *, server_submission_id: str,
            from_device: Callable[[str], bool], note: str, user_id: int, now) -> str:
    """Resolve one conflict; returns the household id. ``from_device(unit)``: whether a merge takes that
    unit (section or member) from the device's version. ``server_submission_id``: the server version the
    officer compared against (a changed one refuses with 409)."""
    stamp = iso(now)
    with db.write() as conn:
        c = load(conn, submission_id)
        if c["resolution"] is not None or c["household"] is None:
            raise Refused(409)
        if server_submission_id != c["household"]["submission_id"]:
            raise Refused(409)
        hid = c["household"]["household_id"]
        taken: list[str] = []
        result_sid = None
        if resolution != "keep_server":
            units = {r["unit"] for r in diffs.three_way(c["base"], c["device"], c["server"])}
            taken = sorted(units) if resolution == "take_device" else sorted(u for u in units if from_device(u))
            merged = diffs.merge(c["server"], c["device"], set(taken))
            merged["household_id"] = hid
            if taken:
                result = office_revision(db, conn, hid, merged, user_id, now)
                if result["status"] != wire.ACCEPTED:
                    raise Refused(409)
                result_sid = result["submission_id"]
        details = {"note": note, "units_from_device": taken}
        conn.execute("INSERT INTO conflict_resolutions (submission_id, household_id, resolution, result_submission_id, "
                     "details, resolved_by, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (submission_id, hid, resolution, result_sid, json.dumps(details, ensure_ascii=False),
                      user_id, stamp))
        still_open = conn.execute(
            "SELECT 1 FROM submissions s LEFT JOIN conflict_resolutions cr ON cr.submission_id = s.submission_id "
            "WHERE s.household_id = ? AND s.status = 'conflict' AND cr.submission_id IS NULL", (hid,)).fetchone()
        if not still_open:
            conn.execute("UPDATE households SET needs_review = 0 WHERE household_id = ?", (hid,))
        audit.record(conn, stamp, "user", user_id, "conflict.resolve", "household", hid,
                     {"submission_id": submission_id, "resolution": resolution, "result_submission_id": result_sid,
                      **details})
    return hid
