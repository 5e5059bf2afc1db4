"""Console pages of the process: overview per group, meetings (votes), minutes and certificates
(print views), postings, complaints, the recognition decision, settings.

Uses the console plumbing of ``server.console.web`` (routes, auth, CSRF, render) unchanged."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.responses import Response

from .. import vnformat
from ..clock import server_date
from ..console import evidence, i18n
from ..console.web import (PREFIX, ConsoleError, ConsolePart, NavItem, OfficerPost, ViewerUser, form_data, get_db,
                           get_lang, get_now, make_router, redirect, render)
from . import config, service
from .results import CATEGORY_LABELS, LIST_LABELS, LISTS, STATE_LABELS

router = make_router()
BASE = PREFIX + "/process"

_RECHECKED_EN = {"pending": "not re-checked yet", "confirmed": "result confirmed",
                 "changed": "result changes, household reviewed again", "withdrawn": "complaint withdrawn"}
MESSAGES: i18n.Messages = {
    "vi": {"nav.process": "Họp dân · Công nhận", "nav.reports": "Báo cáo",
           "process.title": "Họp dân, niêm yết, công nhận", "process.round": "Đợt rà soát (năm)",
           "process.standard": "Chuẩn", "process.show": "Xem",
           # what the forms did (flash messages)
           "process.meeting_listed": "Đã lập danh sách họp dân: {n} hộ",
           "process.votes_recorded": "Đã ghi biểu quyết {n} hộ; {back} hộ phải rà soát lại",
           "process.posting_listed": "Đã lập danh sách niêm yết đến hết ngày {ends_on}",
           "process.complaint_recorded": "Đã ghi nhận khiếu nại",
           "process.decision_issued": "Đã ban hành quyết định số {number}",
           "process.settings_saved": "Đã lưu thiết lập"}
    | {f"process.rechecked.{o}": f"Đã ghi kết quả phúc tra: {label}" for o, label in service.OUTCOME_LABELS.items()},
    "en": {"nav.process": "Meetings · Recognition", "nav.reports": "Reports",
           "process.title": "Community meetings, posting, recognition", "process.round": "Round (year)",
           "process.standard": "Standard", "process.show": "Show",
           "process.meeting_listed": "Meeting list drawn up: {n} households",
           "process.votes_recorded": "Votes recorded for {n} households; {back} to be reviewed again",
           "process.posting_listed": "Posting list drawn up, posted until {ends_on}",
           "process.complaint_recorded": "Complaint recorded",
           "process.decision_issued": "Decision no. {number} issued",
           "process.settings_saved": "Settings saved"}
    | {f"process.rechecked.{o}": f"Re-check recorded: {label}" for o, label in _RECHECKED_EN.items()},
}
CONSOLE = ConsolePart(nav=(NavItem(BASE, "nav.process", "viewer", "main"),),
                      templates=str(Path(__file__).parent / "templates"), messages=(MESSAGES,))

PRINT_JS = "document.addEventListener('DOMContentLoaded',function(){var b=document.getElementById('print');" \
           "if(b){b.addEventListener('click',function(){window.print();});}});"


def _ctx(request: Request, round_: int | None, standard_id: str | None) -> tuple[int, str, list[dict[str, str]]]:
    db = get_db(request)
    r = round_ or service.default_round(get_now(request), db.conn)
    choices = service.standard_choices(db.conn, r)
    std = standard_id if standard_id in {c["id"] for c in choices} else choices[0]["id"]
    return r, std, choices


def _int(value: Any, field: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ConsoleError(422, "error.whole_number", field=field) from None


@router.get(BASE + "/print.js")
def print_js() -> Response:
    return Response(PRINT_JS, media_type="application/javascript")


@router.get(BASE)
def overview(request: Request, user: ViewerUser, round: int | None = None, standard: str | None = None) -> Response:
    r, std, choices = _ctx(request, round, standard)
    return render(request, "process/overview.html", **service.overview(get_db(request), r, std), round=r, standard=std,
                  standards=choices, state_labels=STATE_LABELS, list_labels=LIST_LABELS,
                  today=server_date(get_now(request)).isoformat())


@router.post(BASE + "/meetings")
async def create_meeting(request: Request, user: OfficerPost) -> Response:
    form = await form_data(request)
    db = get_db(request)
    m = service.create_meeting(db, user, _int(form.get("round"), "round"), form.get("standard", ""),
                               form.get("group", ""), form.get("held_on", ""), get_now(request),
                               location=form.get("location", ""), chair_name=form.get("chair_name", ""),
                               front_representative=form.get("front_representative", ""),
                               secretary_name=form.get("secretary_name", ""), notes=form.get("notes", ""))
    return redirect(f"{BASE}/meetings/{m['id']}", "process.meeting_listed", n=len(m["items"]))


@router.get(BASE + "/meetings/{meeting_id}")
def meeting_page(request: Request, meeting_id: int, user: ViewerUser) -> Response:
    db = get_db(request)
    m = service.get_meeting(db, meeting_id)
    return render(request, "process/meeting.html", m=m, category_labels=CATEGORY_LABELS,
                  copies=config.load(db.conn)["minutes_copies"])


@router.post(BASE + "/meetings/{meeting_id}/votes")
async def record_votes(request: Request, meeting_id: int, user: OfficerPost) -> Response:
    form = await form_data(request)
    db = get_db(request)
    attendees = _int(form.get("attendees"), "attendees")
    votes = {}
    for key, value in form.multi_items():
        if key.startswith("agree:") and str(value).strip() != "":
            votes[key[len("agree:"):]] = _int(value, "agree")
    res = service.record_votes(db, user, meeting_id, attendees, votes, get_now(request))
    back = sum(1 for x in res["results"] if x["outcome"] == "re_review")
    return redirect(f"{BASE}/meetings/{meeting_id}", "process.votes_recorded", "ok", n=len(res["results"]), back=back)


@router.get(BASE + "/meetings/{meeting_id}/minutes")
def minutes(request: Request, meeting_id: int, user: ViewerUser, photos: int = 1) -> Response:
    """The minutes; with ``photos`` (default) an appendix of the dwelling photos and GPS of the households
    under discussion (server/console/evidence.py); ``?photos=0`` prints the minutes alone."""
    db = get_db(request)
    m = service.get_meeting(db, meeting_id)
    copies = config.load(db.conn)["minutes_copies"]
    with db.snapshot() as conn:
        blocks = evidence.print_blocks(conn, [it["household_id"] for it in m["items"]])
    province = vnformat.province_name(service.ward_of(db.conn)["province_code"])
    return render(request, "process/minutes.html", m=m, copies=copies, category_labels=CATEGORY_LABELS, province=province,
                  evidence=blocks if photos else {}, evidence_count=len(blocks), with_photos=bool(photos),
                  prefix=PREFIX)


@router.post(BASE + "/postings")
async def create_posting(request: Request, user: OfficerPost) -> Response:
    form = await form_data(request)
    p = service.create_posting(get_db(request), user, _int(form.get("round"), "round"), form.get("standard", ""),
                               form.get("group") or None, form.get("posted_on", ""), get_now(request),
                               form.get("place", ""))
    return redirect(f"{BASE}/postings/{p['id']}", "process.posting_listed",
                    ends_on=vnformat.date(p["ends_on"]))


@router.get(BASE + "/postings/{posting_id}")
def posting_page(request: Request, posting_id: int, user: ViewerUser) -> Response:
    db = get_db(request)
    p = service.get_posting(db, posting_id)
    ward = service.ward_of(db.conn)
    return render(request, "process/posting.html", p=p, ward=ward, list_labels=LIST_LABELS, lists=LISTS)


@router.post(BASE + "/complaints")
async def create_complaint(request: Request, user: OfficerPost) -> Response:
    form = await form_data(request)
    pid = form.get("posting_id")
    service.record_complaint(get_db(request), user, _int(form.get("round"), "round"),
                             form.get("household_id", "").strip(), form.get("received_on", ""),
                             form.get("complainant", ""), form.get("content", ""), get_now(request),
                             _int(pid, "posting_id") if pid else None)
    return redirect(f"{BASE}?round={form.get('round')}&standard={form.get('standard', '')}#complaints",
                    "process.complaint_recorded")


@router.post(BASE + "/complaints/{complaint_id}/outcome")
async def complaint_outcome(request: Request, complaint_id: int, user: OfficerPost) -> Response:
    form = await form_data(request)
    c = service.resolve_complaint(get_db(request), user, complaint_id, form.get("outcome", ""), form.get("note", ""),
                                  form.get("rechecked_on", ""), get_now(request))
    return redirect(f"{BASE}?round={c['round']}#complaints", f"process.rechecked.{c['outcome']}")


@router.post(BASE + "/decisions")
async def create_decision(request: Request, user: OfficerPost) -> Response:
    form = await form_data(request)
    fields = {k: str(form.get(k) or "") for k in service.DECISION_FIELDS}
    round_, standard = _int(form.get("round"), "round"), str(form.get("standard") or "")
    allow = form.get("allow_unsettled") == "1"
    out = service.issue_decision(get_db(request), user, round_, standard, fields, get_now(request), allow)
    if out.refusal is not None:
        # the households that keep the decision back, each with what to do; or the reason to go on
        exc = out.refusal
        return render(request, "process/decision_refused.html", status_code=409 if exc.code == "unsettled" else 422,
                      message=exc.message_vi if get_lang(request) == "vi" else exc.message, preview=out.preview,
                      round=round_, standard=standard, fields=fields, allow=allow,
                      min_reason=service.MIN_OVERRIDE_REASON, state_labels=STATE_LABELS)
    return redirect(f"{BASE}/decisions/{out.decision['id']}", "process.decision_issued",
                    number=out.decision["number"])


@router.get(BASE + "/decisions/{decision_id}")
def decision_page(request: Request, decision_id: int, user: ViewerUser, list: str = "poor", after: int = 0) -> Response:
    db = get_db(request)
    d = service.get_decision(db, decision_id)
    if list not in LISTS:
        raise ConsoleError(404)
    rows = service.decision_households(db, decision_id, list, None, after, 200)
    return render(request, "process/decision.html", d=d, rows=rows, current=list, lists=LISTS,
                  list_labels=LIST_LABELS, next_after=rows[-1]["rid"] if len(rows) == 200 else None,
                  left_out=service.decision_left_out(db, decision_id))


@router.get(BASE + "/decisions/{decision_id}/print")
def decision_print(request: Request, decision_id: int, user: ViewerUser) -> Response:
    """The decision as the chair signs it: the ward, the legal basis, the counts per list, and — when
    it was issued over households not settled — the reason and those households."""
    db = get_db(request)
    d = service.get_decision(db, decision_id)
    ward = service.ward_of(db.conn)
    annex = {k: service.decision_households(db, decision_id, k, None, 0, 100_000) for k in LISTS}
    return render(request, "process/decision_print.html", d=d, ward=ward, lists=LISTS, list_labels=LIST_LABELS,
                  left_out=service.decision_left_out(db, decision_id), annex=annex,
                  province=vnformat.province_name(ward["province_code"]))


@router.get(BASE + "/decisions/{decision_id}/certificates/{household_id}")
def certificate_page(request: Request, decision_id: int, household_id: str, user: ViewerUser) -> Response:
    db = get_db(request)
    c = service.certificate(db, decision_id, household_id)
    c["province"] = vnformat.province_name(service.ward_of(db.conn)["province_code"])
    return render(request, "process/certificate.html", c=c)


@router.post(BASE + "/settings")
async def save_settings(request: Request, user: OfficerPost) -> Response:
    form = await form_data(request)
    values = {s.name: form.get(s.name) for s in config.PROCESS_SETTINGS if form.get(s.name) is not None}
    service.update_settings(get_db(request), user, values, get_now(request))
    return redirect(f"{BASE}#settings", "process.settings_saved")
