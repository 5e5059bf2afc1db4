"""Fixtures of the tablet tests. UI-only fixtures live in conftest_ui (imported by the UI modules)."""
from __future__ import annotations

import datetime as dt
import os

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")

import pytest

from mobile.collect import Collection
from mobile.store import LocalStore

from .fakeserver import FakeServer


@pytest.fixture()
def store(tmp_path):
    s = LocalStore.in_dir(tmp_path)
    yield s
    s.close()


@pytest.fixture()
def coll(store):
    return Collection(store, today=lambda: dt.date(2025, 10, 2), now=lambda: "2025-10-02T09:30:00+07:00")


@pytest.fixture()
def fake():
    srv = FakeServer()
    url = srv.start()
    srv.url = url
    yield srv
    srv.stop()


@pytest.fixture()
def nursery():
    """Kivy's kivy_app fixture asks for it (trio only)."""
    return None
