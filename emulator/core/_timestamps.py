"""The one way Doorstep writes an instant: ISO 8601 in UTC with a `Z` (Knock, Mailpit, Resend).

Every wire shape that carries a time goes through `format_timestamp`, so no caller can forget to
convert to UTC or drop the offset.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

Timespec = Literal["auto", "seconds", "milliseconds", "microseconds"]
_TIMESPECS: tuple[str, ...] = ("auto", "seconds", "milliseconds", "microseconds")


def format_timestamp(when: datetime, *, timespec: Timespec = "auto") -> str:
    """`when` in UTC as ISO 8601 with `Z`: `2025-01-01T09:00:00Z`, `...:00.123456Z`.

    A naive datetime is taken to be UTC already. `timespec` works as in `datetime.isoformat`:
    "auto" (Knock's shape) writes microseconds only when there are some, "milliseconds"
    (Mailpit's and Resend's shape) always writes three digits, truncating the rest.
    """
    if timespec not in _TIMESPECS:
        raise ValueError(f"timespec {timespec!r} is not one of {', '.join(_TIMESPECS)}")
    utc = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return utc.replace(tzinfo=None).isoformat(timespec=timespec) + "Z"
