"""The ward console: server-rendered HTML pages for the ward office (docs/console.md).

``router`` holds every console page; ``web`` is the shared plumbing (base template, auth helpers,
CSRF, rendering) other console packages reuse.
"""
from __future__ import annotations

from fastapi import APIRouter

from . import admin, auth_pages, dashboard, dedup_pages, evidence, households, review

router = APIRouter()
for _module in (auth_pages, dashboard, households, evidence, review, dedup_pages, admin):
    router.include_router(_module.router)

__all__ = ["router"]
