"""Mailpit's link check (`GET /api/v1/message/{ID}/link-check`), deterministic and offline first.

Every unique link of a captured email (`a href`, `area href`, Outlook's `v:roundrect href`,
`img src`, `link href`, and links in the text part) is classified without the network: no
host, a relative path or unrendered Liquid is broken; mailto:, tel: and the like are skipped;
everything else is left unchecked unless its host is in the allow-list (`_link_rules`). Only
allowed hosts get a real `HEAD`, 5 at a time like Mailpit, with a short timeout and redirects
followed only with `follow=true`; each hop is classified again and every address is vetted
right before connecting. The answer keeps Mailpit's shape: `{Errors, Links: [{URL, StatusCode,
Status}]}`, where `Errors` counts the links that are definitely broken.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from emulator.http.linkcheck._http import Hop, HopFailedError, Resolver, Target, head
from emulator.http.linkcheck._rules import (
    HostRule,
    address_kind,
    is_local_name,
    parse_address,
    parse_allow_list,
)

MAX_LINKS = 100  # Mailpit's maxUniqueLinks
CONCURRENCY = 5  # Mailpit checks 5 links at a time
DEFAULT_TIMEOUT = 5.0
MAX_REDIRECTS = 3  # Mailpit gives up after 3
SKIPPED_SCHEMES = ("mailto", "tel", "sms", "cid", "data")
NOT_ALLOWED = "host not in --link-check-hosts"

_ATTRIBUTES = {"a": "href", "area": "href", "v:roundrect": "href", "link": "href", "img": "src"}
_LIQUID = re.compile(r"\{\{.{0,200}?\}\}|\{%.{0,200}?%\}|%7b%7b|%7b%25", re.IGNORECASE)
_IN_LINK = r"(?:\{\{.{0,200}?\}\}|\{%.{0,200}?%\}|[^\s<>\"'])"
_TEXT_LINK = re.compile(
    r"<((?:https?:|mailto:|tel:|\{\{|\{%)[^<>]{1,2000})>"  # RFC 2396 appendix E brackets
    rf"|((?:https?://|mailto:|tel:){_IN_LINK}+)"
    rf"|((?:\{{\{{.{{0,200}}?\}}\}})/{_IN_LINK}*)",  # `{{ vars.app_url }}/path`
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'"
_HOST_NAME = re.compile(r"[\w-]+(?:\.[\w-]+)*")


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """One entry of Mailpit's `Links`; `broken` decides whether it counts in `Errors`."""

    url: str
    status_code: int
    status: str
    broken: bool = False

    def to_json(self) -> dict[str, Any]:
        """Mailpit's `Link` object."""
        return {"URL": self.url, "StatusCode": self.status_code, "Status": self.status}


def link_check_json(links: Sequence[LinkStatus]) -> dict[str, Any]:
    """Mailpit's LinkCheckResponse for these verdicts."""
    return {"Errors": sum(1 for s in links if s.broken), "Links": [s.to_json() for s in links]}


# -- extraction ---------------------------------------------------------------------------------
class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = _ATTRIBUTES.get(tag)
        for name, value in attrs:
            if name == wanted and value is not None:
                self.found.append(value.strip())


def extract_links(html: str | None, text: str | None, limit: int = MAX_LINKS) -> list[str]:
    """Unique links in document order, HTML first, at most `limit` (Mailpit's cap)."""
    found: list[str] = []
    if html:
        collector = _Collector()
        collector.feed(html)
        collector.close()
        found += collector.found
    for match in _TEXT_LINK.finditer(text or ""):
        bracketed, bare, liquid = match.groups()
        if bracketed is not None:
            found.append(re.sub(r"\s*[\r\n]\s*", "", bracketed).strip())
        else:
            found.append(_trim(bare if bare is not None else liquid))
    unique = list(dict.fromkeys(found))
    return unique[:limit]


def _trim(link: str) -> str:
    while link and (
        link[-1] in _TRAILING or (link[-1] == ")" and link.count("(") < link.count(")"))
    ):
        link = link[:-1]
    return link


