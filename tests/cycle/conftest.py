"""Fixtures of the cycle tests: the server fixtures (a fresh demo-ward database per test, an app on
a fake clock, tokens), plus register files built from the synthetic generator."""
from tests.server.conftest import (  # noqa: F401  (fixtures)
    admin, app, client, clock, db, db_path, device, device2, officer, settings, template_db, viewer)
