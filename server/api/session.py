"""Ward-user sessions for the API: POST /api/v1/login returns a bearer token (rss_…)."""
from __future__ import annotations

from fastapi import APIRouter

from .. import auth
from ..clock import iso
from ..errors import ApiError
from ..store import audit
from .deps import DbDep, NowDep, PrincipalDep, SettingsDep, TokenDep, ok
from .schemas import ERRORS, LoginRequest, LoginResponse

router = APIRouter(tags=["session"], responses={k: v for k, v in ERRORS.items() if k in (401, 422, 500)})


@router.post("/api/v1/login", response_model=LoginResponse, summary="Log a ward user in; returns a session token")
def login(body: LoginRequest, db: DbDep, now: NowDep, settings: SettingsDep):
    user = auth.authenticate_password(db.conn, body.username, body.password)
    if user is None:
        with db.write() as conn:
            audit.record(conn, iso(now), "system", None, "login.failed", "user", body.username)
        raise ApiError(401, "invalid_credentials", "Wrong username or password", "Sai tên đăng nhập hoặc mật khẩu")
    with db.write() as conn:
        token, expires = auth.start_session(conn, user.id, now, settings.session_ttl_hours)
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