# -- classification -----------------------------------------------------------------------------
def classify(url: str, rules: Sequence[HostRule]) -> LinkStatus | Target:
    """The verdict for `url` without the network, or the `Target` to request."""
    liquid = _LIQUID.search(url)
    if liquid is not None:
        return _broken(
            url,
            f"contains unrendered Liquid ({liquid.group(0)}): the template printed it "
            "literally; check the value is defined and is not itself a template",
        )
    if not url:
        return _broken(url, "empty link; give it an absolute https:// URL")
    if url.startswith("#"):
        return LinkStatus(url, 0, "skipped: in-page anchor")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return _broken(url, f"not a valid URL ({exc})")
    scheme = parts.scheme.lower()
    if not scheme:
        if url.startswith("//"):
            return LinkStatus(url, 0, "not checked: protocol-relative link; write https://")
        return _broken(
            url,
            "relative link has no host, so email clients cannot open it; write an absolute "
            "URL such as {{ vars.app_url }}/path",
        )
    if scheme in SKIPPED_SCHEMES:
        return LinkStatus(_shown(url, scheme), 0, f"skipped: {scheme}: link")
    if scheme not in ("http", "https"):
        return LinkStatus(url, 0, f"not checked: {scheme}: is not an http(s) link")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return _broken(url, "no host in the link")
    ip = parse_address(host)
    if ip is not None:
        host = str(ip)  # one spelling per address, as the allow-list stores it
    elif not _HOST_NAME.fullmatch(host):
        return _broken(url, f"{host!r} is not a valid host name")
    port = port if port is not None else (443 if scheme == "https" else 80)
    allowed = any(rule.matches(host, port) for rule in rules)
    kind = address_kind(ip) if ip is not None else None
    if not allowed and kind is not None:
        return LinkStatus(url, 0, f"not checked: {kind} address; {NOT_ALLOWED}")
    if not allowed and ip is None and is_local_name(host):
        return LinkStatus(url, 0, f"not checked: local host name; {NOT_ALLOWED}")
    if not allowed:
        return LinkStatus(url, 0, f"not checked: {NOT_ALLOWED}")
    return Target(url, scheme == "https", host, port)


def _broken(url: str, why: str) -> LinkStatus:
    return LinkStatus(url, 0, f"broken: {why}", broken=True)


def _shown(url: str, scheme: str) -> str:
    """A data: URL can be megabytes; show its header only."""
    return url.split(",", 1)[0] + ",..." if scheme == "data" and len(url) > 100 else url


# -- checking -----------------------------------------------------------------------------------
class LinkChecker:
    """Classifies links and sends `HEAD` to allowed hosts; the allow-list is fixed at creation."""

    def __init__(
        self,
        allow: Iterable[str] | str = (),
        *,
        timeout: float = DEFAULT_TIMEOUT,
        resolve: Resolver | None = None,
    ) -> None:
        self.rules = parse_allow_list(allow)
        self.timeout = timeout
        self.resolve = resolve

    async def check_email(self, html: str | None, text: str | None, *, follow: bool) -> Any:
        """Mailpit's LinkCheckResponse for one email's parts."""
        return link_check_json(await self.check(extract_links(html, text), follow=follow))

    async def check(self, links: Sequence[str], *, follow: bool) -> list[LinkStatus]:
        """A verdict per link, in order; allowed hosts get a real `HEAD`, 5 at a time."""
        verdicts = [classify(url, self.rules) for url in links]
        if not any(isinstance(v, Target) for v in verdicts):
            return [v for v in verdicts if isinstance(v, LinkStatus)]
        slots = asyncio.Semaphore(CONCURRENCY)

        async def one(verdict: LinkStatus | Target) -> LinkStatus:
            if isinstance(verdict, LinkStatus):
                return verdict
            async with slots:
                return await self._request(verdict, follow)

        return list(await asyncio.gather(*(one(v) for v in verdicts)))

    async def _request(self, target: Target, follow: bool) -> LinkStatus:
        original = target.url
        for redirects in range(MAX_REDIRECTS + 1):
            try:
                hop: Hop = await head(target, self.timeout, self.resolve)
            except HopFailedError as exc:
                return LinkStatus(original, 0, str(exc), broken=exc.broken)
            if not (300 <= hop.code < 400 and hop.location):
                return LinkStatus(original, hop.code, hop.phrase, broken=hop.code >= 400)
            moved = urljoin(target.url, hop.location)
            if not follow:
                return LinkStatus(original, hop.code, f"{hop.phrase} (to {moved})")
            if redirects == MAX_REDIRECTS:
                break
            verdict = classify(moved, self.rules)
            if isinstance(verdict, LinkStatus):
                why = verdict.status.split(": ", 1)[-1]
                return LinkStatus(
                    original, hop.code, f"{hop.phrase}: redirect to {moved} not followed: {why}"
                )
            target = verdict
        return LinkStatus(original, 0, f"failed: more than {MAX_REDIRECTS} redirects", broken=True)
