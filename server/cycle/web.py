"""Console pages of the review cycle: rounds (open / close / carry forward), register import
(upload → mapping → every bad row → confirm), eligibility lists (XLSX), plan targets."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from shared.standards import load_standards

from ..clock import server_date
from ..console import i18n
from ..console.web import (PREFIX, ConsoleError, ConsolePart, NavItem, OfficerPost, ViewerUser, form_data, get_db,
                           get_now, make_router, redirect, render)
from ..history.status_history import STATUS_LABELS
from ..process import eligibility
from ..register import carry, columns, low_income, template as register_template, uploads
from ..reports import targets
from ..reports.background import wake_after_bulk_load
from ..services import people
from ..store import areas
from . import plan_targets, rounds
from .api import xlsx_response

router = make_router()
BASE = PREFIX + "/cycle"
MESSAGES: i18n.Messages = {"vi": {"nav.cycle": "Đợt rà soát", "dash.targets": "Chỉ tiêu kế hoạch",
                          "hh.confirmations": "Xác nhận theo phần", "hh.lifecycle": "Biến động hộ",
                          # what the cycle's forms did (flash messages)
                          "cycle.opened": "Đã mở đợt {label_vi}", "cycle.closed": "Đã kết thúc đợt {label_vi}",
                          "cycle.opened_preloaded": "Đã mở đợt {label_vi}; nạp sẵn {n} hộ từ kỳ trước",
                          "cycle.standards_set": "Đợt {label_vi} áp dụng: {names_vi}",
                          "cycle.preloaded": "Đã nạp sẵn {n} hộ từ kỳ trước",
                          "cycle.imported": "Đã nhập {rows} dòng: {new} hộ mới, {status_rows} dòng tình trạng",
                          "cycle.targets_saved": "Đã lưu {n} chỉ tiêu",
                          "cycle.targets_unchanged": "Không có chỉ tiêu nào thay đổi",
                          "cycle.credit_recorded": "Đã ghi nhận đề nghị vay vốn",
                          "cycle.identified": "{worker}: {outcome_vi}"},
                   "en": {"nav.cycle": "Review rounds", "dash.targets": "Plan targets",
                          "hh.confirmations": "Section confirmations", "hh.lifecycle": "Household changes",
                          "cycle.opened": "Opened the {label_en}", "cycle.closed": "Closed the {label_en}",
                          "cycle.opened_preloaded": "Opened the {label_en}; {n} households preloaded from last round",
                          "cycle.standards_set": "The {label_en} applies: {names_en}",
                          "cycle.preloaded": "{n} households preloaded from last round",
                          "cycle.imported": "Imported {rows} rows: {new} new households, {status_rows} status rows",
                          "cycle.targets_saved": "{n} targets saved",
                          "cycle.targets_unchanged": "No target changed",
                          "cycle.credit_recorded": "Policy credit request recorded",
                          "cycle.identified": "{worker}: {outcome_en}"}}
CONSOLE = ConsolePart(nav=(NavItem(BASE, "nav.cycle", "viewer", "main"),),
                      templates=str(Path(__file__).parent / "templates"), messages=(MESSAGES,))


def _int(value: Any, name: str, required: bool = True) -> int | None:
    if value in (None, "") and not required:
        return None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ConsoleError(422, "error.whole_number", field=name) from None


@router.get(BASE)
def rounds_page(request: Request, user: ViewerUser) -> Response:
    db = get_db(request)
    today = server_date(get_now(request))
    all_rounds = rounds.list_rounds(db.conn)
    summaries = {r["id"]: rounds.round_summary(db.conn, r["id"]) for r in all_rounds}
    year = today.year if today.month >= 9 else today.year - 1
    return render(request, "cycle/rounds.html", rounds=all_rounds, summaries=summaries, year=year,
                  standards=sorted(load_standards().values(), key=lambda s: s.effective_from),
                  suggested=set(rounds.suggested_standards(year, areas.province_code(db.conn))))


@router.post(BASE + "/rounds")
async def open_round(request: Request, user: OfficerPost) -> Response:
    form = await form_data(request)
    kind = form.get("kind") or "periodic"
    year = _int(form.get("year"), "year")
    month = _int(form.get("month"), "month", required=False) if kind == "regular" else None
    std = form.getlist("standards")
    r = rounds.open_round(get_db(request), kind, year, std, get_now(request), month=month, note=form.get("note") or "",
                          user_id=user.id)
    labels = {"label_vi": r["label_vi"], "label_en": r["label_en"]}
    if form.get("preload_previous"):
        res = carry.carry_forward(get_db(request), r["id"], get_now(request), user.id)
        return redirect(BASE, "cycle.opened_preloaded", n=res["accepted"], **labels)
    return redirect(BASE, "cycle.opened", **labels)


@router.post(BASE + "/rounds/{round_id}/standards")
async def round_standards(request: Request, round_id: int, user: OfficerPost) -> Response:
    form = await form_data(request)
    r = rounds.set_standards(get_db(request), round_id, form.getlist("standards"), get_now(request), user.id)
    return redirect(BASE, "cycle.standards_set", label_vi=r["label_vi"], label_en=r["label_en"],
                    names_vi=", ".join(d["short_name"]["vi"] for d in r["standard_details"]),
                    names_en=", ".join(d["short_name"]["en"] for d in r["standard_details"]))


@router.post(BASE + "/rounds/{round_id}/close")
async def close_round(request: Request, round_id: int, user: OfficerPost) -> Response:
    r = rounds.close_round(get_db(request), round_id, get_now(request), user.id)
    return redirect(BASE, "cycle.closed", label_vi=r["label_vi"], label_en=r["label_en"])


@router.post(BASE + "/rounds/{round_id}/preload")
async def preload_round(request: Request, round_id: int, user: OfficerPost) -> Response:
    res = carry.carry_forward(get_db(request), round_id, get_now(request), user.id)
    return redirect(BASE, "cycle.preloaded", n=res["accepted"])


# --- register import ----------------------------------------------------------------------------

@router.get(BASE + "/register")
def register_page(request: Request, user: ViewerUser) -> Response:
    return render(request, "cycle/register.html", report=None, token=None, **_register_ctx())


def _register_ctx() -> dict[str, Any]:
    return {"columns": register_template.fields(), "labels": columns.LABELS, "labels_en": columns.LABELS_EN,
            "status_labels": {k: v[0] for k, v in STATUS_LABELS.items()},
            "status_labels_en": {k: v[1] for k, v in STATUS_LABELS.items()}}


@router.get(BASE + "/register/template.xlsx")
def register_template_file(request: Request, user: ViewerUser) -> Response:
    """An empty register with the recognised columns (required ones marked) and a guide sheet."""
    from starlette.background import BackgroundTask
    from starlette.responses import FileResponse

    path = register_template.write()
    return FileResponse(path, filename="mau-danh-sach-ho.xlsx", background=BackgroundTask(os.unlink, path),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


async def _receive(upload: Any) -> tuple[str, Path]:
    """The uploaded file written under a new token."""
    token, path = uploads.new_upload(getattr(upload, "filename", "") if upload is not None else "")
    with open(path, "wb") as fh:
        while chunk := await upload.read(1 << 20):
            fh.write(chunk)
    return token, path


@router.post(BASE + "/register")
async def register_upload(request: Request, user: OfficerPost) -> Response:
    """One address for the import: a file is checked (nothing written), then the same address with the
    check's token imports it."""
    form = await form_data(request)
    if form.get("token") is not None:
        return await _register_confirm(request, user, form)
    try:
        token, path = await _receive(form.get("file"))
        file_name = form.get("file").filename
        report = uploads.check(get_db(request), path, get_now(request), _int(form.get("round"), "round", False),
                               file_name)
    except uploads.Refused as r:
        raise ConsoleError(r.status, f"error.{r.code}") from None
    except uploads.Unreadable as exc:
        raise ConsoleError(422, exc.message_vi) from None
    return render(request, "cycle/register.html", report=report, token=token if report["ok"] else None,
                  file_name=file_name, status_code=200 if report["ok"] else 422, **_register_ctx())


