"""One `HEAD` request for the link check, to an address vetted right before connecting.

The request is written by hand over `asyncio.open_connection` so that the address we connect to
is exactly the one we checked: the host is resolved once, every answer is checked against the
private ranges (`_link_rules`), and the connection goes to that IP while TLS still verifies the
certificate for the host name. No proxy settings, cookies or redirects apply behind our back.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from ._link_rules import address_kind, is_localhost, parse_address

if TYPE_CHECKING:
    from ._link_check import Target

USER_AGENT = "Doorstep link check (+https://mailpit.axllent.org/docs/usage/link-check/)"
MAX_HEADER_LINES = 100
_SAFE_PATH = "/%:@!$&'()*+,;=-._~?"

Resolver = Callable[[str, int], Awaitable[list[str]]]


@dataclass(frozen=True, slots=True)
class Hop:
    """What one request answered: the status, its phrase and any `Location`."""

    code: int
    phrase: str
    location: str | None


class HopFailed(Exception):
    """No HTTP answer: refused before connecting (`broken=False`) or the request failed."""

    def __init__(self, status: str, *, broken: bool) -> None:
        super().__init__(status)
        self.broken = broken


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host`, in its order."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def vetted_addresses(target: Target, resolve: Resolver | None) -> list[str]:
    """The addresses to try in order, or HopFailed when the host may not be contacted.

    An IP literal was allowed by address, so it is used as is. `localhost` must resolve to
    loopback only; any other name to public addresses only (no DNS rebinding to 127.0.0.1,
    private networks or 169.254.169.254).
    """
    ip = parse_address(target.host)
    if ip is not None:
        return [str(ip)]
    try:
        ascii_host = target.host.encode("idna").decode("ascii")
        addresses = await (resolve or system_resolve)(ascii_host, target.port)
    except (UnicodeError, OSError) as exc:
        raise HopFailed(f"failed: cannot resolve {target.host} ({exc})", broken=True) from None
    if not addresses:
        raise HopFailed(f"failed: {target.host} has no address", broken=True)
    for address in addresses:
        resolved = parse_address(address)
        kind = "not an IP address" if resolved is None else address_kind(resolved)
        if is_localhost(target.host):
            kind = None if resolved is not None and resolved.is_loopback else "not loopback"
        if kind is not None:
            raise HopFailed(
                f"blocked: {target.host} resolves to {address} ({kind}); allow that address "
                "itself in --link-check-hosts to check a local server",
                broken=False,
            )
    return addresses


async def head(target: Target, timeout: float, resolve: Resolver | None = None) -> Hop:
    """`HEAD target.url` with everything (resolving, connecting, answering) within `timeout`."""
    try:
        async with asyncio.timeout(timeout):
            addresses = await vetted_addresses(target, resolve)
            return await _exchange(target, addresses)
    except HopFailed:
        raise
    except TimeoutError:
        raise HopFailed(f"failed: no answer within {timeout:g}s", broken=True) from None
    except ssl.SSLError as exc:
        raise HopFailed(f"failed: TLS error ({exc.reason or exc})", broken=True) from None
    except ConnectionRefusedError:
        raise HopFailed("failed: connection refused", broken=True) from None
    except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
        raise HopFailed(f"failed: {exc or type(exc).__name__}", broken=True) from None


async def _exchange(target: Target, addresses: list[str]) -> Hop:
    parts = urlsplit(target.url)
    ascii_host = target.host.encode("idna").decode("ascii")
    shown = f"[{ascii_host}]" if ":" in ascii_host else ascii_host
    default = 443 if target.https else 80
    host_header = shown if target.port == default else f"{shown}:{target.port}"
    path = quote(parts.path or "/", safe=_SAFE_PATH)
    if parts.query:
        path += "?" + quote(parts.query, safe=_SAFE_PATH)
    reader, writer = await _connect(target, ascii_host, addresses)
    try:
        request = (
            f"HEAD {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: {USER_AGENT}\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n"
        )
        writer.write(request.encode("ascii"))
        await writer.drain()
        return await _read_answer(reader)
    finally:
        writer.close()


async def _connect(
    target: Target, ascii_host: str, addresses: list[str]
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """The first vetted address that accepts (e.g. `localhost` as ::1, then 127.0.0.1)."""
    for index, address in enumerate(addresses):
        try:
            return await asyncio.open_connection(
                address,
                target.port,
                ssl=_tls() if target.https else None,
                server_hostname=ascii_host if target.https else None,
            )
        except ssl.SSLError:
            raise
        except OSError:
            if index == len(addresses) - 1:
                raise
    raise HopFailed(f"failed: {target.host} has no address", broken=True)


async def _read_answer(reader: asyncio.StreamReader) -> Hop:
    status_line = (await reader.readline()).decode("latin-1").strip()
    version, _, rest = status_line.partition(" ")
    raw_code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/") or not (raw_code.isdigit() and len(raw_code) == 3):
        raise ValueError(f"not an HTTP answer ({status_line[:60]!r})")
    location = None
    for _ in range(MAX_HEADER_LINES):
        line = (await reader.readline()).decode("latin-1")
        if not line.strip():
            break
        name, _, value = line.partition(":")
        if name.strip().lower() == "location":
            location = value.strip()
    code = int(raw_code)
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = reason.strip()
    return Hop(code, phrase, location)


@cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()
