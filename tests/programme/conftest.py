"""Fixtures of the programme tests: the server fixtures (a fresh demo-ward database per test, an app on a
fake clock at 15/12/2025, tokens) plus a small ward with known statuses and partner accounts."""
from __future__ import annotations

from typing import Any

import pytest

from tests.server.conftest import (  # noqa: F401  (fixtures)
    admin, app, client, clock, db, db_path, device, device2, live, officer, settings, template_db, viewer)
from tests.server.conftest import device_token, session_token

from .helpers import Ward, make_partner, make_ward


@pytest.fixture
def ward(db) -> Ward:
    return make_ward(db)


@pytest.fixture
def partners(app, db) -> dict[str, str]:
    """Session tokens of one partner per body used in the tests (KP01 for the residential group)."""
    return {body: make_partner(app, body, group) for body, group in (
        ("health_station", None), ("fatherland_front", None), ("schools", None), ("social_policy_bank", None),
        ("residential_groups", "KP01"))}
