"""The one duration grammar, shared by workflow files, scenario files and the Python API.

Accepted forms (case-insensitive, spaces between parts allowed):

- short units, alone or combined: `30s`, `5m`, `2h`, `1d`, `1w`, `1mo`, `500ms`, `1h30m`, `1d 12h`
  (`us` is microseconds);
- unit names, singular or plural: `5 minutes`, `1 day`, `2 weeks 3 days`;
- ISO 8601 durations: `PT1H30M`, `P1D`, `P1M`, `P1Y2M`, `P2W`, `PT0.5S` (only seconds may have a
  fraction; a year is twelve months);
- a mapping of units: `{minutes: 5}`, `{hours: 1, minutes: 30}`, or Knock's `{unit: minutes,
  value: 5}`.

Months are calendar months (Jan 31 plus one month is Feb 28), so a duration is a `Span`: whole
months plus an exact `timedelta`. `duration_parts` keeps the units as written, for callers (the
workflow parser) that need to know them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from emulator.core._calendar import add_months
from emulator.core._errors import DoorstepError

UNITS: tuple[str, ...] = (
    "months",
    "weeks",
    "days",
    "hours",
    "minutes",
    "seconds",
    "milliseconds",
    "microseconds",
)
"""Every unit, largest first; months are calendar months, the rest are exact."""

MICROSECONDS: Mapping[str, int] = {
    "weeks": 604_800_000_000,
    "days": 86_400_000_000,
    "hours": 3_600_000_000,
    "minutes": 60_000_000,
    "seconds": 1_000_000,
    "milliseconds": 1_000,
    "microseconds": 1,
}
"""The length of each exact unit in microseconds."""

SHORT: Mapping[str, str] = {
    "months": "mo",
    "weeks": "w",
    "days": "d",
    "hours": "h",
    "minutes": "m",
    "seconds": "s",
    "milliseconds": "ms",
    "microseconds": "us",
}
"""The short suffix of each unit (`5m` is five minutes, `1mo` one month)."""

ACCEPTED_FORMS = (
    "write e.g. `30s`, `5m`, `1h30m`, `2d`, `1w`, `1mo`, `500ms`, `5 minutes`, ISO 8601 "
    "`PT1H30M` / `P1D` / `P1M`, or a mapping such as `{minutes: 5}` or "
    "`{unit: minutes, value: 5}`"
)
"""How to write a duration: the fix every duration error carries."""

_NAMES: dict[str, str] = {short: unit for unit, short in SHORT.items()}
for _unit in UNITS:
    _NAMES[_unit] = _unit
    _NAMES[_unit[:-1]] = _unit  # singular: "1 day"
_TOKEN = re.compile(r"\s*(\d+)\s*([a-z]+)\s*")
_ISO = re.compile(
    r"P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?P<time>T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?"
)
_ISO_UNITS = ("months", "weeks", "days", "hours", "minutes", "seconds")


class DurationError(DoorstepError, ValueError):
    """A value that is not a duration; the message names it and lists the accepted forms.

    `reason` is the message without the list, `fix` the list of accepted forms; `unit` is the
    unknown unit, when that is the problem (so a caller can suggest the nearest known one)."""

    def __init__(self, value: Any, reason: str, *, unit: str | None = None) -> None:
        self.value = value
        self.reason = reason
        self.fix = ACCEPTED_FORMS
        self.unit = unit
        super().__init__(f"{reason}; {ACCEPTED_FORMS}")


class DurationPart(NamedTuple):
    """One `<value><unit>` of a duration as written; `unit` is one of `UNITS`."""

    value: Decimal
    unit: str


@dataclass(frozen=True, slots=True)
class Span:
    """A parsed duration: whole calendar `months` plus an exact `delta`."""

    months: int = 0
    delta: timedelta = timedelta(0)

    def after(self, when: datetime) -> datetime:
        """`when` plus this span: the months first (clamping the day), then the delta."""
        return add_months(when, self.months) + self.delta


def parse_duration(value: str | Mapping[str, Any]) -> Span:
    """Read a duration in any accepted form (see `ACCEPTED_FORMS`); raise DurationError."""
    months, micros = 0, Decimal(0)
    for part in duration_parts(value):
        if part.unit == "months":
            months += int(part.value)
        else:
            micros += part.value * MICROSECONDS[part.unit]
    if micros != micros.to_integral_value():
        raise DurationError(value, f"{value!r} is finer than a microsecond")
    return Span(months, timedelta(microseconds=int(micros)))


def duration_parts(value: str | Mapping[str, Any]) -> tuple[DurationPart, ...]:
    """The parts of a duration as written (`1h30m` -> 1 hours, 30 minutes); raise DurationError."""
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("P", "p"):
            return _iso(value, text.upper())
        return _short(value, text.lower())
    if isinstance(value, Mapping):
        return _mapping(value)
    raise DurationError(value, f"{value!r} is not a duration: give a string or a mapping")


def format_duration(span: Span, *, iso: bool = False) -> str:
    """The shortest text that reads back to `span`: `1h30m`, `1mo2d`; `iso=True` gives ISO 8601
    (`P1MT1H30M`). A zero span is `0s` (`PT0S`)."""
    if span.delta < timedelta(0) or span.months < 0:
        raise DurationError(span, f"{span!r} is negative; durations are never negative")
    micros = span.delta // timedelta(microseconds=1)
    counts: dict[str, int] = {"months": span.months}
    for unit in UNITS[1:]:
        counts[unit], micros = divmod(micros, MICROSECONDS[unit])
    if iso:
        return _format_iso(counts)
    text = "".join(f"{counts[u]}{SHORT[u]}" for u in UNITS if counts[u])
    return text or "0s"


def _short(value: str, text: str) -> tuple[DurationPart, ...]:
    parts: list[DurationPart] = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            raise DurationError(value, f"{value!r} is not a duration")
        unit = _NAMES.get(match.group(2))
        if unit is None:
            reason = f"{value!r} has an unknown unit {match.group(2)!r}"
            raise DurationError(value, reason, unit=match.group(2))
        parts.append(DurationPart(Decimal(match.group(1)), unit))
        at = match.end()
    if not parts:
        raise DurationError(value, f"{value!r} is not a duration")
    return tuple(parts)


def _iso(value: str, text: str) -> tuple[DurationPart, ...]:
    match = _ISO.fullmatch(text)
    found = {k: v for k, v in match.groupdict().items() if v and k != "time"} if match else {}
    if match is None or not found or match["time"] == "T":
        raise DurationError(value, f"{value!r} is not an ISO 8601 duration such as `PT1H30M`")
    parts: list[DurationPart] = []
    if "years" in found:
        parts.append(DurationPart(Decimal(found["years"]) * 12, "months"))
    for unit in _ISO_UNITS:
        if unit in found:
            parts.append(DurationPart(Decimal(found[unit].replace(",", ".")), unit))
    return tuple(parts)


def _mapping(value: Mapping[str, Any]) -> tuple[DurationPart, ...]:
    if "unit" in value or "value" in value:
        return _knock_object(value)
    if not value:
        raise DurationError(value, "an empty mapping is not a duration")
    parts: list[DurationPart] = []
    for key, amount in value.items():
        unit = str(key)
        if unit not in UNITS:
            raise DurationError(value, f"{dict(value)!r} has an unknown unit {unit!r}", unit=unit)
        number = _number(amount)
        if number is None or (unit == "months" and number != number.to_integral_value()):
            kind = "a whole number" if unit == "months" else "a number"
            raise DurationError(value, f"{dict(value)!r}: {unit} must be {kind} of at least 0")
        parts.append(DurationPart(number, unit))
    return tuple(parts)


def _knock_object(value: Mapping[str, Any]) -> tuple[DurationPart, ...]:
    unit, amount = value.get("unit"), value.get("value")
    extra = sorted(str(k) for k in value if k not in ("unit", "value"))
    if extra:
        raise DurationError(value, f"{dict(value)!r} has an unknown field {extra[0]!r}")
    if not isinstance(unit, str) or unit not in UNITS[:6]:
        reason = f"{dict(value)!r}: unit must be one of {', '.join(UNITS[:6])}"
        raise DurationError(value, reason, unit=str(unit))
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise DurationError(value, f"{dict(value)!r}: value must be a whole number of at least 0")
    return (DurationPart(Decimal(amount), unit),)


def _number(amount: Any) -> Decimal | None:
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        return None
    try:
        number = Decimal(str(amount))
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None


def _format_iso(counts: Mapping[str, int]) -> str:
    date = "".join(f"{counts[u]}{u[0].upper()}" for u in ("months", "weeks", "days") if counts[u])
    hours, minutes = counts["hours"], counts["minutes"]
    fraction = counts["milliseconds"] * 1000 + counts["microseconds"]
    seconds = f"{counts['seconds']}.{fraction:06d}".rstrip("0").rstrip(".")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    clock += f"{seconds}S" if seconds != "0" else ""
    if not date and not clock:
        return "PT0S"
    return "P" + date + (f"T{clock}" if clock else "")
