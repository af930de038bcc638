"""`doorstep serve --clock real`: a thread that moves the virtual clock with wall time."""

from __future__ import annotations

import sys
import threading
import time
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any, TextIO

from emulator import Clock

TICK_SECONDS = 0.2


class RealTimeTicker:
    """Moves the virtual clock forward by elapsed wall time, firing timers as they come due.

    `lock` is the one the clock's other drivers hold (`Emulator.lock`); a clock nobody else
    drives needs none."""

    def __init__(
        self,
        clock: Clock,
        *,
        lock: AbstractContextManager[Any] | None = None,
        interval: float = TICK_SECONDS,
        err: TextIO = sys.stderr,
    ):
        self.clock = clock
        self.lock = lock if lock is not None else threading.RLock()
        self.interval = interval
        self.err = err
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="doorstep-clock", daemon=True)

    def start(self) -> RealTimeTicker:
        """Start ticking in a daemon thread."""
        self._thread.start()
        return self

    def _run(self) -> None:
        last = time.monotonic()
        reported = ""  # the last failure printed: one that repeats every tick is printed once
        while not self._stop.wait(self.interval):
            now = time.monotonic()
            elapsed = timedelta(seconds=now - last)
            last = now
            try:
                with self.lock:
                    self.clock.advance(elapsed)
                reported = ""
            except Exception as exc:  # a failing timer (or the end of time) must not stop it
                if repr(exc) != reported:
                    reported = repr(exc)
                    print(
                        f"doorstep: the clock could not tick ({exc!r}); it keeps trying and "
                        "reports this again only if the error changes",
                        file=self.err,
                    )

    def stop(self) -> None:
        """Stop ticking and wait (up to 5 s) for the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
