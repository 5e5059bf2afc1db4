"""FastAPI dependencies, as Annotated aliases: settings, database, clock, and who is calling.

Authorisation lives here (not inside handlers): ``DeviceDep`` admits an
enrolled, unrevoked device; ``ViewerDep`` / ``OfficerDep`` / ``AdminDep`` admit
a ward user with at least that role; ``PrincipalDep`` admits either.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .. import auth, jsontext
from ..access import Surface, require_role
from ..db import Database
from ..errors import ApiError
from ..settings import Settings

bearer = HTTPBearer(auto_error=False, description="A device token (rsd_…) from POST /api/v1/enroll, "
                                                  "or a ward user's session token (rss_…) from POST /api/v1/login.")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_now(request: Request) -> dt.datetime:
    return request.app.state.clock()


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbDep = Annotated[Database, Depends(get_db)]
NowDep = Annotated[dt.datetime, Depends(get_now)]

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def get_principal(db: DbDep, now: NowDep,
                  creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
                  ) -> auth.UserPrincipal | auth.DevicePrincipal:
    if creds is None:
        raise ApiError(401, "auth_required", "Send 'Authorization: Bearer <token>'",
                       "Cần đăng nhập hoặc đăng ký thiết bị", headers=_CHALLENGE)
    token = creds.credentials
    p = auth.resolve_token(db.conn, token, now)
    if p is not None:
        return p
    if token.startswith(auth.DEVICE_PREFIX):
        row = db.one("SELECT revoked_at FROM devices WHERE token_hash = ?", (auth.token_hash(token),))
        if row is not None:
            raise ApiError(401, "token_revoked", "Device token was revoked",
                           "Thiết bị đã bị thu hồi quyền đồng bộ; liên hệ cán bộ phường", headers=_CHALLENGE)
    if token.startswith(auth.SESSION_PREFIX):
        raise ApiError(401, "session_expired", "Session expired or ended; log in again",
                       "Phiên đăng nhập đã hết; đăng nhập lại", headers=_CHALLENGE)
    raise ApiError(401, "invalid_token", "Unknown token", "Mã truy cập không hợp lệ", headers=_CHALLENGE)


PrincipalDep = Annotated[auth.UserPrincipal | auth.DevicePrincipal, Depends(get_principal)]


def require_device(p: PrincipalDep) -> auth.DevicePrincipal:
    if not isinstance(p, auth.DevicePrincipal):
        raise ApiError(403, "device_only", "Only an enrolled device may call this",
                       "Chỉ thiết bị đã đăng ký mới được dùng chức năng này")
    return p


def _refuse(p: auth.UserPrincipal | auth.DevicePrincipal, role: str) -> ApiError:
    if not isinstance(p, auth.UserPrincipal):
        return ApiError(403, "user_only", "Only a ward user may call this",
                        "Chỉ cán bộ phường mới được dùng chức năng này")
    return ApiError(403, "role_required", f"This needs the {role} role",
                    f"Cần quyền {role} để thực hiện", [{"required_role": role, "your_role": p.role}])


# The JSON API's callers: a bearer token; refused with the JSON envelope (server/access.py).
API = Surface("require", get_principal, _refuse)


DeviceDep = Annotated[auth.DevicePrincipal, Depends(require_device)]
ViewerDep = Annotated[auth.UserPrincipal, Depends(require_role("viewer", API))]
OfficerDep = Annotated[auth.UserPrincipal, Depends(require_role("officer", API))]
AdminDep = Annotated[auth.UserPrincipal, Depends(require_role("admin", API))]


def bearer_token(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str | None:
    return None if creds is None else creds.credentials


TokenDep = Annotated[str | None, Depends(bearer_token)]


def ok(obj: Any, status: int = 200) -> Any:
    """A compact JSON response (the routes' one serialiser)."""
    from starlette.responses import Response

    return Response(jsontext.dumps_bytes(obj), status_code=status, media_type="application/json")
