"""Shared plumbing of the ward console (server-rendered HTML). Stable API for every console package.

Routers
    ``router = make_router()``       an APIRouter whose routes turn ``ConsoleError`` / ``LoginRequired`` /
                                     form-validation errors into HTML pages (or a redirect to the login
                                     page), never the JSON API envelope. Use it for every console page;
                                     then ``app.include_router(router)``. Routes are hidden from OpenAPI.

Who is calling (FastAPI dependencies, ``Annotated`` aliases)
    ``current_user(request)``        the logged-in ward user (``server.auth.UserPrincipal``) from the
                                     session cookie; raises ``LoginRequired`` (→ 303 to /console/login).
    ``require_role(role, CONSOLE_SURFACE, post=False)``  (server/access.py, the server's one factory)
                                     logged in and at least ``role`` (viewer < officer < admin), else the
                                     403 page. With ``post=True`` it also checks the CSRF token of the
                                     form (403 page when missing or wrong).
    ``ViewerUser`` / ``OfficerUser`` / ``AdminUser``        GET pages (Annotated[UserPrincipal, ...]).
    ``OfficerPost`` / ``AdminPost``  POST handlers: role + CSRF. A viewer can never POST anything.
    ``csrf_protect(request)``        the CSRF check alone (a dependency), e.g. for a login-like form.

Rendering
    ``render(request, "my/page.html", status_code=200, **ctx)`` → HTMLResponse. Every template gets:
        ``user`` (or None), ``lang`` ("vi"/"en"), ``t(key, **kw)`` (i18n), ``pick(obj)`` (a bilingual
        dict → text), ``tr(vi, en)`` (inline text of one page in both languages), ``csrf_field()`` (the hidden input, Markup), ``csrf_token``, ``flashes``,
        ``nav`` (menu items visible to the user), ``request``, ``path``, ``can(role)``.
    Templates extend ``base.html`` (blocks: ``title``, ``content``, ``head``); ``{{ csrf_field() }}``
    inside every ``<form method="post">``. Jinja2 autoescape is on for everything.
    ``ConsolePart(nav=..., templates=..., home_by_role=..., messages=...)`` what a feature adds (its
                                     menu entries, its template directory, its strings): a constant of its
                                     web module, installed per app by ``create_app`` (``install``); nothing
                                     module-level is mutated.
    ``redirect(url, flash=None, kind="ok")`` → 303 with an optional one-shot flash message.
    ``flash(response, message, kind="ok")`` add a flash to any response (kinds: ok, error, info).
    ``ConsoleError(status, message_key_or_text, **kw)`` raise it anywhere in a console route.
    ``msg(request, key, **kw)``      a message of the app's catalogue in the reader's language (code;
                                     templates have ``t``). Your strings: a ``MESSAGES = {"vi": {...},
                                     "en": {...}}`` constant named in your ``ConsolePart(messages=...)``.

Request helpers
    ``get_db(request)``, ``get_now(request)``, ``get_settings(request)``, ``get_lang(request)``,
    ``form_data(request)`` (the parsed form, cached; use ``await``), ``client_ip(request)``,
    ``console_setting(settings, name)`` (console settings: login lock-out numbers).
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Callable, Coroutine, Iterable
from urllib.parse import quote

import anyio
import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from markupsafe import Markup
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .. import auth, vnformat
from ..access import Surface, require_role
from ..db import Database
from ..errors import ApiError
from ..process.config import PROCESS_SETTINGS
from ..settings import Settings
from . import i18n

log = logging.getLogger("rasoat.console")

SESSION_COOKIE = "rasoat_session"
PRE_CSRF_COOKIE = "rasoat_csrf"      # anonymous forms (login): double-submit, HMAC-bound
LANG_COOKIE = "rasoat_lang"
FLASH_COOKIE = "rasoat_flash"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
PREFIX = "/console"

# Console settings: read from Settings.extra[name], else the environment RASOAT_<NAME>, else the default.
CONSOLE_SETTINGS: dict[str, tuple[int, str]] = {
    "login_max_failures": (5, "Failed logins for one username within the window that lock it."),
    "login_max_failures_per_ip": (20, "Failed logins from one IP within the window that lock that IP "
                                      "(higher than per user: the ward office shares one address)."),
    "login_lockout_minutes": (15, "The window and the lock duration, in minutes."),
    "session_idle_minutes": (30, "A console session ends after this many minutes without a request "
                                 "(the absolute maximum is session_ttl_hours after the login)."),
}
# A console session's deadline is moved forward at most once per this many seconds (not one DB
# write per request); so it may end up to this much before idle minutes of inactivity.
SESSION_TOUCH_SECONDS = 60

MESSAGES: i18n.Messages = {      # this module's strings (the console's part: server/console/__init__.py)
    "vi": {"login.expired_idle": "Phiên làm việc đã hết hạn do không thao tác trong {minutes} phút. "
                                 "Vui lòng đăng nhập lại.",
           "login.expired_max": "Phiên làm việc đã hết hạn (mỗi lần đăng nhập dùng được tối đa {hours} giờ). "
                                "Vui lòng đăng nhập lại."},
    "en": {"login.expired_idle": "Your session expired after {minutes} minutes without activity. "
                                 "Please log in again.",
           "login.expired_max": "Your session reached its maximum length ({hours} hours per login). "
                                "Please log in again."},
}

CONSOLE_TEMPLATES = str(Path(__file__).parent / "templates")


# --- small filters --------------------------------------------------------------------------------

def _fmt_time(value: Any, with_time: bool = True) -> str:
    """A stored UTC ISO timestamp shown in Vietnam time (dd/mm/yyyy hh:mm)."""
    if not value:
        return ""
    try:
        t = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone(dt.timedelta(hours=7)))
    return t.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")


def _fmt_num(value: Any) -> str:
    if value is None or value == "":
        return ""
    try:
        return f"{int(round(float(value))):,}".replace(",", ".")
    except (TypeError, ValueError):
        return str(value)


def _pct(part: Any, whole: Any) -> int:
    try:
        return int(round(100 * float(part) / float(whole))) if whole else 0
    except (TypeError, ValueError):
        return 0


def make_env(template_dirs: list[str]) -> jinja2.Environment:
    """The Jinja environment of one app's console: its template directories, the console's filters."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(template_dirs), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.ChainableUndefined)
    env.filters["vntime"] = _fmt_time
    env.filters["vndate"] = lambda v: _fmt_time(v, False)
    env.filters["num"] = _fmt_num
    # Vietnamese formatting (server/vnformat.py): "ngày 03 tháng 12 năm 2026", 50,5 / 50,5%, standards by name
    env.filters["longdate"] = vnformat.long_date
    env.filters["dec"] = vnformat.decimal
    env.filters["pct"] = vnformat.percent
    env.filters["stdname"] = vnformat.standard
    env.filters["stdshort"] = vnformat.standard_short
    env.filters["source"] = vnformat.source
    env.filters["cell"] = vnformat.cell
    env.filters["vntext"] = vnformat.text
    env.filters["short"] = lambda v, n=8: (str(v)[:n] if v else "")
    env.globals["pct"] = _pct
    return env


