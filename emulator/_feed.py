"""A user's in-app feed and the engagement actions its UI would call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import emulator.core

if TYPE_CHECKING:
    from emulator.stores import Message


class MessageSource(Protocol):
    """What a feed reads and marks: the `Emulator`'s message methods."""

    def messages(
        self, *, channel_type: str | None = None, recipient: str | None = None
    ) -> list[Message]:
        """Messages oldest first."""

    def message(self, message_id: str) -> Message:
        """One message by id."""

    def mark_message(self, message_id: str, status: str, on: bool = True) -> Message:
        """Set an engagement status now."""


class Feed:
    """In-app messages for one user, newest first, as Knock's feed API lists them."""

    def __init__(self, source: MessageSource, user_id: str, channel_key: str | None = None) -> None:
        self._source = source
        self.user_id = user_id
        self.channel_key = channel_key

    def items(self, *, archived: str = "exclude") -> list[Message]:
        """`archived` is Knock's filter: exclude (default), include or only."""
        if archived not in ("exclude", "include", "only"):
            raise emulator.core.DoorstepError(
                f"archived={archived!r}: use 'exclude', 'include' or 'only'"
            )
        listed = self._source.messages(channel_type="in_app_feed", recipient=self.user_id)
        found = [m for m in listed if self.channel_key is None or m.channel_key == self.channel_key]
        if archived == "exclude":
            found = [m for m in found if m.archived_at is None]
        elif archived == "only":
            found = [m for m in found if m.archived_at is not None]
        return found[::-1]

    def __len__(self) -> int:
        return len(self.items())

    @property
    def unseen_count(self) -> int:
        """Unarchived items not seen yet (the feed's badge count)."""
        return sum(1 for m in self.items() if m.seen_at is None)

    @property
    def unread_count(self) -> int:
        """Unarchived items not read yet."""
        return sum(1 for m in self.items() if m.read_at is None)

    def mark_seen(self, message_id: str) -> Message:
        """Mark one of this user's messages seen, as the feed UI does when it shows it."""
        return self._mark(message_id, "seen")

    def mark_read(self, message_id: str) -> Message:
        """Mark one of this user's messages read."""
        return self._mark(message_id, "read")

    def mark_interacted(self, message_id: str) -> Message:
        """Knock's feed marks a clicked item interacted and read."""
        self._mark(message_id, "read")
        return self._mark(message_id, "interacted")

    def mark_archived(self, message_id: str) -> Message:
        """Archive one of this user's messages: it leaves the default listing."""
        return self._mark(message_id, "archived")

    def _mark(self, message_id: str, status: str) -> Message:
        message = self._source.message(message_id)
        if message.recipient_id != self.user_id:
            raise emulator.core.DoorstepError(
                f"message {message_id} belongs to {message.recipient_id!r}, not "
                f"to {self.user_id!r}; use emulator.feed({message.recipient_id!r})"
            )
        return self._source.mark_message(message_id, status)
