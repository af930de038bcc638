"""Knock's condition operators, one function per operator, over already-resolved values.

Resolution (namespaces, dynamic arguments, `$message.*` tokens) lives in `_conditions`; this module
only compares values. Every function is total: any JSON value in, a bool out, never an exception,
because a malformed trigger payload must skip a step the way Knock does, not crash a run.
"""

from __future__ import annotations

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
