"""Virtual time: integer microseconds and a heap of timers fired in (due, sequence) order."""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from emulator.core._errors import ClockError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_START = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
_MAX_FIRINGS = 10_000_000  # guards run_until_idle against a timer that always re-arms itself


def to_micros(when: datetime) -> int:
    """Microseconds since the epoch; naive datetimes are refused so time zones never get guessed."""
    if when.tzinfo is None:
        raise ClockError(
            f"{when!r} has no time zone; pass an aware datetime such as "
            "datetime(2025, 1, 1, tzinfo=timezone.utc)"
        )
    delta = when - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def _spent() -> None:
    """The callback of a timer that fired or was cancelled: the real one is dropped, so what it
    closed over (a run, a batch that holds this timer) is freed at once, not left in a cycle."""


class Timer:
    """A callback parked until a virtual instant. Cancel it with `cancel()`."""

    __slots__ = ("_clock", "callback", "cancelled", "due_us", "fired", "label", "recurring")

    def __init__(
        self,
        clock: Clock,
        due_us: int,
        callback: Callable[[], Any],
        label: str,
        recurring: bool = False,
    ) -> None:
        self._clock = clock
        self.due_us = due_us
        self.callback = callback
        self.label = label
        self.recurring = recurring  # a schedule's next occurrence: `run_until_idle` stops short
        self.cancelled = False
        self.fired = False

    @property
    def due(self) -> datetime:
        """When the timer fires, in virtual time."""
        return from_micros(self.due_us)

    @property
    def pending(self) -> bool:
        """Whether the timer has neither fired nor been cancelled."""
        return not (self.cancelled or self.fired)

    def cancel(self) -> None:
        """Stop the timer from firing; cancelling a fired or cancelled timer does nothing."""
        if self.pending:
            self.cancelled = True
            self.callback = _spent
            self._clock._pending -= 1
            self._clock._recurring -= self.recurring

    def __repr__(self) -> str:
        state = "pending" if self.pending else ("fired" if self.fired else "cancelled")
        return f"<Timer {self.label!r} due {self.due.isoformat()} {state}>"


