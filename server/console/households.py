"""Households: the filtered, searchable list and the household page (revisions, diffs, results,
GPS and photos), with the officer's accept / return actions."""
from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from starlette.responses import Response

from shared import wire
from shared.identity import fold

from .. import vnformat
from ..process import review
from ..services import people
from ..services import returns as returns_service
from ..store import submissions
from ..services import diff as diffs
from . import evidence as evidence_page
from . import formtext, i18n, queries, search
from .web import (PREFIX, ConsoleError, OfficerPost, ViewerUser, form_data, get_db, get_lang, get_now, make_router,
                  redirect, render)

router = make_router()
PER_PAGE = 50
i18n.add_messages({lang: {f"review.refused.{code}": pair[i] for code, pair in review.REFUSALS.items()}
                   for i, lang in enumerate(i18n.LANGS)})


def dedup_ready(conn) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'dedup_links'").fetchone() is not None


def _int(v: Any, default: int | None = None) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


@router.get(PREFIX + "/households")
def household_list(request: Request, user: ViewerUser, q: str = "", group: str = "", status: str = "",
                   standard: str = "", cls: str = "", page: int = 1) -> Response:
    db = get_db(request)
    search.refresh(db, limit=20000)       # new revisions since the last look get their folded key
    folded = fold(q)[:200]
    page = max(1, page)
    status = status if status in queries.STATUS_FILTERS else ""
    cls = cls if cls in queries.CLASS_ORDER else ""
    with db.snapshot() as conn:
        rows, total = queries.household_page(conn, q=folded, group_id=_int(group), status=status,
                                             standard_id=standard if standard in queries.standards() else "",
                                             cls=cls, page=page, per_page=PER_PAGE)
        group_list = queries.groups(conn)
    lang = get_lang(request)
    pages = max(1, math.ceil(total / PER_PAGE))
    params = {"q": q, "group": group, "status": status, "standard": standard, "cls": cls}
    return render(request, "households.html", rows=rows, total=total, page=page, pages=pages, params=params,
                  groups=group_list, statuses=queries.STATUS_FILTERS, classes=queries.CLASS_ORDER,
                  standards=[(sid, queries.standard_name(lang, sid)) for sid in queries.standards()],
                  standard_name=lambda sid: queries.standard_name(lang, sid),
                  group_names={g["code"]: g["name"] for g in group_list})


def _default_pair(history: list[dict[str, Any]], current: str) -> tuple[str | None, str | None]:
    accepted = [h["submission_id"] for h in history if h["status"] == "accepted"]
    if current in accepted:
        i = accepted.index(current)
        return (accepted[i - 1] if i > 0 else None), current
    return (accepted[-1] if accepted else None), current


@router.get(PREFIX + "/households/{household_id}")
def household_page(request: Request, household_id: str, user: ViewerUser, a: str = "", b: str = "") -> Response:
    db = get_db(request)
    detail = people.household_detail(db, household_id)
    if detail is None:
        raise ConsoleError(404)
    lang = get_lang(request)
    history = detail["history"]
    ids = {h["submission_id"] for h in history}
    da, db_ = _default_pair(history, detail["submission_id"])
    a = a if a in ids else (da or "")
    b = b if b in ids else (db_ or "")
    with db.snapshot() as conn:
        body_a = wire.submission_document(submissions.body(conn, a)) if a else None
        body_b = wire.submission_document(submissions.body(conn, b)) if b else None
        names = {r[0]: r[1] for r in conn.execute("SELECT id, full_name FROM collaborators")}
        unit = conn.execute("SELECT g.name AS group_name, w.name AS ward_name FROM area_groups g JOIN wards w "
                            "ON w.id = g.ward_id WHERE g.id = ?", (detail["group_id"],)).fetchone()
        device_names = {r[0]: r[1] for r in conn.execute("SELECT id, name FROM devices")}
        conflicts = queries.open_conflicts(conn, household_id)
        evidence = evidence_page.context(conn, household_id, detail["submission_id"], detail["answers"])
        accepted = queries.accepted_decision(conn, detail["submission_id"])
        dedup = None
        if dedup_ready(conn):
            from ..dedup import review as dedup_review
            dedup = dedup_review.household(conn, household_id)
            dedup["links"] = [lk for lk in dedup["links"]]
        cycle = None
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'submission_rounds'").fetchone():
            from ..cycle import hooks as cycle_hooks
            cycle = {"confirmations": cycle_hooks.confirmations(conn, household_id),
                     "events": [s for s in cycle_hooks.links(conn, household_id)["submissions"] if s["lifecycle_event"]]}
    change = diffs.diff(body_a, body_b) if b else {"fields": [], "members": []}
    answers = detail["answers"]
    version = answers.get("form_version") or "2025.1"
    return render(request, "household.html", h=detail, answers=answers, history=history, a=a, b=b,
                  change=change, has_base=body_a is not None, conflicts=conflicts, accepted=accepted,
                  collaborator_names=names, device_names=device_names, dedup=dedup, cycle=cycle,
                  evidence=evidence, prefix=PREFIX, sub_status=lambda st: vnformat.label(
                      vnformat.SUBMISSION_STATUS_LABELS, st, lang),
                  group_name=unit["group_name"] if unit else "", ward_name=unit["ward_name"] if unit else "",
                  reasons=formtext.return_reasons(),
                  answer_sections=formtext.answer_sections(answers, lang, version),
                  label=lambda p: formtext.label(p, lang, version),
                  show=lambda p, v: formtext.value(p, v, lang, version),
                  standard_name=lambda sid: queries.standard_name(lang, sid),
                  member_fields=["full_name", "relation", "sex", "birth_date", "birth_year", "citizen_id",
                                 "health_insurance", "in_school", "qualification", "work_status"])


@router.post(PREFIX + "/households/{household_id}/accept")
async def accept(request: Request, household_id: str, user: OfficerPost) -> Response:
    form = await form_data(request)
    sid = str(form.get("submission_id") or "")
    db, now = get_db(request), get_now(request)
    [outcome] = review.accept_many(db, user, [(household_id, sid)], now, str(form.get("note") or ""))
    if outcome.code == "not_found":
        raise ConsoleError(404)
    if not outcome.accepted:
        return redirect(f"{PREFIX}/households/{household_id}", f"review.refused.{outcome.code}", "error")
    return redirect(f"{PREFIX}/households/{household_id}", "hh.accepted")


@router.post(PREFIX + "/households/{household_id}/return")
async def return_household(request: Request, household_id: str, user: OfficerPost) -> Response:
    form = await form_data(request)
    code = str(form.get("reason_code") or "")
    text = str(form.get("reason_text") or "").strip()
    reasons = {r["code"]: r for r in formtext.return_reasons()}
    if code not in reasons or (code == "other" and len(text) < 3):
        raise ConsoleError(422, "error.422", [formtext.t(get_lang(request), "hh.return_reason")])
    reason = reasons[code]["vi"] + (f": {text}" if text else "")
    returns_service.return_household(get_db(request), user, household_id, reason, get_now(request),
                                     str(form.get("submission_id") or "") or None)
    return redirect(f"{PREFIX}/households/{household_id}", "hh.returned")
