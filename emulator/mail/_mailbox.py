"""The Mailbox: one thread-safe store of captured email for every way in.

Isolation for parallel tests. Every server (SMTP, Resend) delivers into a *sink*: either a
`Mailbox` or a `MailRouter`. A router picks the Mailbox per message:

1. routes registered with `router.scoped(mailbox, recipients="*@test-42.example")` win first
   (fnmatch on every envelope recipient, case-insensitive): concurrent tests in one process
   share one server and still see only their own mail;
2. otherwise the router's *current* mailbox, which `router.scoped(mailbox)` swaps for the
   duration of a `with` block (one test at a time per process, e.g. a function fixture).

Across pytest-xdist workers nothing is shared: each worker process runs its own servers on
port 0. Failure rules live on the Mailbox (or the router, for `connect`), so they never leak
into another test's mail.

Listeners (`Mailbox.subscribe`, the inspector's live updates) hear about every change in the
order it happened, after the lock is released, so a slow or failing listener never holds up
ingestion; with nobody listening the hot paths pay one attribute check.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from functools import partial
from pathlib import Path
from typing import Any, Literal, Protocol, cast

from emulator.core._clock import Clock
from emulator.core._ids import IdFactory
from emulator.mail._capture import _build_outgoing, _parse, _Raw
from emulator.mail._failures import FailurePlan
from emulator.mail._model import (
    CapturedEmail,
    MailTimeout,
    OutgoingEmail,
    UnknownEmail,
    WayIn,
)

DEFAULT_RETENTION = 500  # Mailpit's default --max
_log = logging.getLogger(__name__)


class MailStore(Protocol):
    """Persistence behind a Mailbox (see `SqliteMailStore`)."""

    def save(self, email: CapturedEmail) -> None: ...
    def delete(self, ids: list[str]) -> None: ...
    def load(self, limit: int) -> list[CapturedEmail]: ...
    def clear(self) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class MailEvent:
    """What changed: `new` and `delete` carry email ids; `clear` (everything went) carries none."""

    kind: Literal["new", "delete", "clear"]
    ids: tuple[str, ...] = ()


MailListener = Callable[[MailEvent], None]


class EmailList(list[CapturedEmail]):
    """Query results: a plain list, oldest first, with a few conveniences."""

    def latest(self) -> CapturedEmail | None:
        return self[-1] if self else None

    @property
    def subjects(self) -> list[str]:
        return [e.subject for e in self]


class Mailbox:
    """Captured email, newest `retention` kept (0 keeps everything)."""

    def __init__(
        self,
        clock: Clock | None = None,
        retention: int = DEFAULT_RETENTION,
        store: str | Path | MailStore | None = None,
        *,
        name: str = "mailbox",
        seed: int = 0,
    ) -> None:
        if retention < 0:
            raise ValueError(f"retention={retention} must be 0 (unlimited) or a positive count")
        self.clock = clock
        self.retention = retention
        self.name = name
        self.failures = FailurePlan()
        self._ids = IdFactory(seed)
        self._emails: dict[str, CapturedEmail | _Raw] = {}
        self._unparsed = 0
        self._lock = threading.RLock()
        self._arrived = threading.Condition(self._lock)
        self._listeners: tuple[MailListener, ...] = ()
        # (event, listeners subscribed when it happened), queued under the lock in change order
        self._events: deque[tuple[MailEvent, tuple[MailListener, ...]]] = deque()
        self._delivering = threading.Lock()
        self._store: MailStore | None = None
        if store is not None:
            if isinstance(store, str | Path):
                from emulator.mail._sqlite import SqliteMailStore

                self._store = SqliteMailStore(store)
            else:
                self._store = store
            for email in self._store.load(retention):
                self._emails[email.id] = email

    # -- routing (a Mailbox is its own sink) --------------------------------------
    def route(self, recipients: Iterable[str]) -> Mailbox:
        return self

    # -- ingestion -----------------------------------------------------------------
    def new_id(self) -> str:
        with self._lock:
            return self._ids.uuid4()

    def now(self) -> datetime | None:
        # No clock.lock here: reading `now` is one attribute read, and the engine holds the
        # lock while a network provider sends, so a server thread taking it would deadlock.
        return None if self.clock is None else self.clock.now

    def add(self, email: CapturedEmail) -> CapturedEmail:
        """Store a fully built email (every way in ends here) and wake `wait_for` callers."""
        self._put(email)
        return email

    def _put(self, email: CapturedEmail | _Raw) -> None:
        with self._lock:
            if email.id in self._emails:
                raise ValueError(f"email id {email.id!r} is already in {self.name}; ids are unique")
            self._emails[email.id] = email
            evicted: list[str] = []
            if self.retention and len(self._emails) > self.retention:
                for old in list(self._emails)[: len(self._emails) - self.retention]:
                    del self._emails[old]
                    evicted.append(old)
            if isinstance(email, _Raw):
                self._unparsed += 1
            if self._listeners:
                self._events.append((MailEvent("new", (email.id,)), self._listeners))
                if evicted:
                    self._events.append((MailEvent("delete", tuple(evicted)), self._listeners))
            if self._store is not None:
                if isinstance(email, _Raw):
                    email = self._emails[email.id] = email.make() if email.make else _parse(email)
                    self._unparsed -= 1
                self._store.save(email)
                if evicted:
                    self._store.delete(evicted)
            self._arrived.notify_all()
        if self._events:
            self._deliver()

    # -- listeners -------------------------------------------------------------------
    def subscribe(self, listener: MailListener) -> Callable[[], None]:
        """Call `listener(event)` after every change from now on; returns `unsubscribe`.

        Listeners run on whichever thread made (or, under contention, followed) the change, in
        change order, without the lock held. Keep them quick (hand the event to a queue or a
        loop); an exception is logged and the other listeners still hear the event."""
        with self._lock:
            self._listeners = (*self._listeners, listener)
        done = False

        def unsubscribe() -> None:
            nonlocal done
            with self._lock:
                if not done:
                    done = True
                    remaining = list(self._listeners)
                    remaining.remove(listener)
                    self._listeners = tuple(remaining)

        return unsubscribe

    @property
    def listeners(self) -> int:
        """How many listeners are subscribed (0 keeps ingestion on its cheapest path)."""
        return len(self._listeners)

    def _deliver(self) -> None:
        """Hand queued events to their listeners in order; one thread delivers at a time.

        A thread that finds another delivering leaves its events to it: the deliverer looks
        at the queue again after letting go, so nothing queued is ever left behind."""
        events = self._events
        while events and self._delivering.acquire(blocking=False):
            try:
                while events:
                    event, listeners = events.popleft()
                    for listener in listeners:
                        try:
                            listener(event)
                        except Exception:
                            _log.exception(
                                "mail listener %r failed on a %r event in %s; ingestion goes on",
                                listener,
                                event.kind,
                                self.name,
                            )
            finally:
                self._delivering.release()

    def capture_outgoing(
        self,
        email: OutgoingEmail,
        *,
        way_in: WayIn = "engine",
        resend_request: dict[str, Any] | None = None,
        email_id: str | None = None,
        derive_text: bool = False,
    ) -> CapturedEmail:
        """Capture an email that never crossed SMTP and return it built (raw MIME included)."""
        eid = self.ingest_outgoing(
            email,
            way_in=way_in,
            resend_request=resend_request,
            email_id=email_id,
            derive_text=derive_text,
        )
        return self.get(eid)

    def ingest_outgoing(
        self,
        email: OutgoingEmail,
        *,
        way_in: WayIn = "engine",
        resend_request: dict[str, Any] | None = None,
        email_id: str | None = None,
        derive_text: bool = False,
    ) -> str:
        """Accept an outgoing email cheaply; its MIME is built on the first read.

        `derive_text=True` fills a missing `text` from `html`, as Resend does."""
        received = self.now()
        wall = datetime.now(UTC)
        eid = email_id or self.new_id()
        # A partial, not a closure: one argument tuple is far lighter on the GC than cells.
        make = partial(
            _build_outgoing, email, eid, received, wall, way_in, resend_request, derive_text
        )
        self._put(_Raw(eid, b"", "", [], way_in, received, wall, make))
        return eid

    def ingest_raw(
        self,
        raw: bytes,
        *,
        envelope_from: str,
        envelope_to: list[str],
        way_in: WayIn = "smtp",
        email_id: str | None = None,
    ) -> str:
        """Accept MIME bytes cheaply (the SMTP hot path); parsing waits for the first read."""
        eid = email_id or self.new_id()
        self._put(
            _Raw(eid, raw, envelope_from, list(envelope_to), way_in, self.now(), datetime.now(UTC))
        )
        return eid

    def _settle(self) -> None:
        """Parse whatever arrived raw; callers hold the lock."""
        if self._unparsed:
            for key, value in self._emails.items():
                if isinstance(value, _Raw):
                    self._emails[key] = value.make() if value.make else _parse(value)
            self._unparsed = 0

    # -- reading -------------------------------------------------------------------
    def all(self) -> EmailList:
        with self._lock:
            self._settle()
            return EmailList(self._emails.values())  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self._emails)

    def __iter__(self) -> Iterator[CapturedEmail]:
        return iter(self.all())

    def get(self, email_id: str) -> CapturedEmail:
        with self._lock:
            try:
                found = self._emails[email_id]
                if isinstance(found, _Raw):
                    self._settle()
                    found = self._emails[email_id]
                return cast(CapturedEmail, found)
            except KeyError:
                raise UnknownEmail(
                    f"no email {email_id!r} in {self.name} ({len(self._emails)} captured); "
                    "list them with mailbox.all() or check the retention limit"
                ) from None

    def latest(self) -> CapturedEmail | None:
        with self._lock:
            self._settle()
            return cast("CapturedEmail | None", next(reversed(self._emails.values()), None))

    def filter(self, **filters: Any) -> EmailList:
        """Emails matching every filter: to, from_, subject, subject_contains, subject_regex,
        tag ("name" or "name=value"), workflow, run_id, way_in, since."""
        check = _matcher(filters)
        return EmailList(e for e in self.all() if check(e))

    def wait_for(self, timeout: float = 5.0, **filters: Any) -> CapturedEmail:
        """The first matching email, waiting (wall time) for another thread or process."""
        check = _matcher(filters)
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                self._settle()
                found = next((e for e in self._emails.values() if check(e)), None)
                if found is not None:
                    return cast(CapturedEmail, found)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise MailTimeout(self._timeout_message(timeout, filters))
                self._arrived.wait(left)

    def _timeout_message(self, timeout: float, filters: dict[str, Any]) -> str:
        wanted = ", ".join(f"{k}={v!r}" for k, v in filters.items()) or "any email"
        seen = [f"  - to {e.to} subject {e.subject!r} ({e.way_in})" for e in self.all()]
        arrived = "\n".join(seen[-20:]) if seen else "  (nothing arrived)"
        return (
            f"no email matching {wanted} arrived in {self.name} within {timeout}s; "
            f"{len(seen)} captured:\n{arrived}\n"
            "Check the filters, the recipient routing, or raise the timeout."
        )

    def delete(self, ids: Iterable[str]) -> int:
        """Remove these emails (Mailpit's DELETE with `IDs`); unknown ids raise, nothing removed."""
        wanted = list(dict.fromkeys(ids))
        with self._lock:
            missing = [i for i in wanted if i not in self._emails]
            if missing:
                raise UnknownEmail(
                    f"no email {missing[0]!r} in {self.name}; nothing was deleted "
                    "(list ids with GET /api/v1/messages)"
                )
            for email_id in wanted:
                if isinstance(self._emails.pop(email_id), _Raw):
                    self._unparsed -= 1
            if self._store is not None and wanted:
                self._store.delete(wanted)
            if self._listeners and wanted:
                self._events.append((MailEvent("delete", tuple(wanted)), self._listeners))
        if self._events:
            self._deliver()
        return len(wanted)

    def clear(self) -> None:
        with self._lock:
            self._emails.clear()
            self._unparsed = 0
            if self._store is not None:
                self._store.clear()
            if self._listeners:
                self._events.append((MailEvent("clear"), self._listeners))
        if self._events:
            self._deliver()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def __repr__(self) -> str:
        return f"<Mailbox {self.name!r} {len(self._emails)} emails>"


_FILTERS = frozenset(
    {
        "to",
        "from_",
        "subject",
        "subject_contains",
        "subject_regex",
        "tag",
        "workflow",
        "run_id",
        "way_in",
        "since",
    }
)


def _matcher(filters: dict[str, Any]) -> Any:
    unknown = set(filters) - _FILTERS
    if unknown:
        raise TypeError(
            f"unknown mail filter(s) {sorted(unknown)}; use {', '.join(sorted(_FILTERS))}"
        )
    to = filters.get("to")
    sender = filters.get("from_")
    regex = re.compile(filters["subject_regex"]) if filters.get("subject_regex") else None
    tag = filters.get("tag")

    def check(e: CapturedEmail) -> bool:
        if to is not None and parseaddr(to)[1].lower() not in e.recipients:
            return False
        if sender is not None and parseaddr(sender)[1].lower() != parseaddr(e.from_)[1].lower():
            return False
        if "subject" in filters and e.subject != filters["subject"]:
            return False
        if filters.get("subject_contains") and filters["subject_contains"] not in e.subject:
            return False
        if regex is not None and not regex.search(e.subject):
            return False
        if tag is not None and not _has_tag(e, tag):
            return False
        if "workflow" in filters and e.workflow_key != filters["workflow"]:
            return False
        if "run_id" in filters and filters["run_id"] not in (e.run_id, e.workflow_run_id):
            return False
        if "way_in" in filters and e.way_in != filters["way_in"]:
            return False
        since = filters.get("since")
        if since is not None:
            stamp = e.received_at if e.received_at is not None else e.received_wall_at
            if stamp < since:
                return False
        return True

    return check


def _has_tag(email: CapturedEmail, tag: str) -> bool:
    name, sep, value = tag.partition("=")
    return any(t.get("name") == name and (not sep or t.get("value") == value) for t in email.tags)


class MailRouter:
    """Picks the Mailbox for each message; see the module docstring for the rules."""

    def __init__(self, default: Mailbox | None = None) -> None:
        self._current = default if default is not None else Mailbox(name="default")
        self._routes: list[tuple[str, Mailbox]] = []
        self._lock = threading.Lock()
        self.failures = FailurePlan()

    @property
    def current(self) -> Mailbox:
        return self._current

    def route(self, recipients: Iterable[str]) -> Mailbox:
        targets = [r.lower() for r in recipients]
        with self._lock:
            for pattern, mailbox in self._routes:
                if any(_fnmatch(t, pattern) for t in targets):
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


def _fnmatch(value: str, pattern: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(value, pattern)


MailSink = Mailbox | MailRouter
