"""Isolation for parallel tests: the MailRouter picks the Mailbox for each message.

Every server (SMTP, Resend) delivers into a *sink*: either a `Mailbox` or a `MailRouter`. A
router picks the Mailbox per message:

1. routes registered with `router.scoped(mailbox, recipients="*@test-42.example")` win first
   (fnmatch on every envelope recipient, case-insensitive): concurrent tests in one process
   share one server and still see only their own mail;
2. otherwise the router's *current* mailbox, which `router.scoped(mailbox)` swaps for the
   duration of a `with` block (one test at a time per process, e.g. a function fixture).

Across pytest-xdist workers nothing is shared: each worker process runs its own servers on
port 0. Failure rules live on the Mailbox (or the router, for `connect`), so they never leak
into another test's mail.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from emulator.mail._failures import FailurePlan
from emulator.mail._mailbox import Mailbox


class MailRouter:
    """Picks the Mailbox for each message; see the module docstring for the rules."""

    def __init__(self, default: Mailbox | None = None) -> None:
        self._current = default if default is not None else Mailbox(name="default")
        self._routes: list[tuple[str, Mailbox]] = []
        self._lock = threading.Lock()
        self.failures = FailurePlan()

    @property
    def current(self) -> Mailbox:
        """The Mailbox that gets mail no recipient route claims."""
        return self._current

    def route(self, recipients: Iterable[str]) -> Mailbox:
        """The Mailbox for a message to `recipients`: the first matching route, else `current`."""
        targets = [r.lower() for r in recipients]
        with self._lock:
            for pattern, mailbox in self._routes:
                if any(fnmatch.fnmatchcase(t, pattern) for t in targets):
                    return mailbox
            return self._current

    @contextmanager
    def scoped(self, mailbox: Mailbox, recipients: str | None = None) -> Iterator[Mailbox]:
        """Send mail to `mailbox` inside the block: all of it, or only `recipients` (a pattern)."""
        with self._lock:
            if recipients is None:
                previous, self._current = self._current, mailbox
            else:
                entry = (recipients.lower(), mailbox)
                self._routes.append(entry)
        try:
            yield mailbox
        finally:
            with self._lock:
                if recipients is None:
                    self._current = previous
                else:
                    self._routes.remove(entry)


MailSink = Mailbox | MailRouter  # where servers deliver