class Clock:
    """Virtual clock. Time only moves when told to; due timers fire in order as it moves."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now_us = to_micros(start or DEFAULT_START)
        self._now_dt = from_micros(self._now_us)  # cached: `now` is read on every step
        self._heap: list[tuple[int, int, Timer]] = []
        self._sequence = 0
        self._pending = 0
        self._recurring = 0  # pending timers that re-arm forever (recurring schedules)
        self._listeners: list[Callable[[datetime], None]] = []
        # Called with a timer's due time just before it fires (a journal records the instant).
        self.before_fire: Callable[[int], None] | None = None
        # Servers in other threads schedule timers too (Resend scheduled mail, HTTP triggers).
        self.lock = threading.RLock()

    # -- reading -----------------------------------------------------------------
    @property
    def now(self) -> datetime:
        """The current virtual time (UTC)."""
        return self._now_dt

    @property
    def pending(self) -> int:
        """How many timers are parked and not cancelled."""
        return self._pending

    def next_due(self) -> datetime | None:
        """When the earliest parked timer fires, or None when nothing is parked."""
        self._drop_dead()
        return from_micros(self._heap[0][0]) if self._heap else None

    def timers(self) -> list[Timer]:
        """Parked timers in firing order (a copy; cancelling one still works)."""
        return [t for _, _, t in sorted(self._heap) if t.pending]

    # -- scheduling --------------------------------------------------------------
    def call_at(
        self,
        when: datetime | int,
        callback: Callable[[], Any],
        *,
        label: str = "",
        recurring: bool = False,
    ) -> Timer:
        """Park `callback` until `when` (a datetime or epoch microseconds); the past means now.

        `recurring` marks a timer that re-arms itself forever (a schedule): `run_until_idle`
        does not chase those, `advance` fires them.
        """
        due_us = when if isinstance(when, int) else to_micros(when)
        with self.lock:
            due_us = max(due_us, self._now_us)
            timer = Timer(self, due_us, callback, label, recurring)
            self._sequence += 1
            heapq.heappush(self._heap, (due_us, self._sequence, timer))
            self._pending += 1
            self._recurring += recurring
        return timer

    def call_later(
        self, delay: timedelta, callback: Callable[[], Any], *, label: str = ""
    ) -> Timer:
        """Run `callback` when virtual time reaches now + `delay`; returns the Timer."""
        return self.call_at(self._now_us + _delta_us(delay), callback, label=label)

    # -- moving time -------------------------------------------------------------
    def advance(self, delta: timedelta | None = None, /, **units: float) -> int:
        """Move forward by `delta` or by keyword units (`minutes=5`); returns timers fired."""
        if delta is None:
            delta = timedelta(**units)
        elif units:
            raise ClockError("pass either a timedelta or keyword units such as minutes=5, not both")
        step = _delta_us(delta)
        if step < 0:
            raise ClockError(
                f"cannot advance by a negative amount ({delta}); virtual time only moves forward"
            )
        return self._run_until(self._now_us + step)

    @property
    def now_us(self) -> int:
        """The current virtual time in epoch microseconds."""
        return self._now_us

    def advance_to(self, when: datetime) -> int:
        """Move forward to `when`, firing every timer due up to and including it."""
        target = to_micros(when)
        if target < self._now_us:
            raise ClockError(
                f"cannot move back to {when.isoformat()}: it is already {self.now.isoformat()}"
            )
        return self._run_until(target)

    def advance_to_next(self) -> int:
        """Jump to the next due timer and fire everything due then; 0 when nothing is parked."""
        due = self.next_due()
        return 0 if due is None else self._run_until(to_micros(due))

    def run_until_idle(self, *, limit: int = _MAX_FIRINGS) -> int:
        """Jump from timer to timer until nothing is parked but recurring schedules (which would
        never end); returns how many fired."""
        fired = 0
        with self.lock:
            while self._drop_dead() and self._pending > self._recurring and fired < limit:
                due_us, _, timer = heapq.heappop(self._heap)
                fired += self._fire(due_us, timer)
        if self._pending > self._recurring and fired >= limit:
            raise ClockError(
                f"still {self._pending} timers parked after {limit} firings; a "
                "workflow may re-arm a timer forever (check recurring steps)"
            )
        return fired

    def _run_until(self, target_us: int) -> int:
        fired = 0
        heap = self._heap
        with self.lock:
            while heap and heap[0][0] <= target_us:
                due_us, _, timer = heapq.heappop(heap)
                if timer.pending:
                    fired += self._fire(due_us, timer)
            self._set_now(target_us)
        return fired

    def _fire(self, due_us: int, timer: Timer) -> int:
        if self.before_fire is not None:
            self.before_fire(due_us)
        if due_us != self._now_us:
            self._set_now(due_us)
        timer.fired = True
        self._pending -= 1
        self._recurring -= timer.recurring
        callback, timer.callback = timer.callback, _spent
        callback()
        return 1

    def _drop_dead(self) -> bool:
        heap = self._heap
        while heap and not heap[0][2].pending:
            heapq.heappop(heap)
        return bool(heap)

    def _set_now(self, micros: int) -> None:
        self._now_us = micros
        self._now_dt = from_micros(micros)
        if self._listeners:
            now = from_micros(micros)
            for listener in self._listeners:
                listener(now)

    def on_move(self, listener: Callable[[datetime], None]) -> Callable[[], None]:
        """Call `listener(now)` whenever virtual time moves (before each due timer fires, and at
        the end of each advance); returns `unsubscribe`. Callers hold the clock's lock."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # -- bridges -----------------------------------------------------------------
    @contextmanager
    def freeze(self) -> Iterator[None]:
        """Show application code the virtual time through freezegun while the block runs."""
        from freezegun import freeze_time

        with freeze_time(self.now) as frozen:
            listener: Callable[[datetime], None] = frozen.move_to
            self._listeners.append(listener)
            try:
                yield
            finally:
                self._listeners.remove(listener)

    @contextmanager
    def travel(self) -> Iterator[None]:
        """Like `freeze()`, with time-machine (faster; install `time-machine` to use it)."""
        try:
            import time_machine
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ClockError(
                "clock.travel() needs time-machine: pip install time-machine, or "
                "use clock.freeze() (freezegun)"
            ) from exc
        with time_machine.travel(self.now, tick=False) as traveller:
            listener: Callable[[datetime], None] = traveller.move_to
            self._listeners.append(listener)
            try:
                yield
            finally:
                self._listeners.remove(listener)

    def __repr__(self) -> str:
        return f"<Clock now={self.now.isoformat()} pending={self._pending}>"


def _delta_us(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
