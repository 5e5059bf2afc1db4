"""Fixtures of the process and report tests: the server test fixtures (a fresh demo-ward database
per test, an app on a fake clock, tokens, a live uvicorn), plus builders of rounds."""
from tests.server.conftest import (  # noqa: F401  (fixtures)
    admin, app, client, clock, db, db_path, device, live, officer, settings, template_db, viewer)