@router.post(BASE + "/register/confirm")
async def register_confirm_moved(request: Request, user: OfficerPost) -> Response:
    """The confirm step's former address (a page opened before the change): the import has one
    address; 307 keeps the method and the form."""
    return RedirectResponse(BASE + "/register", status_code=307)


async def _register_confirm(request: Request, user: Any, form: Any) -> Response:
    try:
        path = uploads.staged(str(form.get("token") or ""))
    except uploads.Refused as r:
        raise ConsoleError(r.status, f"error.{r.code}") from None
    try:
        year = _int(form.get("round"), "round", False)
    except ConsoleError:
        path.unlink(missing_ok=True)      # as when the import itself fails: the checked file is gone
        raise
    report = uploads.import_staged(get_db(request), path, get_now(request), year, user.id,
                                   form.get("file_name") or path.name)
    if not report.get("imported"):
        return render(request, "cycle/register.html", report=report, token=None, status_code=422,
                      file_name=form.get("file_name"), **_register_ctx())
    wake_after_bulk_load(request.app.state)
    return redirect(BASE + "/register", "cycle.imported", rows=report["rows"], new=report["new_households"],
                    status_rows=report["status_rows_added"])


# --- eligibility --------------------------------------------------------------------------------

def _std_choice(request: Request, standard: str | None) -> str:
    cur = rounds.current(get_db(request).conn)
    year = server_date(get_now(request)).year
    ids = (cur["standards"] if cur else []) or rounds.suggested_standards(year) or rounds.suggested_standards(year - 1)
    return standard if standard in load_standards() else (ids[0] if ids else "vn-national-2022-2025")


ELIGIBILITY_PAGE = 50


