"""Login, logout, language switch, static files, and the console's front door."""
from __future__ import annotations

from pathlib import Path

from fastapi import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from . import signin
from .web import (LANG_COOKIE, PREFIX, ConsoleError, UserDep, clear_session_cookie, client_ip, cookie_secure,
                  csrf_protect, form_data, get_db, get_now, get_settings, home_for, make_router, msg,
                  optional_user, redirect, render, safe_next, session_token, set_session_cookie)
from .i18n import LANGS

router = make_router()
STATIC_DIR = Path(__file__).parent / "static"
_STATIC = {p.name for p in STATIC_DIR.iterdir() if p.suffix in (".css", ".js", ".png", ".svg")}


@router.get(PREFIX + "/static/{name}")
def static(name: str) -> Response:
    if name not in _STATIC:
        raise ConsoleError(404)
    return FileResponse(STATIC_DIR / name, headers={"Cache-Control": "max-age=3600"})


@router.get("/")
@router.get(PREFIX)
@router.get(PREFIX + "/")
def index(request: Request) -> Response:
    """``/`` and ``/console`` lead to the console: the user's home when logged in (the dashboard; a
    partner's own page), else the login page."""
    user = optional_user(request)
    return RedirectResponse(home_for(request, user) if user else PREFIX + "/login", status_code=303)


@router.get(PREFIX + "/lang")
def switch_language(request: Request, to: str = "vi", next: str = "") -> Response:
    resp = RedirectResponse(safe_next(next), status_code=303)
    if to in LANGS:
        resp.set_cookie(LANG_COOKIE, to, max_age=365 * 86400, path="/", samesite="lax",
                        secure=cookie_secure(request))
    return resp


@router.get(PREFIX + "/login")
def login_page(request: Request, next: str = "") -> Response:
    if optional_user(request):
        return RedirectResponse(safe_next(next, PREFIX + "/dashboard"), status_code=303)
    return render(request, "login.html", next=safe_next(next, PREFIX + "/dashboard"), username="", error=None)


@router.post(PREFIX + "/login")
async def login(request: Request) -> Response:
    await csrf_protect(request)
    form = await form_data(request)
    username = str(form.get("username") or "").strip()[:200]
    target = safe_next(str(form.get("next") or ""), PREFIX + "/dashboard")
    out = signin.sign_in(get_db(request), username, str(form.get("password") or ""), client_ip(request),
                         get_now(request), get_settings(request))
    if out.locked:
        return render(request, "login.html", status_code=429, next=target, username=username,
                      error=msg(request, "login.locked", minutes=out.minutes))
    if out.user is None:
        return render(request, "login.html", status_code=401, next=target, username=username,
                      error=msg(request, "login.failed"))
    if target == PREFIX + "/dashboard":
        target = home_for(request, out.user)    # a partner lands on its own page (server/programme)
    resp = RedirectResponse(target, status_code=303)
    set_session_cookie(request, resp, out.token, get_settings(request).session_ttl_hours * 3600)
    return resp


@router.post(PREFIX + "/logout")
async def logout(request: Request, user: UserDep) -> Response:
    await csrf_protect(request)
    signin.sign_out(get_db(request), user.id, session_token(request), get_now(request))
    resp = redirect(PREFIX + "/login", "login.logged_out", "info")
    clear_session_cookie(resp)
    return resp
