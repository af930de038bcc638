"""Messages: what a channel step produced, its delivery status and its engagement."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from emulator.core import DoorstepError

DELIVERY_STATUSES = (
    "queued",
    "sent",
    "delivered",
    "delivery_attempted",
    "undelivered",
    "not_sent",
    "bounced",
)
ENGAGEMENT_STATUSES = ("seen", "read", "interacted", "link_clicked", "archived")


_EVENTS: dict[str, tuple[str, datetime]] = {}  # per event key, the last one made


def message_event(key: str, at: datetime) -> tuple[str, datetime]:
    """The entry `(key, at)` of `Message.events`: one tuple shared by every message that
    records the same event at the same instant (most of a trigger's messages do), where one
    per message made the collector run more often."""
    last = _EVENTS.get(key)
    if last is None or last[1] is not at:
        last = _EVENTS[key] = (key, at)
    return last


class UnknownMessageError(DoorstepError, KeyError):
    """No message with that id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown message"


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One hand-off to a provider: when, whether it accepted, and what it answered."""

    at: datetime
    ok: bool
    provider_id: str | None = None  # the provider's id for the accepted email
    status: int | None = None  # the HTTP or SMTP status of a refusal, when there was one
    error: str | None = None


@dataclass(slots=True)
class Message:
    """One notification, shaped like Knock's Message object; `content` holds what was rendered."""

    id: str
    channel_type: str
    channel_key: str | None
    recipient: str | dict[str, str]
    workflow: str
    step_ref: str
    run_id: str
    workflow_run_id: str
    content: dict[str, Any]
    inserted_at: datetime
    actors: list[str | dict[str, str]] = field(default_factory=list)
    tenant: str | None = None
    categories: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    status: str = "queued"
    updated_at: datetime | None = None
    scheduled_at: datetime | None = None
    seen_at: datetime | None = None
    read_at: datetime | None = None
    interacted_at: datetime | None = None
    link_clicked_at: datetime | None = None
    archived_at: datetime | None = None
    diagnostics: tuple[Any, ...] = ()
    batch: dict[str, Any] | None = None
    # A tuple, grown by concatenation: once its items are untracked the GC never scans it.
    events: tuple[tuple[str, datetime], ...] = ()
    attempts: int = 0
    error: str | None = None
    deliveries: tuple[DeliveryAttempt, ...] = ()  # one per provider hand-off, oldest first
    provider_id: str | None = None
    # What the app attached when marking the message interacted (Knock's `Message.metadata`).
    metadata: dict[str, Any] | None = None
    # Told of every status and engagement change (the engine feeds wait_for_event steps).
    listener: Callable[[Message, str], None] | None = field(default=None, repr=False, compare=False)

    @property
    def recipient_id(self) -> str:
        """The recipient's id, a user's or an object's."""
        return self.recipient if isinstance(self.recipient, str) else self.recipient["id"]

    @property
    def engagement_statuses(self) -> list[str]:
        """Knock's `engagement_statuses`: the statuses whose timestamp is set."""
        return [s for s in ENGAGEMENT_STATUSES if getattr(self, f"{s}_at") is not None]

    def set_status(self, status: str, at: datetime) -> None:
        """Move to a delivery status at `at`, telling the listener (message events)."""
        if status != self.status:
            self.status = status
            self.updated_at = at
            self.events += (message_event(f"message.{status}", at),)
            if self.listener is not None:
                self.listener(self, status)

    def set_engagement(self, status: str, on: bool, at: datetime) -> None:
        """Mark (on=True) or unmark an engagement status; timestamps record the latest action."""
        if status not in ENGAGEMENT_STATUSES:
            raise DoorstepError(
                f"unknown engagement status {status!r}; use one of {', '.join(ENGAGEMENT_STATUSES)}"
            )
        setattr(self, f"{status}_at", at if on else None)
        self.updated_at = at
        negated = {"seen": "unseen", "read": "unread", "archived": "unarchived"}
        key = status if on else negated.get(status, status)
        self.events += (message_event(f"message.{key}", at),)
        if self.listener is not None:
            self.listener(self, key)

    def __repr__(self) -> str:
        subject = self.content.get("subject") or self.content.get("markdown_body") or ""
        return (
            f"<Message {self.channel_type} to {self.recipient_id!r} from "
            f"{self.workflow}/{self.step_ref} {self.status} {str(subject)[:40]!r}>"
        )
