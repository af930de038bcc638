"""Captured email, built lazily: what the Mailbox keeps before and after the first read.

The hot ways in (SMTP DATA, Resend POST, the engine) store a `_Raw` and return; the full
`CapturedEmail` (MIME built or parsed by the stdlib) is made on first read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from emulator.mail._mime import build_mime, build_mime_with_headers, html_to_text, parse_mime
from emulator.mail._model import CapturedAttachment, CapturedEmail, OutgoingEmail, WayIn, addresses

PROVENANCE_HEADERS = {
    "x-doorstep-workflow": "workflow_key",
    "x-doorstep-workflow-run-id": "workflow_run_id",
    "x-doorstep-run-id": "run_id",
    "x-doorstep-step": "step_ref",
    "x-doorstep-recipient": "recipient_id",
    "x-doorstep-message-id": "message_id",
}


@dataclass(slots=True)
class _Raw:
    """Mail acknowledged but not built/parsed yet: parsing waits for the first read.

    The stdlib parser costs ~1.7 ms per message, five times a whole bare SMTP transaction,
    so the hot paths (SMTP DATA, Resend POST) only record what they must and return.
    """

    id: str
    raw: bytes
    envelope_from: str
    envelope_to: list[str]
    way_in: WayIn
    received_at: datetime | None
    received_wall_at: datetime
    make: Callable[[], CapturedEmail] | None = None


def _build_outgoing(
    email: OutgoingEmail,
    eid: str,
    received: datetime | None,
    wall: datetime,
    way_in: WayIn,
    resend_request: dict[str, Any] | None,
    derive_text: bool,
) -> CapturedEmail:
    text = email.text
    if text is None and derive_text and email.html:
        text = html_to_text(email.html)
    return _build(email, eid, received, wall, way_in, resend_request, text)


def _build(
    email: OutgoingEmail,
    eid: str,
    received: datetime | None,
    wall: datetime,
    way_in: WayIn,
    resend_request: dict[str, Any] | None,
    text: str | None,
) -> CapturedEmail:
    """The captured form of an outgoing email, with MIME built by the stdlib."""
    when = received or wall
    lookup = {k.lower(): v for k, v in email.headers.items()}
    prov = {
        attr: getattr(email, attr) if getattr(email, attr) is not None else lookup.get(h)
        for h, attr in PROVENANCE_HEADERS.items()
    }
    raw, headers, defects = _mime(email, when, f"<{eid}@doorstep.local>")
    atts = [
        CapturedAttachment(
            f"{eid}-{i}",
            a.filename,
            a.content_type,
            a.content,
            a.content_id,
            "inline" if a.content_id else "attachment",
        )
        for i, a in enumerate(email.attachments)
    ]
    return CapturedEmail(
        id=eid,
        received_at=received,
        received_wall_at=wall,
        way_in=way_in,
        envelope_from=parseaddr(email.from_)[1],
        envelope_to=addresses([*email.to, *email.cc, *email.bcc]),
        headers=headers,
        from_=email.from_,
        to=list(email.to),
        cc=list(email.cc),
        bcc=list(email.bcc),
        reply_to=list(email.reply_to),
        subject=email.subject,
        html=email.html,
        text=email.text if text is None else text,
        attachments=atts,
        tags=[dict(t) for t in email.tags],
        raw=raw,
        workflow_key=prov["workflow_key"],
        workflow_run_id=prov["workflow_run_id"],
        run_id=prov["run_id"],
        step_ref=prov["step_ref"],
        recipient_id=prov["recipient_id"],
        message_id=prov["message_id"],
        batch=email.batch,
        resend_request=resend_request,
        defects=defects,
    )


def _mime(
    email: OutgoingEmail, when: datetime, message_id: str
) -> tuple[bytes, list[tuple[str, str]], list[str]]:
    """The MIME bytes, the top-level headers as a parser reads them, and the defects."""
    if email.headers:  # headers the sender wrote read back as a parser reads them (a bad Date)
        raw = build_mime(email, when=when, message_id=message_id)
        parsed = parse_mime(raw)
        return raw, parsed.headers, parsed.defects
    # Only the builder's own headers: what parsing the bytes would read, without parsing.
    raw, headers = build_mime_with_headers(email, when=when, message_id=message_id)
    return raw, headers, []


def _parse(r: _Raw) -> CapturedEmail:
    """Bcc = envelope recipients missing from To/Cc; provenance from X-Doorstep-* headers."""
    parsed = parse_mime(r.raw)
    eid = r.id
    visible = {a.lower() for a in addresses([*parsed.to, *parsed.cc])}
    lookup = {k.lower(): v for k, v in parsed.headers}
    prov = {attr: lookup.get(h) for h, attr in PROVENANCE_HEADERS.items()}
    tags = [
        {"name": t.strip(), "value": ""} for t in lookup.get("x-tags", "").split(",") if t.strip()
    ]
    return CapturedEmail(
        id=eid,
        received_at=r.received_at,
        received_wall_at=r.received_wall_at,
        way_in=r.way_in,
        envelope_from=r.envelope_from,
        envelope_to=r.envelope_to,
        headers=parsed.headers,
        from_=parsed.from_,
        to=parsed.to,
        cc=parsed.cc,
        bcc=[a for a in r.envelope_to if a.lower() not in visible],
        reply_to=parsed.reply_to,
        subject=parsed.subject,
        html=parsed.html,
        text=parsed.text,
        attachments=[
            CapturedAttachment(
                f"{eid}-{i}", p.filename, p.content_type, p.content, p.content_id, p.disposition
            )
            for i, p in enumerate(parsed.parts)
        ],
        tags=tags,
        raw=r.raw,
        defects=parsed.defects,
        workflow_key=prov["workflow_key"],
        workflow_run_id=prov["workflow_run_id"],
        run_id=prov["run_id"],
        step_ref=prov["step_ref"],
        recipient_id=prov["recipient_id"],
        message_id=prov["message_id"],
    )
