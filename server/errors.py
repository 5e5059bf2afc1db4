"""One JSON error envelope for every API error.

    {"error": {"code": "...", "message": "English", "message_vi": "Tiếng Việt", "details": [...]}}

``ApiError`` is raised by services and routes; ``install_error_handlers`` maps
it, FastAPI's validation errors, Starlette's HTTP errors (404, 405...) and any
unexpected exception (500, no traceback in the body) to the envelope.

Where the words live (issue 22): an ``ApiError``'s English and Vietnamese text is written where it is
raised, because it names that refusal (its field, its limit, the entry it concerns: one ``code`` such
as ``household_not_found`` has eight different texts); the ``code`` is the stable key clients and
tests use. The console shows ``message_vi`` / ``message`` of an escaped ``ApiError`` as its page.
The words of pages are the console's one catalogue (``server/console/i18n.py``), the tablet's are
``mobile/i18n.py``.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from shared import wire

from .db import is_disk_full  # noqa: F401  (defined with the database; used by the handlers here)

log = logging.getLogger("rasoat.server")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, message_vi: str,
                 details: list[Any] | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.message_vi = status, code, message, message_vi
        self.details = details or []
        self.headers = headers

    @classmethod
    def from_wire(cls, exc: wire.WireError) -> "ApiError":
        status = {"body_too_large": 413, "batch_too_large": 413, "unsupported_protocol": 400}.get(exc.code, 400)
        return cls(status, exc.code, exc.message_en, exc.message_vi)


def envelope(code: str, message: str, message_vi: str, details: list[Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "message_vi": message_vi, "details": details or []}}


def error_response(status: int, code: str, message: str, message_vi: str,
                   details: list[Any] | None = None, headers: dict[str, str] | None = None) -> Response:
    body = envelope(code, message, message_vi, details)
    try:
        data = wire.dumps(body)
    except (UnicodeEncodeError, ValueError):      # details echoing a lone surrogate or an infinity
        data = json.dumps(body, ensure_ascii=True, default=str).replace("Infinity", "null").encode("ascii")
    return Response(data, status_code=status, media_type="application/json", headers=headers)


# Messages for HTTP errors raised by the framework itself.
_HTTP = {
    400: ("bad_request", "Bad request", "Yêu cầu không hợp lệ"),
    401: ("unauthorized", "Authentication required", "Cần đăng nhập"),
    403: ("forbidden", "Not allowed", "Không có quyền"),
    404: ("not_found", "Not found", "Không tìm thấy"),
    405: ("method_not_allowed", "Method not allowed", "Phương thức không được hỗ trợ"),
    413: ("body_too_large", "Request body too large", "Dữ liệu gửi lên quá lớn"),
    415: ("unsupported_media_type", "Unsupported media type", "Định dạng dữ liệu không được hỗ trợ"),
}


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for e in exc.errors():
        loc = [str(x) for x in e.get("loc", ())]
        out.append({"path": ".".join(loc), "code": e.get("type", "invalid"), "message": e.get("msg", "")})
    return out


def install_error_handlers(app: FastAPI) -> None:
    """The error envelope for every error. ``app.state.http_error_pages``: callables (request, status)
    giving a page instead of JSON for a 404/405, or None; a feature serving HTML adds its own in
    ``create_app`` (per app: nothing module-level)."""
    app.state.http_error_pages = []

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.message_vi, exc.details, exc.headers)

    @app.exception_handler(UnicodeEncodeError)
    async def _not_utf8(request: Request, exc: UnicodeEncodeError) -> Response:
        # Only request input can hold a lone surrogate (JSON "\ud800"): it cannot be stored or hashed.
        return error_response(422, "invalid_text", "The request holds text that is not valid UTF-8 "
                              "(a lone surrogate)", "Dữ liệu gửi lên có ký tự không hợp lệ (không phải văn bản UTF-8)")

    @app.exception_handler(wire.WireError)
    async def _wire_error(request: Request, exc: wire.WireError) -> Response:
        e = ApiError.from_wire(exc)
        return error_response(e.status, e.code, e.message, e.message_vi)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        details = _validation_details(exc)
        where = ", ".join(d["path"] for d in details[:5])
        return error_response(422, "invalid_request", f"Invalid request: {where}",
                              f"Yêu cầu không hợp lệ: {where}", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        for page_for in request.app.state.http_error_pages:   # e.g. console addresses answer pages
            page = page_for(request, exc.status_code)
            if page is not None:
                return page
        code, message, message_vi = _HTTP.get(exc.status_code, ("http_error", "HTTP error", "Lỗi HTTP"))
        if isinstance(exc.detail, str) and exc.detail and exc.status_code not in _HTTP:
            message = exc.detail
        return error_response(exc.status_code, code, message, message_vi, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        if is_disk_full(exc):    # SQLITE_FULL: the transaction was rolled back, nothing of it is stored
            log.error("disk full on %s %s: %s", request.method, request.url.path, exc)
            return error_response(507, "disk_full", "The server's disk is full: nothing of this request was "
                                  "stored; free disk space on the server, then send again",
                                  "Ổ đĩa máy chủ đã đầy: chưa lưu gì của lần gửi này; cán bộ phường cần giải "
                                  "phóng dung lượng ổ đĩa máy chủ, rồi gửi lại (phiếu vẫn được giữ trên máy)")
        if isinstance(exc, OverflowError):   # an id beyond SQLite's 64-bit integers (/meetings/99999999999999999999)
            return error_response(422, "invalid_request", "A number in the request is out of range",
                                  "Một số trong yêu cầu vượt quá giới hạn cho phép",
                                  [{"path": request.url.path, "code": "out_of_range", "message": str(exc)[:200]}])
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "Internal server error; the office can see the log",
                              "Lỗi máy chủ; cán bộ phường kiểm tra nhật ký máy chủ")
