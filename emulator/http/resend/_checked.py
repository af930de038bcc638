"""`Checked`: the plain ASGI endpoint every keyed Resend route runs behind.

It refuses a missing or bad key and a request over the rate limit, reads the body within its
size limit, honours `Idempotency-Key` on sends, runs the handler, logs the request in the
account's log and answers Resend's JSON with the `ratelimit-*` headers. Plain ASGI because a
send is the API's hot path: Starlette's request and response objects (URL parsing, header
objects, the response class, an async generator per body) cost as much as the handler. A
handler gets a `Request`, which costs nothing until it is read; a send's, the body alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, cast

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from emulator.http._json_body import JsonBodyError, decode_json
from emulator.http._limits import receive_limited
from emulator.mail import ResendApiError, ResendService

Handler = Callable[[Request], Awaitable[dict[str, Any]]]
# A handler that needs only the body read (a send): called without making a `Request`.
BodyHandler = Callable[[bytes], dict[str, Any]]
# What `JSONResponse` renders: compact, UTF-8, no NaN.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_JSON_TYPE = (b"content-type", b"application/json")
_PLAIN_ID = re.compile(r"[0-9A-Za-z-]{1,64}")  # an id that JSON writes as it is


class Checked:
    """An ASGI app: `handler` behind the key, rate-limit, body and idempotency checks."""

    __slots__ = ("_heads", "handler", "idempotent", "on_body", "service", "status")

    def __init__(
        self,
        service: ResendService,
        handler: Handler | None,
        *,
        idempotent: bool,
        status: int,
        on_body: BodyHandler | None = None,
    ) -> None:
        self.service = service
        self.handler = handler
        self.on_body = on_body  # answers from the body alone, without a `Request` (a send)
        if (handler is None) == (on_body is None):
            raise ValueError("Checked needs a handler or an on_body, not both")
        self.idempotent = idempotent  # a send: `Idempotency-Key` replays the first answer
        self.status = status
        self._heads: dict[tuple[int, int, int, str | None, int], list[tuple[bytes, bytes]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        service = self.service
        headers = dict(reversed(scope["headers"]))  # the first of a repeated header wins
        remaining, reset, over = service.rate_window()
        status, body, raw, retry = await self._outcome(scope, receive, headers, over, reset)
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
        content = _json_bytes(body)
        key = (service.rate_limit, remaining, reset, retry, len(content))
        head = self._heads.get(key)
        if head is None:
            head = self._heads[key] = _head(*key)
            if len(self._heads) > 256:  # a bound: the limit, the length or the reset varied
                self._heads = {key: head}
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send({"type": "http.response.body", "body": content})

    async def _outcome(
        self, scope: Scope, receive: Receive, headers: dict[bytes, bytes], over: bool, reset: int
    ) -> tuple[int, dict[str, Any], bytes | None, str | None]:
        """The status and body of the answer, the body read (None if refused before), and the
        `retry-after` header (None: none)."""
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
                    retry_after=reset,
                )
            raw = await receive_limited(
                receive, _header(headers, b"content-length"), service.max_body_bytes, too_large
            )
            if key is not None:  # a send with `Idempotency-Key`
                cached = service.idempotency_begin(key, _url_path(scope["path"]), raw)
                if cached is not None:
                    return 200, cached, raw, None
                began = True
            if self.on_body is not None:
                body = self.on_body(raw)
            else:  # `__init__` made sure there is a handler
                scope.setdefault("state", {})["raw"] = raw  # what `request.state` reads
                body = await cast(Handler, self.handler)(Request(scope, receive))
        except ResendApiError as exc:
            if began:
                service.idempotency_end(key, None)
            retry = None if exc.retry_after is None else str(max(1, round(exc.retry_after)))
            return exc.status, exc.body(), raw, retry
        except Exception as exc:
            if began:
                service.idempotency_end(key, None)
            error = ResendApiError(500, "application_error", f"Unexpected error: {exc!r}")
            return 500, error.body(), raw, None
        if began:
            service.idempotency_end(key, body)
        return scope.get("state", {}).get("status", self.status), body, raw, None


def raw_body(request: Request) -> bytes:
    """The body `Checked` read before calling the handler (kept in the scope's state, where
    `request.state` reads it)."""
    raw: bytes = request.scope["state"]["raw"]
    return raw


def json_body(raw: bytes) -> Any:
    """The JSON body of a request, or Resend's 422 (empty) or 400 (not JSON)."""
    if not raw.strip():
        raise ResendApiError(422, "validation_error", "The request body is empty; send JSON.")
    try:
        return decode_json(raw)
    except JsonBodyError as exc:
        raise ResendApiError(
            400, "validation_error", f"{exc.message[0].upper()}{exc.message[1:]}."
        ) from None


def _json_bytes(body: dict[str, Any]) -> bytes:
    """`body` as `JSONResponse` renders it; a send's `{"id": <uuid>}` without the encoder."""
    if len(body) == 1:
        value = body.get("id")
        if type(value) is str and _PLAIN_ID.fullmatch(value):
            return b'{"id":"' + value.encode() + b'"}'
    return _ENCODER.encode(body).encode()


def _head(
    limit: int, remaining: int, reset: int, retry: str | None, length: int
) -> list[tuple[bytes, bytes]]:
    """The response headers: Resend's `ratelimit-*` (and `retry-after`), then the JSON's."""
    head = [
        (b"ratelimit-limit", str(limit).encode()),
        (b"ratelimit-remaining", str(remaining).encode()),
        (b"ratelimit-reset", str(reset).encode()),
    ]
    if retry is not None:
        head.append((b"retry-after", retry.encode("latin-1")))
    head.append((b"content-length", str(length).encode()))
    head.append(_JSON_TYPE)
    return head


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
