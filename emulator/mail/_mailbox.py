"""The Mailbox: one thread-safe store of captured email for every way in.

Every way in (SMTP, the Resend API, the engine's providers) ends in `_put`, which keeps the
newest `retention` emails (`_kept`: the emails in arrival order, evicting the oldest),
persists to an optional `MailStore` and wakes `wait_for` callers. SMTP mail arrives parsed
(`ingest_raw` parses it before taking the lock); outgoing mail arrives as an `_Outgoing` whose
MIME is built when asked for; only mail a data dir stored unparsed comes back as a `_Raw`,
parsed on the first read. Queries (`filter`, `wait_for`) live in `_query`; Mailpit's list,
counts, tags and search in `_index` (`reading`); listeners in `_listeners` (with nobody
listening the hot paths pay one attribute check); choosing a Mailbox per message for parallel
tests in `_router`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from emulator.core import Clock, IdFactory
from emulator.mail._capture import _Raw, capture_outgoing, parse_arrived
from emulator.mail._failures import FailurePlan
from emulator.mail._flags import MailFlags
from emulator.mail._index import MailIndex
from emulator.mail._kept import KeptEmails
from emulator.mail._listeners import Listeners, MailEvent, MailListener
from emulator.mail._model import (
    CapturedEmail,
    MailTimeoutError,
    OutgoingEmail,
    UnknownEmailError,
    WayIn,
)
from emulator.mail._query import EmailList, matcher, timeout_message
from emulator.mail._stats import MailStats
from emulator.mail._store import MailStore

DEFAULT_RETENTION = 500  # Mailpit's default --max


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
        self.stats = MailStats()  # Mailpit's runtime statistics
        self._ids = IdFactory(seed, kind="email")  # never a run's or trigger's id
        # SMTP draws from a stream of its own: the engine's emails get the same ids when a
        # journal replays it, however SMTP mail arrived in between.
        self._smtp_ids = IdFactory(seed, kind="smtp-email")
        # While a journal replays: "skip" captures nothing (that mail is stored already),
        # "missing" captures only ids not kept yet (a call a crash may have cut short).
        self.replay: str | None = None
        self._lock = threading.RLock()
        self._arrived = threading.Condition(self._lock)
        self._waiting = 0  # `wait_for` callers waiting on `_arrived` (none: no one to wake)
        self._subscribers = Listeners(self._lock, name)
        if isinstance(store, str | Path):
            from emulator.mail._sqlite import SqliteMailStore

            store = SqliteMailStore(store)
        self._store: MailStore | None = store
        # what parsing raw mail builds replaces the stored form
        self._kept = KeptEmails(self._lock, None if store is None else store.settled)
        self._emails = self._kept.emails  # read by every query (the same dict throughout)
        for email in [] if store is None else store.load(retention):
            self._kept.add(email)
        # Mailpit's Read flags and hand-set tags, and what its list and search read
        self.flags = MailFlags(self._store, lock=self._lock, known=self._emails)
        self._index = MailIndex(self._emails, self.flags)

    # -- routing (a Mailbox is its own sink) --------------------------------------
    def route(self, recipients: Iterable[str]) -> Mailbox:
        """This Mailbox, for every message: servers treat it like a `MailRouter`."""
        return self

    # -- ingestion -----------------------------------------------------------------
    def new_id(self) -> str:
        """A fresh email id (seeded, so runs repeat)."""
        with self._lock:
            return self._ids.uuid4()

    def reseed(self, seed: int) -> None:
        """Draw the engine's email ids from `seed`'s stream (SMTP's stream is left as it is)."""
        with self._lock:
            self._ids = IdFactory(seed, kind="email")

    def now(self) -> datetime | None:
        """Virtual now for `received_at`, or None without a clock."""
        # No clock.lock here: reading `now` is one attribute read, and the engine holds the
        # lock while a network provider sends, so a server thread taking it would deadlock.
        return None if self.clock is None else self.clock.now

    def add(self, email: CapturedEmail) -> CapturedEmail:
        """Store a fully built email (every way in ends here) and wake `wait_for` callers."""
        self._put(email)
        return email

    def _put(self, email: CapturedEmail | _Raw) -> None:
        subscribers = self._subscribers
        with self._lock:
            if self.replay is not None and (self.replay == "skip" or email.id in self._emails):
                return
            if email.id in self._emails:
                raise ValueError(f"email id {email.id!r} is already in {self.name}; ids are unique")
            self._kept.add(email)
            self._index.added(email.id)
            evicted: list[str] = []
            if self.retention and len(self._emails) > self.retention:
                evicted = self._kept.evict(self.retention)
                self.stats.count("deleted", len(evicted))
                self.flags.forget(evicted)
                self._index.removed(evicted)
            if subscribers.listeners:
                subscribers.queue(MailEvent("new", (email.id,)))
                if evicted:
                    subscribers.queue(MailEvent("delete", tuple(evicted)))
            if self._store is not None:  # stored as cheaply as kept: built on first read
                if isinstance(email, _Raw):
                    self._store.save_pending(email, evicted)
                else:
                    self._store.save(email, evicted)
            if self._waiting:
                self._arrived.notify_all()
        if subscribers.pending:
            subscribers.deliver()

    # -- listeners -------------------------------------------------------------------
    def subscribe(self, listener: MailListener) -> Callable[[], None]:
        """Call `listener(event)` after every change from now on; returns `unsubscribe`.

        Listeners run on whichever thread made (or, under contention, followed) the change, in
        change order, without the lock held. Keep them quick (hand the event to a queue or a
        loop); an exception is logged and the other listeners still hear the event."""
        return self._subscribers.subscribe(listener)

    @property
    def listeners(self) -> int:
        """How many listeners are subscribed (0 keeps ingestion on its cheapest path)."""
        return len(self._subscribers.listeners)

    def capture_outgoing(
        self,
        email: OutgoingEmail,
        *,
        way_in: WayIn = "engine",
        resend_request: dict[str, Any] | None = None,
        email_id: str | None = None,
        derive_text: bool = False,
    ) -> CapturedEmail:
        """Capture an email that never crossed SMTP and return it (its MIME built when asked)."""
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
        """Accept an outgoing email cheaply: it is read from its fields; its MIME is built
        when raw bytes or headers are first asked for.

        `derive_text=True` fills a missing `text` from `html`, as Resend does."""
        eid = email_id or self.new_id()
        captured = capture_outgoing(
            email, eid, self.now(), datetime.now(UTC), way_in, resend_request, derive_text
        )
        self._put(captured)
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
        """Accept MIME bytes (the SMTP hot path): parsed here, on the caller's thread and
        outside the lock, so no reader waits on it and listings parse nothing."""
        if email_id is None:
            with self._lock:
                email_id = self._smtp_ids.uuid4()
        received, wall = self.now(), datetime.now(UTC)
        self._put(
            parse_arrived(raw, email_id, envelope_from, list(envelope_to), way_in, received, wall)
        )
        return email_id

    # -- reading -------------------------------------------------------------------
    def all(self) -> EmailList:
        """Every email kept, oldest first."""
        self._kept.parse_unlocked()
        with self._lock:
            self._kept.parse()
            return EmailList(self._emails.values())  # type: ignore[arg-type]

    @contextmanager
    def reading(self) -> Iterator[MailIndex]:
        """Mailpit's list, counts, tags and search (`MailIndex`), every email parsed, under
        the lock: `with mailbox.reading() as index: index.newest(0, 50)`."""
        self._kept.parse_unlocked()
        with self._lock:
            self._kept.parse()
            yield self._index

    def __len__(self) -> int:
        return len(self._emails)

    def raw_size(self) -> int:
        """Bytes of MIME kept, `sum(len(e.raw) for e in mailbox)` at a cost per email that
        arrived since the last ask (a running total; outgoing MIME built on the first ask)."""
        return self._kept.raw_size()

    def __iter__(self) -> Iterator[CapturedEmail]:
        return iter(self.all())

    def get(self, email_id: str) -> CapturedEmail:
        """One email by id; UnknownEmailError says how many are kept."""
        if isinstance(self._emails.get(email_id), _Raw):
            self._kept.parse_unlocked()
        with self._lock:
            try:
                found = self._emails[email_id]
                if isinstance(found, _Raw):
                    self._kept.parse()
                    found = self._emails[email_id]
                return cast(CapturedEmail, found)
            except KeyError:
                raise UnknownEmailError(
                    f"no email {email_id!r} in {self.name} ({len(self._emails)} captured); "
                    "list them with mailbox.all() or check the retention limit"
                ) from None

    def latest(self) -> CapturedEmail | None:
        """The newest email, or None when the Mailbox is empty."""
        self._kept.parse_unlocked()
        with self._lock:
            self._kept.parse()
            return cast("CapturedEmail | None", next(reversed(self._emails.values()), None))

    def filter(self, **filters: Any) -> EmailList:
        """Emails matching every filter: to, from_, subject, subject_contains, subject_regex,
        tag ("name" or "name=value"), workflow, run_id, way_in, since."""
        check = matcher(filters)
        return EmailList(e for e in self.all() if check(e))

    def wait_for(self, timeout: float = 5.0, **filters: Any) -> CapturedEmail:
        """The first matching email, waiting (wall time) for another thread or process."""
        check = matcher(filters)
        deadline = time.monotonic() + timeout
        self._kept.parse_unlocked()
        with self._arrived:
            while True:
                self._kept.parse()  # every value is a CapturedEmail now
                settled = cast("Iterable[CapturedEmail]", self._emails.values())
                found = next((e for e in settled if check(e)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    message = timeout_message(self.name, self.all(), timeout, filters)
                    raise MailTimeoutError(message)
                self._waiting += 1
                try:
                    self._arrived.wait(left)
                finally:
                    self._waiting -= 1

    def delete(self, ids: Iterable[str], *, missing_ok: bool = False) -> int:
        """Remove these emails; an unknown id raises and nothing is removed, unless `missing_ok`
        (Mailpit's DELETE with `IDs`: unknown ids are skipped). Returns how many went."""
        wanted = list(dict.fromkeys(ids))
        subscribers = self._subscribers
        with self._lock:
            missing = [i for i in wanted if i not in self._emails]
            if missing_ok:
                wanted = [i for i in wanted if i in self._emails]
            elif missing:
                raise UnknownEmailError(
                    f"no email {missing[0]!r} in {self.name}; nothing was deleted "
                    "(list ids with GET /api/v1/messages)"
                )
            self.stats.count("deleted", len(wanted))
            self._kept.remove(wanted)
            self.flags.forget(wanted)
            self._index.removed(wanted)
            if self._store is not None and wanted:
                self._store.delete(wanted)
            if subscribers.listeners and wanted:
                subscribers.queue(MailEvent("delete", tuple(wanted)))
        if subscribers.pending:
            subscribers.deliver()
        return len(wanted)

    def clear(self) -> None:
        """Remove every email (Mailpit's DELETE without `IDs`)."""
        subscribers = self._subscribers
        with self._lock:
            if self.replay is not None:
                return  # a replayed reset: what arrived after it is kept
            self.stats.count("deleted", len(self._emails))
            self._kept.clear()
            self.flags.clear()
            self._index.cleared()
            if self._store is not None:
                self._store.clear()
            if subscribers.listeners:
                subscribers.queue(MailEvent("clear"))
        if subscribers.pending:
            subscribers.deliver()

    @property
    def store(self) -> MailStore | None:
        """Where the mail is kept besides memory (None: memory only)."""
        return self._store

    def close(self) -> None:
        """Close the store behind the Mailbox (the emails in memory stay readable)."""
        if self._store is not None:
            self._store.close()

    def __repr__(self) -> str:
        return f"<Mailbox {self.name!r} {len(self._emails)} emails>"