# --- errors ---------------------------------------------------------------------------------------

class ConsoleError(Exception):
    """An error page. ``message`` is an i18n key (or plain text); ``details`` are extra lines."""

    def __init__(self, status: int, message: str | None = None, details: list[str] | None = None, **kw: Any):
        super().__init__(message or f"error.{status}")
        self.status = status
        self.message = message or f"error.{status}"
        self.details = details or []
        self.kw = kw


class LoginRequired(Exception):
    def __init__(self, expired: bool = False, reason: str | None = None):
        super().__init__("login required")
        self.expired = expired
        self.reason = reason          # idle / max / ended (auth.session_end_reason)


def _login_redirect(request: Request, expired: bool, reason: str | None = None) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = PREFIX + "/"
    url = f"{PREFIX}/login?next={quote(target, safe='')}"
    resp = RedirectResponse(url, status_code=303)
    if expired:
        if reason == "idle":
            flash(resp, "login.expired_idle", "info",
                  minutes=console_setting(get_settings(request), "session_idle_minutes"))
        elif reason == "max":
            flash(resp, "login.expired_max", "info", hours=get_settings(request).session_ttl_hours)
        else:
            flash(resp, "login.expired", "info")
        resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


def _back(request: Request) -> str | None:
    """The page the person came from (same site only), for the error page's back link."""
    from urllib.parse import urlsplit
    ref = request.headers.get("referer") or ""
    parts = urlsplit(ref)
    if not ref or (parts.netloc and parts.netloc != request.url.netloc):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path, "") or None


