"""Knock's Liquid filters (https://docs.knock.app/template-editor/reference-liquid-helpers).

Filters are lenient the way Liquid is: malformed input is returned unchanged (or empty) and a
`filter_error` diagnostic is recorded, so one bad value in trigger data does not stop a send.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from liquid import Undefined
from liquid.filter import with_context

from emulator.templates._data_filters import DATA_FILTERS
from emulator.templates._diagnostics import note
from emulator.templates._environment import KnockEnvironment
from emulator.templates._markdown import markdown_to_html
from emulator.templates._translate import t_filter


def _missing(value: object) -> bool:
    """True for undefined/nil input; printing the Undefined records it as a diagnostic."""
    if isinstance(value, Undefined):
        str(value)
        return True
    return value is None


def _fail(name: str, value: object, why: str) -> None:
    note("filter_error", name, f"filter '{name}' could not handle {value!r}: {why}")


def _zone(name: str, tz: object) -> ZoneInfo | None:
    try:
        return ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        _fail(name, tz, "not an IANA time zone name such as 'America/New_York'")
        return None


def to_datetime(value: object, now: datetime | None = None) -> datetime | None:
    """An aware datetime from a datetime, a date, an epoch number, an ISO string or "now"."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("now", "today"):
            return now
        if text.isdigit():
            return to_datetime(int(text))
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


@with_context
def date_filter(value: object, fmt: object = None, tz: object = None, *, context: Any) -> object:
    """Liquid's `date` plus Knock's time zone argument and `"now"` (read from the env clock)."""
    if _missing(value):
        return ""
    if _missing(fmt) or fmt == "":
        return value
    env: KnockEnvironment = context.env
    when = to_datetime(value, env.now())
    if when is None:
        return value  # Shopify returns unparseable input unchanged
    if tz is not None and not isinstance(tz, Undefined):
        zone = _zone("date", tz)
        if zone is not None:
            when = when.astimezone(zone)
    try:
        return when.strftime(str(fmt))
    except ValueError as err:
        _fail("date", fmt, str(err))
        return value


def timezone(value: object, tz: object = None) -> object:
    """ISO timestamp → the same instant in `tz`, as ISO-8601 (`2023-12-31T19:30:00-05:00`)."""
    if _missing(value):
        return ""
    when = to_datetime(value)
    zone = _zone("timezone", tz)
    if when is None or zone is None:
        if when is None:
            _fail("timezone", value, "not an ISO-8601 timestamp")
        return value
    return when.astimezone(zone).isoformat(timespec="seconds")


@with_context
def format_date_in_locale(
    value: object, locale: object = "en", fmt: object = "short", *, context: Any
) -> object:
    if _missing(value):
        return ""
    when = to_datetime(value, context.env.now())
    if when is None:
        _fail("format_date_in_locale", value, "not an ISO-8601 timestamp")
        return value
    from emulator.templates._locale import format_date  # babel: loaded on first use

    return format_date(when, str(locale), str(fmt or "short"))


@with_context
def format_datetime_in_locale(
    value: object,
    locale: object = "en",
    date_fmt: object = "short",
    time_fmt: object = "short",
    *,
    context: Any,
) -> object:
    if _missing(value):
        return ""
    when = to_datetime(value, context.env.now())
    if when is None:
        _fail("format_datetime_in_locale", value, "not an ISO-8601 timestamp")
        return value
    from emulator.templates._locale import format_datetime  # babel: loaded on first use

    return format_datetime(when, str(locale), str(date_fmt or "short"), str(time_fmt or "short"))


def _number(name: str, value: object) -> Decimal | None:
    if isinstance(value, bool):
        _fail(name, value, "not a number")
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        _fail(name, value, "not a number")
        return None
    if not number.is_finite():
        _fail(name, value, "not a finite number")
        return None
    return number


def format_number_filter(value: object, locale: object = "en") -> object:
    if _missing(value):
        return ""
    number = _number("format_number", value)
    if number is None:
        return value
    from emulator.templates._locale import format_number  # babel: loaded on first use

    try:
        return format_number(number, str(locale))
    except (InvalidOperation, ValueError, OverflowError) as err:
        _fail("format_number", value, f"cannot be formatted ({type(err).__name__})")
        return value


def currency(value: object, code: object = "USD", locale: object = "en") -> object:
    """`10 | currency: "GBP", "en"` → `£10.00` (USD and two decimals by default)."""
    if _missing(value):
        return ""
    return _currency("currency", value, code, locale, rounded=False)


def rounded_currency(value: object, code: object = "USD", locale: object = "en") -> object:
    """`10.99 | rounded_currency: "GBP", "en"` → `£11`."""
    if _missing(value):
        return ""
    return _currency("rounded_currency", value, code, locale, rounded=True)


