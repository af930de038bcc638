"""Mailpit's release (`POST /api/v1/message/{id}/release`): send a captured email on to a real
SMTP server, configured with `doorstep serve --smtp-relay HOST:PORT`.

Mailpit's allow-list semantics: every address in `To` must match the allowed-recipients
pattern (when one is set) and none may match the blocked one; otherwise nothing is sent and
the answer names the addresses. The relayed copy loses its `Bcc` header, gets a fresh `Date`
and (unless message ids are preserved) a new `Message-ID`, and goes from the `Sender` or first
`From` address, as Mailpit sends it.
"""

from __future__ import annotations

import asyncio
import smtplib
from email import message_from_bytes, policy
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from emulator.http.inspect._api import json_body
from emulator.http.inspect._inspection import ApiError, Inspection
from emulator.http.inspect._relay_config import SmtpRelay


def relayed_copy(raw: bytes, preserve_message_id: bool) -> tuple[str, bytes]:
    """(envelope sender, the bytes to send) for a captured email."""
    message = message_from_bytes(raw, policy=policy.SMTP)
    senders = getaddresses(message.get_all("Sender", []) or message.get_all("From", []))
    sender = next((addr for _, addr in senders if addr), "")
    if not sender:
        raise ApiError(400, "No From header found")
    del message["Bcc"]
    del message["Date"]
    message["Date"] = formatdate(localtime=False)
    if not preserve_message_id:
        del message["Message-ID"]
        message["Message-ID"] = make_msgid(domain="doorstep")
    return sender, message.as_bytes()


async def release(inspection: Inspection, request: Request) -> Any:
    """POST /api/v1/message/{id}/release: `{"To": [...]}` through the configured relay."""
    relay = inspection.relay
    email = inspection.email(request.path_params["id"])
    body = await json_body(request)
    to = body.get("To") if isinstance(body, dict) else None
    if not isinstance(to, list) or not all(isinstance(a, str) for a in to):
        raise ApiError(400, 'give the recipients as {"To": ["someone@example.com"]}')
    for address in to:
        if "@" not in parseaddr(address)[1]:
            raise ApiError(400, f"Invalid email address: {address}")
    if relay is None:
        raise ApiError(
            400, "message relay is not configured; start doorstep serve with --smtp-relay HOST:PORT"
        )
    why = relay.refused(to)
    if why:
        raise ApiError(400, why)
    if not to:
        raise ApiError(400, "No valid addresses found")
    sender, data = relayed_copy(email.raw, relay.preserve_message_ids)
    try:
        await asyncio.to_thread(_send, relay, sender, to, data)
    except (OSError, smtplib.SMTPException) as exc:
        raise ApiError(400, f"SMTP error: {exc}") from None
    return Response("ok", media_type="text/plain")


def _send(relay: SmtpRelay, sender: str, to: list[str], data: bytes) -> None:
    with smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout) as client:
        client.sendmail(sender, [parseaddr(a)[1] for a in to], data)