def error_page(request: Request, exc: ConsoleError) -> Response:
    if "field" in exc.kw:           # a form field named by its label, in the reader's language
        lang = get_lang(request)
        exc.kw = {**exc.kw, "field": field_label(str(exc.kw["field"]), lang)}
    try:
        return render(request, "error.html", status_code=exc.status, error=exc, back=_back(request))
    except Exception:  # never fail while failing
        log.exception("rendering the error page failed")
        return HTMLResponse(f"<!doctype html><meta charset='utf-8'><h1>{exc.status}</h1>", status_code=exc.status)


def _get_routes(app: Any) -> list[Any]:
    """The app's GET routes (cached on the app)."""
    cached = getattr(app.state, "console_get_routes", None)
    if cached is not None:
        return cached

    def walk(routes: Any) -> Any:
        for r in routes:
            if type(r).__name__ == "_IncludedRouter":
                yield from walk(r.original_router.routes)
            elif hasattr(r, "routes") and not hasattr(r, "endpoint"):
                yield from walk(r.routes)
            elif "GET" in (getattr(r, "methods", None) or ()) and hasattr(r, "path_regex"):
                yield r
    out = list(walk(app.routes))
    app.state.console_get_routes = out
    return out


def page_of(request: Request, path: str) -> str | None:
    """The console page an address belongs to: the nearest address at or above ``path`` that is a
    GET page (``/console/process/meetings`` → ``/console/process``)."""
    routes = _get_routes(request.app)
    parts = path.rstrip("/").split("/")
    while len(parts) > 1:
        candidate = "/".join(parts)
        if candidate.startswith(PREFIX) and any(r.path_regex.match(candidate) for r in routes):
            return candidate
        parts.pop()
    return None


def not_a_page(request: Request, status: int) -> Response | None:
    """A console address that is no page (404, or 405: a form's address opened with GET, e.g. a
    reloaded or bookmarked result): a GET goes to the page the address belongs to (303), anything
    else gets the console's error page in the reader's language — never the API's JSON."""
    path = request.url.path
    if not (path == PREFIX or path.startswith(PREFIX + "/")):
        return None
    if status == 405 and request.method in ("GET", "HEAD"):
        target = page_of(request, path)
        if target and target != path:
            return RedirectResponse(target, status_code=303)
    if status in (404, 405):
        return error_page(request, ConsoleError(status, "error.404"))
    return None


