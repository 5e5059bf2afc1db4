"""Reading a device's request body: content type, gzip (bounded), size limit, strict JSON."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from shared import wire

from ..errors import ApiError


class RawJson(bytes):
    """A request body checked and decompressed but not parsed yet (``parse()``: strict JSON).

    The push route parses it in its worker thread, not on the event loop, where it would compete
    for the GIL with the thread holding the database write lock."""

    def parse(self) -> Any:
        return wire.loads(self)


async def json_body(request: Request) -> Any:
    """The parsed JSON body. Errors: 415 wrong type/encoding, 413 too large, 400 bad gzip/JSON."""
    return (await raw_json_body(request)).parse()


async def raw_json_body(request: Request) -> RawJson:
    """The body checked (type, encoding, size) and decompressed; JSON errors come at ``parse()``."""
    limit = request.app.state.settings.max_body_bytes
    ctype = request.headers.get("content-type", "")
    media, _, params = ctype.partition(";")
    if media.strip().lower() != "application/json":
        raise ApiError(415, "unsupported_media_type", f"Content-Type must be application/json (got {ctype or 'none'!r})",
                       "Dữ liệu phải ở dạng JSON (Content-Type: application/json)")
    charset = params.strip().lower()
    if charset and charset.replace(" ", "") not in ("charset=utf-8", "charset=\"utf-8\""):
        raise ApiError(415, "unsupported_media_type", "JSON must be UTF-8", "Dữ liệu JSON phải mã hóa UTF-8")
    encoding = request.headers.get("content-encoding", "identity").strip().lower() or "identity"
    if encoding not in ("gzip", "identity"):
        raise ApiError(415, "unsupported_encoding", f"Content-Encoding must be gzip or identity (got {encoding!r})",
                       "Chỉ hỗ trợ nén gzip")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "body_too_large", f"Request body exceeds {limit} bytes",
                       f"Dữ liệu gửi lên vượt quá {limit} byte")
    data = await read_bounded(request, limit, ApiError(413, "body_too_large", f"Request body exceeds {limit} bytes",
                                                       f"Dữ liệu gửi lên vượt quá {limit} byte"))
    if not data:
        raise ApiError(400, "empty_body", "The request body is empty", "Không có dữ liệu gửi lên")
    if encoding == "gzip":
        data = wire.gunzip_bounded(data, limit)
    return RawJson(data)


async def read_bounded(request: Request, limit: int, too_large: ApiError) -> bytes:
    """The request body as it streams in, refused with ``too_large`` as soon as it passes ``limit``
    bytes (never held whole in memory beyond the limit)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


JsonBody = Annotated[Any, Depends(json_body)]
RawJsonBody = Annotated[RawJson, Depends(raw_json_body)]
