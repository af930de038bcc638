"""Messages: what a channel step produced, its delivery status and its engagement."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
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


MessageListener = Callable[[Message], None]


class MessageStore:
    """Every message in creation order, indexed by id; listeners hear of each new one."""

    def __init__(self) -> None:
        self._by_id: dict[str, Message] = {}
        # Indexes (dicts keep insertion order, so each is oldest first): the recipient and
        # run never change once stored, except through `readdress`.
        self._by_recipient: dict[str, dict[str, Message]] = {}
        # A run's message ids as a tuple: untracked by the collector, unlike a dict per run.
        self._by_run: dict[str, tuple[str, ...]] = {}
        self._listeners: tuple[MessageListener, ...] = ()

    def add(self, message: Message) -> None:
        """Store `message`, then tell every listener (a failing listener is logged, the
        others still hear it and the engine goes on)."""
        self._by_id[message.id] = message
        self._by_recipient.setdefault(message.recipient_id, {})[message.id] = message
        self._by_run[message.run_id] = (*self._by_run.get(message.run_id, ()), message.id)
        for listener in self._listeners:
            try:
                listener(message)
            except Exception:
                import logging  # only when a listener fails

                logging.getLogger(__name__).exception(
                    "message listener %r failed on %s", listener, message.id
                )

    def subscribe(self, listener: MessageListener) -> Callable[[], None]:
        """Call `listener(message)` for every message added from now on (they outlive
        `clear()`); returns `unsubscribe`. The owner's lock guards both calls."""
        self._listeners = (*self._listeners, listener)

        def unsubscribe() -> None:
            remaining = list(self._listeners)
            if listener in remaining:
                remaining.remove(listener)
                self._listeners = tuple(remaining)

        return unsubscribe

    def get(self, message_id: str) -> Message:
        try:
            return self._by_id[message_id]
        except KeyError:
            raise UnknownMessageError(
                f"no message with id {message_id!r}; list ids with emulator.messages()"
            ) from None

    def remove(self, message_id: str) -> Message:
        """Delete one message (Knock's bulk `delete` action); raises UnknownMessageError."""
        message = self.get(message_id)
        del self._by_id[message_id]
        _unindex(self._by_recipient, message.recipient_id, message_id)
        kept = tuple(i for i in self._by_run.get(message.run_id, ()) if i != message_id)
        if kept:
            self._by_run[message.run_id] = kept
        else:
            self._by_run.pop(message.run_id, None)
        return message

    def remove_run(self, run_id: str) -> int:
        """Delete every message of one run (run retention forgets them with the run)."""
        doomed = list(self._by_run.get(run_id, ()))
        for message_id in doomed:
            self.remove(message_id)
        return len(doomed)

    def readdress(self, messages: Iterable[Message], recipient: str) -> None:
        """Move stored messages to another user (a user merge), keeping the indexes true and
        the new recipient's messages in creation order."""
        for message in messages:
            _unindex(self._by_recipient, message.recipient_id, message.id)
            message.recipient = recipient
        self._by_recipient[recipient] = {
            m.id: m for m in self._by_id.values() if m.recipient_id == recipient
        }

    def __iter__(self) -> Iterator[Message]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def clear(self) -> None:
        self._by_id.clear()
        self._by_recipient.clear()
        self._by_run.clear()

    def query(
        self,
        *,
        channel_type: str | None = None,
        recipient: str | None = None,
        workflow: str | None = None,
        step_ref: str | None = None,
        run_id: str | None = None,
        status: str | None = None,
        tenant: str | None = None,
    ) -> list[Message]:
        """Messages matching every given filter, oldest first."""
        candidates: Iterable[Message]
        if recipient is not None:
            candidates = self._by_recipient.get(recipient, {}).values()
        elif run_id is not None:
            candidates = [self._by_id[i] for i in self._by_run.get(run_id, ())]
        else:
            candidates = self._by_id.values()
        return [
            m
            for m in candidates
            if (channel_type is None or m.channel_type == channel_type)
            and (recipient is None or m.recipient_id == recipient)
            and (workflow is None or m.workflow == workflow)
            and (step_ref is None or m.step_ref == step_ref)
            and (run_id is None or m.run_id == run_id)
            and (status is None or m.status == status)
            and (tenant is None or m.tenant == tenant)
        ]


def _unindex(index: dict[str, dict[str, Message]], key: str, message_id: str) -> None:
    entry = index.get(key)
    if entry is not None:
        entry.pop(message_id, None)
        if not entry:
            del index[key]
