"""Mailpit's flags per captured email: Read, and tags set by hand (which replace the email's
own). A Mailbox holds one `MailFlags`; with a store (`serve --data-dir`) every change is written
through at once, so flags survive a restart or a crash, and they go with their email (delete,
retention, clear).

A Mailbox shares its lock with its flags and tells them which emails it keeps (`known`): only a
kept email can be read, so the unread count is the email count less `read_count`, and a change
of hand-set tags is told to `on_tags` (the Mailbox's tag counts)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Container, Iterable

from emulator.mail._store import MailStore


class MailFlags:
    """The Read flag and hand-set tags of a Mailbox's emails, by email id."""

    def __init__(
        self,
        store: MailStore | None = None,
        *,
        lock: threading.RLock | None = None,
        known: Container[str] | None = None,
        on_tags: Callable[[str], None] | None = None,
    ) -> None:
        self._store = store
        self._lock = lock or threading.RLock()
        self._known = known
        self.on_tags = on_tags  # told (under the lock) the id of an email retagged
        self._read, self._tags = store.load_flags() if store is not None else (set(), {})
        if known is not None:  # flags of stored emails past the retention limit stay stored
            self._read = {i for i in self._read if i in known}

    @property
    def read_count(self) -> int:
        """How many emails are read (only emails kept count when the Mailbox says which)."""
        return len(self._read)

    def is_read(self, email_id: str) -> bool:
        """Whether the email was opened or flagged read."""
        return email_id in self._read

    def unread(self, ids: Iterable[str]) -> int:
        """How many of these emails are not read."""
        read = self._read
        return sum(1 for i in ids if i not in read)

    def mark_read(self, ids: Iterable[str], read: bool = True) -> tuple[str, ...]:
        """Set the Read flag of these emails; returns the ids whose flag changed."""
        known = self._known
        with self._lock:
            changed = tuple(
                i
                for i in dict.fromkeys(ids)
                if (i in self._read) != read and (known is None or i in known)
            )
            if read:
                self._read.update(changed)
            else:
                self._read.difference_update(changed)
            if changed and self._store is not None:
                self._store.save_read(changed, read)
        return changed

    def tags(self, email_id: str) -> list[str] | None:
        """The tags set by hand on this email (None: never set, its own tags apply)."""
        with self._lock:
            chosen = self._tags.get(email_id)
        return None if chosen is None else list(chosen)

    def set_tags(self, email_id: str, tags: list[str]) -> None:
        """Replace the email's tags by these (an empty list removes them all)."""
        with self._lock:
            self._tags[email_id] = list(tags)
            if self._store is not None:
                self._store.save_tags(email_id, list(tags))
            if self.on_tags is not None:
                self.on_tags(email_id)

    def forget(self, ids: Iterable[str]) -> None:
        """Drop the flags of emails gone (the store deletes them with their rows)."""
        with self._lock:
            for email_id in ids:
                self._read.discard(email_id)
                self._tags.pop(email_id, None)

    def clear(self) -> None:
        """Drop every flag (the store's go with its `clear`)."""
        with self._lock:
            self._read.clear()
            self._tags.clear()
