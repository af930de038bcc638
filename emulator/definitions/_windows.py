"""Durations and the "window value" resolver shared by delay, batch and throttle steps.

A dynamic window value (from `delay_until_field_path`, `batch_until_field_path`, ...) may be an
ISO-8601 timestamp, a `{unit, value}` duration, or a window rule `{frequency, days, hours,
minutes}`; anything else is invalid, and the step that asked is skipped with the reason (Knock
logs it and moves on).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from emulator.core import DAY_SETS, WEEKDAYS, add_months, zone_or_utc
from emulator.definitions._model import DURATION_UNITS, Duration


class InvalidWindowError(ValueError):
    """A dynamic window value that cannot be turned into an instant; the message says why."""


def add_duration(when: datetime, duration: Duration) -> datetime:
    """`when` plus a Knock duration; months move the calendar month and clamp the day."""
    if duration.unit == "months":
        return add_months(when, duration.value)
    return when + timedelta(**{duration.unit: duration.value})


def parse_timestamp(value: str) -> datetime:
    """An ISO-8601 instant; `Z` accepted, a missing offset means UTC."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def lookup(scope: Mapping[str, Any], path: str) -> Any:
    """Follow a dotted path (`data.send_at`, `recipient.prefs.0`) through dicts and lists."""
    current: Any = scope
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise InvalidWindowError(f"{path} is not set")
    return current


def resolve_window(value: Any, now: datetime, timezone: str | None = None) -> datetime:
    """Turn a dynamic window value into the instant it names; raises InvalidWindowError."""
    if isinstance(value, str):
        try:
            return parse_timestamp(value)
        except ValueError:
            raise InvalidWindowError(f"{value!r} is not an ISO-8601 timestamp") from None
    if isinstance(value, Mapping) and "unit" in value:
        return add_duration(now, duration_from(value))
    if isinstance(value, Mapping) and "frequency" in value:
        return next_rule_occurrence(value, now, timezone)
    raise InvalidWindowError(
        f"{value!r} is neither an ISO-8601 timestamp, a {{unit, value}} duration "
        "nor a window rule {frequency, days, hours, minutes}"
    )


def duration_from(raw: Mapping[str, Any]) -> Duration:
    unit, value = raw.get("unit"), raw.get("value")
    if unit not in DURATION_UNITS:
        raise InvalidWindowError(
            f"duration unit {unit!r} is not one of {', '.join(DURATION_UNITS)}"
        )
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidWindowError(f"duration value {value!r} is not a non-negative integer")
    return Duration(unit, value)


def next_rule_occurrence(rule: Mapping[str, Any], now: datetime, timezone: str | None) -> datetime:
    """The first instant after `now` that the rule names, in the recipient's time zone."""
    zone = zone_or_utc(timezone)
    frequency = rule.get("frequency")
    days = rule.get("days") or WEEKDAYS
    days = DAY_SETS.get(days, days) if isinstance(days, str) else days
    hours, minutes = int(rule.get("hours") or 0), int(rule.get("minutes") or 0)
    local = now.astimezone(zone)
    if frequency == "hourly":
        candidate = local.replace(minute=minutes, second=0, microsecond=0)
        for _ in range(24 * 8):
            if candidate > local and WEEKDAYS[candidate.weekday()] in days:
                return candidate.astimezone(UTC)
            candidate += timedelta(hours=1)
    elif frequency in ("daily", "weekly"):
        candidate = local.replace(hour=hours, minute=minutes, second=0, microsecond=0)
        for _ in range(8):
            if candidate > local and WEEKDAYS[candidate.weekday()] in days:
                return candidate.astimezone(UTC)
            candidate += timedelta(days=1)
    elif frequency == "monthly":
        import calendar  # (and locale) for the first monthly rule

        day = int(rule.get("day_of_month") or 1)
        year, month = local.year, local.month
        for _ in range(14):
            last = calendar.monthrange(year, month)[1]
            candidate = local.replace(
                year=year,
                month=month,
                day=min(day, last),
                hour=hours,
                minute=minutes,
                second=0,
                microsecond=0,
            )
            if candidate > local:
                return candidate.astimezone(UTC)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise InvalidWindowError(
        f"window rule {dict(rule)!r} names no future instant (frequency must be "
        "hourly, daily, weekly or monthly; days mon..sun, weekdays or weekends)"
    )
