"""Every router of the process and reports packages, for ``create_app`` (one include)."""
from __future__ import annotations

from fastapi import APIRouter

from ..reports import api as reports_api
from ..reports import web as reports_web
from . import api as process_api
from . import web as process_web

router = APIRouter()
for _r in (process_api.router, reports_api.router, process_web.router, reports_web.router):
    router.include_router(_r)

__all__ = ["router"]
