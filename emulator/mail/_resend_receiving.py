"""Resend's receiving API over the mailbox: an email that reached the SMTP server for an address
at a domain whose `capabilities.receiving` is `enabled` (`POST /domains`) is a received email.

`GET /emails/receiving[/{id}[/attachments[/{attachment_id}]]]` read them in Resend's shapes, with
attachment download URLs on this server, like the sent emails' ones.
"""

from __future__ import annotations

from datetime import timedelta

from emulator.core import format_timestamp
from emulator.mail._mailbox import Mailbox
from emulator.mail._model import CapturedAttachment, CapturedEmail
from emulator.mail._resend_resources import Record, ResendDomains, page
from emulator.mail._resend_validation import ResendApiError
from emulator.mail._router import MailRouter


def _box(sink: Mailbox | MailRouter) -> Mailbox:
    return sink.current if isinstance(sink, MailRouter) else sink


def received(sink: Mailbox | MailRouter, domains: ResendDomains) -> list[CapturedEmail]:
    """Mail the SMTP server took for a receiving domain, newest first."""
    names = {
        str(d["name"]).lower()
        for d in list(domains.domains.values())
        if d["capabilities"].get("receiving") == "enabled"
    }
    if not names:
        return []
    return [
        e
        for e in reversed(list(_box(sink).all()))
        if e.way_in == "smtp" and any(a.rpartition("@")[2] in names for a in e.recipients)
    ]


def _stamp(email: CapturedEmail) -> str:
    return format_timestamp(email.received_at or email.received_wall_at, timespec="milliseconds")


def attachment_json(email: CapturedEmail, a: CapturedAttachment, base: str) -> Record:
    """A received attachment, with a download URL on this server."""
    out: Record = {
        "object": "attachment",
        "id": a.id,
        "filename": a.filename,
        "content_type": a.content_type,
        "content_disposition": a.disposition,
        "size": len(a.content),
        "download_url": f"{base}/emails/receiving/{email.id}/attachments/{a.id}/content",
        "expires_at": format_timestamp(
            (email.received_at or email.received_wall_at) + timedelta(hours=1),
            timespec="milliseconds",
        ),
    }
    if a.content_id:
        out["content_id"] = a.content_id
    return out


def email_json(email: CapturedEmail, *, full: bool) -> Record:
    """A received email; the list leaves out html, text and headers."""
    out: Record = {
        "object": "email",
        "id": email.id,
        "to": list(email.to),
        "from": email.from_,
        "subject": email.subject,
        "message_id": email.header("Message-ID") or f"<{email.id}@doorstep.local>",
        "bcc": list(email.bcc),
        "cc": list(email.cc),
        "reply_to": list(email.reply_to),
        "created_at": _stamp(email),
        "attachments": [
            {k: v for k, v in attachment_json(email, a, "").items() if k in _LISTED}
            for a in email.attachments
        ],
    }
    if full:
        out["html"], out["text"] = email.html, email.text
        out["headers"] = dict(email.headers)
    else:
        out.pop("object")
    return out


_LISTED = ("id", "filename", "content_type", "content_id", "content_disposition", "size")


class ResendReceiving:
    """The received emails of a service's mailbox, in Resend's shapes (`base`: this server)."""

    def __init__(self, sink: Mailbox | MailRouter, domains: ResendDomains) -> None:
        self.sink, self.domains = sink, domains

    def list(self, limit: int, after: str | None, before: str | None) -> Record:
        """`GET /emails/receiving`: newest first."""
        items = [email_json(e, full=False) for e in received(self.sink, self.domains)]
        return page(items, limit, after, before)

    def email(self, email_id: str) -> CapturedEmail:
        """A received email by id, or Resend's 404."""
        found = next((e for e in received(self.sink, self.domains) if e.id == email_id), None)
        if found is None:
            raise ResendApiError(404, "not_found", "Email not found")
        return found

    def get(self, email_id: str) -> Record:
        """`GET /emails/receiving/{id}`, with html, text and headers."""
        return email_json(self.email(email_id), full=True)

    def attachments(
        self, email_id: str, base: str, limit: int, after: str | None, before: str | None
    ) -> Record:
        """`GET /emails/receiving/{id}/attachments`."""
        email = self.email(email_id)
        items = [attachment_json(email, a, base) for a in email.attachments]
        for item in items:
            item.pop("object")
        return page(items, limit, after, before)

    def attachment(self, email_id: str, attachment_id: str) -> CapturedAttachment:
        """One attachment of a received email, or Resend's 404."""
        found = next((a for a in self.email(email_id).attachments if a.id == attachment_id), None)
        if found is None:
            raise ResendApiError(404, "not_found", "Attachment not found")
        return found

    def attachment_json(self, email_id: str, attachment_id: str, base: str) -> Record:
        """`GET /emails/receiving/{id}/attachments/{attachment_id}`."""
        email = self.email(email_id)
        return attachment_json(email, self.attachment(email_id, attachment_id), base)
