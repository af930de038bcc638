"""Schedule repeat rules (Knock's `ScheduleRepeat`): validation and the next occurrence.

A rule names instants in the recipient's time zone (`frequency`, `days`, `hours`, `minutes`,
`day_of_month`); `interval: N` keeps every Nth period (hour, day, week or month) counted from
the rule's first occurrence, so `{"frequency": "weekly", "interval": 2, "days": ["mon"]}` is
every other Monday.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from emulator.core import DAY_SETS, WEEKDAYS, TriggerError, zone_or_utc
from emulator.definitions._windows import InvalidWindowError, next_rule_occurrence

FREQUENCIES = ("monthly", "weekly", "daily", "hourly")
DAYS = WEEKDAYS  # the name `http/knock/_schedules.py` imports
_MAX_STEPS = 5000  # candidate instants examined before giving up (interval skipping)


def _bad(path: str, message: str) -> TriggerError:
    return TriggerError("invalid_params", f"{path}: {message}")


def validate_repeats(raw: Any, path: str = "repeats") -> tuple[dict[str, Any], ...]:
    """Check every rule the way Knock's API does; errors name the JSON path and the fix."""
    if raw is None:
        return ()
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise _bad(path, "must be a list of repeat rules like [{'frequency': 'daily'}]")
    rules = []
    for i, rule in enumerate(raw):
        where = f"{path}[{i}]"
        if not isinstance(rule, Mapping):
            raise _bad(where, "must be an object like {'frequency': 'daily', 'hours': 9}")
        rule = {k: v for k, v in rule.items() if k != "__typename"}
        unknown = set(rule) - {"frequency", "interval", "days", "hours", "minutes", "day_of_month"}
        if unknown:
            raise _bad(where, f"unknown field(s) {sorted(unknown)}; see Knock's ScheduleRepeat")
        if rule.get("frequency") not in FREQUENCIES:
            raise _bad(f"{where}.frequency", f"must be one of {', '.join(FREQUENCIES)}")
        _integer(rule, "interval", 1, 10_000, where)
        _integer(rule, "hours", 0, 23, where)
        _integer(rule, "day_of_month", 1, 31, where)
        minutes = _integer(rule, "minutes", 0, 55, where)
        if minutes is not None and minutes % 5:
            raise _bad(f"{where}.minutes", "must be a multiple of 5 (0, 5, ... 55)")
        if not _valid_days(rule.get("days")):
            raise _bad(f"{where}.days", 'must be "weekdays", "weekends" or a list of mon..sun')
        rules.append(rule)
    return tuple(rules)


def _valid_days(days: Any) -> bool:
    if days is None or (isinstance(days, str) and days in DAY_SETS):
        return True
    return isinstance(days, list) and bool(days) and all(d in WEEKDAYS for d in days)


def _integer(rule: Mapping[str, Any], key: str, low: int, high: int, where: str) -> int | None:
    value = rule.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(f"{where}.{key}", f"must be an integer from {low} to {high}, got {value!r}")
    return value


def first_occurrence(rule: Mapping[str, Any], after: datetime, timezone: str | None) -> datetime:
    """The rule's first instant after `after`: the anchor its `interval` counts from."""
    try:
        return next_rule_occurrence(rule, after, timezone)
    except InvalidWindowError as exc:  # validated rules always name an instant; keep the reason
        raise TriggerError("invalid_params", str(exc)) from None


def next_occurrence(
    rule: Mapping[str, Any], after: datetime, anchor: datetime, timezone: str | None
) -> datetime | None:
    """The first instant after `after` in a period that is a multiple of `interval` from the
    anchor's; None if none is found within a generous search."""
    interval = int(rule.get("interval") or 1)
    candidate = first_occurrence(rule, after, timezone)
    if interval == 1:
        return candidate
    zone = zone_or_utc(timezone)
    for _ in range(_MAX_STEPS):
        if _periods(rule["frequency"], anchor, candidate, zone) % interval == 0:
            return candidate
        candidate = first_occurrence(rule, candidate, timezone)
    return None


def _periods(frequency: str, anchor: datetime, when: datetime, zone: ZoneInfo) -> int:
    """Whole hours, days, weeks or months from the anchor's period to `when`'s."""
    if frequency == "hourly":
        return int((when - anchor) // timedelta(hours=1))
    a, w = anchor.astimezone(zone).date(), when.astimezone(zone).date()
    if frequency == "daily":
        return (w - a).days
    if frequency == "weekly":
        return ((w - timedelta(days=w.weekday())) - (a - timedelta(days=a.weekday()))).days // 7
    return (w.year * 12 + w.month) - (a.year * 12 + a.month)


def utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
