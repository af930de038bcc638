"""`POST /api/clock/advance` and the inspector's clock form: the body checked before any move.

Python's datetime ends at year 9999 and `timedelta` at 999,999,999 days, so an unbounded jump
(`{"seconds": 1e30}`, `{"to": "9999-12-31T23:59:59Z"}`) would fail inside the clock, or leave it
where the real-time ticker cannot move it any more. No test needs more than `MAX_AHEAD`.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from emulator.http.inspect._inspection import ApiError

if TYPE_CHECKING:
    from emulator import Emulator

MAX_AHEAD = timedelta(days=36525)
"""The farthest one request may move the clock: 100 years (of 365.25 days) past virtual now."""

_MAX_SECONDS = int(MAX_AHEAD.total_seconds())


def advance(emulator: Emulator, body: Any) -> int:
    """Apply `{"seconds": N}`, `{"to": ISO}` or `{"next": true}`; returns timers fired."""
    if not isinstance(body, dict):
        raise ApiError(
            400, 'send a JSON object: {"seconds": N}, {"to": ISO-8601} or {"next": true}'
        )
    given = [k for k in ("seconds", "to", "next") if k in body]
    unknown = sorted(set(body) - {"seconds", "to", "next"})
    if unknown or len(given) != 1:
        raise ApiError(
            400,
            f"give exactly one of `seconds`, `to`, `next` (got {sorted(body)}); e.g. "
            '{"seconds": 300}',
        )
    clock = emulator.clock
    key = given[0]
    value = body[key]
    if key == "seconds":
        seconds = _seconds(value)
        with emulator.lock:
            return clock.advance(seconds=seconds)
    if key == "to":
        when = _target(value)
        with emulator.lock:
            _check_ahead(when, clock.now)
            return clock.advance_to(when)
    if value is not True:
        raise ApiError(400, f"`next` must be true; got {value!r}")
    with emulator.lock:
        return clock.advance_to_next()


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ApiError(400, f"`seconds` must be a number of 0 or more; got {value!r}")
    if not math.isfinite(value) or value > _MAX_SECONDS:
        raise ApiError(
            400,
            f"`seconds` must be at most {_MAX_SECONDS} (100 years); got {value!r}. "
            "Move the clock in smaller steps, or use `to` with a date within 100 years",
        )
    return float(value)


def _target(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ApiError(400, f"`to` must be an ISO-8601 string; got {value!r}")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(
            400, f"`to` is not ISO-8601 ({value!r}); use e.g. 2025-01-01T09:05:00Z"
        ) from None
    if when.tzinfo is None:
        raise ApiError(400, f"`to` has no time zone ({value!r}); add Z or +00:00")
    return when


def _check_ahead(when: datetime, now: datetime) -> None:
    if when - now > MAX_AHEAD:
        raise ApiError(
            400,
            f"`to` may be at most 100 years after the virtual now ({now.isoformat()}); "
            f"got {when.isoformat()}. Pick an earlier date",
        )
