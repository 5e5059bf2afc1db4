"""Attachments (dwelling photos): ask which exist, resumable chunked upload, read
(docs/sync-protocol.md, "Attachments")."""
from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse

from shared import wire

from ..errors import ApiError
from ..services import attachments as service
from .body import JsonBody, read_bounded
from .deps import DbDep, DeviceDep, NowDep, PrincipalDep, SettingsDep, ok
from .schemas import ERRORS, SHA256_PATTERN, AttachmentCheckRequest, body_doc

router = APIRouter(tags=["attachments"], responses=ERRORS)
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
# Documented, checked by the service (422 invalid_hash, the code the tablet knows).
Sha256 = Annotated[str, Path(description="SHA-256 hex of the file's bytes (its name)",
                             json_schema_extra={"pattern": SHA256_PATTERN})]
_PUT_BODY = {"requestBody": {"required": True, "description": "The chunk's bytes; the whole file must hash to its "
                             "name and be the JPEG, PNG or WebP image it is declared as",
                             "content": {t: {"schema": {"type": "string", "format": "binary"}}
                                         for t in service.CONTENT_TYPES}}}


def _limits(settings) -> service.Limits:
    return service.Limits(settings.max_attachment_bytes, settings.max_attachment_bytes_per_device_day)


def _root(settings):
    return service.root_dir(settings.data_dir)


@router.post("/api/v1/attachments/check", summary="Which of these SHA-256 hashes the server does not hold yet",
             openapi_extra=body_doc(AttachmentCheckRequest))
def check(device: DeviceDep, body: JsonBody, db: DbDep):
    wire.check_protocol(body)
    out = service.check(db, device, body.get("hashes"))
    return ok({"protocol": wire.PROTOCOL_VERSION, **out})


@router.get("/api/v1/attachments/{sha256}/status", summary="Bytes of this file the server holds from this device")
def upload_status(sha256: Sha256, device: DeviceDep, db: DbDep):
    return ok({"protocol": wire.PROTOCOL_VERSION, **service.status(db, device, sha256)})


@router.put("/api/v1/attachments/{sha256}", summary="Upload one chunk (Content-Range: bytes start-end/total)",
            openapi_extra=_PUT_BODY)
async def put_chunk(sha256: Sha256, request: Request, device: DeviceDep, db: DbDep, now: NowDep, settings: SettingsDep,
                    content_range: Annotated[str | None, Header()] = None,
                    x_chunk_sha256: Annotated[str | None, Header()] = None,
                    offset: Annotated[int | None, Query(ge=0)] = None,
                    total: Annotated[int | None, Query(ge=1)] = None,
                    household_id: Annotated[str | None, Query(max_length=64)] = None):
    whole = total
    if content_range is not None and _RANGE.match(content_range.strip()):
        whole = int(_RANGE.match(content_range.strip()).group(3))
    if whole is not None and whole > settings.max_attachment_bytes:      # say so before reading the body
        limits = _limits(settings)
        raise ApiError(413, "attachment_too_large", f"An attachment may have at most {limits.max_bytes} bytes",
                       f"Ảnh quá lớn: tối đa {limits.max_bytes // 1024} KB mỗi ảnh", [{"max_bytes": limits.max_bytes}])
    limit = min(settings.max_body_bytes, settings.max_attachment_bytes)
    data = await read_bounded(request, limit, ApiError(413, "body_too_large", f"A chunk may have at most {limit} bytes",
                                                       f"Mỗi phần ảnh tối đa {limit} byte"))
    if content_range is not None:
        m = _RANGE.match(content_range.strip())
        if not m:
            raise ApiError(400, "bad_range", "Content-Range must be 'bytes start-end/total'",
                           "Content-Range không hợp lệ")
        start, end, whole = (int(x) for x in m.groups())
        if end - start + 1 != len(data):
            raise ApiError(400, "bad_range", "Content-Range does not match the body length",
                           "Độ dài phần ảnh không khớp Content-Range")
        offset, total = start, whole
    if offset is None or total is None:
        raise ApiError(400, "bad_range", "Send Content-Range, or offset and total", "Thiếu vị trí của phần ảnh")
    if not data:
        raise ApiError(400, "empty_body", "The chunk is empty", "Không có dữ liệu ảnh")
    result = await run_in_threadpool(service.put_chunk, db, _root(settings), device, sha256, offset, total, data,
                                     request.headers.get("content-type", ""), household_id, x_chunk_sha256,
                                     _limits(settings), now)
    return ok({"protocol": wire.PROTOCOL_VERSION, **result})


@router.get("/api/v1/attachments/{sha256}", summary="The file (devices: photos of their groups' households)")
def read(sha256: Sha256, principal: PrincipalDep, db: DbDep, settings: SettingsDep):
    path, ctype = service.readable(db, _root(settings), principal, sha256)
    return FileResponse(path, media_type=ctype, headers={"Cache-Control": "private, max-age=31536000, immutable"})
