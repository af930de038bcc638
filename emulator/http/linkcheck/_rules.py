"""Which hosts the link check may contact: the operator's allow-list and the address ranges that
are never contacted unless named there.

Mailpit's link check could be pointed at internal services (its SSRF fixes up to v1.29.2 block
private addresses by default). Doorstep is stricter: nothing is contacted unless its host is in
the allow-list (`--link-check-hosts`), and a host *name* must resolve to public addresses, so a
DNS answer cannot turn an allowed name into a request to 127.0.0.1 or a cloud metadata address.
A loopback or private address is only contacted when it is itself in the list (`127.0.0.1:8000`)
or the name is `localhost` (then it must resolve to loopback).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_NAME = re.compile(r"[\w-]+(?:\.[\w-]+)*\.?")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan", ".intranet")


def parse_address(host: str) -> Address | None:
    """`host` as an IP address (brackets and an IPv6 zone stripped), or None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def address_kind(ip: Address) -> str | None:
    """Why `ip` is never contacted unless allowed by address ("loopback", ...); None if public.

    IPv6 forms that carry an IPv4 destination (mapped, NAT64, 6to4, Teredo, ISATAP,
    IPv4-compatible) are judged by that IPv4 address, as Mailpit does since v1.29.2.
    """
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return address_kind(ip.ipv4_mapped)
    checks = (
        (ip.is_loopback, "loopback"),
        (ip.is_unspecified, "unspecified"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip.is_private, "private"),
    )
    for hit, kind in checks:
        if hit:
            return kind
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local:
            return "site-local"
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return address_kind(embedded)
    return None if ip.is_global else "reserved"


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    packed = ip.packed
    if any(ip in net for net in _NAT64) or packed[:12] == bytes(12):
        return ipaddress.IPv4Address(packed[12:])
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if packed[10:12] == b"\x5e\xfe":  # ISATAP interface identifier
        return ipaddress.IPv4Address(packed[12:])
    return None


def is_local_name(host: str) -> bool:
    """`localhost`, a single-label name or a private-use suffix: never a public site."""
    name = host.rstrip(".").lower()
    return name == "localhost" or "." not in name or name.endswith(_LOCAL_SUFFIXES)


def is_localhost(host: str) -> bool:
    """`localhost` or a name under it: it must resolve to loopback and nothing else."""
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


@dataclass(frozen=True, slots=True)
class HostRule:
    """One allow-list entry: `host`, `host:port`, `*.domain[:port]` or `[v6]:port`."""

    host: str
    port: int | None = None
    wildcard: bool = False

    def matches(self, host: str, port: int) -> bool:
        """Whether this rule allows `host:port` (the host already normalised)."""
        if self.port is not None and self.port != port:
            return False
        if self.wildcard:
            return host.endswith("." + self.host)
        return host == self.host

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        host = f"*.{host}" if self.wildcard else host
        return host if self.port is None else f"{host}:{self.port}"


def parse_rule(entry: str) -> HostRule:
    """One entry of `--link-check-hosts`; ValueError says what a valid entry looks like."""
    text = entry.strip().lower()
    example = "give host, host:port, *.domain or [ipv6]:port, e.g. app.example.com,127.0.0.1:8000"
    if not text or "/" in text or "@" in text:
        raise ValueError(f"{entry!r} is not a host; {example}")
    port: int | None = None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"{entry!r} is not a host; {example}")
            port = _port(rest[1:], entry)
        if parse_address(host) is None:
            raise ValueError(f"{entry!r} is not an IPv6 address; {example}")
        return HostRule(str(parse_address(host)), port)
    if text.count(":") > 1:
        raise ValueError(f"{entry!r}: write an IPv6 address in brackets, e.g. [::1]:8000")
    host, colon, raw_port = text.partition(":")
    if colon:
        port = _port(raw_port, entry)
    wildcard = host.startswith("*.")
    if wildcard:
        host = host[2:]
    if not _NAME.fullmatch(host):
        raise ValueError(f"{entry!r} is not a host; {example}")
    return HostRule(host.rstrip("."), port, wildcard)


def _port(text: str, entry: str) -> int:
    if not text.isdigit() or not 0 < int(text) <= 65535:
        raise ValueError(f"{entry!r} has no valid port (1-65535) after the colon")
    return int(text)


def parse_allow_list(entries: Iterable[str] | str) -> tuple[HostRule, ...]:
    """Entries from a list or one comma-separated string (the CLI and env form)."""
    items = [entries] if isinstance(entries, str) else entries
    return tuple(parse_rule(e) for item in items for e in item.split(",") if e.strip())