def _currency(name: str, value: object, code: object, locale: object, *, rounded: bool) -> object:
    number = _number(name, value)
    if number is None:
        return value
    code_text = "USD" if _missing(code) or not code else str(code)
    locale_text = "en" if _missing(locale) or not locale else str(locale)
    from emulator.templates._locale import format_currency  # babel: loaded on first use

    try:
        return format_currency(number, code_text, locale_text, rounded=rounded)
    except (InvalidOperation, ValueError, OverflowError) as err:
        _fail(name, value, f"cannot be formatted ({type(err).__name__})")
        return value


def _plain(value: object) -> object:
    if isinstance(value, Undefined):
        return None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def json_filter(value: object) -> str:
    """`{"id": "user_123", "name": "John Hammond"}` (Knock's spacing)."""
    return json.dumps(_plain(value), ensure_ascii=False, default=str)


def from_json(value: object) -> object:
    if _missing(value):
        return None
    if not isinstance(value, str):
        return value  # already structured (a JSON value passed in data)
    try:
        return json.loads(value)
    except json.JSONDecodeError as err:
        _fail("from_json", value, f"invalid JSON ({err.msg} at position {err.pos})")
        return None


def pluralize(value: object, singular: object = "", plural: object = "") -> object:
    """Singular when the number is 1, plural otherwise (0 included)."""
    number = 0 if _missing(value) else _number("pluralize", value)
    return singular if number == 1 else plural


def titlecase(value: object) -> str:
    """`my project name` → `My Project Name` (letters after the first keep their case)."""
    if _missing(value):
        return ""
    return re.sub(r"(^|[\s_-])(\w)", lambda m: m.group(1) + m.group(2).upper(), str(value))


def md5(value: object) -> str:
    return "" if _missing(value) else hashlib.md5(str(value).encode()).hexdigest()


def sha256(value: object) -> str:
    return "" if _missing(value) else hashlib.sha256(str(value).encode()).hexdigest()


def hmac_sha256(value: object, key: object = "") -> str:
    if _missing(value):
        return ""
    secret = "" if _missing(key) else str(key)
    return hmac.new(secret.encode(), str(value).encode(), hashlib.sha256).hexdigest()


def intersect(value: object, other: object) -> list[Any]:
    """Elements of `value` also in `other`, in `value`'s order, without duplicates."""
    if _missing(value) or _missing(other):
        return []
    left = value if isinstance(value, Sequence) and not isinstance(value, str) else [value]
    right = other if isinstance(other, Sequence) and not isinstance(other, str) else [other]
    out: list[Any] = []
    for item in left:
        if item in right and item not in out:
            out.append(item)
    return out


def from_markdown(value: object) -> str:
    return "" if _missing(value) else markdown_to_html(str(value)).rstrip("\n")


_SEMVER = re.compile(
    r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)


def _version_key(name: str, text: object) -> tuple[Any, ...] | None:
    match = _SEMVER.match(str(text).strip())
    if match is None:
        _fail(name, text, "not a semantic version such as '1.2.3'")
        return None
    core = tuple(int(part or 0) for part in match.group(1, 2, 3))
    pre = match.group(4)
    if pre is None:
        return (*core, 1, ())
    # Pre-release sorts before the release; numeric identifiers sort before alphanumeric ones.
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (*core, 0, ids)


def compare_versions(value: object, other: object) -> object:
    """`"1.0.0" | compare_versions: "2.0.0"` → -1; 0 when equal; 1 when greater."""
    if _missing(value) or _missing(other):
        return ""
    left = _version_key("compare_versions", value)
    right = _version_key("compare_versions", other)
    if left is None or right is None:
        return ""
    return (left > right) - (left < right)


def equals(value: object, other: object) -> bool:
    if isinstance(value, Undefined):
        value = None
    if isinstance(other, Undefined):
        other = None
    if isinstance(value, int | float) and isinstance(other, int | float):
        return math.isclose(value, other) if isinstance(value, float) else value == other
    return value == other


_KNOCK_FILTERS: dict[str, Any] = {
    "date": date_filter,
    "timezone": timezone,
    "format_date_in_locale": format_date_in_locale,
    "format_datetime_in_locale": format_datetime_in_locale,
    "format_number": format_number_filter,
    "currency": currency,
    "rounded_currency": rounded_currency,
    "json": json_filter,
    "from_json": from_json,
    "pluralize": pluralize,
    "titlecase": titlecase,
    "md5": md5,
    "sha256": sha256,
    "hmac_sha256": hmac_sha256,
    "intersect": intersect,
    "from_markdown": from_markdown,
    "compare_versions": compare_versions,
    "equals": equals,
    "t": t_filter,
    **DATA_FILTERS,  # after ours: a data filter of the same name wins, as before
}


def register_knock_filters(env: KnockEnvironment) -> None:
    """Add Knock's filters to `env` (standard Shopify filters are already registered): one
    dict update, as `Environment.add_filter` only stores each function by name."""
    env.filters.update(_KNOCK_FILTERS)
