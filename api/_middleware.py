"""One ASGI layer in front of every request: bounded bodies, security headers, a request id, one log
line and the request's metrics.

The body is read into memory up to the configured limit before the app sees it; a larger one,
chunked or not, is answered 413 at once and the connection closed, so no handler ever holds an
unbounded body and no half-read body poisons the next request on a keep-alive connection.
Every response carries ``nosniff``, ``Cache-Control: no-store`` (they hold personal data),
``X-Frame-Options: DENY`` and no referrer; HTML pages a Content-Security-Policy without any script.
The request id (the caller's ``X-Request-ID`` when it is a sane one, otherwise a new one) is sent
back in ``X-Request-ID`` and is on every log line written while the request runs.
"""

from __future__ import annotations

import logging
import time

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import _logging, _metrics

log = logging.getLogger("ekbist.api")

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_BASE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class Guard:
    def __init__(self, app: ASGIApp, limit: int, demo_notice: str | None = None) -> None:
        self.app = app
        self.limit = limit
        self.demo = [(b"x-ekbist-demo", demo_notice.encode("ascii"))] if demo_notice else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0
        given = next((v for k, v in scope.get("headers", []) if k == b"x-request-id"), b"")
        info, reset = _logging.begin(given.decode("latin-1"))

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [h for h in _BASE_HEADERS if h[0] not in names] + self.demo
                extra.append((b"x-request-id", info.id.encode("ascii")))
                if b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if ctype.startswith(b"text/html") and b"content-security-policy" not in names:
                    extra.append((b"content-security-policy", CSP.encode("ascii")))
                message = {**message, "headers": headers + extra}
            await send(message)

        try:
            body = await self._read_body(scope, receive)
            if body is None:
                await _too_large(send_with_headers, self.limit)
                return
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self.app(scope, replay, send_with_headers)
        finally:
            elapsed = time.perf_counter() - start
            route = getattr(scope.get("route"), "path", None)
            method = _metrics.method_label(str(scope.get("method")))
            # The route's template, not the path: no query strings (link tokens), no ids, no bodies.
            log.info(
                "%s %s %s %.1f ms",
                method,
                route or _metrics.UNKNOWN_ROUTE,
                status,
                elapsed * 1000,
                extra={"metod": method, "vag": route, "status": status, "ms": round(elapsed * 1000, 1)},
            )
            _metrics.request_done(route, method, status, elapsed)
            _logging.end(reset)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | None:
        """The whole body, or None when it is over the limit (reading stops there)."""
        for name, value in scope.get("headers", []):
            if name == b"content-length" and (not value.isdigit() or int(value) > self.limit):
                return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


async def _too_large(send: Send, limit: int) -> None:
    data = orjson.dumps({"fel": f"innehållet är större än {limit} byte"})
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                (b"connection", b"close"),  # the rest of the body is never read: this connection ends here
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
