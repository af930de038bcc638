"""What the inspection API, the live events socket and the web inspector share: the emulator,
Mailpit's Read flags and tags (kept by the Mailbox: `MailFlags`), the clock mode and the link
check's allow-list, plus the API's error."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator import DoorstepError
from emulator.http.inspect._search import SearchError, parse_search
from emulator.http.inspect._shapes import iso
from emulator.http.linkcheck import parse_allow_list
from emulator.mail import CapturedEmail, FailureRule, MailIndex, UnknownEmailError

if TYPE_CHECKING:
    from emulator import Emulator
    from emulator.http.inspect._relay_config import SmtpRelay

ReadListener = Callable[[tuple[str, ...], bool], None]  # (email ids, now read?)


class ApiError(DoorstepError):
    """A request the inspection API refuses; becomes `{"error": ...}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Listing:
    """A page of Mailpit's list or of a search's matches, newest first, with its counts."""

    total: int  # emails kept
    unread: int  # of them, nobody has read
    matched: int  # emails the search found (all, without a search)
    matched_unread: int
    emails: list[CapturedEmail]  # the page
    tags: list[str]  # every tag in use


class Inspection:
    """What the inspection API and the web inspector share: the emulator, read flags, clock mode
    and the link check's allow-list."""

    def __init__(
        self,
        emulator: Emulator,
        *,
        clock_mode: str = "manual",
        link_check_hosts: Collection[str] | str = (),
        relay: SmtpRelay | None = None,
        spamassassin: tuple[str, int] | None = None,
        chaos_enabled: bool = False,
    ) -> None:
        self.emulator = emulator
        self.clock_mode = clock_mode
        self.relay = relay  # where Mailpit's release sends (`--smtp-relay`)
        self.spamassassin = spamassassin  # spamd's (host, port) (`--spamassassin`)
        # the only hosts the link check contacts, validated now (ValueError names a bad entry)
        self.link_check_hosts = tuple(str(rule) for rule in parse_allow_list(link_check_hosts))
        self.chaos_enabled = chaos_enabled  # Mailpit's `--enable-chaos`
        self.chaos: dict[str, FailureRule] = {}  # Mailpit chaos trigger -> its failure rule
        self._read_listeners: tuple[ReadListener, ...] = ()
        self._lock = threading.Lock()

    # -- Mailpit's Read flag (kept by the Mailbox, so `--data-dir` keeps it) -----------------
    def is_read(self, email_id: str) -> bool:
        """Whether the inspector or a Mailpit client has opened (or flagged) this email."""
        return self.emulator.outbox.flags.is_read(email_id)

    def mark_read(self, ids: Sequence[str], read: bool = True) -> None:
        """Set the Read flag of these emails; listeners hear only the ids that changed."""
        changed = self.emulator.outbox.flags.mark_read(ids, read)
        with self._lock:
            listeners = self._read_listeners
        for listener in listeners if changed else ():  # Mailpit's `update` websocket message
            listener(changed, read)

    def subscribe_reads(self, listener: ReadListener) -> Callable[[], None]:
        """Hear every Read flag change (ids, read) after the lock is released."""
        with self._lock:
            self._read_listeners = (*self._read_listeners, listener)

        def unsubscribe() -> None:
            with self._lock:
                self._read_listeners = tuple(x for x in self._read_listeners if x is not listener)

        return unsubscribe

    def counts(self) -> tuple[int, int]:
        """(emails kept, how many of them nobody has read): Mailpit's `total` and `unread`."""
        outbox = self.emulator.outbox
        with outbox.reading() as index:
            return len(outbox), index.unread()

    # -- Mailpit's tags ---------------------------------------------------------------------
    def tags_of(self, email: CapturedEmail) -> list[str]:
        """The email's tags: as last set through the tags API, else its own (`default_tags`)."""
        with self.emulator.outbox.reading() as index:
            return index.tags_of(email)

    def set_tags(self, email: CapturedEmail, tags: list[str]) -> None:
        """Replace the email's tags (Mailpit's `PUT /api/v1/tags`)."""
        self.emulator.outbox.flags.set_tags(email.id, sorted({t for t in tags if t}, key=str.lower))

    def tag_counts(self) -> dict[str, int]:
        """Every tag in use and how many emails carry it (Mailpit's `Tags` of `info`)."""
        with self.emulator.outbox.reading() as index:
            return index.tag_counts()

    def all_tags(self) -> list[str]:
        """Every tag in use, sorted as Mailpit sorts them (case-insensitively)."""
        return sorted(self.tag_counts(), key=str.lower)

    def replace_tag(self, old: str, new: str | None) -> int:
        """Rename `old` to `new` (None: remove it) on every email carrying it; how many."""
        changed = 0
        with self.emulator.outbox.reading() as index:
            if old not in index.tag_counts():
                return 0
            for email in index.newest():
                tags = index.tags_of(email)
                if old in tags:
                    kept = [t for t in tags if t != old]
                    self.set_tags(email, kept if new is None else [*kept, new])
                    changed += 1
        return changed

    # -- email lookups ----------------------------------------------------------------------
    def listing(
        self, query: str = "", start: int = 0, limit: int | None = None, tz: str | None = None
    ) -> Listing:
        """The page `start`..`start + limit` (None: to the end) of the emails matching `query`
        (every email when it is blank), newest first, with the counts Mailpit's list shows."""
        outbox = self.emulator.outbox
        with outbox.reading() as index:
            total, unread = len(outbox), index.unread()
            tags = sorted(index.tag_counts(), key=str.lower)
            if not query.strip():
                return Listing(total, unread, total, unread, index.newest(start, limit), tags)
            found = self._search(index, query, tz)
            matched_unread = sum(1 for e in found if not outbox.flags.is_read(e.id))
            page = found[start:] if limit is None else found[start : start + limit]
            return Listing(total, unread, len(found), matched_unread, page, tags)

    def matches(self, query: str = "", tz: str | None = None) -> list[CapturedEmail]:
        """The emails matching `query` (every email when it is blank), newest first; `tz` is
        the zone of `before:`/`after:` dates (UTC by default); ApiError 400 for a term that
        cannot be read."""
        with self.emulator.outbox.reading() as index:
            return self._search(index, query, tz) if query.strip() else index.newest()

    def _search(self, index: MailIndex, query: str, tz: str | None) -> list[CapturedEmail]:
        try:
            search = parse_search(query, self.is_read, index.tags_of, tz)
        except SearchError as exc:
            raise ApiError(400, f"search {query!r}: {exc}") from None
        found = [index.matching(field, text) for field, text in search.needles]
        pools = [pool for pool in found if pool is not None]  # each holds every match
        pool = min(pools, key=len) if pools else index.newest()
        return [e for e in pool if search.check(e)]

    def email(self, email_id: str) -> CapturedEmail:
        """One captured email by id, or the newest for `latest`; ApiError 404 otherwise."""
        outbox = self.emulator.outbox
        if email_id == "latest":
            found = outbox.latest()
            if found is None:
                raise ApiError(404, "no email captured yet, so there is no `latest` message")
            return found
        try:
            return outbox.get(email_id)
        except UnknownEmailError as exc:
            raise ApiError(404, str(exc)) from None

    def clock_json(self) -> dict[str, Any]:
        """`GET /api/clock`: virtual now, the mode, and the next timers (at most 50)."""
        clock = self.emulator.clock
        with self.emulator.lock:
            due = clock.next_due()
            return {
                "now": iso(clock.now),
                "mode": self.clock_mode,
                "pending": clock.pending,
                "next_due": iso(due) if due else None,
                "timers": [{"label": t.label, "due": iso(t.due)} for t in clock.timers()[:50]],
            }
