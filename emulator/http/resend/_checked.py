"""`Checked`: the plain ASGI endpoint every keyed Resend route runs behind.

It refuses a missing or bad key and a request over the rate limit, reads the body within its
size limit, honours `Idempotency-Key` on sends, runs the handler, logs the request in the
account's log and answers Resend's JSON with the `ratelimit-*` headers. Plain ASGI because a
send is the API's hot path: Starlette's request and response objects (URL parsing, header
objects, the response class, an async generator per body) cost as much as the handler. The
handler still gets a `Request`, which costs nothing until it is read.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from emulator.http._limits import receive_limited
from emulator.mail import ResendApiError, ResendService

Handler = Callable[[Request], Awaitable[dict[str, Any]]]
# What `JSONResponse` renders: compact, UTF-8, no NaN.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_JSON_TYPE = (b"content-type", b"application/json")


class Checked:
    """An ASGI app: `handler` behind the key, rate-limit, body and idempotency checks."""

    __slots__ = ("handler", "idempotent", "service", "status")

    def __init__(
        self, service: ResendService, handler: Handler, *, idempotent: bool, status: int
    ) -> None:
        self.service = service
        self.handler = handler
        self.idempotent = idempotent  # a send: `Idempotency-Key` replays the first answer
        self.status = status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        service = self.service
        headers = dict(reversed(scope["headers"]))  # the first of a repeated header wins
        rate, over = service.rate_headers()
        request = Request(scope, receive)
        status, body, raw = await self._outcome(request, headers, over, rate)
        if raw is not None:  # the key was accepted and the body read
            agent = headers.get(b"user-agent")
            service.account.logs.record(
                scope["method"],
                _url_path(scope["path"]),
                status,
                None if agent is None else agent.decode("latin-1"),
                raw,
                body,
            )
        await answer(send, status, body, rate)

    async def _outcome(
        self, request: Request, headers: dict[bytes, bytes], over: bool, rate: dict[str, str]
    ) -> tuple[int, dict[str, Any], bytes | None]:
        """The status and body of the answer, and the body read (None if refused before)."""
        service = self.service
        raw: bytes | None = None
        key = _header(headers, b"idempotency-key") if self.idempotent else None
        began = False
        try:
            service.check_key(_header(headers, b"authorization"))
            if over:
                raise ResendApiError(
                    429,
                    "rate_limit_exceeded",
                    f"Too many requests. You can only make {service.rate_limit} requests per "
                    "second. See rate limit response headers for more information.",
                )
            raw = await receive_limited(
                request.receive,
                _header(headers, b"content-length"),
                service.max_body_bytes,
                too_large,
            )
            request.scope.setdefault("state", {})["raw"] = raw  # what `request.state` reads
            if key is not None:  # a send with `Idempotency-Key`
                cached = service.idempotency_begin(key, _url_path(request.scope["path"]), raw)
                if cached is not None:
                    return 200, cached, raw
                began = True
            body = await self.handler(request)
        except ResendApiError as exc:
            if began:
                service.idempotency_end(key, None)
            if exc.retry_after is not None:
                rate["retry-after"] = str(max(1, round(exc.retry_after)))
            return exc.status, exc.body(), raw
        except Exception as exc:
            if began:
                service.idempotency_end(key, None)
            error = ResendApiError(500, "application_error", f"Unexpected error: {exc!r}")
            return 500, error.body(), raw
        if began:
            service.idempotency_end(key, body)
        return request.scope.get("state", {}).get("status", self.status), body, raw


def raw_body(request: Request) -> bytes:
    """The body `Checked` read before calling the handler (kept in the scope's state, where
    `request.state` reads it)."""
    raw: bytes = request.scope["state"]["raw"]
    return raw


async def answer(send: Send, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
    """Send `body` as JSON with `headers`, byte for byte what `JSONResponse` sends."""
    content = _ENCODER.encode(body).encode()
    raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw_headers.append((b"content-length", str(len(content)).encode()))
    raw_headers.append(_JSON_TYPE)
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": content})


def _header(headers: dict[bytes, bytes], name: bytes) -> str | None:
    value = headers.get(name)
    return None if value is None else value.decode("latin-1")


def _url_path(path: str) -> str:
    """The path as `request.url.path` reads it (Starlette escapes these three)."""
    return path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")


def too_large(size: int, limit: int) -> ResendApiError:
    return ResendApiError(
        413,
        "validation_error",
        f"The request body is {size} bytes; the limit is {limit} bytes (attachments at most 40MB).",
    )
