"""Ward-user sessions for the API: POST /api/v1/login returns a bearer token (rss_…)."""
from __future__ import annotations

from fastapi import APIRouter, Request

from .. import auth
from ..clock import iso
from ..console import lockout
from ..console.web import console_setting
from ..errors import ApiError
from ..store import audit
from .deps import DbDep, NowDep, PrincipalDep, SettingsDep, TokenDep, ok
from .schemas import ERRORS, ErrorEnvelope, LoginRequest, LoginResponse

router = APIRouter(tags=["session"], responses={k: v for k, v in ERRORS.items() if k in (401, 422, 500)})


@router.post("/api/v1/login", response_model=LoginResponse, summary="Log a ward user in; returns a session token",
             responses={429: {"model": ErrorEnvelope, "description": "Too many failed logins (login_locked)"}})
def login(body: LoginRequest, request: Request, db: DbDep, now: NowDep, settings: SettingsDep):
    # The console's lock-out applies here too (same attempts table): N failures for a username or M from
    # one address within W minutes lock further attempts, without checking the password.
    ip = request.client.host if request.client else "unknown"
    limits = lockout.Limits(console_setting(settings, "login_max_failures"),
                            console_setting(settings, "login_max_failures_per_ip"),
                            console_setting(settings, "login_lockout_minutes"))
    # The check and the count are one step (lockout.begin): concurrent attempts cannot all pass it.
    with db.write() as conn:
        minutes, attempt = lockout.begin(conn, body.username, ip, now, limits)
        if minutes:
            audit.record(conn, iso(now), "system", None, "login.locked", "user", body.username, {"ip": ip})
    if minutes or attempt is None:
        raise ApiError(429, "login_locked", f"Too many failed logins; try again in {minutes} minutes",
                       f"Đăng nhập sai quá nhiều lần; thử lại sau {minutes} phút",
                       headers={"Retry-After": str(minutes * 60)})
    user = auth.authenticate_password(db.conn, body.username, body.password)
    if user is None:
        with db.write() as conn:
            audit.record(conn, iso(now), "system", None, "login.failed", "user", body.username, {"ip": ip})
        raise ApiError(401, "invalid_credentials", "Wrong username or password", "Sai tên đăng nhập hoặc mật khẩu")
    with db.write() as conn:
        lockout.settle(conn, attempt, True)
        token, expires = auth.start_session(conn, user.id, now, settings.session_ttl_hours, kind="api")
        audit.record(conn, iso(now), "user", user.id, "login", "user", user.id)
    return ok({"token": token, "expires_at": expires,
               "user": {"id": user.id, "username": user.username, "full_name": user.full_name, "role": user.role}})


@router.post("/api/v1/logout", summary="End the current session")
def logout(p: PrincipalDep, token: TokenDep, db: DbDep, now: NowDep):
    if isinstance(p, auth.UserPrincipal) and token:
        with db.write() as conn:
            auth.end_session(conn, token, now)
    return ok({"ok": True})


@router.get("/api/v1/me", summary="Who the token belongs to")
def me(p: PrincipalDep):
    if isinstance(p, auth.UserPrincipal):
        return ok({"kind": "user", "id": p.id, "username": p.username, "full_name": p.full_name, "role": p.role})
    return ok({"kind": "device", "device_id": p.device_id, "name": p.name,
               "collaborator": {"id": p.collaborator_id, "name": p.collaborator_name},
               "groups": [{"ward_code": g.ward_code, "code": g.group_code, "name": g.group_name} for g in p.groups]})
