"""Fetch steps under `doorstep serve --allow-fetch HOST`: real HTTP to allowed, vetted hosts.

The same allow-list grammar and address rules as the link check: a host must be in the list
(`api.example.com`, `*.example.com`, `127.0.0.1:8000`); a host *name* must resolve to public
addresses (`localhost` to loopback only), so DNS cannot turn an allowed name into a request to
a private network or a cloud metadata address; a private address is contacted only when it is
itself in the list. The request goes to the vetted IP with `Host` and the TLS server name set
to the host (the certificate is still verified for the name); no proxy, cookies or redirects.
The engine is synchronous, so this is too (it runs under the engine lock).
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

import httpx

from emulator import FetchError, FetchRequest, FetchResponse, Responder
from emulator.http.linkcheck._http import HopFailedError, check_addresses
from emulator.http.linkcheck._rules import HostRule, parse_address, parse_allow_list

OPTION = "--allow-fetch"
MAX_RESPONSE_CHARS = 10 * 1024 * 1024
USER_AGENT = "Doorstep fetch step"


def fetch_responder(allow: Iterable[str] | str = (), timeout: float = 15.0) -> Responder:
    """A fetch-step responder that only contacts hosts in `allow` (the `--allow-fetch` rules)."""
    rules = parse_allow_list(allow)

    def respond(request: FetchRequest) -> FetchResponse:
        https, host, port = _allowed(request.url, rules)
        try:
            addresses = _vetted(host, port)
        except HopFailedError as exc:
            raise FetchError(f"fetch {request.method} {request.url}: {exc}") from None
        return _send(request, https, host, port, addresses, timeout)

    return respond


def _allowed(url: str, rules: Sequence[HostRule]) -> tuple[bool, str, int]:
    """(https, host, port) of an allowed http(s) URL; FetchError says how to allow it."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"fetch to {url!r}: not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if scheme not in ("http", "https") or not host:
        raise FetchError(f"fetch to {url!r}: only absolute http(s) URLs can be fetched")
    ip = parse_address(host)
    host = str(ip) if ip is not None else host
    port = port if port is not None else (443 if scheme == "https" else 80)
    if not any(rule.matches(host, port) for rule in rules):
        shown = f"[{host}]" if ":" in host else host
        raise FetchError(
            f"fetch to host {shown!r} is not allowed: start doorstep serve with "
            f"{OPTION} {shown} (or {OPTION} {shown}:{port} for that port only); repeat "
            "the option for more hosts"
        )
    return scheme == "https", host, port


def _vetted(host: str, port: int) -> list[str]:
    if parse_address(host) is not None:
        return [host]  # an IP literal was allowed by address
    try:
        ascii_host = host.encode("idna").decode("ascii")
        infos = socket.getaddrinfo(ascii_host, port, type=socket.SOCK_STREAM)
    except (UnicodeError, OSError) as exc:
        raise HopFailedError(f"cannot resolve {host} ({exc})", broken=True) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    check_addresses(host, addresses, OPTION)
    return addresses


def _send(
    request: FetchRequest, https: bool, host: str, port: int, addresses: list[str], timeout: float
) -> FetchResponse:
    parts = urlsplit(request.url)
    ascii_host = host.encode("idna").decode("ascii")
    shown = f"[{ascii_host}]" if ":" in ascii_host else ascii_host
    default = 443 if https else 80
    headers = {"User-Agent": USER_AGENT, **request.headers}
    headers["Host"] = shown if port == default else f"{shown}:{port}"
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    extensions = {"sni_hostname": ascii_host} if https else {}
    scheme = "https" if https else "http"
    with httpx.Client(trust_env=False, follow_redirects=False, timeout=timeout) as client:
        for index, address in enumerate(addresses):
            literal = f"[{address}]" if ":" in address else address
            try:
                answer = client.request(
                    request.method,
                    f"{scheme}://{literal}:{port}{target}",
                    headers=headers,
                    content=request.body,
                    extensions=extensions,
                )
            except httpx.TimeoutException:
                return FetchResponse(0, timeout=True)
            except httpx.ConnectError as exc:
                if index < len(addresses) - 1:
                    continue
                raise FetchError(f"fetch to {request.url} failed: {exc}") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"fetch to {request.url} failed: {exc}") from None
            return FetchResponse(
                answer.status_code, answer.text[:MAX_RESPONSE_CHARS], dict(answer.headers)
            )
    raise FetchError(f"fetch to {request.url} failed: {host} has no address")
