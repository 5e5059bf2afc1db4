"""``create_app(settings)``: the FastAPI application. No import-time state: every app owns its
settings, database and clock (``app.state``), so tests can run many side by side."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

import anyio
from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from shared import wire

from .api import attachments, health, households, office, openapi, session, sync
from .cycle import api as cycle_api, web as cycle_web
from .checkpoint import Checkpointer
from .clock import Clock, iso, system_clock
from .console import CONSOLE as core_console, router as console_router
from .console.web import install as install_console, not_a_page
from .cycle.rounds import publish as publish_round
from .db import open_database
from .dedup import api as dedup_api
from .errors import install_error_handlers
from .process import api as process_api, web as process_web
from .programme import api as programme_api, web as programme_web
from .reports import api as reports_api, web as reports_web
from .reports.background import FactsRefresher, interval_setting
from .security_headers import SecurityHeadersMiddleware
from .services.ingest import match_leftovers
from .services.publish import publish_bundled
from .settings import Settings

log = logging.getLogger("rasoat.server")
# Pushes handled at once per process. CPU-bound: more threads only fight for the GIL and stretch the time
# the write lock is held; 1 and 2 measured the same, 4 lower (docs/performance.md, "Sync ingest").
INGEST_THREADS = 2

# What the console is made of, in order: its menu entries, template directories and strings (one
# catalogue per app, server/console/i18n.py), installed per app by create_app.
CONSOLE_PARTS = (core_console, reports_web.CONSOLE, process_web.CONSOLE, cycle_web.CONSOLE, programme_web.CONSOLE)

# The routers of the features, in the order they are matched, after the sync API and the console's own:
# community meeting, posting, recognition and reports; the duplicates' review queue; review rounds,
# register import, eligibility and targets (issue 7); the support programme (issue 20).
FEATURE_ROUTERS = (process_api.router, reports_api.router, process_web.router, reports_web.router, dedup_api.router,
                   cycle_api.router, cycle_web.router, programme_api.router, programme_web.router)

API_DESCRIPTION = """Sync and office API of **rasoat** (rà soát hộ nghèo, cận nghèo).

Devices authenticate with a device token from `POST /api/v1/enroll`; ward users with a
session token from `POST /api/v1/login`. Every error has the envelope
`{"error": {"code", "message", "message_vi", "details"}}`. Protocol: docs/sync-protocol.md.
"""


def create_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    """Build an app on ``settings`` (resolved and checked here; SettingsError if unfit to start)."""
    settings = settings.resolved().check()
    clock = clock or system_clock
    db = open_database(settings.db_path, settings.busy_timeout_ms, background_checkpoints=True,
                       max_mb=settings.db_max_mb)
    publish_bundled(db, clock())
    with db.write() as conn:      # the round devices work in (a server upgraded with a round already open)
        publish_round(conn, iso(clock()))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Households a crash left indexed but unmatched (between a push's commit and its dedup match).
        leftovers = await anyio.to_thread.run_sync(match_leftovers, db, clock())
        if leftovers:
            log.info("matched %d household(s) left pending by an interrupted push", leftovers)
        # Report facts kept current in the background (after start and after bulk loads), so the
        # first report does not wait for them (server/reports/background.py; 0 turns it off).
        interval = interval_setting(settings)
        refresher = FactsRefresher(db, interval).start() if interval > 0 else None
        app.state.facts_refresher = refresher
        # WAL checkpoints outside the write lock (server/checkpoint.py).
        checkpointer = Checkpointer(db).start()
        app.state.checkpointer = checkpointer
        try:
            yield
        finally:
            if refresher is not None:
                await anyio.to_thread.run_sync(refresher.stop)
            await anyio.to_thread.run_sync(checkpointer.stop)
            db.close()

    app = FastAPI(title="rasoat", version=f"protocol {wire.PROTOCOL_VERSION}", description=API_DESCRIPTION,
                  lifespan=lifespan)
    app.state.settings = settings
    app.state.db = db
    app.state.clock = clock
    app.state.ingest_limiter = anyio.CapacityLimiter(INGEST_THREADS)
    # A push of new households only is written in bulk (services/rows.py, the same rows as record by
    # record); tests comparing the two paths turn it off on their app.
    app.state.bulk_new_households = True
    install_error_handlers(app)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    # nosniff everywhere; CSP, frame denial on the console; HSTS when published over HTTPS
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.public_url.startswith("https://"))

    for module in (health, session, sync, attachments, households, office):
        app.include_router(module.router)
    app.include_router(console_router)  # the ward console (HTML pages, docs/console.md)
    app.state.http_error_pages.append(not_a_page)    # console addresses answer pages, not JSON
    for router in FEATURE_ROUTERS:
        app.include_router(router)
    # The console's menu, templates and message catalogue, per app: the core's, then each feature's in order.
    install_console(app, CONSOLE_PARTS)
    openapi.install(app)                # a complete /openapi.json: refs resolve, errors and enums documented
    return app
