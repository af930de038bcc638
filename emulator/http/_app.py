"""The one ASGI app `doorstep serve` runs: every API on one port, by path prefix.

`/v1/...` is the Knock API and `/emails...` the Resend API, so both official SDKs take the bare
server URL as their base. `/api/...` is the inspection API, `/ui/...` the web inspector and `/`
redirects to `/ui/`. Sub-apps keep their own error shapes, so dispatch is by prefix rather than
by Starlette `Mount` (which would strip the prefix their routes expect).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.http._environments import EnvironmentRouter
from emulator.http._guard import RequestGuard
from emulator.http.inspect import (
    Inspection,
    SmtpRelay,
    error_response,
    events_route,
    inspect_routes,
    inspector_routes,
    static_mount,
    view_routes,
)
from emulator.http.knock import knock_app
from emulator.http.knock import payload_too_large as knock_too_large
from emulator.http.linkcheck import LinkChecker
from emulator.http.mapi import mapi_app
from emulator.http.resend import create_resend_app, is_resend_path, payload_too_large
from emulator.mail import ResendService

if TYPE_CHECKING:
    from emulator import Emulator, Environments, SigningKey

MAX_BODY_BYTES = 50 * 1024 * 1024  # Resend's and Mailpit's message limits are of this order


class DoorstepApp:
    """Dispatches by path prefix and refuses bodies over `max_body_bytes` with 413."""

    def __init__(
        self,
        inspection: Inspection,
        *,
        resend: ASGIApp,
        knock: ASGIApp,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.inspection = inspection
        self.resend = resend
        self.knock = knock
        self.max_body_bytes = max_body_bytes
        self.main = _main_app(inspection)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            is_knock = scope["type"] == "websocket" and scope["path"].startswith("/ws/")
            await (self.knock if is_knock else self.main)(scope, receive, send)
            return
        path: str = scope["path"]
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes and is_resend_path(path):
            await payload_too_large(declared, self.max_body_bytes)(scope, receive, send)
            return
        if declared is not None and declared > self.max_body_bytes and _is_knock(path):
            await knock_too_large(declared, self.max_body_bytes)(scope, receive, send)
            return
        if declared is not None and declared > self.max_body_bytes:
            response = JSONResponse(
                {
                    "error": f"request body of {declared} bytes is over the "
                    f"{self.max_body_bytes}-byte limit; send less",
                    "status": 413,
                },
                status_code=413,
            )
            await response(scope, receive, send)
            return
        if path == "/v1" or path.startswith("/v1/"):
            await self.knock(scope, receive, send)
        elif is_resend_path(path):
            await self.resend(scope, receive, send)
        else:
            await self.main(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _root(request: Request) -> Response:
    return RedirectResponse("/ui/", status_code=307)


async def _not_found(request: Request, exc: Exception) -> Response:
    """404 and 405 say where things are: plain text under /ui, the API's JSON elsewhere."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    path = request.url.path
    if status == 404:
        message = f"no route {path}; the inspection API is under /api/, the inspector at /ui/"
    elif status == 405:
        message = f"method {request.method} is not allowed on {path}"
    else:
        message = f"{exc}"
    headers = exc.headers if isinstance(exc, HTTPException) else None  # 405: `Allow`
    if path.startswith("/ui"):
        return Response(message, status_code=status, media_type="text/plain", headers=headers)
    response = error_response(status, message)
    response.headers.update(headers or {})
    return response


def _main_app(inspection: Inspection) -> Starlette:
    routes: list[Any] = [
        Route("/", _root),
        *inspect_routes(inspection),
        *view_routes(inspection, LinkChecker(inspection.link_check_hosts)),
        events_route(inspection),
        *inspector_routes(inspection),
        static_mount(),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: _not_found})


def create_app(
    emulator: Emulator,
    *,
    clock_mode: str = "manual",
    resend_service: ResendService | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    link_check_hosts: Collection[str] | str = (),
    enhanced_security: bool = False,
    signing_key: str | SigningKey | None = None,
    cors_origins: Iterable[str] = (),
    allowed_hosts: Iterable[str] = (),
    environments: Environments | None = None,
    smtp_relay: SmtpRelay | None = None,
    spamassassin: tuple[str, int] | None = None,
    enable_chaos: bool = False,
) -> RequestGuard:
    """Everything on one port: Knock `/v1`, Resend `/emails`, `/api`, `/view`, `/ui`.

    `link_check_hosts` (`host`, `host:port`, `*.domain`) are the only hosts the link check may
    send a request to; every other link is classified offline. ValueError names a bad entry.
    `enhanced_security`, `signing_key` and `cors_origins` configure the Knock API for browser
    clients (see `knock_app`); only the Knock API answers cross-origin requests, the
    inspection API and inspector stay same-origin. `allowed_hosts` are Host names accepted
    besides loopback ones (DNS rebinding protection); other writes from other sites are refused.
    `environments`: serve several Knock environments (`emulator` is then ignored): Knock
    requests go to their key's environment, `/api` and `/ui` to `?environment=` (see
    `EnvironmentRouter`), and `/mapi/v1/...` is the Management API the Knock CLI calls.
    `smtp_relay` is where Mailpit's release sends; `spamassassin` is spamd's (host, port);
    `enable_chaos` turns Mailpit's chaos triggers on (off: `/api/v1/chaos` answers 400).
    """
    options: dict[str, Any] = {
        "clock_mode": clock_mode,
        "max_body_bytes": max_body_bytes,
        "link_check_hosts": link_check_hosts,
        "enhanced_security": enhanced_security,
        "signing_key": signing_key,
        "cors_origins": tuple(cors_origins),
        "smtp_relay": smtp_relay,
        "spamassassin": spamassassin,
        "enable_chaos": enable_chaos,
    }
    if environments is None:
        return RequestGuard(_one_app(emulator, resend_service, None, **options), allowed_hosts)
    apps: dict[str, ASGIApp] = {}
    for env in environments:
        keys = env.keys if environments.keys_configured else None
        service = resend_service if env is environments.default else None
        apps[env.name] = _one_app(env.emulator, service, keys, **options)
    router = EnvironmentRouter(environments, apps, mapi_app(environments))
    return RequestGuard(router, allowed_hosts)


def _one_app(
    emulator: Emulator,
    resend_service: ResendService | None,
    api_keys: Collection[str] | None,
    *,
    clock_mode: str,
    max_body_bytes: int,
    link_check_hosts: Collection[str] | str,
    enhanced_security: bool,
    signing_key: str | SigningKey | None,
    cors_origins: Iterable[str],
    smtp_relay: SmtpRelay | None,
    spamassassin: tuple[str, int] | None,
    enable_chaos: bool,
) -> DoorstepApp:
    """One environment's APIs over `emulator`."""
    inspection = Inspection(
        emulator,
        clock_mode=clock_mode,
        link_check_hosts=link_check_hosts,
        relay=smtp_relay,
        spamassassin=spamassassin,
        chaos_enabled=enable_chaos,
    )
    service = resend_service or ResendService(emulator.outbox, emulator.clock, seed=emulator.seed)
    emulator.on_reset(service.clear)  # `POST /api/reset` forgets scheduled Resend mail too
    return DoorstepApp(
        inspection,
        resend=create_resend_app(service),
        knock=knock_app(
            emulator,
            api_keys=None if api_keys is None else [k for k in api_keys if k.startswith("sk_")],
            enhanced_security=enhanced_security,
            signing_key=signing_key,
            cors_origins=cors_origins,
        ),
        max_body_bytes=max_body_bytes,
    )


def _is_knock(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")
