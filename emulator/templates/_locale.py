"""Locale-aware formatting for Knock's `*_in_locale`, `format_number` and currency filters.

Backed by Babel (CLDR data, the source Knock's Elixir Cldr uses too). Knock's supported-locale
list is enforced: any other locale records a `filter_error` and formats as `en`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from emulator.templates._diagnostics import note

_LOCALE_NAMES = (
    "af ar az be bg bn bs ca cs cy da de de-DE el en en-US en-GB eo es es-419 et eu fa fi fr "
    "fr-CA fr-FR gl he hi hr hu id is it ja ja-JP ka km kn ko lb lo lt lv mk ml mn mr ms nb ne "
    "nl nn no or pa pl pl-PL pt pt-BR rm ro ru sk sl sq sr sv sw ta te th tr tt ug uk ur uz vi "
    "wo zh zh-CN zh-Hans zh-Hant"
)
KNOCK_LOCALES = frozenset(_LOCALE_NAMES.split())
STYLES = ("short", "medium", "long", "full")
_CURRENCIES = frozenset(babel_numbers.list_currencies())
_HELP = "https://docs.knock.app/template-editor/reference-liquid-helpers"


@lru_cache(maxsize=128)
def _parse(name: str) -> Locale:
    return Locale.parse(name.replace("-", "_"))


def locale_for(name: str, filter_name: str) -> Locale:
    """Babel's locale for a Knock locale name; unsupported names record and fall back to en."""
    if name not in KNOCK_LOCALES:
        note(
            "filter_error",
            filter_name,
            f"locale {name!r} is not one Knock supports (see {_HELP}); formatted as 'en'",
        )
        return _parse("en")
    try:
        return _parse(name)
    except (UnknownLocaleError, ValueError):  # pragma: no cover - every Knock locale parses
        return _parse("en")


def _style(value: str, filter_name: str) -> str:
    if value in STYLES:
        return value
    note(
        "filter_error",
        filter_name,
        f"format {value!r} is not one of {', '.join(STYLES)}; used 'short'",
    )
    return "short"


def _clean(text: str) -> str:
    # CLDR 42+ puts a narrow no-break space before AM/PM; Knock's documented output uses a space.
    return text.replace("\u202f", " ")


def format_date(when: datetime, locale: str, style: str) -> str:
    """`31 December 2023` for (en-GB, long)."""
    loc = locale_for(locale, "format_date_in_locale")
    return _clean(babel_dates.format_date(when, _style(style, "format_date_in_locale"), locale=loc))


def format_datetime(when: datetime, locale: str, date_style: str, time_style: str) -> str:
    """`31 Dec 2023, 14:30` for (en-GB, medium, short): CLDR's date-time pattern for the pair."""
    name = "format_datetime_in_locale"
    loc = locale_for(locale, name)
    date_style = _style(date_style, name)
    time_style = _style(time_style, name)
    day = babel_dates.format_date(when, date_style, locale=loc)
    time = babel_dates.format_time(when, time_style, tzinfo=when.tzinfo, locale=loc)
    pattern = babel_dates.get_datetime_format(date_style, locale=loc)  # type: ignore[arg-type]
    return _clean(str(pattern).replace("{1}", day).replace("{0}", time))


def format_number(number: Decimal, locale: str) -> str:
    """`10,000` for (10000, en)."""
    return _clean(babel_numbers.format_decimal(number, locale=locale_for(locale, "format_number")))


def format_currency(number: Decimal, code: str, locale: str, *, rounded: bool) -> str:
    """`£10.00` for (10, GBP, en); rounded: `£11` for 10.99."""
    name = "rounded_currency" if rounded else "currency"
    loc = locale_for(locale, name)
    code = code.upper()
    if code not in _CURRENCIES:
        note("filter_error", name, f"currency {code!r} is not an ISO 4217 code; used USD")
        code = "USD"
    kwargs: dict[str, Any] = {"locale": loc}
    if rounded:
        number = number.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        pattern = loc.currency_formats["standard"].pattern.split(";")[0]
        kwargs.update(format=pattern.replace(".00", ""), currency_digits=False)
    return _clean(babel_numbers.format_currency(number, code, **kwargs))
