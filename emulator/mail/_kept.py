"""The emails a Mailbox keeps, oldest first, and retention's eviction of the oldest.

`KeptEmails.emails` maps id to email in arrival order (the order every listing reads). Beside it
runs a queue of the ids in arrival order, so evicting the oldest costs per email evicted, not per
email kept (copying the ids to find the oldest cost microseconds a send once the box was full).
An email deleted by request leaves its id in the queue; a count of such stale entries per id lets
eviction skip them, so an id deleted and captured again is evicted at its new place (the queue
starts afresh from `emails` when stale entries outnumber live ones). The bytes of MIME kept are
a running total (`raw_size`, Mailpit's database size in memory): SMTP mail is measured as it
arrives, an outgoing email on the first ask after it arrived (its MIME is built then, once).
How many kept emails are still raw is counted here, and they are parsed here, in place, on the
next read (`parse_unlocked` first parses what it can outside the lock, `parse` the rest under
it). `raw_size` and `parse_unlocked` take the Mailbox's lock; the rest runs under it.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable
from threading import Lock, RLock

from emulator.mail._capture import _Outgoing, _parse, _Raw
from emulator.mail._model import CapturedEmail


class KeptEmails:
    """Emails by id in arrival order, with eviction of the oldest (see the module docstring)."""

    __slots__ = (
        "_lock",
        "_on_parsed",
        "_order",
        "_parsing",
        "_size",
        "_stale",
        "_unsized",
        "emails",
        "unparsed",
    )

    def __init__(
        self, lock: RLock, on_parsed: Callable[[list[CapturedEmail]], None] | None = None
    ) -> None:
        self._lock = lock  # the Mailbox's
        self._parsing = Lock()  # one bulk parse at a time, taken only without `_lock` held
        self._on_parsed = on_parsed  # told of emails kept raw once they are parsed
        self.emails: dict[str, CapturedEmail | _Raw] = {}
        self.unparsed = 0  # how many of `emails` are `_Raw`
        self._order: deque[str] = deque()  # ids in arrival order, deleted ones included
        self._stale: Counter[str] = Counter()  # id -> its entries in `_order` left by deletion
        self._size = 0  # bytes of MIME of the kept emails but `_unsized`
        self._unsized: dict[str, CapturedEmail] = {}  # outgoing emails not measured yet

    def __len__(self) -> int:
        return len(self.emails)

    def add(self, email: CapturedEmail | _Raw) -> None:
        """Keep `email` as the newest (its id must not be kept already)."""
        self.emails[email.id] = email
        self._order.append(email.id)
        if type(email) is _Outgoing:  # measured on the first ask: its MIME is not built yet
            self._unsized[email.id] = email
            return
        self._size += len(email.raw)
        if isinstance(email, _Raw):
            self.unparsed += 1

    def evict(self, keep: int) -> list[str]:
        """Remove the oldest emails until `keep` remain; their ids, oldest first."""
        emails, order, stale = self.emails, self._order, self._stale
        evicted: list[str] = []
        while len(emails) > keep:
            oldest = order.popleft()
            left = stale.get(oldest) if stale else None
            if left:  # an entry left by deletion: the id's live entry, if any, comes later
                if left == 1:
                    del stale[oldest]
                else:
                    stale[oldest] = left - 1
                continue
            self._forget(emails.pop(oldest))
            evicted.append(oldest)
        return evicted

    def remove(self, ids: Iterable[str]) -> None:
        """Remove these kept emails (deleted by request)."""
        for email_id in ids:
            self._forget(self.emails.pop(email_id))
            self._stale[email_id] += 1
        if len(self._order) > 2 * len(self.emails) + 1024:  # mostly stale: start afresh
            self._order, self._stale = deque(self.emails), Counter()

    def clear(self) -> None:
        """Remove every email."""
        self.emails.clear()
        self.unparsed = 0
        self._order.clear()
        self._stale.clear()
        self._size = 0
        self._unsized.clear()

    def pending(self) -> list[_Raw]:
        """The kept emails still raw, oldest first."""
        return [e for e in self.emails.values() if isinstance(e, _Raw)]

    def parse(self) -> None:
        """Parse every email still raw, in place (after `parsed`, only what arrived since)."""
        if self.unparsed:
            pending = self.pending()
            self._parsed(pending, [_parse(raw) for raw in pending])

    def parse_unlocked(self) -> None:
        """Parse what arrived raw without holding the Mailbox's lock, so SMTP intake and every
        other writer go on meanwhile (a reader that wants the same mail waits for this parse).
        Callers must not hold the lock; what arrives meanwhile is left to `parse`."""
        if not self.unparsed:
            return
        with self._parsing:  # one bulk parse at a time
            with self._lock:
                pending = self.pending()
            built = [_parse(raw) for raw in pending]
            with self._lock:
                self._parsed(pending, built)

    def _parsed(self, pending: list[_Raw], built: list[CapturedEmail]) -> None:
        """Put `built`, parsed from `pending`, in place of the raw forms still kept (not
        deleted or cleared meanwhile) and tell `on_parsed` of them."""
        emails, kept = self.emails, []
        for raw, email in zip(pending, built, strict=True):
            if emails.get(raw.id) is raw:
                emails[raw.id] = email
                kept.append(email)
        self.unparsed -= len(kept)
        if kept and self._on_parsed is not None:
            self._on_parsed(kept)

    def raw_size(self) -> int:
        """The bytes of every kept email's MIME: a running total, to which outgoing emails are
        added on the first ask after their arrival, their MIME built (once) outside the lock
        when the caller does not hold it."""
        with self._lock:
            unsized = list(self._unsized.values())
        sizes = [len(email.raw) for email in unsized]
        with self._lock:
            for email, size in zip(unsized, sizes, strict=True):
                if self._unsized.get(email.id) is email:  # not deleted or cleared meanwhile
                    del self._unsized[email.id]
                    self._size += size
            return self._size + sum(len(e.raw) for e in self._unsized.values())

    def _forget(self, email: CapturedEmail | _Raw) -> None:
        if self._unsized.pop(email.id, None) is None:
            self._size -= len(email.raw)
        if isinstance(email, _Raw):
            self.unparsed -= 1
