"""Calendar facts shared by schedules, window rules and send windows: weekday names, the time
zone fallback and calendar-month arithmetic, written once so the layers cannot disagree."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Knock's short day names (repeat rules, window rules), indexed by `date.weekday()`."""

WEEKDAY_NAMES: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
"""Knock's long day names (channel send windows), indexed by `date.weekday()`."""

DAY_SETS: Mapping[str, tuple[str, ...]] = {"weekdays": WEEKDAYS[:5], "weekends": WEEKDAYS[5:]}
"""The named day sets a rule's `days` may be instead of a list."""

UTC_ZONE = ZoneInfo("Etc/UTC")


def zone_or_utc(name: object) -> ZoneInfo:
    """The IANA zone `name`, or UTC when it is missing or unknown.

    Knock falls back to UTC for a recipient without a (valid) `timezone`, rather than failing the
    step, so every rule evaluated in a recipient's zone uses this one lookup."""
    if not isinstance(name, str) or not name:
        return UTC_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE


def add_months(when: datetime, months: int) -> datetime:
    """`when` plus whole calendar months; the day clamps to the month's end (Jan 31 -> Feb 28)."""
    import calendar  # (and locale) on the first month arithmetic

    month_index = when.month - 1 + months
    year, month = when.year + month_index // 12, month_index % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)
