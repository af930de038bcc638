"""One `HEAD` request for the link check, to an address vetted right before connecting.

The host is resolved once and every answer is checked against the private ranges
(`_link_rules`); httpx then connects to that exact IP, with the `Host` header and the TLS
server name (`sni_hostname`) set to the host, so the certificate is still verified for the
name. No proxy settings (`trust_env=False`), cookies or redirects apply behind our back.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import quote, urlsplit

import httpx

from emulator.http.linkcheck._rules import address_kind, is_localhost, parse_address

USER_AGENT = "Doorstep link check (+https://mailpit.axllent.org/docs/usage/link-check/)"
_SAFE_PATH = "/%:@!$&'()*+,;=-._~?"

Resolver = Callable[[str, int], Awaitable[list[str]]]


@dataclass(frozen=True, slots=True)
class Target:
    """An http(s) link whose host is allowed: the only kind that is ever requested."""

    url: str
    https: bool
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class Hop:
    """What one request answered: the status, its phrase and any `Location`."""

    code: int
    phrase: str
    location: str | None


class HopFailedError(Exception):
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
    """The addresses to try in order, or HopFailedError when the host may not be contacted.

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
        raise HopFailedError(f"failed: cannot resolve {target.host} ({exc})", broken=True) from None
    check_addresses(target.host, addresses, "--link-check-hosts")
    return addresses


def check_addresses(host: str, addresses: list[str], option: str) -> None:
    """HopFailedError unless every address `host` resolved to may be contacted: loopback only
    for `localhost`, public only for any other name (`option` is the flag that allows more)."""
    if not addresses:
        raise HopFailedError(f"failed: {host} has no address", broken=True)
    for address in addresses:
        resolved = parse_address(address)
        kind = "not an IP address" if resolved is None else address_kind(resolved)
        if is_localhost(host):
            kind = None if resolved is not None and resolved.is_loopback else "not loopback"
        if kind is not None:
            raise HopFailedError(
                f"blocked: {host} resolves to {address} ({kind}); allow that address "
                f"itself in {option} to contact a local server",
                broken=False,
            )


async def head(target: Target, timeout: float, resolve: Resolver | None = None) -> Hop:
    """`HEAD target.url` with everything (resolving, connecting, answering) within `timeout`."""
    try:
        async with asyncio.timeout(timeout):
            addresses = await vetted_addresses(target, resolve)
            return await _exchange(target, addresses)
    except HopFailedError:
        raise
    except TimeoutError:
        raise HopFailedError(f"failed: no answer within {timeout:g}s", broken=True) from None
    except ssl.SSLError as exc:
        raise HopFailedError(f"failed: TLS error ({exc.reason or exc})", broken=True) from None
    except ConnectionRefusedError:
        raise HopFailedError("failed: connection refused", broken=True) from None
    except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
        raise HopFailedError(f"failed: {exc or type(exc).__name__}", broken=True) from None


async def _exchange(target: Target, addresses: list[str]) -> Hop:
    parts = urlsplit(target.url)
    ascii_host = target.host.encode("idna").decode("ascii")
    shown = f"[{ascii_host}]" if ":" in ascii_host else ascii_host
    default = 443 if target.https else 80
    headers = {
        "Host": shown if target.port == default else f"{shown}:{target.port}",
        "User-Agent": USER_AGENT,
        "Accept": "*/*",
    }
    path = quote(parts.path or "/", safe=_SAFE_PATH)
    if parts.query:
        path += "?" + quote(parts.query, safe=_SAFE_PATH)
    scheme = "https" if target.https else "http"
    extensions = {"sni_hostname": ascii_host} if target.https else {}
    async with httpx.AsyncClient(trust_env=False, follow_redirects=False) as client:
        for index, address in enumerate(addresses):  # e.g. `localhost` as ::1, then 127.0.0.1
            literal = f"[{address}]" if ":" in address else address
            url = f"{scheme}://{literal}:{target.port}{path}"
            try:
                response = await client.head(url, headers=headers, extensions=extensions)
            except httpx.ConnectError as exc:
                if _is_tls(exc) or index == len(addresses) - 1:
                    raise _failure(exc) from None
                continue
            except httpx.HTTPError as exc:
                raise _failure(exc) from None
            return Hop(response.status_code, _phrase(response), response.headers.get("location"))
    raise HopFailedError(f"failed: {target.host} has no address", broken=True)


def _causes(exc: BaseException) -> list[BaseException]:
    """httpx wraps httpcore wraps anyio wraps the OS error: the whole chain, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _is_tls(exc: BaseException) -> bool:
    return any(isinstance(e, ssl.SSLError) for e in _causes(exc)) or "SSL" in str(exc)


def _failure(exc: httpx.HTTPError) -> HopFailedError:
    text = str(exc) or type(exc).__name__
    if _is_tls(exc):
        return HopFailedError(f"failed: TLS error ({text})", broken=True)
    if any(isinstance(e, ConnectionRefusedError) for e in _causes(exc)):
        return HopFailedError("failed: connection refused", broken=True)
    if isinstance(exc, httpx.ConnectError):
        return HopFailedError(f"failed: cannot connect ({text})", broken=True)
    return HopFailedError(f"failed: {text}", broken=True)


def _phrase(response: httpx.Response) -> str:
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return response.reason_phrase
