"""Mailpit's release (`POST /api/v1/message/{id}/release`): send a captured email on to a real
SMTP server, configured with `doorstep serve --smtp-relay HOST:PORT`.

Mailpit's allow-list semantics: every address in `To` must match the allowed-recipients
pattern (when one is set) and none may match the blocked one; otherwise nothing is sent and
the answer names the addresses. The relayed copy loses its `Bcc` header, gets a fresh `Date`
and (unless message ids are preserved) a new `Message-ID`, and goes from the `Sender` or first
`From` address, as Mailpit sends it. The relay configuration's `return-path` becomes the
envelope sender and the `Return-Path` header; `override-from` replaces the `From` address
(keeping the name; the old address goes into `X-Original-From`) and the envelope sender.
The connection uses TLS or STARTTLS and AUTH as configured (see `_relay_config`).
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formataddr, formatdate, getaddresses, make_msgid, parseaddr
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from emulator.http.inspect._api import json_body
from emulator.http.inspect._inspection import ApiError, Inspection
from emulator.http.inspect._relay_config import SmtpRelay


def relayed_copy(raw: bytes, relay: SmtpRelay) -> tuple[str, bytes]:
    """(envelope sender, the bytes to send) for a captured email, as Mailpit rewrites it."""
    message = message_from_bytes(raw, policy=policy.SMTP)
    senders = getaddresses(message.get_all("Sender", []) or message.get_all("From", []))
    sender = next((addr for _, addr in senders if addr), "")
    if not sender:
        raise ApiError(400, "No From header found")
    del message["Bcc"]
    if relay.return_path:
        del message["Return-Path"]
        message["Return-Path"] = f"<{relay.return_path}>"
        sender = relay.return_path
    del message["Date"]
    message["Date"] = formatdate(localtime=False)
    if not relay.preserve_message_ids:
        del message["Message-ID"]
        message["Message-ID"] = make_msgid(domain="doorstep")
    if relay.override_from:
        _override_from(message, relay.override_from)
        sender = relay.override_from
    return sender, message.as_bytes()


def _override_from(message: EmailMessage, address: str) -> None:
    """Mailpit's override-from: the From address replaced, its name kept, the old address
    kept in `X-Original-From`."""
    original = message.get("From")
    name, old = parseaddr(str(original)) if original is not None else ("", "")
    del message["From"]
    message["From"] = formataddr((name, address)) if old else address
    if old:
        message["X-Original-From"] = old


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
    sender, data = relayed_copy(email.raw, relay)
    try:
        await asyncio.to_thread(_send, relay, sender, to, data)
    except (OSError, smtplib.SMTPException) as exc:
        raise ApiError(400, f"SMTP error: {exc}") from None
    return Response("ok", media_type="text/plain")


def _send(relay: SmtpRelay, sender: str, to: list[str], data: bytes) -> None:
    context = ssl.create_default_context()
    if relay.allow_insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    client: smtplib.SMTP
    if relay.tls:
        client = smtplib.SMTP_SSL(relay.host, relay.port, timeout=relay.timeout, context=context)
    else:
        client = smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout)
    with client:
        if relay.starttls:
            client.starttls(context=context)
        _authenticate(client, relay)
        _transaction(client, relay, sender, [parseaddr(a)[1] for a in to], data)


def _transaction(
    client: smtplib.SMTP, relay: SmtpRelay, sender: str, to: list[str], data: bytes
) -> None:
    """MAIL, RCPT per address, DATA, as Mailpit's relay: a refused recipient is skipped, or
    with `forward-smtp-errors` fails the release before DATA."""
    client.ehlo_or_helo_if_needed()
    code, reply = client.mail(sender)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    accepted = 0
    for address in to:
        code, reply = client.rcpt(address)
        if code in (250, 251):
            accepted += 1
        elif relay.forward_smtp_errors:
            detail = reply.decode("utf-8", "replace")
            raise smtplib.SMTPException(
                f"error response to RCPT command for {address}: {code} {detail}"
            )
    if not accepted:
        raise smtplib.SMTPRecipientsRefused(dict.fromkeys(to, (550, b"refused")))
    code, reply = client.data(data)
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


def _authenticate(client: smtplib.SMTP, relay: SmtpRelay) -> None:
    """AUTH with the configured mechanism (Go's PLAIN refuses an unencrypted remote server)."""
    if relay.auth == "none":
        return
    client.ehlo_or_helo_if_needed()
    encrypted = relay.tls or relay.starttls
    if (
        relay.auth == "plain"
        and not encrypted
        and relay.host not in ("localhost", "127.0.0.1", "::1")
    ):
        raise smtplib.SMTPException("error response to AUTH command: unencrypted connection")
    client.user = relay.username
    client.password = relay.secret if relay.auth == "cram-md5" else relay.password
    method: Any = {"plain": client.auth_plain, "login": client.auth_login}.get(relay.auth)
    try:
        if method is None:
            client.auth("CRAM-MD5", client.auth_cram_md5, initial_response_ok=False)
        else:
            client.auth(relay.auth.upper(), method)
    except smtplib.SMTPException as exc:
        raise smtplib.SMTPException(f"error response to AUTH command: {exc}") from None