@router.get(BASE + "/eligibility")
def eligibility_page(request: Request, user: ViewerUser, policy: str = "health_insurance", standard: str | None = None,
                     on: str | None = None, group: str | None = None, page: int = 1) -> Response:
    std = _std_choice(request, standard)
    try:
        day = dt.date.fromisoformat(on) if on else server_date(get_now(request))
    except ValueError:
        raise ConsoleError(422, "error.bad_date", field="on") from None
    view = eligibility.list_page(get_db(request).conn, policy, std, day, group or None, page, ELIGIBILITY_PAGE)
    if view is None:
        raise ConsoleError(404)
    return render(request, "cycle/eligibility.html", **view, policy=policy, standard=std,
                  standards=sorted(load_standards()), on=day.isoformat(), group=group or "")


@router.get(BASE + "/eligibility.xlsx")
def eligibility_xlsx(request: Request, user: ViewerUser, policy: str, standard: str | None = None,
                     on: str | None = None, group: str | None = None) -> Response:
    db = get_db(request)
    return xlsx_response(db, policy, _std_choice(request, standard), on, group or None, get_now(request))


# --- plan targets -------------------------------------------------------------------------------

@router.get(BASE + "/targets")
def targets_page(request: Request, user: ViewerUser, round: int | None = None, standard: str | None = None) -> Response:
    db = get_db(request)
    cur = rounds.current(db.conn)
    year = round or (cur["year"] if cur else server_date(get_now(request)).year)
    std = _std_choice(request, standard)
    data = targets.compute(db, year, std, server_date(get_now(request)))
    data["targets"] = plan_targets.apply(data["targets"], plan_targets.current(db.conn, year, std))
    return render(request, "cycle/targets.html", data=data, round=year, standard=std, current=cur,
                  standards=sorted(load_standards()), history=plan_targets.history(db.conn, year, std),
                  labels={t["id"]: t["label_vi"] for t in data["targets"]})


@router.post(BASE + "/targets")
async def save_targets(request: Request, user: OfficerPost) -> Response:
    form = await form_data(request)
    year = _int(form.get("round"), "round")
    std = str(form.get("standard") or "")
    if std not in load_standards():
        raise ConsoleError(422, "error.unknown_standard")
    values = {k[len("target:"):]: v for k, v in form.multi_items() if k.startswith("target:")}
    notes = {k[len("note:"):]: v for k, v in form.multi_items() if k.startswith("note:")}
    n = plan_targets.save(get_db(request), user.id, year, std, values, notes, get_now(request))
    return redirect(f"{BASE}/targets?round={year}&standard={std}",
                    "cycle.targets_saved" if n else "cycle.targets_unchanged", n=n)


@router.post(BASE + "/credit")
async def credit(request: Request, user: OfficerPost) -> Response:
    form = await form_data(request)
    targets.add_credit(get_db(request), str(form.get("household_id") or ""), str(form.get("requested_on") or ""),
                       get_now(request), form.get("received_on") or None,
                       _int(form.get("amount"), "amount", required=False), str(form.get("note") or ""), user.id)
    return redirect(BASE + "/targets", "cycle.credit_recorded")


# --- low-income workers (Decree 30/2025/NĐ-CP) ---------------------------------------------------

@router.get(BASE + "/low-income")
def low_income_page(request: Request, user: ViewerUser, year: int | None = None,
                    household_id: str | None = None) -> Response:
    db = get_db(request)
    today = server_date(get_now(request))
    year = year or today.year
    with db.snapshot() as conn:
        rows = low_income.list_requests(conn, year)
    chosen = people.household_detail(db, household_id) if household_id else None
    if household_id and chosen is None:
        raise ConsoleError(404)
    identified = [r for r in rows if r["outcome"] == "identified"]
    return render(request, "cycle/low_income.html", rows=rows, identified=identified, year=year,
                  today=today.isoformat(), rule=low_income.rule_summary(), chosen=chosen)


@router.post(BASE + "/low-income")
async def low_income_request(request: Request, user: OfficerPost) -> Response:
    form = await form_data(request)
    hid = str(form.get("household_id") or "").strip()
    r = low_income.record_request(get_db(request), hid, str(form.get("member_id") or ""),
                                  str(form.get("requested_by") or ""), str(form.get("requested_on") or ""),
                                  get_now(request), str(form.get("note") or ""), user.id)
    return redirect(BASE + f"/low-income?year={r['requested_on'][:4]}", "cycle.identified",
                    worker=r["worker_name"], outcome_vi=r["outcome_vi"], outcome_en=r["outcome_en"])


@router.post(BASE + "/low-income/{request_id}/reidentify")
async def low_income_reidentify(request: Request, request_id: int, user: OfficerPost) -> Response:
    r = low_income.reidentify(get_db(request), request_id, get_now(request), user.id)
    return redirect(BASE + f"/low-income?year={r['requested_on'][:4]}", "cycle.identified",
                    worker=r["worker_name"], outcome_vi=r["outcome_vi"], outcome_en=r["outcome_en"])
