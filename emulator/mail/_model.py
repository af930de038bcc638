"""The mail contract: what the engine hands a provider, and what the Mailbox captured."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import getaddresses, parseaddr
from typing import Any, Literal

from emulator.core import BoundedCache, DoorstepError

WayIn = Literal["engine", "smtp", "resend"]


@dataclass(frozen=True)
class Attachment:
    """A file the engine wants attached; `content_id` makes it an inline (cid:) image."""

    filename: str
    content: bytes
    content_type: str
    content_id: str | None = None


@dataclass(frozen=True)
class OutgoingEmail:
    """What the workflow engine hands an `EmailProvider`, plus provenance for the Mailbox."""

    from_: str
    to: list[str]
    subject: str
    html: str | None
    text: str | None
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    workflow_key: str | None = None
    workflow_run_id: str | None = None
    run_id: str | None = None
    step_ref: str | None = None
    recipient_id: str | None = None
    message_id: str | None = None
    batch: dict[str, Any] | None = None


class DeliveryError(DoorstepError):
    """A provider could not deliver; `permanent` tells the engine whether to retry."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.status = status


class MailTimeoutError(DoorstepError, TimeoutError):
    """`Mailbox.wait_for` gave up; the message lists what did arrive."""


class UnknownEmailError(DoorstepError, KeyError):
    """No captured email with that id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown email"


@dataclass(frozen=True, slots=True)
class CapturedAttachment:
    """One attachment or inline part of a captured email."""

    id: str
    filename: str | None
    content_type: str
    content: bytes
    content_id: str | None = None
    disposition: Literal["inline", "attachment"] = "attachment"

    @property
    def name(self) -> str | None:
        """The filename (Resend's and Mailpit's name for it)."""
        return self.filename

    @property
    def size(self) -> int:
        """The attachment's size in bytes."""
        return len(self.content)


@dataclass(frozen=True, slots=True)
class CapturedEmail:
    """One email as it arrived, whatever the way in; `raw` is always the full MIME message."""

    id: str
    received_at: datetime | None
    received_wall_at: datetime
    way_in: WayIn
    envelope_from: str
    envelope_to: list[str]
    headers: list[tuple[str, str]]
    from_: str
    to: list[str]
    cc: list[str]
    bcc: list[str]
    reply_to: list[str]
    subject: str
    html: str | None
    text: str | None
    attachments: list[CapturedAttachment]
    tags: list[dict[str, str]]
    raw: bytes
    workflow_key: str | None = None
    workflow_run_id: str | None = None
    run_id: str | None = None
    step_ref: str | None = None
    recipient_id: str | None = None
    message_id: str | None = None
    batch: dict[str, Any] | None = None
    resend_request: dict[str, Any] | None = None
    defects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """The first header called `name` (case-insensitive), or None."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    @property
    def recipients(self) -> list[str]:
        """Every bare address this email went to: envelope, To, Cc and Bcc, lower-cased."""
        found = [*self.envelope_to, *addresses(self.to), *addresses(self.cc), *self.bcc]
        return list(dict.fromkeys(parseaddr(a)[1].lower() or a.lower() for a in found))

    def to_summary(self) -> dict[str, Any]:
        """A JSON-ready dict without bodies or raw bytes (for list views)."""
        return {
            "id": self.id,
            "received_at": self.received_at.isoformat() if self.received_at else None,
            "received_wall_at": self.received_wall_at.isoformat(),
            "way_in": self.way_in,
            "from": self.from_,
            "to": list(self.to),
            "cc": list(self.cc),
            "bcc": list(self.bcc),
            "subject": self.subject,
            "tags": [dict(t) for t in self.tags],
            "attachments": len(self.attachments),
            "size": len(self.raw),
            "workflow_key": self.workflow_key,
            "run_id": self.run_id,
            "recipient_id": self.recipient_id,
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything JSON can carry: the summary plus headers, bodies and attachment metadata."""
        out = self.to_summary()
        out.update(
            envelope_from=self.envelope_from,
            envelope_to=list(self.envelope_to),
            headers=[[k, v] for k, v in self.headers],
            reply_to=list(self.reply_to),
            html=self.html,
            text=self.text,
            attachments=[
                {
                    "id": a.id,
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "size": a.size,
                    "content_id": a.content_id,
                    "disposition": a.disposition,
                }
                for a in self.attachments
            ],
            workflow_run_id=self.workflow_run_id,
            step_ref=self.step_ref,
            message_id=self.message_id,
            batch=self.batch,
            resend_request=self.resend_request,
            defects=list(self.defects),
        )
        return out


_PLAIN = re.compile(r"^[\w.+'-]+@[\w-]+(?:\.[\w-]+)+$")
_NAMED = re.compile(r"^[\w .'-]*<([\w.+'-]+@[\w-]+(?:\.[\w-]+)+)>$")


# Each header-style value's bare addresses, as `addresses` and `address_of` read them: pure
# caches keyed by the value, emptied when full. Senders and recipients repeat, and matching the
# expressions again cost a third of capturing an email.
_MANY: BoundedCache[str, tuple[str, ...]] = BoundedCache(4096)
_ONE: BoundedCache[str, str] = BoundedCache(4096)


def addresses(values: list[str]) -> list[str]:
    """Bare addresses (`a@b.c`) out of header-style values such as `Name <a@b.c>`."""
    out: list[str] = []
    for value in values:
        found = _MANY.get(value)
        if found is None:
            found = _MANY.keep(value, _many(value))
        out += found
    return out


def _many(value: str) -> tuple[str, ...]:
    if _PLAIN.match(value):
        return (value,)
    named = _NAMED.match(value)
    if named:
        return (named.group(1),)
    # quoted names, groups, comments: the stdlib knows the grammar
    return tuple(addr for _, addr in getaddresses([value]) if addr)


def address_of(value: str) -> str:
    """The bare address of one header-style value, exactly `parseaddr(value)[1]` (quicker for
    the usual `a@b.c` and `Name <a@b.c>`)."""
    found = _ONE.get(value)
    if found is None:
        if _PLAIN.fullmatch(value):
            found = value
        else:
            named = _NAMED.fullmatch(value)
            found = named.group(1) if named else parseaddr(value)[1]
        _ONE.keep(value, found)
    return found
