"""Fixtures of the dedup tests that run through the server (register import, device push): the
demo-ward template database of the server tests, copied per use."""
from tests.server.conftest import db_path, template_db  # noqa: F401  (fixtures)
