"""Who hears about Mailbox changes, and the events waiting for them.

Events are queued under the Mailbox's lock, so they keep the order the changes happened in,
each with the listeners subscribed at that moment; they are delivered after the lock is
released, by one thread at a time, so a slow or failing listener never holds up ingestion.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class MailEvent:
    """What changed: `new` and `delete` carry email ids; `clear` (everything went) carries none."""

    kind: Literal["new", "delete", "clear"]
    ids: tuple[str, ...] = ()


MailListener = Callable[[MailEvent], None]


class Listeners:
    """The listeners of one Mailbox and the events queued for them.

    `listeners` is a plain tuple so the hot paths check it with one attribute read; `queue`
    must be called with the owner's lock held, `deliver` without it."""

    def __init__(self, lock: threading.RLock, owner: str) -> None:
        self.listeners: tuple[MailListener, ...] = ()
        # (event, listeners subscribed when it happened), queued under the lock in change order
        self.pending: deque[tuple[MailEvent, tuple[MailListener, ...]]] = deque()
        self._lock = lock
        self._owner = owner
        self._delivering = threading.Lock()

    def subscribe(self, listener: MailListener) -> Callable[[], None]:
        """Add `listener` for every change from now on; returns `unsubscribe`."""
        with self._lock:
            self.listeners = (*self.listeners, listener)
        done = False

        def unsubscribe() -> None:
            nonlocal done
            with self._lock:
                if not done:
                    done = True
                    remaining = list(self.listeners)
                    remaining.remove(listener)
                    self.listeners = tuple(remaining)

        return unsubscribe

    def queue(self, event: MailEvent) -> None:
        """Remember `event` for the current listeners; the caller holds the owner's lock."""
        self.pending.append((event, self.listeners))

    def deliver(self) -> None:
        """Hand queued events to their listeners in order; one thread delivers at a time.

        A thread that finds another delivering leaves its events to it: the deliverer looks
        at the queue again after letting go, so nothing queued is ever left behind."""
        events = self.pending
        while events and self._delivering.acquire(blocking=False):
            try:
                while events:
                    event, listeners = events.popleft()
                    for listener in listeners:
                        try:
                            listener(event)
                        except Exception:
                            import logging  # only when a listener fails

                            logging.getLogger(__name__).exception(
                                "mail listener %r failed on a %r event in %s; ingestion goes on",
                                listener,
                                event.kind,
                                self._owner,
                            )
            finally:
                self._delivering.release()
