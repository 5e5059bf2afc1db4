"""Every router of the programme package, for ``create_app`` (one include)."""
from __future__ import annotations

from fastapi import APIRouter

from . import api

router = APIRouter()
router.include_router(api.router)

__all__ = ["router"]
