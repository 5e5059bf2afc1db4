"""Photos of a delivery's evidence (a signed receipt, a decision): uploaded with the console's delivery form,
kept by content hash under ``<data dir>/programme-evidence/`` (table ``support_evidence``, migration 14:
who stored it, when), checked as images like the tablets' photos (``server/services/attachments.py``:
the same types, pixel limit and size limit) and named on the ledger entry by its SHA-256.

Who may see one: office users (viewer and up) any named by an entry; a partner only one named by an entry
of its own body (another body's photo answers 404, as if absent). A partner may name on its entries only
a photo stored by its own body's accounts (``may_name``)."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from ..clock import iso
from ..db import Database
from ..errors import ApiError
from ..services import attachments as service
from .scope import Scope


def _problem(status: int, code: str, vi: str, en: str) -> ApiError:
    return ApiError(status, code, f"evidence photo: {en}", f"Ảnh chứng từ: {vi}",
                    [{"field": "evidence_photo", "code": code, "message_vi": f"Ảnh chứng từ: {vi}",
                      "message_en": f"evidence photo: {en}"}])


def root_dir(data_dir: str | os.PathLike[str]) -> Path:
    return Path(data_dir) / "programme-evidence"


def file_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256[2:4] / sha256


def save(db: Database, root: Path, data: bytes, content_type: str, max_bytes: int, scope: Scope, now: Any) -> str:
    """Keep the photo ``data`` (JPEG, PNG or WebP, at most ``max_bytes``); returns its SHA-256. The same
    bytes twice are kept once."""
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type not in service.CONTENT_TYPES:
        raise _problem(415, "unsupported_media_type", "chỉ nhận ảnh JPEG, PNG hoặc WebP", "JPEG, PNG or WebP only")
    if not data:
        raise _problem(422, "empty_file", "tệp rỗng", "the file is empty")
    if len(data) > max_bytes:
        raise _problem(413, "attachment_too_large", f"quá lớn, tối đa {max_bytes // 1024:,} KB".replace(",", "."),
                       f"at most {max_bytes} bytes")
    sha = hashlib.sha256(data).hexdigest()
    dest = file_path(root, sha)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".evidence-", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        refused = service.check_image(Path(tmp), content_type)
        if refused:
            exc = service.image_error(refused)
            raise _problem(exc.status, refused, exc.message_vi[0].lower() + exc.message_vi[1:], exc.message)
        with db.write() as conn:
            if conn.execute("SELECT 1 FROM support_evidence WHERE sha256 = ?", (sha,)).fetchone() is None:
                os.replace(tmp, dest)
                conn.execute("INSERT INTO support_evidence (sha256, size, content_type, stored_by, stored_at) "
                             "VALUES (?, ?, ?, ?, ?)", (sha, len(data), content_type, scope.user_id, iso(now)))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return sha


def may_name(conn: Any, scope: Scope, sha256: str) -> bool:
    """Whether ``scope`` may name this stored photo on an entry: office users any; a partner one stored by
    an account of its own body."""
    if not scope.is_partner:
        return True
    return conn.execute("SELECT 1 FROM support_evidence e JOIN partner_accounts p ON p.user_id = e.stored_by "
                        "WHERE e.sha256 = ? AND p.body_id = ?", (sha256, scope.body_id)).fetchone() is not None


def readable(db: Database, root: Path, scope: Scope, sha256: str) -> tuple[Path, str]:
    """The file of an evidence photo ``scope`` may see, and its content type; 404 otherwise."""
    service.check_hash(sha256)
    conn = db.conn
    row = conn.execute("SELECT content_type FROM support_evidence WHERE sha256 = ?", (sha256,)).fetchone()
    named = conn.execute("SELECT 1 FROM support_entries WHERE evidence_sha256 = ?"
                         + (" AND body_id = ?" if scope.is_partner else "") + " LIMIT 1",
                         (sha256, scope.body_id) if scope.is_partner else (sha256,)).fetchone()
    if row is None or named is None:
        raise ApiError(404, "not_found", "No such evidence photo", "Không có ảnh chứng từ này")
    return file_path(root, sha256), row[0]
