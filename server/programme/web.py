"""Console pages of the programme (``/console/programme``): the overview per body, the households a body
serves, a household's support (record a delivery, a need, correct, void, close), the ledger, the needs,
the Fund for the Poor (and its public summary), partner accounts; targets and the year-end report in
``report_web``. Every page and form goes through :func:`scope_page` / :func:`scope_post` (access.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.responses import Response

from ..clock import server_date
from ..console import i18n
from ..console.web import (ANY_USER, PREFIX, ConsoleError, ConsolePart, NavItem, csrf_protect, current_user, form_data,
                           get_db, get_lang, get_now, get_settings, make_router, optional_user_async, redirect, render)
from ..errors import ApiError
from . import eligible, evidence, fund, households, ledger, needs, partners, report, targets
from .api import scoped_targets, household_view, xlsx_file
from .scope import Scope, scope_of

router = make_router()
BASE = PREFIX + "/programme"
MESSAGES: i18n.Messages = {"vi": {"nav.programme": "Chương trình giảm nghèo", "role.partner": "Đơn vị phối hợp"},
                           "en": {"nav.programme": "Poverty programme", "role.partner": "Partner body"}}
CONSOLE = ConsolePart(nav=(NavItem(BASE, "nav.programme", ANY_USER, "main"),),
                      templates=str(Path(__file__).parent / "templates"), home_by_role=(("partner", BASE),),
                      messages=(MESSAGES,))


async def _scope_page(request: Request) -> Scope:
    await optional_user_async(request)
    user = current_user(request)
    try:
        return scope_of(get_db(request).conn, user)
    except ApiError as exc:
        raise ConsoleError(403, exc.message_vi) from None


async def _scope_post(request: Request) -> Scope:
    scope = await _scope_page(request)
    if not scope.can_write:
        raise ConsoleError(403, "error.403")
    await csrf_protect(request)
    return scope


def i18n_lang(request: Request) -> str:
    return get_lang(request)


ScopePage = Annotated[Scope, Depends(_scope_page)]
ScopePost = Annotated[Scope, Depends(_scope_post)]


def _year(request: Request, value: Any) -> int:
    try:
        y = int(value) if value not in (None, "") else server_date(get_now(request)).year
    except (TypeError, ValueError):
        raise ConsoleError(422, "Year: a number" if i18n_lang(request) == "en" else "Năm: cần một số") from None
    if not 2000 <= y <= 2100:
        raise ConsoleError(422, "Year: 2000–2100" if i18n_lang(request) == "en" else "Năm: từ 2000 đến 2100")
    return y


def _group(request: Request, code: str | None) -> int | None:
    if not code:
        return None
    gid = get_db(request).value("SELECT id FROM area_groups WHERE code = ?", (code,))
    if gid is None:
        raise ConsoleError(404, f"Không tìm thấy khu phố {code}")
    return gid


def _groups(request: Request) -> list[dict[str, Any]]:
    return [dict(r) for r in get_db(request).all("SELECT code, name FROM area_groups WHERE active = 1 ORDER BY code")]


def _body_types(scope: Scope, body: str | None = None) -> list[dict[str, Any]]:
    cat = eligible.catalogue()
    b = scope.body_id if scope.is_partner else body
    return cat.types_of(b) if b else cat.data["support_types"]


@router.get(BASE)
def overview(request: Request, scope: ScopePage, year: str | None = None) -> Response:
    y = _year(request, year)
    conn = get_db(request).conn
    cat = eligible.catalogue()
    rows = ledger.body_totals(conn, y, scope.body_id if scope.is_partner else None)
    return render(request, "programme/index.html", scope=scope, year=y, rows=rows, cat=cat,
                  body=cat.bodies.get(scope.body_id or ""), balance=ledger.fund_balance(conn))


@router.get(BASE + "/households")
def household_list(request: Request, scope: ScopePage, body: str | None = None, type: str | None = None,
                   group: str | None = None) -> Response:
    cat = eligible.catalogue()
    if body and body not in cat.bodies:
        raise ConsoleError(404)
    body = scope.body_id if scope.is_partner else (body or None)
    rows = households.listing(get_db(request).conn, scope, server_date(get_now(request)), body, type or None,
                              _group(request, group))
    return render(request, "programme/households.html", scope=scope, rows=rows, cat=cat, body=body or "",
                  type=type or "", group=group or "", groups=_groups(request), types=_body_types(scope, body))


def _household_page(request: Request, scope: Scope, household_id: str, errors: list[dict[str, Any]] | None = None,
                    form: dict[str, Any] | None = None, need_errors: list[dict[str, Any]] | None = None,
                    status_code: int = 200) -> Response:
    db = get_db(request)
    try:
        view = household_view(db, scope, household_id, get_now(request))
    except ApiError as exc:
        raise ConsoleError(exc.status, exc.message_vi) from None
    cat = eligible.catalogue()
    types = [t for t in _body_types(scope) if scope.may_write_body(t["body"])]
    need_types = [n for n in cat.data["need_types"] if scope.records_any_need or n["body"] == scope.body_id]
    return render(request, "programme/household.html", status_code=status_code, scope=scope, v=view, cat=cat,
                  types=types, need_types=need_types, campaigns=fund.campaigns(db.conn),
                  fund_form=any("fund_for_poor" in t["funds"] for t in types),     # the campaign field
                  errors=errors or [], need_errors=need_errors or [], form=form or {},
                  today=server_date(get_now(request)).isoformat(), household_id=household_id)


@router.get(BASE + "/households/{household_id}")
def household(request: Request, household_id: str, scope: ScopePage) -> Response:
    return _household_page(request, scope, household_id)


def _form_dict(form: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {k: (str(form.get(k)).strip() if form.get(k) is not None else None) or None for k in names}


DELIVERY_FIELDS = ("support_type", "delivered_on", "quantity", "amount_vnd", "fund", "member_id", "campaign_id",
                   "evidence_no", "evidence_sha256", "note")


async def _evidence_photo(request: Request, raw: Any, scope: Scope) -> str | None:
    """The SHA-256 of the photo attached to the form (kept now: the same bytes are kept once), or None."""
    upload = raw.get("evidence_photo")
    if upload is None or isinstance(upload, str) or not getattr(upload, "filename", ""):
        return None
    settings = get_settings(request)
    data = await upload.read(settings.max_attachment_bytes + 1)
    return evidence.save(get_db(request), evidence.root_dir(settings.data_dir), data, upload.content_type or "",
                         settings.max_attachment_bytes, scope, get_now(request))


@router.post(BASE + "/households/{household_id}/deliveries")
async def deliver(request: Request, household_id: str, scope: ScopePost) -> Response:
    raw = await form_data(request)
    form = _form_dict(raw, DELIVERY_FIELDS)
    try:
        if scope.may_write_body(eligible.catalogue().types.get(form.get("support_type") or "", {}).get("body", "")):
            # only for a type it may record; a photo sent with a form that was refused comes back as a hidden field
            form["evidence_sha256"] = await _evidence_photo(request, raw, scope) or form.get("evidence_sha256")
        e = ledger.record(get_db(request), scope, household_id, form, get_now(request))
    except ApiError as exc:
        if exc.status in (404,):
            raise ConsoleError(404, exc.message_vi) from None
        errs = exc.details if exc.details and isinstance(exc.details[0], dict) and "message_vi" in exc.details[0] \
            else [{"field": "", "message_vi": exc.message_vi}]
        return _household_page(request, scope, household_id, errors=errs, form=form, status_code=exc.status)
    msg = f"Đã ghi nhận: {e['type_vi']}"
    if e["closed_needs"]:
        msg += f"; đã đóng {len(e['closed_needs'])} nhu cầu"
    return redirect(f"{BASE}/households/{household_id}", msg)


@router.get(BASE + "/evidence/{sha256}")
def evidence_photo(request: Request, sha256: str, scope: ScopePage) -> Response:
    from starlette.responses import FileResponse

    path, ctype = evidence.readable(get_db(request), evidence.root_dir(get_settings(request).data_dir), scope, sha256)
    return FileResponse(path, media_type=ctype, headers={"Cache-Control": "private, max-age=86400"})


@router.post(BASE + "/households/{household_id}/needs")
async def add_need(request: Request, household_id: str, scope: ScopePost) -> Response:
    form = _form_dict(await form_data(request), ("need_type", "member_id", "noted_on", "note"))
    try:
        n = needs.record(get_db(request), scope, household_id, form, get_now(request))
    except ApiError as exc:
        if exc.status == 404:
            raise ConsoleError(404, exc.message_vi) from None
        return _household_page(request, scope, household_id, need_errors=[{"message_vi": exc.message_vi}],
                               form=form, status_code=exc.status)
    return redirect(f"{BASE}/households/{household_id}",
                    "Nhu cầu này đã có, đang chờ xử lý" if n["existing"] else f"Đã ghi nhận nhu cầu: {n['need_vi']}",
                    "info" if n["existing"] else "ok")


def _back(request: Request, default: str) -> str:
    ref = request.headers.get("referer") or ""
    path = ref.split("://", 1)[-1].split("/", 1)[-1] if "://" in ref else ""
    return "/" + path if path.startswith("console/programme") else default


@router.post(BASE + "/needs/{need_id}/close")
async def close_need(request: Request, need_id: int, scope: ScopePost) -> Response:
    form = await form_data(request)
    n = needs.close(get_db(request), scope, need_id, str(form.get("reason") or ""), str(form.get("note") or ""),
                    get_now(request))
    return redirect(_back(request, f"{BASE}/households/{n['household_id']}"), f"Đã đóng nhu cầu: {n['need_vi']}")


@router.post(BASE + "/deliveries/{entry_id}/correct")
async def correct(request: Request, entry_id: int, scope: ScopePost) -> Response:
    form = await form_data(request)
    payload = {k: v for k, v in _form_dict(form, DELIVERY_FIELDS + ("reason",)).items()
               if v is not None and k not in ("support_type",)}
    e = ledger.correct(get_db(request), scope, entry_id, payload, get_now(request))
    return redirect(f"{BASE}/households/{e['household_id']}", f"Đã sửa bản ghi (bản ghi mới số {e['id']})")


@router.post(BASE + "/deliveries/{entry_id}/void")
async def void(request: Request, entry_id: int, scope: ScopePost) -> Response:
    form = await form_data(request)
    e = ledger.void(get_db(request), scope, entry_id, str(form.get("reason") or ""), get_now(request))
    return redirect(f"{BASE}/households/{e['household_id']}", "Đã hủy bản ghi hỗ trợ")


@router.get(BASE + "/deliveries")
def delivery_list(request: Request, scope: ScopePage, year: str | None = None, body: str | None = None,
                  type: str | None = None, group: str | None = None) -> Response:
    y = _year(request, year)
    cat = eligible.catalogue()
    rows = ledger.deliveries(get_db(request).conn, scope, y, body or None, type or None, _group(request, group))
    total = {"amount": sum(r["amount_vnd"] or 0 for r in rows), "households": len({r["household_id"] for r in rows}),
             "quantity": sum(r["quantity"] for r in rows)}
    return render(request, "programme/deliveries.html", scope=scope, rows=rows[:3000], count=len(rows), total=total,
                  cat=cat, year=y, body=body or "", type=type or "", group=group or "", groups=_groups(request),
                  types=_body_types(scope, body or None))


@router.get(BASE + "/needs")
def need_list(request: Request, scope: ScopePage, status: str = "open", body: str | None = None,
              group: str | None = None) -> Response:
    if status not in ("open", "closed", "all"):
        raise ConsoleError(422, "Status: open, closed or all" if i18n_lang(request) == "en"
                           else "Trạng thái: chọn Đang chờ, Đã đóng hoặc Tất cả")
    cat = eligible.catalogue()
    rows = needs.list_needs(get_db(request).conn, scope, None if status == "all" else status, body or None,
                            _group(request, group))
    return render(request, "programme/needs.html", scope=scope, rows=rows[:3000], count=len(rows), cat=cat,
                  status=status, body=body or "", group=group or "", groups=_groups(request),
                  year=server_date(get_now(request)).year)


@router.post(BASE + "/needs/derive")
async def derive(request: Request, scope: ScopePost) -> Response:
    if scope.role not in ("officer", "admin"):
        raise ConsoleError(403, "error.403")
    form = await form_data(request)
    res = needs.derive_from_review(get_db(request), scope, _year(request, form.get("year")), get_now(request))
    return redirect(BASE + "/needs", f"Đã đọc {res['households_read']} phiếu rà soát; thêm {res['needs_created']} nhu cầu")


# --- the Fund for the Poor ------------------------------------------------------------------------------

@router.get(BASE + "/fund")
def fund_page(request: Request, scope: ScopePage, year: str | None = None) -> Response:
    if scope.is_partner and not scope.may_write_fund:
        raise ConsoleError(403, "Sổ quỹ có tên hộ được hỗ trợ: chỉ Ủy ban MTTQ và cán bộ phường được xem")
    y = _year(request, year)
    data = fund.overview(get_db(request).conn, scope, y)
    return render(request, "programme/fund.html", scope=scope, year=y, data=data,
                  today=server_date(get_now(request)).isoformat(), kinds=fund.DONOR_KINDS_VI)


@router.get(BASE + "/fund/summary")
def fund_summary(request: Request, scope: ScopePage, year: str | None = None) -> Response:
    y = _year(request, year)
    return render(request, "programme/fund_summary.html", scope=scope, year=y,
                  s=fund.public_summary(get_db(request).conn, y), printed=server_date(get_now(request)).isoformat())


@router.post(BASE + "/fund/campaigns")
async def add_campaign(request: Request, scope: ScopePost) -> Response:
    form = await form_data(request)
    c = fund.create_campaign(get_db(request), scope, _form_dict(form, ("name", "starts_on", "ends_on", "year", "note")),
                             get_now(request))
    return redirect(BASE + f"/fund?year={c['year']}", f"Đã mở đợt vận động: {c['name']}")


@router.post(BASE + "/fund/contributions")
async def add_contribution(request: Request, scope: ScopePost) -> Response:
    form = await form_data(request)
    payload = _form_dict(form, ("campaign_id", "donor_name", "donor_kind", "amount_vnd", "received_on", "receipt_no",
                                "note"))
    payload["anonymous"] = form.get("anonymous") == "1"
    c = fund.contribute(get_db(request), scope, payload, get_now(request))
    return redirect(BASE + "/fund", f"Đã ghi nhận đóng góp của {c['donor_name']}")


@router.post(BASE + "/fund/contributions/{entry_id}/void")
async def void_contribution(request: Request, entry_id: int, scope: ScopePost) -> Response:
    form = await form_data(request)
    fund.void(get_db(request), scope, entry_id, str(form.get("reason") or ""), get_now(request))
    return redirect(BASE + "/fund", "Đã hủy khoản đóng góp")


# --- partner accounts (admin) -----------------------------------------------------------------------------

@router.get(BASE + "/partners")
def partner_page(request: Request, scope: ScopePage) -> Response:
    if not scope.is_admin:
        raise ConsoleError(403, "error.403")
    cat = eligible.catalogue()
    return render(request, "programme/partners.html", scope=scope, rows=partners.list_partners(get_db(request).conn),
                  bodies=cat.delivering_bodies(), groups=_groups(request))


@router.post(BASE + "/partners")
async def partner_create(request: Request, scope: ScopePost) -> Response:
    if not scope.is_admin:
        raise ConsoleError(403, "error.403")
    form = await form_data(request)
    p = partners.create(get_db(request), scope, _form_dict(form, ("username", "full_name", "password", "body_id",
                                                                   "group_code")), get_now(request))
    return redirect(BASE + "/partners", f"Đã tạo tài khoản {p['username']} cho {p['body_vi']}")


# --- targets and the year-end report -------------------------------------------------------------------------

@router.get(BASE + "/targets")
def targets_page(request: Request, scope: ScopePage, year: str | None = None) -> Response:
    y = _year(request, year)
    data = scoped_targets(targets.compute(get_db(request), y, server_date(get_now(request))), scope)
    return render(request, "programme/targets.html", scope=scope, year=y, data=data, enterable=targets.DEFINITIONS,
                  income_line=targets.INCOME_LINE)


@router.post(BASE + "/targets")
async def targets_enter(request: Request, scope: ScopePost) -> Response:
    if scope.role not in ("officer", "admin"):
        raise ConsoleError(403, "error.403")
    form = await form_data(request)
    y = _year(request, form.get("year"))
    values = {k[len("target."):]: v for k, v in form.items() if k.startswith("target.") and str(v).strip()}
    targets.enter_goals(get_db(request), scope, y, values, get_now(request), str(form.get("note") or ""))
    return redirect(f"{BASE}/targets?year={y}", f"Đã lưu chỉ tiêu năm {y}")


def _report_page_allowed(scope: Scope) -> None:
    if scope.is_partner:
        raise ConsoleError(403, "Báo cáo cuối năm có tên hộ của mọi đơn vị: chỉ cán bộ phường và tài khoản chỉ xem được xem")


@router.get(BASE + "/report")
def report_page(request: Request, scope: ScopePage, year: str | None = None) -> Response:
    _report_page_allowed(scope)
    y = _year(request, year)
    data = report.build(get_db(request), y, server_date(get_now(request)))
    return render(request, "programme/report.html", scope=scope, year=y, tables=report.tables(data),
                  title=report.TITLE.format(year=y), note=report.NOTE, cell=report.cell_text,
                  printed=server_date(get_now(request)).isoformat(), page_rows=PAGE_ROWS)


PAGE_ROWS = 1000          # rows of a table shown on the page; the XLSX holds all of them


@router.get(BASE + "/report.xlsx")
def report_xlsx(request: Request, scope: ScopePage, year: str | None = None) -> Response:
    _report_page_allowed(scope)
    y = _year(request, year)
    return xlsx_file(report.write_xlsx(report.build(get_db(request), y, server_date(get_now(request)))), y)
