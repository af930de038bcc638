from datetime import UTC, datetime, timedelta

import pytest

from emulator.core._clock import Clock
from emulator.core._errors import ClockError

START = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)


def test_timers_fire_in_due_order_with_now_at_due_time() -> None:
    clock = Clock(START)
    seen: list[tuple[str, datetime]] = []
    clock.call_later(timedelta(minutes=5), lambda: seen.append(("late", clock.now)))
    clock.call_later(timedelta(minutes=1), lambda: seen.append(("early", clock.now)))
    assert clock.advance(minutes=10) == 2
    assert seen == [("early", START + timedelta(minutes=1)), ("late", START + timedelta(minutes=5))]
    assert clock.now == START + timedelta(minutes=10)


def test_negative_advance_is_refused() -> None:
    with pytest.raises(ClockError, match="only moves forward"):
        Clock(START).advance(timedelta(seconds=-1))
