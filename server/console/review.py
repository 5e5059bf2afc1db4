"""The review loop: the queue of submissions to accept or return, and conflicts shown base /
device / server side by side with a recorded resolution (keep server, take device, merge)."""
from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from starlette.responses import Response

from ..process import review as review_service
from ..services import conflicts
from ..services import diff as diffs
from ..store import collaborators
from . import formtext, queries
from .web import (PREFIX, ConsoleError, OfficerPost, ViewerUser, form_data, get_db, get_lang, get_now, make_router,
                  msg, redirect, render, safe_next)

router = make_router()


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
    items = [(hid, sid) for hid, _, sid in (str(v).partition("|") for v in form.getlist("pick")) if hid and sid]
    back = safe_next(str(form.get("next") or ""), PREFIX + "/review")
    if not items:
        return redirect(back, "review.none_picked", "error")
    db = get_db(request)
    outcomes = review_service.accept_many(db, user, items, get_now(request), str(form.get("note") or ""))
    done = sum(o.accepted for o in outcomes)
    refused = [o for o in outcomes if not o.accepted]
    if not refused:
        return redirect(back, "review.accepted_n", "ok", done=done)
    names = review_service.head_names(db, [o.household_id for o in refused])
    detail = "; ".join(f"{names.get(o.household_id) or '—'}: {msg(request, 'review.refused.' + o.code)}"
                       for o in refused[:10])
    return redirect(back, "review.accepted_some", "error", done=done, refused=len(refused), detail=detail)


@router.get(PREFIX + "/conflicts/{submission_id}")
def conflict_page(request: Request, submission_id: str, user: ViewerUser) -> Response:
    db = get_db(request)
    with db.snapshot() as conn:
        try:
            c = conflicts.load(conn, submission_id)
        except conflicts.Refused:
            raise ConsoleError(404) from None
        collab = collaborators.get_collaborator(conn, c["submission"]["collaborator_id"])
    lang = get_lang(request)
    rows = diffs.three_way(c["base"], c["device"], c["server"])
    version = (c["server"] or c["device"] or {}).get("form_version") or "2025.1"
    return render(request, "conflict.html", c=c, rows=rows, collaborator=collab["full_name"] if collab else "",
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


@router.post(PREFIX + "/conflicts/{submission_id}/resolve")
async def resolve(request: Request, submission_id: str, user: OfficerPost) -> Response:
    form = await form_data(request)
    resolution = str(form.get("resolution") or "")
    if resolution not in conflicts.RESOLUTIONS:
        raise ConsoleError(422)
    try:
        hid = conflicts.resolve(get_db(request), submission_id, resolution,
                                server_submission_id=str(form.get("server_submission_id") or ""),
                                from_device=lambda unit: form.get("take:" + unit) == "device",
                                note=str(form.get("note") or "")[:2000], user_id=user.id, now=get_now(request))
    except conflicts.Refused as r:
        raise ConsoleError(r.status, "conflict.invalid" if r.details else None, r.details) from None
    return redirect(f"{PREFIX}/households/{hid}", "conflict.resolved")
