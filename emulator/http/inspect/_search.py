"""Mailpit's search syntax, as `/api/v1/search`, `PUT /api/v1/messages` and the inspector read it.

Terms are ANDed; `-` or `!` negates one; `"quoted values"` may hold spaces. Mailpit's fields
`to:` `from:` `cc:` `bcc:` `reply-to:` `addressed:` `subject:` `message-id:`, `tag:` (exact,
case-insensitive; `tag:category` also finds the Resend tag `category=welcome`),
`is:read|unread|tagged`, `has:attachment|inline`, `before:` and `after:` (a date or date-time,
in the `tz` query parameter's zone, UTC by default) plus Doorstep's `workflow:` `run:` `step:`
`recipient:`; anything else is free text over subject, addresses and bodies. Unlike Mailpit, an
unreadable `before:`/`after:` date is an error, not a term silently dropped.

`parse_search` also names the terms the Mailbox's index can answer (`needles`: a field of
`SEARCH_FIELDS` and the text looked for), so a search reads only the emails one of them finds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from emulator.http.inspect._shapes import received
from emulator.mail import SEARCH_FIELDS, CapturedEmail

_TOKEN = re.compile(r'([-!]?)(?:([a-z-]+):)?("[^"]*"|\S+)', re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d %b %Y", "%d %B %Y", "%b %d %Y")

Check = Callable[[CapturedEmail], bool]


class SearchError(ValueError):
    """A search term that cannot mean anything (a date nobody can read, an unknown zone)."""


@dataclass(frozen=True, slots=True)
class Search:
    """A parsed query: `check(email)` says whether it matches; every match has, for each of
    `needles` (field, lower-case text), the text inside one of that field's values."""

    check: Check
    needles: tuple[tuple[str, str], ...]


def parse_search(
    query: str,
    is_read: Callable[[str], bool],
    tags_of: Callable[[CapturedEmail], list[str]],
    tz: str | None = None,
) -> Search:
    """The search `query` means; `is_read(id)` answers `is:`, `tags_of(email)` answers `tag:`."""
    zone = _zone(tz)
    checks: list[tuple[bool, Check]] = []
    needles: list[tuple[str, str]] = []
    for negate, key, raw in _TOKEN.findall(query):
        value = raw[1:-1] if len(raw) >= 2 and raw.startswith('"') and raw.endswith('"') else raw
        key = key.lower()
        if key in ("before", "after"):
            checks.append((bool(negate), _when(key, value, zone)))
            continue
        test, needle = _term(key, value.lower(), is_read, tags_of)
        checks.append((bool(negate), test))
        if needle is not None and not negate:
            needles.append(needle)

    def check(email: CapturedEmail) -> bool:
        return all(test(email) != negate for negate, test in checks)

    return Search(check, tuple(needles))


def _zone(tz: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise SearchError(
            f"unknown time zone tz={tz!r}; give an IANA name such as Europe/Berlin"
        ) from None


def parse_when(value: str, zone: ZoneInfo) -> datetime:
    """A `before:`/`after:` value: ISO 8601 (`2025-04-30`, `2025-04-30T10:00`, with `Z` or an
    offset) or a few written forms (`30 Apr 2025`); a bare date is its midnight in `zone`."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        parsed = None
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.combine(datetime.strptime(text, fmt).date(), time())
                break
            except ValueError:
                continue
    if parsed is None:
        raise SearchError(
            f"cannot read the date {value!r}; write it as 2025-04-30 or 2025-04-30T14:00:00Z "
            '(quote a date with spaces: after:"2025-04-30 14:00")'
        )
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def _when(key: str, value: str, zone: ZoneInfo) -> Check:
    limit = parse_when(value, zone)
    if key == "before":
        return lambda e: received(e) <= limit
    return lambda e: received(e) >= limit


def _tag_is(tag: str, wanted: str) -> bool:
    """Exact, as Mailpit; a Resend tag `name=value` also answers to its `name`."""
    return tag == wanted or ("=" not in wanted and tag.startswith(wanted + "="))


def _inside(field: str, text: str) -> Check:
    values = SEARCH_FIELDS[field]
    return lambda e: any(text in (v or "").lower() for v in values(e))


def _term(
    key: str,
    value: str,
    is_read: Callable[[str], bool],
    tags_of: Callable[[CapturedEmail], list[str]],
) -> tuple[Check, tuple[str, str] | None]:
    """A term's test, and the (field, text) the index can look up (None: it cannot)."""
    if key == "tag":
        return (lambda e: any(_tag_is(t.lower(), value) for t in tags_of(e))), None
    if key and key in SEARCH_FIELDS:
        return _inside(key, value), (key, value)
    if key == "is" and value in ("read", "unread", "tagged"):
        if value == "tagged":
            return (lambda e: bool(tags_of(e))), None
        want = value == "read"
        return (lambda e: is_read(e.id) == want), None
    if key == "has" and value in ("attachment", "attachments", "inline", "inlines"):
        kind = "inline" if value.startswith("inline") else "attachment"
        return (lambda e: any(a.disposition == kind for a in e.attachments)), None
    text = f"{key}:{value}" if key else value  # free text over subject, addresses, bodies
    return _inside("", text), ("", text)
