"""Application code sees the virtual time through freezegun or time-machine while a block runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta

import pytest

from emulator import Clock, ClockError

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("bridge", [Clock.freeze, Clock.travel], ids=["freezegun", "time-machine"])
def test_application_code_sees_virtual_time_and_its_moves(
    bridge: Callable[[Clock], AbstractContextManager[None]],
) -> None:
    clock = Clock(START)
    real = datetime.now(UTC)
    seen: list[datetime] = []
    clock.call_later(timedelta(minutes=5), lambda: seen.append(datetime.now(UTC)))
    with bridge(clock):
        assert datetime.now(UTC) == START
        assert time.time() == pytest.approx(START.timestamp())
        clock.advance(minutes=10)
        assert datetime.now(UTC) == START + timedelta(minutes=10)
    assert seen == [START + timedelta(minutes=5)]  # the timer saw its own due time
    assert abs(datetime.now(UTC) - real) < timedelta(minutes=1)  # real time is back


def test_naive_datetimes_are_refused_with_a_fix() -> None:
    with pytest.raises(ClockError, match=r"tzinfo=timezone\.utc"):
        Clock(datetime(2025, 1, 1))


def test_advance_to_the_past_is_refused() -> None:
    clock = Clock(START)
    with pytest.raises(ClockError, match="cannot move back"):
        clock.advance_to(START - timedelta(seconds=1))


def test_cancelled_timers_do_not_fire_or_count() -> None:
    clock = Clock(START)
    fired: list[int] = []
    keep = clock.call_later(timedelta(seconds=1), lambda: fired.append(1))
    drop = clock.call_later(timedelta(seconds=2), lambda: fired.append(2))
    drop.cancel()
    assert clock.pending == 1
    assert clock.timers() == [keep]
    assert clock.run_until_idle() == 1
    assert fired == [1]
    assert clock.next_due() is None


def test_advance_to_next_jumps_to_the_earliest_timer() -> None:
    clock = Clock(START)
    clock.call_later(timedelta(hours=3), lambda: None)
    clock.call_later(timedelta(hours=1), lambda: None)
    assert clock.advance_to_next() == 1
    assert clock.now == START + timedelta(hours=1)
    assert clock.advance_to_next() == 1
    assert clock.advance_to_next() == 0
