"""Security: every route × every caller against the table in harness/security.py, and the other checks."""
from __future__ import annotations

import pytest

from harness import security


@pytest.fixture
def env():
    e = security.Env()
    yield e
    e.close()


def test_every_route_is_in_the_access_table_and_answers_as_it_says(env):
    r = security.route_matrix(env)
    assert r["missing_from_table"] == [], (
        "routes without an access rule: add each to harness/security.py ROUTES")
    assert r["stale_in_table"] == []
    assert r["failures"] == []
    assert r["calls"] == r["routes"] * len(security.CALLERS)


@pytest.mark.parametrize("check", sorted(security.CHECKS))
def test_security_check(env, check):
    assert security.CHECKS[check](env) == []


def test_a_route_missing_from_the_table_is_reported(env):
    @env.app.get("/api/v1/new-thing-nobody-classified")
    def _new():   # pragma: no cover - never called
        return {}
    r = security.route_matrix(env)
    assert r["missing_from_table"] == ["GET /api/v1/new-thing-nobody-classified"]
