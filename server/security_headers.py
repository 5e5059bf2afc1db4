"""Security headers on every response (pure ASGI middleware; a header a route already set is kept).

Everywhere: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``.
Console pages (``/console``): also ``X-Frame-Options: DENY`` and a Content-Security-Policy with no
external source (``default-src 'self'``, ``frame-ancestors 'none'``), on redirects, files and error
pages too — not only on pages rendered by ``console.web.render``.
The API documentation (``/docs``, ``/redoc``) loads its viewer from a CDN, so it gets no CSP here.
When the server is published over HTTPS (``public_url`` starts with ``https://``), every response also
carries ``Strict-Transport-Security: max-age=31536000``: a browser that has once reached the console
over HTTPS never again sends it (or its session cookie) over plain HTTP (docs/operations.md, "HTTPS").
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

CONSOLE_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
               "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'")
COMMON = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"))
CONSOLE = ((b"x-frame-options", b"DENY"), (b"content-security-policy", CONSOLE_CSP.encode("ascii")))


HSTS = ((b"strict-transport-security", b"max-age=31536000"),)


class SecurityHeadersMiddleware:
    def __init__(self, app: Callable[..., Awaitable[None]], hsts: bool = False):
        self.app = app
        self.common = COMMON + (HSTS if hsts else ())

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        extra = self.common + (CONSOLE if path == "/console" or path.startswith("/console/") else ())

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in have]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
