"""The review loop: the queue of submissions to accept or return, and conflicts shown base /
device / server side by side with a recorded resolution (keep server, take device, merge)."""
from __future__ import annotations

import json
import math
import uuid
from typing import Any

from fastapi import Request
from starlette.responses import Response

from shared import wire

from ..clock import iso
from ..process import review as review_service
from ..db import Database
from ..services.ingest import Actor, apply_batch, prepare
from ..services.preload import all_groups_lookup
from ..store import audit, households, submissions
from . import diff as diffs
from . import formtext, i18n, queries
from .web import (PREFIX, ConsoleError, OfficerPost, ViewerUser, form_data, get_db, get_lang, get_now, make_router,
                  redirect, render, safe_next)

router = make_router()
RESOLUTIONS = ("keep_server", "take_device", "merge")


@router.get(PREFIX + "/review")
def review_queue(request: Request, user: ViewerUser, page: int = 1, group: str = "") -> Response:
    db = get_db(request)
    page = max(1, page)
    gid = int(group) if group.isdigit() else None
    with db.snapshot() as conn:
        rows, total = queries.review_queue(conn, page, 50, gid)
        conflicts = queries.open_conflicts(conn)
        group_list = queries.groups(conn)
    lang = get_lang(request)
    names = {g["code"]: g["name"] for g in group_list}
    for r in rows:
        r["group_name"] = names.get(r["group_code"], r["group_code"])
    return render(request, "review.html", rows=rows, total=total, page=page, pages=max(1, math.ceil(total / 50)),
                  conflicts=conflicts, groups=group_list, group=group, group_names=names,
                  standard_name=lambda sid: queries.standard_name(lang, sid))


@router.post(PREFIX + "/review/accept")
async def accept_selected(request: Request, user: OfficerPost) -> Response:
    """Accept every checked household of the queue at once (each audited on its own); the ones
    that cannot be accepted are named with the reason, the others are accepted anyway."""
    form = await form_data(request)
    items = []
    for value in form.getlist("pick"):
        hid, _, sid = str(value).partition("|")
        if hid and sid:
            items.append((hid, sid))
    back = safe_next(str(form.get("next") or ""), PREFIX + "/review")
    if not items:
        return redirect(back, "review.none_picked", "error")
    db = get_db(request)
    outcomes = review_service.accept_many(db, user, items, get_now(request), str(form.get("note") or ""))
    done = sum(o.accepted for o in outcomes)
    refused = [o for o in outcomes if not o.accepted]
    if refused:
        names = dict(db.all("SELECT household_id, head_name FROM households WHERE household_id IN (%s)"
                            % ",".join("?" * len(refused)), [o.household_id for o in refused]))
        lang = get_lang(request)
        detail = "; ".join(f"{names.get(o.household_id) or '—'}: {i18n.t(lang, 'review.refused.' + o.code)}"
                           for o in refused[:10])
        return redirect(back, "review.accepted_some", "error", done=done, refused=len(refused), detail=detail)
    return redirect(back, "review.accepted_n", "ok", done=done)


def _load_conflict(conn, submission_id: str) -> dict[str, Any]:
    s = submissions.get(conn, submission_id)
    if s is None or s["status"] != "conflict":
        raise ConsoleError(404)
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


@router.get(PREFIX + "/conflicts/{submission_id}")
def conflict_page(request: Request, submission_id: str, user: ViewerUser) -> Response:
    db = get_db(request)
    with db.snapshot() as conn:
        c = _load_conflict(conn, submission_id)
        collab = conn.execute("SELECT full_name FROM collaborators WHERE id = ?",
                              (c["submission"]["collaborator_id"],)).fetchone()
    lang = get_lang(request)
    rows = diffs.three_way(c["base"], c["device"], c["server"])
    version = (c["server"] or c["device"] or {}).get("form_version") or "2025.1"
    return render(request, "conflict.html", c=c, rows=rows, collaborator=collab[0] if collab else "",
                  label=lambda p: formtext.label(p, lang, version),
                  show=lambda p, v: formtext.value(p, v, lang, version),
                  member_text=lambda m: _member_text(m, lang, version))


