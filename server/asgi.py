"""An app factory for process managers (uvicorn --workers, gunicorn): settings from RASOAT_*.

    uvicorn --factory server.asgi:app_from_environment
"""
from __future__ import annotations

from fastapi import FastAPI

from .app import create_app
from .settings import Settings


def app_from_environment() -> FastAPI:
    return create_app(Settings.load())
