"""One port for every environment: each request goes to its environment's app.

Knock API requests (`/v1/...`, the realtime socket) go by their key (`Authorization: Bearer`,
or the socket's `?api_key=`), as in Knock; the inspection API, the Mailpit API and the inspector
go by `?environment=slug`, which the inspector remembers in a cookie so its links and its own API
calls stay in that environment; the Resend API and SMTP feed the first environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator import Environments
from emulator.http.resend import is_resend_path

COOKIE = "doorstep_environment"


class EnvironmentRouter:
    """Dispatches to one app per environment (and `/mapi/...` to the Management API)."""

    def __init__(
        self, environments: Environments, apps: Mapping[str, ASGIApp], mapi: ASGIApp | None = None
    ) -> None:
        self.environments = environments
        self.apps = dict(apps)
        self.mapi = mapi

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        default = self.apps[self.environments.default.name]
        if scope["type"] not in ("http", "websocket"):
            await default(scope, receive, send)
            return
        path: str = scope["path"]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if self.mapi is not None and (path == "/mapi" or path.startswith("/mapi/")):
            await self.mapi(scope, receive, send)
        elif path == "/v1" or path.startswith(("/v1/", "/ws/")):
            key = _bearer(scope) or next(iter(query.get("api_key", [])), None)
            await self.apps[self.environments.for_key(key).name](scope, receive, send)
        elif is_resend_path(path):
            await default(scope, receive, send)
        else:
            await self._inspection(scope, receive, send, query)

    async def _inspection(
        self, scope: Scope, receive: Receive, send: Send, query: dict[str, list[str]]
    ) -> None:
        asked = next(iter(query.get("environment", [])), None)
        name = asked or _cookie(scope) or self.environments.default.name
        if name not in self.apps:
            if scope["type"] == "http":
                response = JSONResponse(
                    {
                        "error": f"no environment {name!r}; this server runs "
                        f"{', '.join(self.apps)} (pass ?environment=one of them)",
                        "status": 404,
                    },
                    status_code=404,
                )
                await response(scope, receive, send)
            return
        app = self.apps[name]
        if asked is None or scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def remember(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                cookie = f"{COOKIE}={name}; Path=/; SameSite=Strict"
                headers.append((b"set-cookie", cookie.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, remember)


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, key = value.decode("latin-1").partition(" ")
            return key.strip() if scheme.lower() == "bearer" and key.strip() else None
    return None


def _cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is ignored, like browsers do
                return None
            morsel = jar.get(COOKIE)
            return morsel.value if morsel is not None else None
    return None
