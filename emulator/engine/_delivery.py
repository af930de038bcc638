"""Message delivery: statuses through their lifecycle, email through a provider, Knock's retries.

In-app messages are `delivered` at once; email goes to the configured provider (the Mailbox by
default). A transient provider failure marks the message `delivery_attempted` and retries with
exponential backoff on the virtual clock, up to 8 attempts (about 30 minutes), then `undelivered`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from email.utils import formataddr, getaddresses
from typing import Any

from emulator.core import Clock
from emulator.definitions import Channel
from emulator.engine._state import RunState
from emulator.mail import DeliveryError, EmailProvider, OutgoingEmail
from emulator.stores import DeliveryAttempt, Entities, Message

MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(seconds=15)  # 15 s, 30 s, 1 min ... : 8 attempts span ~32 minutes
_TOP_STATUS = {"push": "sent", "chat": "sent"}  # these providers never confirm delivery


class Delivery:
    """Moves messages from `queued` to a final status; every transition is a message event."""

    def __init__(self, clock: Clock, entities: Entities, email_provider: EmailProvider) -> None:
        self.clock = clock
        self.entities = entities
        self.email_provider = email_provider
        self.senders: dict[str, Callable[[Message, Channel], None]] = {}

    def deliver(
        self,
        message: Message,
        channel: Channel,
        rs: RunState | None = None,
        *,
        sandbox: bool = False,
    ) -> None:
        now = self.clock.now
        if message.channel_type == "in_app_feed":
            message.set_status("delivered", now)
            return
        if sandbox:
            message.set_status("not_sent", now)
            return
        message.attempts += 1
        try:
            if message.channel_type == "email":
                message.provider_id = self.email_provider.send(
                    self.outgoing_email(message, channel)
                )
                message.deliveries += (DeliveryAttempt(now, True, message.provider_id),)
            elif message.channel_type in self.senders:
                self.senders[message.channel_type](message, channel)
        except DeliveryError as exc:
            failed = DeliveryAttempt(now, False, status=exc.status, error=str(exc))
            message.deliveries += (failed,)
            self._failed(message, channel, exc)
            return
        message.set_status("sent", now)
        if channel.confirm_delivery and _TOP_STATUS.get(message.channel_type) != "sent":
            message.set_status("delivered", now)

    def _failed(self, message: Message, channel: Channel, exc: DeliveryError) -> None:
        now = self.clock.now
        message.error = str(exc)
        if exc.permanent or message.attempts >= MAX_ATTEMPTS:
            message.set_status("undelivered", now)
            return
        message.set_status("delivery_attempted", now)
        backoff = FIRST_BACKOFF * (2 ** (message.attempts - 1))
        if exc.retry_after is not None:
            backoff = max(backoff, timedelta(seconds=exc.retry_after))
        self.clock.call_later(
            backoff,
            lambda: self.deliver(message, channel),
            label=f"retry {message.channel_type} {message.id}",
        )

    def outgoing_email(self, message: Message, channel: Channel) -> OutgoingEmail:
        content = message.content
        name = content.get("from_name") or channel.from_name
        address = content.get("from_address") or channel.from_address
        recipient = self.entities.serialize(*_ref(message))
        to = _addresses(content.get("to_address")) or _addresses(recipient.get("email"))
        return OutgoingEmail(
            from_=formataddr((str(name), str(address))) if name else str(address),
            to=to,
            subject=str(content.get("subject", "")),
            html=content.get("html_body"),
            text=content.get("text_body"),
            cc=_addresses(content.get("cc_address")),
            bcc=_addresses(content.get("bcc_address")),
            reply_to=_addresses(content.get("reply_to_address")),
            workflow_key=message.workflow,
            workflow_run_id=message.workflow_run_id,
            run_id=message.run_id,
            step_ref=message.step_ref,
            recipient_id=message.recipient_id,
            message_id=message.id,
            batch=message.batch,
        )


def _addresses(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str) and not any(c in value for c in ',<>"('):
        return [value.strip()]  # a bare address: the common case, no parsing needed
    items = value if isinstance(value, list) else [str(value)]
    return [formataddr(pair) if pair[0] else pair[1] for pair in getaddresses(items) if pair[1]]


def _ref(message: Message) -> tuple[str, str]:
    recipient = message.recipient
    if isinstance(recipient, str):
        return ("$users", recipient)
    return (recipient["collection"], recipient["id"])
