"""What the fake Resend API keeps per email: the record and its attachments.

Apart from the service so that the webhook sender can read records without importing the
service that owns it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator.core import Timer
from emulator.mail._mailbox import Mailbox
from emulator.mail._resend_validation import ValidEmail


@dataclass(slots=True)
class AttachmentRecord:
    """An attachment of an email sent through the Resend API, as its attachment routes list it."""

    id: str
    filename: str | None
    content_type: str
    content_id: str | None
    content: bytes
    path: str | None

    @property
    def disposition(self) -> str:
        """`inline` for an attachment with a content id (used by `cid:`), else `attachment`."""
        return "inline" if self.content_id else "attachment"


@dataclass(slots=True)
class EmailRecord:
    """One email as the Resend API knows it (also before and without delivery)."""

    id: str
    request: dict[str, Any]
    valid: ValidEmail
    created_at: datetime
    last_event: str
    scheduled_at: datetime | None = None
    timer: Timer | None = None
    mailbox: Mailbox | None = None
    # a tuple: most emails have none, and `()` is one shared object the collector never scans
    attachments: tuple[AttachmentRecord, ...] = ()
