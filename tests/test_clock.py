import weakref
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


@pytest.mark.parametrize("end", ["fire", "cancel"])
def test_a_timer_that_fired_or_was_cancelled_lets_go_of_its_callback(end: str) -> None:
    # A callback that closes over something holding its timer (a batch, a run) would otherwise
    # make a reference cycle only the cyclic GC frees.
    clock = Clock(START)
    seen: list[int] = []

    def callback() -> None:
        seen.append(1)

    timer = clock.call_later(timedelta(minutes=1), callback)
    gone = weakref.ref(callback)
    del callback
    if end == "fire":
        clock.advance(minutes=1)
    else:
        timer.cancel()
    assert gone() is None
    assert seen == ([1] if end == "fire" else [])
    assert not timer.pending
