"""Every router of the programme package, for ``create_app`` (one include)."""
from __future__ import annotations

from fastapi import APIRouter

from . import api, web

router = APIRouter()
for _r in (api.router, web.router):
    router.include_router(_r)

__all__ = ["router"]
