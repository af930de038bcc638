"""Knock's condition operators as a vocabulary: their names, which take an argument, and the
relative-timestamp spelling (`"7 days ago"`) that parsing checks and evaluation reads.

What each operator does lives in `emulator.engine._operators`; this module is what a definition
may name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Final


class _Missing:
    """Type of `MISSING`: a path that is not set at all (distinct from `null` and `""`)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final[Any] = _Missing()

# Operators that take no argument (the dashboard stores none; an argument given anyway is ignored).
NO_ARGUMENT: Final[frozenset[str]] = frozenset(
    {
        "empty",
        "not_empty",
        "exists",
        "not_exists",
        "is_timestamp",
        "is_not_timestamp",
        "is_timestamp_before_now",
        "is_timestamp_on_or_after_now",
    }
)
# Operators whose argument may legitimately be JSON `null` (compare against null).
NULL_ARGUMENT_OK: Final[frozenset[str]] = frozenset({"equal_to", "not_equal_to"})
# Operators that see `MISSING` itself; every other operator sees `""` for an unset path.
SEES_MISSING: Final[frozenset[str]] = frozenset({"exists", "not_exists", "empty", "not_empty"})

WITH_ARGUMENT: Final[frozenset[str]] = frozenset(
    {
        "equal_to",
        "not_equal_to",
        "greater_than",
        "less_than",
        "greater_than_or_equal_to",
        "less_than_or_equal_to",
        "contains",
        "not_contains",
        "contains_all",
        "not_contains_all",
        "is_timestamp_before",
        "is_timestamp_after",
        "is_timestamp_on_or_after",
        "is_timestamp_before_date",
        "is_timestamp_on_or_after_date",
        "is_timestamp_between",
        "is_between",
        "is_audience_member",
        "is_not_audience_member",
    }
)

OPERATORS: Final[frozenset[str]] = NO_ARGUMENT | WITH_ARGUMENT

# Operators that compare one value with another; ranked statuses (`refs.x.delivery_status`)
# support exactly these.
ORDERINGS: Final[frozenset[str]] = frozenset(
    {"greater_than", "less_than", "greater_than_or_equal_to", "less_than_or_equal_to"}
)
COMPARISONS: Final[frozenset[str]] = frozenset({"equal_to", "not_equal_to", *ORDERINGS})

# -- relative timestamps ---------------------------------------------------------------------------
_RELATIVE = re.compile(
    r"\s*(\d+)\s*(minute|hour|day|week)s?\s+(ago|from\s+now)\s*\Z", re.IGNORECASE
)
_UNIT_SECONDS: Final[Mapping[str, int]] = {
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 604800,
}
MIN_RELATIVE: Final[timedelta] = timedelta(minutes=15)


def relative_offset(text: str) -> timedelta | None:
    """`"7 days ago"` -> -7 days, `"3 hours from now"` -> +3 hours; other text -> None."""
    match = _RELATIVE.match(text)
    if not match:
        return None
    amount = timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2].lower()])
    return -amount if match[3].lower() == "ago" else amount
