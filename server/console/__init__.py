"""The ward console: server-rendered HTML pages for the ward office (docs/console.md).

``router`` holds every console page; ``web`` is the shared plumbing (base template, auth helpers,
CSRF, rendering) other console packages reuse. ``CONSOLE`` is the console's own part (its strings:
the core's and those of its page modules), installed first by ``create_app``.
"""
from __future__ import annotations

from fastapi import APIRouter

from . import admin, auth_pages, dashboard, dedup_pages, evidence, households, i18n, review, web

router = APIRouter()
for _module in (auth_pages, dashboard, households, evidence, review, dedup_pages, admin):
    router.include_router(_module.router)

CONSOLE = web.ConsolePart(messages=(i18n.CORE_MESSAGES, web.MESSAGES, households.MESSAGES, dedup_pages.MESSAGES,
                                     evidence.MESSAGES))

__all__ = ["CONSOLE", "router"]
