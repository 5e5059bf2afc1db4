"""GET /api/v1/health: is the server up and its database readable."""
from __future__ import annotations

from fastapi import APIRouter

from shared import wire

from ..clock import iso
from ..errors import ApiError
from .deps import DbDep, NowDep, ok

router = APIRouter(tags=["health"])


@router.get("/api/v1/health", summary="Liveness and database check (no authentication)")
def health(db: DbDep, now: NowDep):
    try:
        last = db.value("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        db.value("SELECT COUNT(*) FROM (SELECT 1 FROM households LIMIT 1)")
    except Exception as exc:  # noqa: BLE001 - reported as a 503 envelope
        raise ApiError(503, "database_unavailable", f"Database unavailable: {type(exc).__name__}",
                       "Không truy cập được cơ sở dữ liệu") from exc
    return ok({"status": "ok", "protocol": wire.PROTOCOL_VERSION, "schema_version": last, "server_time": iso(now)})
