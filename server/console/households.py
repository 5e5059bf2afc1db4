"""Households: the filtered, searchable list and the household page (revisions, diffs, results,
GPS and photos), with the officer's accept / return actions."""
from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from .. import vnformat
from ..process import review
from ..services import returns as returns_service
from . import formtext, household_view, i18n, queries
from .web import (PREFIX, ConsoleError, OfficerPost, ViewerUser, form_data, get_db, get_lang, get_now, make_router,
                  redirect, render, msg)

router = make_router()
PER_PAGE = 50
# this module's strings (the console's part: server/console/__init__.py)
MESSAGES: i18n.Messages = {lang: {f"review.refused.{code}": pair[i] for code, pair in review.REFUSALS.items()}
                           for i, lang in enumerate(i18n.LANGS)}


def _int(v: Any, default: int | None = None) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


@router.get(PREFIX + "/households")
def household_list(request: Request, user: ViewerUser, q: str = "", group: str = "", status: str = "",
                   standard: str = "", cls: str = "", page: int = 1) -> Response:
    view = household_view.listing(get_db(request), q=q, group_id=_int(group), status=status, standard=standard,
                                  cls=cls, page=page, per_page=PER_PAGE)
    lang = get_lang(request)
    params = {"q": q, "group": group, "status": view.pop("status"), "standard": standard, "cls": view.pop("cls")}
    return render(request, "households.html", **view, params=params, statuses=queries.STATUS_FILTERS,
                  classes=queries.CLASS_ORDER,
                  standards=[(sid, queries.standard_name(lang, sid)) for sid in queries.standards()],
                  standard_name=lambda sid: queries.standard_name(lang, sid))


def _answer_text(lang: str, answers: dict[str, Any]) -> dict[str, Any]:
    """The household page's words in ``lang``: statuses, the answers' sections, labels and values."""
    version = answers.get("form_version") or "2025.1"
    return {"sub_status": lambda st: vnformat.label(vnformat.SUBMISSION_STATUS_LABELS, st, lang),
            "answer_sections": formtext.answer_sections(answers, lang, version),
            "label": lambda p: formtext.label(p, lang, version),
            "show": lambda p, v: formtext.value(p, v, lang, version),
            "standard_name": lambda sid: queries.standard_name(lang, sid)}


@router.get(PREFIX + "/households/{household_id}")
def household_page(request: Request, household_id: str, user: ViewerUser, a: str = "", b: str = "") -> Response:
    view = household_view.household(get_db(request), household_id, a, b)
    if view is None:
        raise ConsoleError(404)
    return render(request, "household.html", **view, prefix=PREFIX, reasons=formtext.return_reasons(),
                  **_answer_text(get_lang(request), view["answers"]))


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
        raise ConsoleError(422, "error.422", [msg(request, "hh.return_reason")])
    reason = reasons[code]["vi"] + (f": {text}" if text else "")
    returns_service.return_household(get_db(request), user, household_id, reason, get_now(request),
                                     str(form.get("submission_id") or "") or None)
    return redirect(f"{PREFIX}/households/{household_id}", "hh.returned")
