"""Reading a device's request body: content type, gzip (bounded), size limit, strict JSON."""
from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Request

from shared import wire

from ..errors import ApiError
from ..services.ingest import Unreadable


class RawJson(bytes):
    """A request body checked and decompressed but not parsed yet (``parse()``: strict JSON).

    The push route parses it in its worker thread, not on the event loop, where it would compete
    for the GIL with the thread holding the database write lock."""

    def parse(self) -> Any:
        return wire.loads(self)

    def parse_push(self) -> Any:
        """A push body; when the whole body cannot be read because of one record (nested deeper than
        the parser goes, a number of thousands of digits), the others are read one by one and that
        record becomes an ``Unreadable`` item, answered ``rejected`` on its own."""
        try:
            return wire.loads(self)
        except wire.WireError as exc:
            if exc.code != "bad_json":
                raise
            split = split_push(self)
            if split is None:
                raise
            return split


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]')


def split_push(data: bytes) -> dict[str, Any] | None:
    """``{"protocol": ..., "submissions": [...]}`` read member by member and record by record, or None
    when the body is not a JSON object of that shape (then the caller's error stands). One pass over
    the structural tokens (strings and brackets), iterative: no recursion however deep."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    depth = 0
    top: dict[str, tuple[int, int]] = {}          # member -> span of its value text
    items: list[tuple[int, int, str | None]] = []  # span of each record's text, its submission_id
    key, want_key, value_start = None, False, 0
    in_subs, item_start, item_sid = False, 0, None
    key3, want_key3, want_val3 = None, False, False  # the members of one record (depth 3)
    for m in _TOKEN.finditer(text):
        tok, at = m.group(), m.start()
        if tok[0] == '"':
            if depth == 1 and want_key:
                key, want_key = wire.loads(tok), False
            elif in_subs and depth == 3:
                if want_key3:
                    key3, want_key3 = tok, False
                elif want_val3:
                    if key3 == '"submission_id"':
                        item_sid = wire.loads(tok)
                    want_val3 = False
            continue
        if tok == ":":
            if depth == 1:
                value_start = m.end()
            elif in_subs and depth == 3:
                want_val3 = True
            continue
        want_val3 = False
        if tok in "{[":
            depth += 1
            if depth == 1:
                if tok != "{":
                    return None
                want_key = True
            elif depth == 2 and key == "submissions":
                if tok != "[":
                    return None
                in_subs, item_start, item_sid = True, m.end(), None
            elif depth == 3 and in_subs and tok == "{":
                want_key3 = True
            continue
        if tok == ",":
            if depth == 1:
                if key is None:
                    return None
                top[key] = (value_start, at)
                key, want_key = None, True
            elif depth == 2 and in_subs:
                items.append((item_start, at, item_sid))
                item_start, item_sid = m.end(), None
            elif depth == 3 and in_subs:
                want_key3 = True
            continue
        if depth == 2 and in_subs:                 # the ] closing the list of submissions
            if text[item_start:at].strip():
                items.append((item_start, at, item_sid))
            in_subs = False
        depth -= 1
        if depth < 0:
            return None
        if depth == 0:
            if key is not None:
                top[key] = (value_start, at)
            if text[m.end():].strip():
                return None
            break
    if depth != 0 or "submissions" not in top:
        return None
    out: dict[str, Any] = {}
    try:
        for k, (a, b) in top.items():
            if k != "submissions":
                out[k] = wire.loads(text[a:b])
    except wire.WireError:
        return None
    subs: list[Any] = []
    for a, b, sid in items:
        try:
            subs.append(wire.loads(text[a:b]))
        except wire.WireError as exc:
            subs.append(Unreadable(wire.WireProblem("", *_why(str(exc))), sid if wire.is_uuid(sid) else None))
    out["submissions"] = subs
    return out


def _why(error: str) -> tuple[str, str, str]:
    if "recursion" in error or "depth" in error:
        return "too_deep", "Dữ liệu lồng nhau quá sâu, không đọc được", "Nested too deep to read"
    if "digits" in error:
        return "number_too_long", "Có số quá dài (hàng nghìn chữ số), không đọc được", "A number has too many digits"
    return "unreadable", "Phiếu không đọc được (JSON không hợp lệ)", "The record cannot be read (invalid JSON)"


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