class ConsoleRoute(APIRoute):
    """Turns console exceptions (raised by dependencies or handlers) into HTML responses."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except LoginRequired as exc:
                return _login_redirect(request, exc.expired, exc.reason)
            except ConsoleError as exc:
                return error_page(request, exc)
            except ApiError as exc:   # a service refused: show its message in the user's language
                lang = get_lang(request)
                # structured details are for API clients: a person reads the message (never a dict)
                return error_page(request, ConsoleError(exc.status, exc.message_vi if lang == "vi" else exc.message,
                                                        [d for d in exc.details if isinstance(d, str)]))
            except RequestValidationError as exc:
                lang = get_lang(request)
                details = [field_problem(lang, e) for e in exc.errors()]
                return error_page(request, ConsoleError(422, "error.422", details))

        return handler


# Names of the query/form fields a console URL can carry, for the message of a bad value.
FIELD_LABELS = {
    "round": ("Đợt rà soát (năm)", "Round (year)"), "year": ("Năm", "Year"), "page": ("Trang", "Page"),
    "standard": ("Chuẩn", "Standard"), "standard_id": ("Chuẩn", "Standard"), "group": ("Khu phố", "Group"),
    "after": ("Trang tiếp", "Next page"), "on": ("Ngày", "Date"), "status": ("Trạng thái", "Status"),
    "list": ("Danh sách", "List"), "report": ("Báo cáo", "Report"), "format": ("Định dạng tệp", "File format"),
    "photos": ("Kèm ảnh", "With photos"), "policy": ("Chính sách", "Policy"),
    "attendees": ("Số người dự họp", "Attendees"), "agree": ("Số người đồng ý", "Number agreeing"),
    "posting_id": ("Đợt niêm yết", "Posting"), "amount": ("Số tiền", "Amount"), "month": ("Tháng", "Month"),
    # console form fields (every text a form posts; a refused character names its field)
    "username": ("Tên đăng nhập", "Username"), "full_name": ("Họ và tên", "Full name"),
    "phone": ("Số điện thoại", "Phone"), "role": ("Vai trò", "Role"), "groups": ("Khu phố", "Groups"),
    "code": ("Mã khu phố", "Group code"), "name": ("Tên", "Name"), "ward_id": ("Phường", "Ward"),
    "note": ("Ghi chú", "Note"), "reason": ("Lý do", "Reason"), "reason_code": ("Lý do trả phiếu", "Return reason"),
    "reason_text": ("Nội dung cần sửa", "What to correct"), "override_reason": ("Lý do vẫn ra quyết định",
                                                                               "Reason for the override"),
    "held_on": ("Ngày họp", "Meeting date"), "location": ("Địa điểm", "Place"),
    "chair_name": ("Người chủ trì", "Chair"), "front_representative": ("Đại diện Mặt trận", "Front representative"),
    "secretary_name": ("Thư ký", "Secretary"), "posted_on": ("Ngày niêm yết", "Posting date"),
    "complainant": ("Người khiếu nại", "Complainant"), "content": ("Nội dung khiếu nại", "Complaint"),
    "received_on": ("Ngày nhận", "Date received"), "rechecked_on": ("Ngày phúc tra", "Re-check date"),
    "outcome": ("Kết quả", "Outcome"), "number": ("Số quyết định", "Decision number"),
    "decision_date": ("Ngày quyết định", "Decision date"), "signer_name": ("Người ký", "Signed by"),
    "signer_title": ("Chức vụ người ký", "Signer's title"), "household_id": ("Hộ", "Household"),
    "member_id": ("Thành viên", "Member"), "requested_by": ("Người đề nghị", "Requested by"),
    "requested_on": ("Ngày đề nghị", "Request date"), "kind": ("Loại", "Kind"), "type": ("Loại", "Type"),
    "cls": ("Diện", "Class"), "target": ("Chỉ tiêu", "Target"), "a": ("Lần sửa thứ nhất", "First revision"),
    "b": ("Lần sửa thứ hai", "Second revision"), "decision": ("Kết luận", "Decision"),
    "resolution": ("Cách xử lý", "Resolution"), "q": ("Tìm kiếm", "Search"),
    "body": ("Đơn vị", "Responsible body"), "body_id": ("Đơn vị", "Responsible body"),
    "support_type": ("Loại hỗ trợ", "Support type"), "need_type": ("Loại nhu cầu", "Need type"),
    "amount_vnd": ("Số tiền (đồng)", "Amount (VND)"), "quantity": ("Số lượng", "Quantity"),
    "delivered_on": ("Ngày hỗ trợ", "Delivery date"), "evidence_no": ("Số chứng từ", "Evidence number"),
    "receipt_no": ("Số biên nhận", "Receipt number"), "donor_name": ("Người ủng hộ", "Donor"),
    "donor_kind": ("Loại người ủng hộ", "Donor kind"), "campaign_id": ("Đợt vận động", "Campaign"),
    "fund": ("Quỹ", "Fund"), "starts_on": ("Ngày bắt đầu", "Start date"), "ends_on": ("Ngày kết thúc", "End date"),
    "group_code": ("Khu phố", "Group"), "file_name": ("Tên tệp", "File name"),
}


def field_label(name: str, lang: str = "vi") -> str:
    """A form or query field by its label (``agree:<id>``, ``target.<id>`` by their stem; process
    settings by their own text), else "a field of the page"."""
    import re as _re
    stem = _re.split(r"[:.]", name, maxsplit=1)[0]
    i = 0 if lang == "vi" else 1
    if stem in FIELD_LABELS:
        return FIELD_LABELS[stem][i]
    for ps in PROCESS_SETTINGS:
        if ps.name == stem:
            return ps.help_vi if i == 0 else ps.help_en
    return ("Một trường của trang", "A field of the page")[i]


def field_problem(lang: str, error: dict[str, Any]) -> str:
    """One bad field of a request, in words: which field, and what to enter."""
    loc = [str(x) for x in error.get("loc", ()) if x not in ("query", "body", "path", "form")]
    name = loc[-1] if loc else ""
    label = field_label(name, lang)
    kind = str(error.get("type", ""))
    if "int" in kind:
        want = ("cần một số nguyên", "a whole number is needed")
    elif "missing" in kind:
        want = ("chưa được nhập", "is missing")
    elif "date" in kind:
        want = ("cần một ngày hợp lệ", "a valid date is needed")
    else:
        want = ("giá trị không hợp lệ", "the value is not valid")
    return f"{label}: {want[0 if lang == 'vi' else 1]}"


def make_router(**kwargs: Any) -> APIRouter:
    kwargs.setdefault("include_in_schema", False)
    return APIRouter(route_class=ConsoleRoute, **kwargs)


# --- request helpers ------------------------------------------------------------------------------

def get_db(request: Request) -> Database:
    return request.app.state.db


def get_now(request: Request) -> dt.datetime:
    return request.app.state.clock()


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_lang(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, i18n.DEFAULT_LANG)
    return lang if lang in i18n.LANGS else i18n.DEFAULT_LANG


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# Form fields kept exactly as typed: secrets (a password is checked as it was set) and the console's
# own tokens. Fields whose text may span lines (textareas): tabs and line breaks allowed.
RAW_FORM_FIELDS = frozenset({"password", "csrf_token", "token"})
MULTILINE_FORM_FIELDS = frozenset({"note", "override_reason", "reason_text", "content", "reason"})


def clean_form_text(name: str, value: str) -> str:
    """A console form's text in Unicode NFC ("Nguyễn" typed with combining marks stored as the one
    character form), refused (422, naming the field by its label) when it holds a control or
    text-direction character (``shared.validation.bad_character``: NUL, escape, bidi overrides...)."""
    import unicodedata

    from shared.validation import bad_character
    text = value if value.isascii() else unicodedata.normalize("NFC", value)
    stem = name.split(":", 1)[0].split(".", 1)[0]
    bad = bad_character(text, multiline=stem in MULTILINE_FORM_FIELDS)
    if bad is not None:
        raise ConsoleError(422, "error.bad_character", field=stem, code=bad[1], pos=bad[0])
    return text


async def form_data(request: Request) -> Any:
    """The request's form, parsed once: every text value (and name) NFC and free of control and
    text-direction characters (``clean_form_text``; passwords and tokens as typed), files as sent."""
    cached = getattr(request.state, "console_form", None)
    if cached is not None:
        return cached
    from starlette.datastructures import FormData
    form = await request.form()
    items = []
    for key, value in form.multi_items():
        if isinstance(value, str) and key not in RAW_FORM_FIELDS:
            value = clean_form_text(key, value)
        items.append((clean_form_text("name", key) if not key.isascii() else key, value))
    cleaned = FormData(items)
    request.state.console_form = cleaned
    return cleaned


def console_setting(settings: Settings, name: str) -> int:
    default, _ = CONSOLE_SETTINGS[name]
    extra = getattr(settings, "extra", None) or {}
    if name in extra:
        return int(extra[name])
    raw = os.environ.get(f"RASOAT_{name.upper()}")
    return int(raw) if raw not in (None, "") else default


def safe_next(target: str | None, default: str = PREFIX + "/") -> str:
    """Only same-site relative paths (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


# --- sessions and CSRF ----------------------------------------------------------------------------

def _mac(request: Request, purpose: str, value: str) -> str:
    key = get_settings(request).secret.encode("utf-8")
    return hmac.new(key, f"{purpose}:{value}".encode("utf-8"), hashlib.sha256).hexdigest()


def session_token(request: Request) -> str | None:
    token = request.cookies.get(SESSION_COOKIE)
    return token if token and token.startswith(auth.SESSION_PREFIX) else None


def start_console_session(conn: Any, user_id: int, now: dt.datetime, settings: Settings) -> str:
    """A console session (inside a write transaction): it ends after ``session_idle_minutes`` without
    activity, and at the latest ``session_ttl_hours`` after the login. Returns the token."""
    token, _ = auth.start_session(conn, user_id, now, settings.session_ttl_hours,
                                  idle_minutes=console_setting(settings, "session_idle_minutes"))
    return token


def optional_user(request: Request) -> auth.UserPrincipal | None:
    """The user of a live session cookie, or None. Cached on ``request.state``.

    Activity slides the session's deadline (idle timeout, capped by the absolute maximum); the
    deadline is written at most once per ``SESSION_TOUCH_SECONDS``, not on every request."""
    if hasattr(request.state, "console_user"):
        return request.state.console_user
    user = None
    token = session_token(request)
    if token:
        db, now = get_db(request), get_now(request)
        session = auth.resolve_session(db.conn, token, now)
        if session is not None:
            user = session.user
            settings = get_settings(request)
            deadline = auth.sliding_deadline(session, now, settings.session_ttl_hours,
                                             console_setting(settings, "session_idle_minutes"))
            if (deadline - session.expires_at).total_seconds() >= SESSION_TOUCH_SECONDS:
                try:
                    with db.write() as conn:
                        auth.touch_session(conn, token, now, deadline)
                except (RuntimeError, sqlite3.OperationalError):
                    # inside a read snapshot, or the database locked: the next request moves it
                    log.warning("session deadline not moved this time", exc_info=True)
    request.state.console_user = user
    return user


async def optional_user_async(request: Request) -> auth.UserPrincipal | None:
    """``optional_user`` off the event loop (it may wait for the write lock to slide the deadline)."""
    if hasattr(request.state, "console_user"):
        return request.state.console_user
    return await anyio.to_thread.run_sync(optional_user, request)


def current_user(request: Request) -> auth.UserPrincipal:
    user = optional_user(request)
    if user is None:
        token = session_token(request)
        reason = None
        if token is not None:
            reason = auth.session_end_reason(get_db(request).conn, token, get_now(request),
                                             get_settings(request).session_ttl_hours)
        raise LoginRequired(expired=token is not None, reason=reason)
    return user


def csrf_token(request: Request) -> str:
    """The per-session token (HMAC of the session); before login, bound to the pre-session cookie."""
    token = session_token(request) if optional_user(request) else None
    if token:
        return _mac(request, "csrf", auth.token_hash(token))
    pre = request.cookies.get(PRE_CSRF_COOKIE) or getattr(request.state, "new_pre_csrf", None)
    if not pre:
        pre = secrets.token_urlsafe(24)
        request.state.new_pre_csrf = pre          # render() sets the cookie
    return _mac(request, "pre", pre)


def csrf_field(request: Request) -> Markup:
    return Markup('<input type="hidden" name="%s" value="%s">') % (CSRF_FIELD, csrf_token(request))


async def csrf_protect(request: Request) -> None:
    """403 unless the form (or the X-CSRF-Token header) carries this session's token."""
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        form = await form_data(request)
        sent = form.get(CSRF_FIELD)
    expected = None
    if optional_user(request) is not None:
        expected = csrf_token(request)
    elif request.cookies.get(PRE_CSRF_COOKIE):
        expected = _mac(request, "pre", request.cookies[PRE_CSRF_COOKIE])
    if not sent or not expected or not hmac.compare_digest(str(sent), expected):
        raise ConsoleError(403, "error.403_csrf")


async def _console_caller(request: Request) -> auth.UserPrincipal:
    """The logged-in user (the session's deadline slid off the event loop), else ``LoginRequired``."""
    await optional_user_async(request)
    return current_user(request)


def _refuse(user: auth.UserPrincipal, role: str) -> ConsoleError:
    return ConsoleError(403, "error.403")


# The console's callers: the session cookie; refused with the HTML error page; forms CSRF-checked.
CONSOLE_SURFACE = Surface("console", _console_caller, _refuse, csrf_protect)


UserDep = Annotated[auth.UserPrincipal, Depends(current_user)]
ViewerUser = Annotated[auth.UserPrincipal, Depends(require_role("viewer", CONSOLE_SURFACE))]
OfficerUser = Annotated[auth.UserPrincipal, Depends(require_role("officer", CONSOLE_SURFACE))]
AdminUser = Annotated[auth.UserPrincipal, Depends(require_role("admin", CONSOLE_SURFACE))]
OfficerPost = Annotated[auth.UserPrincipal, Depends(require_role("officer", CONSOLE_SURFACE, post=True))]
AdminPost = Annotated[auth.UserPrincipal, Depends(require_role("admin", CONSOLE_SURFACE, post=True))]


def cookie_secure(request: Request) -> bool:
    """Cookies are Secure when the request came over HTTPS (a TLS proxy passing X-Forwarded-Proto) or
    the server is published over HTTPS (``public_url``), whatever the proxy in front says (issue 18)."""
    return request.url.scheme == "https" or get_settings(request).public_url.startswith("https://")


def set_session_cookie(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=cookie_secure(request))


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


# --- flash messages -------------------------------------------------------------------------------

def flash(response: Response, message: str, kind: str = "ok", **kw: Any) -> Response:
    """A one-shot message shown on the next page (``message`` an i18n key or text; always escaped)."""
    payload = base64.urlsafe_b64encode(json.dumps([kind, message, kw], ensure_ascii=False).encode()).decode()
    response.set_cookie(FLASH_COOKIE, payload, max_age=120, path="/", httponly=True, samesite="lax")
    return response


def _read_flash(request: Request) -> list[dict[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        kind, message, kw = json.loads(base64.urlsafe_b64decode(raw.encode()).decode())
        kind = kind if kind in ("ok", "error", "info") else "info"
        return [{"kind": kind, "text": msg(request, str(message), **(kw or {}))}]
    except (ValueError, TypeError):
        return []


def redirect(url: str, flash_message: str | None = None, kind: str = "ok", **kw: Any) -> Response:
    resp = RedirectResponse(url, status_code=303)
    if flash_message:
        flash(resp, flash_message, kind, **kw)
    return resp


# --- navigation -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class NavItem:
    href: str
    label_key: str
    role: str = "viewer"
    section: str = "main"


ANY_USER = "any"          # a nav item's role: every logged-in user, partners included (server/programme)

CORE_NAV = tuple(NavItem(*item) for item in (
    ("/console/dashboard", "nav.dashboard", "viewer", "main"),
    ("/console/households", "nav.households", "viewer", "main"),
    ("/console/review", "nav.review", "viewer", "main"),
    ("/console/duplicates", "nav.duplicates", "viewer", "main"),
    ("/console/admin/users", "nav.users", "admin", "admin"),
    ("/console/admin/collaborators", "nav.collaborators", "admin", "admin"),
    ("/console/admin/groups", "nav.groups", "admin", "admin"),
    ("/console/admin/devices", "nav.devices", "admin", "admin")))


@dataclass(frozen=True)
class ConsolePart:
    """What a feature adds to the console, declared as a constant of its web module and installed per
    app by ``create_app`` (:func:`install`): its menu entries, its template directory, and where a role
    lands after login instead of the dashboard (a partner has no dashboard: server/programme)."""
    nav: tuple[NavItem, ...] = ()
    templates: str | None = None
    home_by_role: tuple[tuple[str, str], ...] = ()
    messages: tuple[i18n.Messages, ...] = ()


@dataclass(frozen=True)
class ConsoleSite:
    """One app's console: the menu, the templates (a Jinja environment), the landing page per role,
    the message catalogue."""
    nav: tuple[NavItem, ...]
    env: jinja2.Environment
    home_by_role: dict[str, str]
    catalogue: i18n.Catalogue


def catalogue(parts: Iterable[ConsolePart]) -> i18n.Catalogue:
    """The one catalogue of a console made of ``parts``: their messages in order (a key defined twice
    with different text raises ``i18n.DuplicateMessage``)."""
    return i18n.Catalogue(table for part in parts for table in part.messages)


def install(app: Any, parts: Iterable[ConsolePart]) -> ConsoleSite:
    """Build the app's console from the core and the features' parts (in order) into ``app.state.console``."""
    parts = list(parts)
    nav = list(CORE_NAV)
    for part in parts:
        nav += [n for n in part.nav if all(m.href != n.href for m in nav)]
    dirs = [CONSOLE_TEMPLATES] + [p.templates for p in parts if p.templates]
    site = ConsoleSite(tuple(nav), make_env(dirs), {r: href for p in parts for r, href in p.home_by_role},
                       catalogue(parts))
    app.state.console = site
    return site


def site_of(request: Request) -> ConsoleSite:
    return request.app.state.console


def msg(request: Request, key: str, **kw: Any) -> str:
    """A message of the app's catalogue in the reader's language."""
    return site_of(request).catalogue.t(get_lang(request), key, **kw)


def home_for(request: Request, user: auth.UserPrincipal | None) -> str:
    home = PREFIX + "/dashboard"
    return site_of(request).home_by_role.get(user.role, home) if user is not None else home


# --- rendering ------------------------------------------------------------------------------------

def render(request: Request, template: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    user = optional_user(request)
    lang = get_lang(request)
    flashes = _read_flash(request)

    def can(role: str) -> bool:
        return user is not None and (role == ANY_USER or user.has_role(role))

    base = {
        "request": request, "path": request.url.path, "user": user, "lang": lang,
        "t": lambda key, **kw: site_of(request).catalogue.t(lang, key, **kw),
        "pick": lambda obj, base="label": i18n.pick(lang, obj, base),
        "tr": lambda vi, en: vi if lang == "vi" else en,      # inline bilingual text of one page
        "csrf_field": lambda: csrf_field(request), "csrf_token": csrf_token(request),
        "flashes": flashes, "can": can,
        "nav": [n for n in site_of(request).nav if can(n.role)],
        "lang_url": f"{PREFIX}/lang?to={'en' if lang == 'vi' else 'vi'}&next="
                    + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe=""),
    }
    html = site_of(request).env.get_template(template).render({**base, **ctx})
    resp = HTMLResponse(html, status_code=status_code, headers={
        "Cache-Control": "no-store", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                   "script-src 'self'; frame-ancestors 'none'; form-action 'self'"})
    if flashes:
        resp.delete_cookie(FLASH_COOKIE, path="/")
    pre = getattr(request.state, "new_pre_csrf", None)
    if pre:
        resp.set_cookie(PRE_CSRF_COOKIE, pre, path="/", httponly=True, samesite="lax",
                        secure=cookie_secure(request))
    return resp