def _member_text(m: dict[str, Any] | None, lang: str, version: str) -> str:
    if not m:
        return "—"
    keys = ("full_name", "relation", "sex", "birth_date", "birth_year", "citizen_id", "health_insurance",
            "in_school", "qualification", "work_status")
    return "; ".join(f"{formtext.label('members.' + k, lang, version)}: {formtext.value('members.' + k, m[k], lang, version)}"
                     for k in keys if k in m)


def office_revision(db: Database, conn, household_id: str, doc: dict[str, Any], user_id: int, now) -> dict[str, Any]:
    """Store ``doc`` as the household's next revision (source 'office'), through the ingest path."""
    h = households.get(conn, household_id)
    raw = {"submission_id": str(uuid.uuid4()), "household_id": household_id,
           "revision": h["server_revision"] + 1, "base_revision": h["server_revision"],
           "form_version": doc.get("form_version"), "collected_at": doc.get("collected_at"), "answers": doc}
    p = prepare(0, raw, all_groups_lookup(db), now)
    if p.rejected:
        lang_msgs = [f"{x.get('path')}: {x.get('message_vi')}" for x in p.problems]
        raise ConsoleError(422, "conflict.invalid", lang_msgs)
    return apply_batch(conn, [p], Actor(source="office", user_id=user_id), iso(now))[0]


@router.post(PREFIX + "/conflicts/{submission_id}/resolve")
async def resolve(request: Request, submission_id: str, user: OfficerPost) -> Response:
    form = await form_data(request)
    resolution = str(form.get("resolution") or "")
    if resolution not in RESOLUTIONS:
        raise ConsoleError(422)
    note = str(form.get("note") or "")[:2000]
    db, now = get_db(request), get_now(request)
    stamp = iso(now)
    with db.write() as conn:
        c = _load_conflict(conn, submission_id)
        if c["resolution"] is not None or c["household"] is None:
            raise ConsoleError(409)
        if str(form.get("server_submission_id") or "") != c["household"]["submission_id"]:
            raise ConsoleError(409)          # the server version changed while the officer compared
        hid = c["household"]["household_id"]
        taken: list[str] = []
        result_sid = None
        if resolution != "keep_server":
            rows = diffs.three_way(c["base"], c["device"], c["server"])
            units = {r["unit"] for r in rows}
            taken = sorted(units) if resolution == "take_device" else \
                sorted(u for u in units if form.get("take:" + u) == "device")
            merged = diffs.merge(c["server"], c["device"], set(taken))
            merged["household_id"] = hid
            if taken:
                result = office_revision(db, conn, hid, merged, user.id, now)
                if result["status"] != wire.ACCEPTED:
                    raise ConsoleError(409)
                result_sid = result["submission_id"]
        details = {"note": note, "units_from_device": taken}
        conn.execute("INSERT INTO conflict_resolutions (submission_id, household_id, resolution, result_submission_id, "
                     "details, resolved_by, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (submission_id, hid, resolution, result_sid, json.dumps(details, ensure_ascii=False),
                      user.id, stamp))
        still_open = conn.execute(
            "SELECT 1 FROM submissions s LEFT JOIN conflict_resolutions cr ON cr.submission_id = s.submission_id "
            "WHERE s.household_id = ? AND s.status = 'conflict' AND cr.submission_id IS NULL", (hid,)).fetchone()
        if not still_open:
            conn.execute("UPDATE households SET needs_review = 0 WHERE household_id = ?", (hid,))
        audit.record(conn, stamp, "user", user.id, "conflict.resolve", "household", hid,
                     {"submission_id": submission_id, "resolution": resolution, "result_submission_id": result_sid,
                      **details})
    return redirect(f"{PREFIX}/households/{hid}", "conflict.resolved")
