"""What a Mailbox persists through: the `MailStore` protocol (`SqliteMailStore` implements it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from emulator.mail._capture import _Raw
from emulator.mail._model import CapturedEmail


class MailStore(Protocol):
    """Persistence behind a Mailbox (see `SqliteMailStore`)."""

    def save(self, email: CapturedEmail, evicted: Sequence[str] = ()) -> None:
        """Keep one captured email (and forget `evicted`, retention's, at once)."""

    def delete(self, ids: list[str]) -> None:
        """Forget these email ids (and their flags)."""

    def save_pending(self, pending: _Raw, evicted: Sequence[str] = ()) -> None:
        """Keep mail accepted but not built or parsed yet (rebuilt on load; `evicted` as in
        `save`)."""

    def settled(self, emails: list[CapturedEmail]) -> None:
        """These emails, saved unbuilt, are built now: keep the built form."""

    def load(self, limit: int) -> list[CapturedEmail | _Raw]:
        """The newest `limit` stored emails, oldest first (unbuilt ones as they were saved)."""

    def save_read(self, ids: Sequence[str], read: bool) -> None:
        """Keep Mailpit's Read flag of these emails."""

    def save_tags(self, email_id: str, tags: list[str]) -> None:
        """Keep the tags set by hand on this email (they replace its own)."""

    def load_flags(self) -> tuple[set[str], dict[str, list[str]]]:
        """(the ids read, email id -> tags set by hand) of the stored emails."""

    def clear(self) -> None:
        """Forget every email (and every flag)."""

    def close(self) -> None:
        """Release the store's resources (files, connections)."""
