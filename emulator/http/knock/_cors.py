"""CORS for the Knock API, so a browser app on another origin (a Next.js dev server on :3000)
can call Doorstep with `@knocklabs/client`.

Allowed origins: loopback origins on any port (`http://localhost:*`, `http://127.0.0.1:*`,
`http://[::1]:*`, and their https twins) plus the ones listed (`--cors-origin`). An allowed
origin is echoed back, never `*`, with `Access-Control-Allow-Credentials: true` and
`Vary: Origin`. A preflight from an allowed origin for an allowed method and headers gets 204;
any other preflight gets 403 with a body that says what to change (the browser shows only a CORS
error; the body is in its network panel). Other origins get no CORS headers, so the browser
blocks them. Only the Knock API is wrapped: the inspection API stays same-origin.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK = re.compile(r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?")
METHODS = ("GET", "POST", "PUT", "DELETE")
# What @knocklabs/client sends (api.ts), plus the headers the server SDKs send (harmless).
HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "x-knock-branch",
    "x-knock-client",
    "x-knock-user-token",
)
EXPOSED = "retry-after, x-should-retry, idempotent-replayed"  # the client reads Retry-After
MAX_AGE = "600"


def parse_origin(text: str) -> str:
    """One `--cors-origin` value as `scheme://host[:port]` (a `:*` port allows any port);
    ValueError says what is wrong. `*` is refused: it would hand the API to every site."""
    value = text.strip().rstrip("/").lower()
    if value in ("*", "null"):
        raise ValueError(
            f"CORS origin {text!r} is not allowed: list each site that may call the Knock API, "
            "e.g. --cors-origin https://app.example.com (loopback origins are always allowed)"
        )
    base = value[:-2] if value.endswith(":*") else value
    try:
        parts = urlsplit(base)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.username
    ):
        raise ValueError(
            f"CORS origin {text!r} must be scheme://host[:port] with no path, e.g. "
            "https://app.example.com or http://devbox:3000 (or http://devbox:* for any port)"
        )
    return value


class CorsPolicy:
    """Which browser origins may call the API."""

    def __init__(self, origins: Iterable[str] = ()) -> None:
        self.origins = tuple(parse_origin(o) for o in origins)
        self._exact = {o for o in self.origins if not o.endswith(":*")}
        self._any_port = tuple(o[:-2] for o in self.origins if o.endswith(":*"))

    def allows(self, origin: str) -> bool:
        """Whether `origin` (the request's Origin header) may call the API."""
        if LOOPBACK.fullmatch(origin) or origin in self._exact:
            return True
        return any(re.fullmatch(re.escape(o) + r"(:\d{1,5})?", origin) for o in self._any_port)

    def describe(self) -> str:
        """For the serve banner and error messages."""
        extra = ", ".join(self.origins)
        return "loopback (localhost, 127.0.0.1, [::1], any port)" + (f", {extra}" if extra else "")


class CorsMiddleware:
    """Answers preflights and adds CORS headers to the responses of `app`."""

    def __init__(self, app: ASGIApp, policy: CorsPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self.preflight(origin, headers)(scope, receive, send)
            return
        if not self.policy.allows(origin):
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = Headers(raw=message.get("headers", [])).mutablecopy()
                for name, value in self.simple_headers(origin).items():
                    extra[name] = value
                message = {**message, "headers": extra.raw}
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def simple_headers(self, origin: str) -> dict[str, str]:
        """The headers on every response to an allowed origin."""
        return {
            "access-control-allow-origin": origin,
            "access-control-allow-credentials": "true",
            "access-control-expose-headers": EXPOSED,
            "vary": "Origin",
        }

    def preflight(self, origin: str, headers: Headers) -> Response:
        """204 with the allowed methods and headers, or 403 saying what is not allowed."""
        method = headers["access-control-request-method"].upper()
        asked = [
            h.strip().lower()
            for h in headers.get("access-control-request-headers", "").split(",")
            if h.strip()
        ]
        refused = [h for h in asked if h not in HEADERS]
        problem = None
        if not self.policy.allows(origin):
            problem = (
                f"origin {origin} may not call the Knock API; start doorstep with "
                f"--cors-origin {origin} (allowed now: {self.policy.describe()})"
            )
        elif method not in METHODS:
            problem = f"method {method} is not used by the Knock API; use {', '.join(METHODS)}"
        elif refused:
            problem = (
                f"request header(s) {', '.join(refused)} are not allowed; the Knock client "
                f"sends only {', '.join(HEADERS)}"
            )
        if problem is not None:
            return PlainTextResponse(problem, status_code=403, headers={"vary": "Origin"})
        allowed = {
            **self.simple_headers(origin),
            "access-control-allow-methods": ", ".join(METHODS),
            "access-control-allow-headers": ", ".join(HEADERS),
            "access-control-max-age": MAX_AGE,
        }
        return Response(status_code=204, headers=allowed)
