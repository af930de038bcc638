"""The front door: refuse DNS-rebinding Host names and other sites' writes before any route runs.

A page on another site can send a "simple" cross-origin request (a form post, or `fetch` with
`mode: "no-cors"` and a text/plain body) without asking first; it cannot read the answer, but
the write still happens. So every write outside the Knock API (`/v1` and its socket `/ws/v1`,
which check Knock's CORS allow-list themselves) and the server-side Resend API must come from
our own origin: `Origin`, when sent, names this very host, `Sec-Fetch-Site` is not
`cross-site`, and a body sent to `/api/...` is `application/json`, which a browser only sends
cross-origin after a preflight that fails (no CORS there). A name that resolves to 127.0.0.1
only for the attacker (DNS rebinding) makes all of that look same-origin, so the Host header
must be one we know: loopback names on any port plus the ones configured with `--allowed-host`.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.http.resend import is_resend_path

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def parse_allowed_host(text: str) -> str:
    """One `--allowed-host` value: a host name or IP (any port), lower-cased; ValueError if not."""
    name = text.strip().lower()
    if ":" in name and not name.startswith("["):
        try:  # a bare IPv6 address, written as it appears in a Host header
            name = f"[{ipaddress.IPv6Address(name)}]"
        except ValueError:
            name += ":"  # a port: refused below
    if not name or "/" in name or " " in name or name.endswith(":") or name.count("]") > 1:
        raise ValueError(
            f"allowed host {text!r} must be a host name or IP address without scheme, port or "
            "path, e.g. --allowed-host doorstep.internal"
        )
    return name


def host_name(host_header: str) -> str:
    """The Host header without its port, lower-cased (`[::1]:8025` -> `[::1]`)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class RequestGuard:
    """ASGI middleware for HTTP and websockets; the SMTP server never passes through it."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str] = ()) -> None:
        self.app = app
        extra = tuple(parse_allowed_host(h) for h in allowed_hosts)
        self.allowed_hosts = tuple(dict.fromkeys((*LOOPBACK_HOSTS, *extra)))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": refusal[1][:120]})
        else:
            await _refuse(*refusal, scope["path"], send)

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        """(status, reason) for a request to refuse, None to let it through (most requests
        need only the Host header: the others are decoded for writes outside the APIs)."""
        host = ""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1")  # the last one, as a dict of them would keep
        if host_name(host) not in self.allowed_hosts:
            return 403, (
                f"host {host!r} is not allowed (DNS rebinding protection); open the server as "
                f"{' or '.join(self.allowed_hosts)}, or start it with --allowed-host NAME"
            )
        path: str = scope["path"]
        if path == "/v1" or path.startswith(("/v1/", "/ws/v1/")) or is_resend_path(path):
            return None  # Knock: its own CORS allow-list (socket too); Resend: server-side keys
        if scope["type"] == "http" and scope["method"] not in WRITE_METHODS:
            return None
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        return _cross_origin(path, host, headers, websocket=scope["type"] == "websocket")


def _cross_origin(
    path: str, host: str, headers: dict[str, str], *, websocket: bool
) -> tuple[int, str] | None:
    """Why this write (or websocket) may come from another site, or None when it cannot."""
    origin = headers.get("origin")
    if origin is not None and (origin == "null" or urlsplit(origin).netloc.lower() != host.lower()):
        return 403, f"cross-origin request from {origin} refused: only pages on {host} may do this"
    if headers.get("sec-fetch-site", "").lower() == "cross-site":
        return 403, "cross-site request refused (Sec-Fetch-Site: cross-site)"
    if websocket or not path.startswith("/api/") or not _has_body(headers):
        return None
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        return 415, (
            f"Content-Type {media or '(none)'!r} refused: send the JSON body with "
            "Content-Type: application/json"
        )
    return None


def _has_body(headers: dict[str, str]) -> bool:
    length = headers.get("content-length", "0").strip()
    return "transfer-encoding" in headers or (length.isdigit() and int(length) > 0)


def error_body(status: int, message: str, path: str) -> dict[str, object]:
    """The refusal in the shape the caller's SDK parses: Knock's, Resend's, or the inspection
    API's (which also reads fine in a browser)."""
    if path == "/v1" or path.startswith(("/v1/", "/mapi/")):
        code = "forbidden" if status == 403 else "unsupported_media_type"
        return {"code": code, "message": message, "status": status, "type": "invalid_request_error"}
    if is_resend_path(path):
        name = "invalid_access" if status == 403 else "validation_error"
        return {"statusCode": status, "name": name, "message": message}
    return {"error": message, "status": status}


async def _refuse(status: int, message: str, path: str, send: Send) -> None:
    body = json.dumps(error_body(status, message, path)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
