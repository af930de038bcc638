"""The shared calendar facts: weekday names, the UTC fallback, calendar-month arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from emulator.core._calendar import DAY_SETS, WEEKDAY_NAMES, WEEKDAYS, add_months, zone_or_utc


def test_weekday_tables_follow_date_weekday() -> None:
    for offset, (short, long) in enumerate(zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)):
        day = date(2025, 1, 6 + offset)  # 2025-01-06 is a Monday
        assert WEEKDAYS[day.weekday()] == short
        assert long.startswith(short)
    assert DAY_SETS["weekdays"] + DAY_SETS["weekends"] == WEEKDAYS


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Europe/Paris", "Europe/Paris"),
        ("America/New_York", "America/New_York"),
        (None, "Etc/UTC"),
        ("", "Etc/UTC"),
        ("Mars/Olympus_Mons", "Etc/UTC"),
        ("../etc/passwd", "Etc/UTC"),
        (42, "Etc/UTC"),
    ],
)
def test_zone_or_utc(name: object, key: str) -> None:
    assert zone_or_utc(name).key == key


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2025, 1, 31, 9, tzinfo=UTC), 1, datetime(2025, 2, 28, 9, tzinfo=UTC)),
        (datetime(2024, 1, 31, 9, tzinfo=UTC), 1, datetime(2024, 2, 29, 9, tzinfo=UTC)),
        (datetime(2025, 11, 15, tzinfo=UTC), 3, datetime(2026, 2, 15, tzinfo=UTC)),
        (datetime(2025, 3, 31, tzinfo=UTC), 12, datetime(2026, 3, 31, tzinfo=UTC)),
        (datetime(2025, 3, 31, tzinfo=UTC), 0, datetime(2025, 3, 31, tzinfo=UTC)),
    ],
)
def test_add_months_clamps_the_day(start: datetime, months: int, expected: datetime) -> None:
    assert add_months(start, months) == expected
