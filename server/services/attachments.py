"""Attachments: content-addressed, resumable, verified uploads of dwelling photos (docs/sync-protocol.md,
"Attachments").

- A file is addressed by the SHA-256 of its bytes and stored once, under
  ``<data dir>/attachments/ab/cd/<sha256>``.
- An upload arrives in chunks at explicit offsets. The bytes received so far are kept in
  ``attachments/partial/<sha256>.<device>`` and the count of good bytes in ``attachment_uploads``;
  a chunk is written at ``received`` (anything past it is truncated first), fsynced, then counted, all
  inside one write transaction — so after a crash or a cut connection the upload resumes from the last
  counted byte. A chunk sent with ``X-Chunk-SHA256`` that does not match is refused (the count does
  not move); a complete file whose hash is not its name is refused and the upload restarts from 0.
- A complete, verified file is fsynced and renamed into place; only then is its row written. Every
  submission held as incomplete for want of it is re-checked in the same transaction.
- Only images are kept: a complete file must open as the JPEG, PNG or WebP it was declared as, of at
  most ``MAX_IMAGE_PIXELS`` (read from its header; nothing is decoded), else it is refused (422
  ``not_an_image``, 413 ``image_too_large``) and the upload restarts. A thumbnail is made from a
  reduced decode (JPEG draft mode); a stored file that cannot be shown answers the same clear 4xx
  every time, from a note kept on its row (``image_problem``), without opening it again.
- Who may read a file (issue 18): office users, and a device that holds it (it uploaded the whole
  file, which hashed to its name: ``attachment_holders``) or whose groups' households carry it in a
  submission of a party that held it (the uploading device, another holder, the office or a preload).
  Naming a hash in one of its own households proves nothing. To a device that may not read a file,
  ``check``, ``status`` and reads answer as if the server did not hold it: a file's existence is not
  revealed; the device uploads the bytes, and so proves it has them.
- Uploads abandoned half-way (a tablet lost, reset, or its photo deleted) are removed after
  ``attachment_partial_max_age_days`` without a chunk: ``clean_partial`` (server start, ``rasoat
  clean-uploads``), under the same write lock as ``put_chunk``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ..auth import DevicePrincipal, UserPrincipal
from ..clock import iso, server_date
from ..db import Database
from ..errors import ApiError
from ..store import attachments as store
from ..store import audit

log = logging.getLogger("rasoat.attachments")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp")
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
MAX_IMAGE_PIXELS = 24_000_000      # 6000 x 4000; the tablet sends photos resized to 1600 px on the long side
MAX_CHECK_HASHES = 1000


@dataclass(frozen=True)
class Limits:
    max_bytes: int                 # per file
    max_bytes_per_device_day: int  # bytes a device may send per (server) day


def root_dir(data_dir: str | os.PathLike[str]) -> Path:
    return Path(data_dir) / "attachments"


def file_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256[2:4] / sha256


def _partial_path(root: Path, sha256: str, device_id: str) -> Path:
    return root / "partial" / f"{sha256}.{device_id}"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_hash(sha256: str) -> str:
    if not isinstance(sha256, str) or not HEX64.match(sha256):
        raise ApiError(422, "invalid_hash", "An attachment is named by 64 lowercase hex digits (SHA-256)",
                       "Mã ảnh (SHA-256) không hợp lệ")
    return sha256


def _error(status: int, code: str, en: str, vi: str, **details: Any) -> ApiError:
    return ApiError(status, code, en, vi, [details] if details else [])


# --- who may read a file ----------------------------------------------------------------------------

def may_read(conn: sqlite3.Connection, device: DevicePrincipal, sha256: str) -> bool:
    """A stored file ``device`` may read (see the module docstring). Call only for a stored file."""
    return store.holds(conn, sha256, device.device_id) or store.attached_in_groups(conn, sha256, device.group_ids)


# --- images -------------------------------------------------------------------------------------------

IMAGE_PROBLEMS = {
    "not_an_image": (422, "The file is not a JPEG, PNG or WebP image, or it is damaged",
                     "Tệp không phải là ảnh JPEG, PNG hoặc WebP, hoặc ảnh bị hỏng"),
    "image_type_mismatch": (422, "The image is not of the type it was sent as",
                            "Ảnh không đúng loại đã khai (Content-Type)"),
    "image_too_large": (413, f"The image has more than {MAX_IMAGE_PIXELS:,} pixels",
                        f"Ảnh quá lớn: tối đa {MAX_IMAGE_PIXELS // 1_000_000} triệu điểm ảnh"),
}


def image_error(code: str) -> ApiError:
    status, en, vi = IMAGE_PROBLEMS[code]
    return ApiError(status, code, en, vi, [{"max_pixels": MAX_IMAGE_PIXELS}] if code == "image_too_large" else [])


def _open_image(path: Path) -> Any:
    """The image at ``path`` opened lazily (header only), refusing decompression bombs."""
    import warnings

    from PIL import Image
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return Image.open(path)


def check_image(path: Path, content_type: str | None = None) -> str | None:
    """Why the file at ``path`` is not an image we keep (a code of IMAGE_PROBLEMS), or None. Reads the
    header only: the size is known before any pixel is decoded."""
    from PIL import Image
    try:
        with _open_image(path) as img:
            fmt, (w, h) = img.format, img.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return "image_too_large"
    except Exception:   # Pillow raises many kinds (UnidentifiedImageError, OSError, SyntaxError...) on bad input
        return "not_an_image"
    if fmt not in IMAGE_FORMATS.values():
        return "not_an_image"
    if content_type is not None and IMAGE_FORMATS.get(content_type) != fmt:
        return "image_type_mismatch"
    if w * h > MAX_IMAGE_PIXELS:
        return "image_too_large"
    return None


# --- which files the server holds ---------------------------------------------------------------

def check(db: Database, device: DevicePrincipal, hashes: Any) -> dict[str, Any]:
    """``missing``: the hashes the server does not hold; ``partial``: bytes already received of those."""
    if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
        raise _error(422, "invalid_request", "'hashes' must be a list of SHA-256 hex strings",
                     "'hashes' phải là danh sách mã SHA-256")
    if len(hashes) > MAX_CHECK_HASHES:
        raise _error(413, "batch_too_large", f"At most {MAX_CHECK_HASHES} hashes per check",
                     f"Tối đa {MAX_CHECK_HASHES} mã mỗi lần hỏi")
    for h in hashes:
        check_hash(h)
    with db.snapshot() as conn:
        have = {h for h in store.present(conn, hashes) if may_read(conn, device, h)}
        missing = [h for h in dict.fromkeys(hashes) if h not in have]
        partial = {}
        for h in missing:
            row = store.upload(conn, h, device.device_id)
            if row is not None and row["received"]:
                partial[h] = row["received"]
    return {"missing": missing, "partial": partial}


def status(db: Database, device: DevicePrincipal, sha256: str) -> dict[str, Any]:
    check_hash(sha256)
    with db.snapshot() as conn:
        row = store.get(conn, sha256)
        if row is not None and may_read(conn, device, sha256):
            return {"sha256": sha256, "size": row["size"], "received": row["size"], "complete": True}
        up = store.upload(conn, sha256, device.device_id)
    if up is None:
        return {"sha256": sha256, "size": None, "received": 0, "complete": False}
    return {"sha256": sha256, "size": up["size"], "received": up["received"], "complete": False}


# --- receiving a chunk ------------------------------------------------------------------------------

def _authorise_household(conn: sqlite3.Connection, device: DevicePrincipal, household_id: str | None) -> None:
    if not household_id:
        return
    row = conn.execute("SELECT group_id FROM households WHERE household_id = ?", (household_id,)).fetchone()
    if row is not None and row["group_id"] not in device.group_ids:
        raise _error(403, "forbidden_group", "This household belongs to a group not assigned to this device",
                     "Hộ này thuộc khu phố không được giao cho thiết bị này")


def put_chunk(db: Database, root: Path, device: DevicePrincipal, sha256: str, offset: int, total: int,
              data: bytes, content_type: str, household_id: str | None, chunk_sha256: str | None,
              limits: Limits, now: dt.datetime) -> dict[str, Any]:
    """Write ``data`` at ``offset`` of the file ``sha256`` of ``total`` bytes. See the module docstring."""
    check_hash(sha256)
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type not in CONTENT_TYPES:
        raise _error(415, "unsupported_media_type", f"Attachments are {', '.join(CONTENT_TYPES)}",
                     "Chỉ nhận ảnh JPEG, PNG hoặc WebP")
    if total < 1:
        raise _error(400, "bad_range", "The total size must be at least 1 byte", "Kích thước ảnh không hợp lệ")
    if total > limits.max_bytes:
        raise _error(413, "attachment_too_large", f"An attachment may have at most {limits.max_bytes} bytes",
                     f"Ảnh quá lớn: tối đa {limits.max_bytes // 1024} KB mỗi ảnh", max_bytes=limits.max_bytes)
    if offset < 0 or offset + len(data) > total:
        raise _error(400, "bad_range", "The chunk does not fit in the file", "Đoạn dữ liệu ảnh không hợp lệ")
    if chunk_sha256 is not None and hashlib.sha256(data).hexdigest() != chunk_sha256.strip().lower():
        # Corrupted on the way: refuse it; the count of good bytes does not move, the device re-sends it.
        with db.snapshot() as conn:
            up = store.upload(conn, sha256, device.device_id)
        raise _error(422, "chunk_corrupt", "The chunk does not match its X-Chunk-SHA256; send it again",
                     "Một phần ảnh bị hỏng trên đường truyền; máy sẽ gửi lại phần đó",
                     received=up["received"] if up is not None else 0)
    stamp, day = iso(now), server_date(now).isoformat()
    with db.write() as conn:
        _authorise_household(conn, device, household_id)
        known = store.get(conn, sha256) is not None
        if known and may_read(conn, device, sha256):                # stored before, readable by it: done
            store.end_upload(conn, sha256, device.device_id)
            return {"sha256": sha256, "size": total, "received": total, "complete": True, "stored": False}
        # Stored, but this device has not shown it holds the bytes: it uploads them like a new file.
        up = store.upload(conn, sha256, device.device_id)
        partial = _partial_path(root, sha256, device.device_id)
        if up is not None and (up["size"] != total or not partial.exists()
                               or partial.stat().st_size < up["received"]):
            up = None                                               # another size, or the bytes are gone
            store.end_upload(conn, sha256, device.device_id)
        received = up["received"] if up is not None else 0
        if offset != received:
            raise _error(409, "offset_mismatch", f"Expected offset {received}",
                         f"Máy chủ đã nhận {received} byte của ảnh này; máy sẽ gửi tiếp từ đó", received=received)
        used = store.usage(conn, device.device_id, day)
        if used + len(data) > limits.max_bytes_per_device_day:
            raise _error(429, "daily_limit", "This device reached its attachment limit for today",
                         "Thiết bị đã gửi quá dung lượng ảnh cho phép trong hôm nay; phiếu vẫn được nhận, "
                         "ảnh sẽ được gửi tiếp vào ngày mai", limit=limits.max_bytes_per_device_day, used=used)
        if up is None:
            store.start_upload(conn, sha256, device.device_id, total, content_type, household_id, stamp)
        partial.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "r+b" if partial.exists() else "w+b") as f:
            f.seek(offset)
            f.write(data)
            f.truncate(offset + len(data))
            f.flush()
            os.fsync(f.fileno())
        received = offset + len(data)
        store.set_received(conn, sha256, device.device_id, received, stamp)
        store.add_usage(conn, device.device_id, day, len(data))
        if received < total:
            return {"sha256": sha256, "size": total, "received": received, "complete": False}
        # Complete: the name must be the hash of the bytes, and the bytes an image, else start again.
        mismatch = sha256_file(partial) != sha256
        refused = None if mismatch or known else check_image(partial, content_type)
        completed: list[str] = []
        if mismatch or refused:
            partial.unlink(missing_ok=True)
            store.end_upload(conn, sha256, device.device_id)     # committed below: the upload restarts at 0
        elif known:                                               # the same bytes as the stored file
            partial.unlink(missing_ok=True)
            store.add_holder(conn, sha256, device.device_id, stamp)
            store.end_upload(conn, sha256, device.device_id)
            return {"sha256": sha256, "size": total, "received": total, "complete": True, "stored": False}
        else:
            dest = file_path(root, sha256)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(partial, dest)
            _fsync_dir(dest.parent)
            store.insert(conn, sha256, total, content_type, device.device_id, stamp)
            store.add_holder(conn, sha256, device.device_id, stamp)
            store.end_upload(conn, sha256, device.device_id)
            completed = complete_waiting(conn, sha256, stamp)
    if refused:
        raise image_error(refused)
    if mismatch:
        raise _error(422, "hash_mismatch", "The complete file does not hash to its name; upload it again",
                     "Ảnh nhận được bị sai (mã kiểm tra không khớp); máy sẽ gửi lại từ đầu", received=0)
    return {"sha256": sha256, "size": total, "received": total, "complete": True, "stored": True,
            "completed_submissions": completed}


def complete_waiting(conn: sqlite3.Connection, sha256: str, now: str) -> list[str]:
    """Re-check the submissions held for ``sha256``; returns those now complete."""
    done = []
    for row in store.waiting_for(conn, sha256):
        missing = store.missing_for(conn, row["submission_id"])
        store.update_missing(conn, row["submission_id"], missing, now)
        if not missing:
            done.append(row["submission_id"])
            audit.record(conn, now, "system", None, "submission.complete", "household", row["household_id"],
                         {"submission_id": row["submission_id"]})
    return done


# --- submissions naming photos (called by ingest inside its transaction) ----------------------------

def photos_of(answers: Any) -> list[tuple[str, str | None]]:
    out: dict[str, str | None] = {}
    photos = answers.get("photos") if isinstance(answers, dict) else None
    for p in photos or ():
        if isinstance(p, dict) and isinstance(p.get("sha256"), str) and HEX64.match(p["sha256"]):
            out.setdefault(p["sha256"], p.get("question") if isinstance(p.get("question"), str) else None)
    return list(out.items())


def on_result(conn: sqlite3.Connection, result: dict[str, Any], household_id: str | None,
              answers: Any, now: str) -> dict[str, Any]:
    """After ingest stored (or found) a submission: record the photos it names, hold it while some are
    missing, and say so in the per-record result (``incomplete: {missing: [...]}``)."""
    sid = result.get("submission_id")
    status = result.get("status")
    if not sid or status not in ("accepted", "conflict", "duplicate") or not household_id:
        return result
    photos = photos_of(answers)
    if status == "accepted" and not photos:
        return result          # just stored and naming no photo: nothing to record or hold
    if not store.ready(conn):
        return result
    if status != "duplicate" and photos:
        store.add_refs(conn, sid, household_id, photos)
    missing = store.missing_for(conn, sid)
    if missing:
        if status != "duplicate":
            store.hold(conn, sid, household_id, missing, now)
            audit.record(conn, now, "system", None, "submission.incomplete", "household", household_id,
                         {"submission_id": sid, "missing": missing})
        result = dict(result, incomplete={"missing": missing})
    return result


# --- reading --------------------------------------------------------------------------------------

def readable(db: Database, root: Path, principal: UserPrincipal | DevicePrincipal, sha256: str) -> tuple[Path, str]:
    """The file and its content type, if ``principal`` may read it (office users: any; devices: the
    photos of their groups' households, or files they uploaded themselves)."""
    check_hash(sha256)
    if not isinstance(principal, DevicePrincipal) and not principal.has_role("viewer"):   # a partner: before
        raise _error(403, "role_required", "This needs the viewer role", "Cần quyền xem")      # existence shows
    with db.snapshot() as conn:
        row = store.get(conn, sha256) if store.ready(conn) else None
        if row is None:
            raise _error(404, "not_found", "No such attachment", "Không có ảnh này trên máy chủ")
        if isinstance(principal, DevicePrincipal) and not may_read(conn, principal, sha256):
            # answered as if absent: existence is not revealed
            raise _error(404, "not_found", "No such attachment", "Không có ảnh này trên máy chủ")
    return file_path(root, sha256), row["content_type"]


def thumbnail(db: Database, root: Path, sha256: str, max_side: int = 240) -> Path:
    """A small JPEG of a stored image, made once under ``attachments/thumbs/``. A file that is not an
    image we can show (stored before uploads were checked) raises the ApiError of its problem, noted on
    its row the first time so it is never opened again; an image is never decoded at full size beyond
    ``MAX_IMAGE_PIXELS`` (checked from the header first) and a JPEG is decoded reduced (draft mode)."""
    thumb = root / "thumbs" / f"{sha256}-{max_side}.jpg"
    if thumb.exists():
        return thumb
    with db.snapshot() as conn:
        known = store.image_problem(conn, sha256)
    if known:
        raise image_error(known if known in IMAGE_PROBLEMS else "not_an_image")
    src = file_path(root, sha256)
    problem = check_image(src)
    if problem is None:
        thumb.parent.mkdir(parents=True, exist_ok=True)
        tmp = thumb.with_name(thumb.name + f".{os.getpid()}.tmp")
        try:
            with _open_image(src) as img:
                if img.format == "JPEG":
                    img.draft("RGB", (max_side, max_side))     # decode at 1/2 .. 1/8 scale
                img = img.convert("RGB")
                img.thumbnail((max_side, max_side))
                img.save(tmp, "JPEG", quality=75)
        except Exception:      # truncated or corrupt pixel data
            log.warning("cannot make a thumbnail of %s", sha256, exc_info=True)
            tmp.unlink(missing_ok=True)
            problem = "not_an_image"
    if problem:
        with db.write() as conn:
            store.set_image_problem(conn, sha256, problem)
        raise image_error(problem)
    os.replace(tmp, thumb)
    return thumb


def household_evidence(conn: sqlite3.Connection, household_id: str, submission_id: str | None,
                       answers: dict[str, Any]) -> dict[str, Any]:
    """What the console shows: each photo with whether the server holds it, and the hold if any."""
    photos = []
    have = store.present(conn, [sha for sha, _ in photos_of(answers)]) if store.ready(conn) else set()
    for p in answers.get("photos") or []:
        if isinstance(p, dict) and isinstance(p.get("sha256"), str):
            photos.append(dict(p, present=p["sha256"] in have))
    hold = store.incomplete(conn, submission_id) if submission_id and store.ready(conn) else None
    return {"photos": photos, "incomplete": hold if hold and not hold["completed_at"] else None}


# --- abandoned uploads -------------------------------------------------------------------------------

def clean_partial(db: Database, root: Path, max_age: dt.timedelta, now: dt.datetime) -> dict[str, int]:
    """Remove uploads in progress that received no chunk for longer than ``max_age``: the row in
    ``attachment_uploads`` and the bytes in ``attachments/partial/``; also partial files with no row
    (a crash between writing a first chunk and its commit) untouched as long.

    Runs in one write transaction, the one ``put_chunk`` takes to read the count, write the bytes and
    count them: a chunk is either wholly before the cleanup (and its ``updated_at`` is fresh, so it
    is kept) or wholly after it (and finds no upload: the device is told ``received: 0`` and starts
    again). Returns the counts, also logged.
    """
    cutoff = now - max_age
    stamp = iso(cutoff)
    partial_dir = root / "partial"
    out = {"uploads": 0, "orphan_files": 0, "bytes": 0}
    with db.write() as conn:
        if not store.ready(conn):
            return out
        known = set()
        for row in conn.execute("SELECT sha256, device_id, updated_at FROM attachment_uploads").fetchall():
            path = _partial_path(root, row["sha256"], row["device_id"])
            if row["updated_at"] >= stamp:
                known.add(path.name)
                continue
            try:
                out["bytes"] += path.stat().st_size
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:          # e.g. a file left by another user: keep its row, say so, go on
                log.warning("cannot remove abandoned upload %s: %s", path, exc)
                out.setdefault("errors", 0)
                out["errors"] += 1
                continue
            store.end_upload(conn, row["sha256"], row["device_id"])
            out["uploads"] += 1
        if partial_dir.is_dir():
            for path in partial_dir.iterdir():
                if path.name in known or not path.is_file():
                    continue
                try:
                    st = path.stat()
                    if dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc) >= cutoff:
                        continue
                    path.unlink()
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    log.warning("cannot remove orphan partial file %s: %s", path, exc)
                    out.setdefault("errors", 0)
                    out["errors"] += 1
                    continue
                out["orphan_files"] += 1
                out["bytes"] += st.st_size
    if out["uploads"] or out["orphan_files"]:
        log.info("removed %d abandoned uploads and %d orphan partial files (%d bytes) untouched since %s",
                 out["uploads"], out["orphan_files"], out["bytes"], stamp)
    else:
        log.info("no abandoned uploads older than %s", stamp)
    return out


def referenced(conn: sqlite3.Connection) -> Iterable[str]:
    yield from (r[0] for r in conn.execute("SELECT DISTINCT sha256 FROM attachment_refs"))


__all__ = ["Limits", "check", "status", "put_chunk", "on_result", "readable", "thumbnail", "root_dir",
           "file_path", "sha256_file", "household_evidence", "clean_partial", "json", "may_read", "check_image",
           "MAX_IMAGE_PIXELS"]
