"""Register files between the check and the import (the console's two steps on one address): an
uploaded file is kept under a random token, checked by a dry run of the import (nothing written) and
kept only if the check passes; the token then imports it once, and the file is gone either way."""
from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Any

from ..db import Database
from ..errors import ApiError
from .importer import import_file
from .parse import RegisterFileError

UPLOAD_DIR = Path(tempfile.gettempdir()) / "rasoat-register-uploads"
SUFFIXES = (".xlsx", ".xlsm", ".csv", ".txt")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")

_REFUSALS = {
    "no_file": (422, "No file chosen", "Chưa chọn tệp"),
    "file_type": (422, ".xlsx or .csv only", "Chỉ nhận tệp .xlsx hoặc .csv"),
    "upload_token": (422, "Invalid upload token", "Phiên tải tệp không hợp lệ"),
    "upload_gone": (404, "The uploaded file is no longer on the server", "Tệp đã tải lên không còn trên máy chủ"),
}


class Refused(ApiError):
    """No file, a type the importer does not read, a malformed token (422), or a token whose file is
    gone (404). ``code`` is the key of the reader's message (the console's ``error.<code>``)."""

    def __init__(self, code: str):
        status, message, message_vi = _REFUSALS[code]
        super().__init__(status, code, message, message_vi)


class Unreadable(ApiError):
    """The file could not be read as a register (the reason, in Vietnamese, is ``message_vi``); it is deleted."""

    def __init__(self, message_vi: str):
        super().__init__(422, "unreadable_register", "The file cannot be read as a register", message_vi)


def new_upload(file_name: str) -> tuple[str, Path]:
    """A new token and the path to write the upload named ``file_name`` to."""
    if not file_name:
        raise Refused("no_file")
    suffix = os.path.splitext(file_name)[1].lower()
    if suffix not in SUFFIXES:
        raise Refused("file_type")
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    return token, UPLOAD_DIR / f"{token}{suffix}"


def check(db: Database, path: Path, now: dt.datetime, year: int | None, file_name: str) -> dict[str, Any]:
    """The import's dry run (nothing written): its report. The file stays for the import only when
    the report is ``ok``."""
    try:
        report = import_file(db, path, now, year=year, dry_run=True, file_name=file_name)
    except (RegisterFileError, ApiError) as exc:
        path.unlink(missing_ok=True)
        raise Unreadable(str(exc) if isinstance(exc, RegisterFileError) else exc.message_vi) from None
    if not report["ok"]:
        path.unlink(missing_ok=True)
    return report


def staged(token: str) -> Path:
    """The checked file kept under ``token``."""
    if not _TOKEN.match(token):
        raise Refused("upload_token")
    found = list(UPLOAD_DIR.glob(f"{token}.*")) if UPLOAD_DIR.exists() else []
    if len(found) != 1:
        raise Refused("upload_gone")
    return found[0]


def import_staged(db: Database, path: Path, now: dt.datetime, year: int | None, user_id: int,
                  file_name: str) -> dict[str, Any]:
    """Import the checked file (its report: ``imported`` or why not); the file is deleted either way."""
    try:
        return import_file(db, path, now, year=year, user_id=user_id, file_name=file_name)
    finally:
        path.unlink(missing_ok=True)
