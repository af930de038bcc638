"""The rest of Mailpit's API, as its npm client `mailpit-api` calls it: info, web UI
configuration, tags, delete by search, send; the HTML check, thumbnails, release, SpamAssassin
and chaos have their own modules.

Shapes follow Mailpit's swagger (PascalCase keys); Mailpit answers a bad request with 400, which
here carries the inspection API's `{"error", "status"}` body. Tags set through the API live beside
the read flags (the Mailbox's `MailFlags`, kept by `--data-dir`): an email nobody retagged shows
its `X-Tags` header and its Resend tags (`name=value`). Tag names keep only Mailpit's characters
(letters, digits, `-`, `.`, `_`, spaces; Resend tags may also hold `=`), others are dropped
silently as Mailpit drops them.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import time
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from emulator.http.htmlcheck import html_check as run_html_check
from emulator.http.inspect._api import Handler, json_body
from emulator.http.inspect._chaos import get_chaos, set_chaos
from emulator.http.inspect._inspection import ApiError, Inspection
from emulator.http.inspect._relay import release
from emulator.http.inspect._spamd import spam_check
from emulator.http.inspect._thumbnails import thumbnail

SEND_LIMIT = 50 * 1024 * 1024  # an SMTP message's limit, as Mailpit's send API takes
VERSION = "doorstep"  # Mailpit's `Version`; `LatestVersion` says the check is off
_STARTED = time.monotonic()
_TAG_JUNK = re.compile(r"[^a-zA-Z0-9\-._ =]")
_RESTRICTED = frozenset(
    ("to", "from", "cc", "bcc", "reply-to", "date", "subject", "content-type", "mime-version")
)


def _ok() -> Response:
    return Response("ok", media_type="text/plain")


def clean_tag(tag: str) -> str:
    """A tag as Mailpit stores it: other characters stripped, spaces squeezed."""
    return " ".join(_TAG_JUNK.sub("", tag).split())


async def info(inspection: Inspection, request: Request) -> Any:
    """GET /api/v1/info: Mailpit's AppInformation, counted over the captured mail; the runtime
    statistics since the server started, the database as `--data-dir` keeps it."""
    outbox = inspection.emulator.outbox
    total, unread = inspection.counts()
    stats = outbox.stats
    path = getattr(outbox.store, "path", None)
    return {
        "Version": VERSION,
        "LatestVersion": "disabled",
        "Database": str(path) if path is not None else "memory",
        "DatabaseSize": _database_size(path) if path is not None else outbox.raw_size(),
        "Messages": total,
        "Unread": unread,
        "Tags": inspection.tag_counts(),
        "RuntimeStats": {
            "Uptime": int(time.monotonic() - _STARTED),
            "Memory": _memory(),
            "MessagesDeleted": stats.deleted,
            "SMTPAccepted": stats.smtp_accepted,
            "SMTPAcceptedSize": stats.smtp_accepted_size,
            "SMTPRejected": stats.smtp_rejected,
            "SMTPIgnored": 0,  # Mailpit ignores duplicates only with --ignore-duplicate-ids
        },
    }


def _database_size(path: Path) -> int:
    """The SQLite file and its write-ahead log, in bytes."""
    total = 0
    for file in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(OSError):
            total += file.stat().st_size
    return total


def _memory() -> int:
    """The process's resident memory in bytes (Mailpit reports the Go runtime's)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


async def webui(inspection: Inspection, request: Request) -> Any:
    """GET /api/v1/webui: what Mailpit's UI may offer (relay, SpamAssassin, chaos)."""
    relay = inspection.relay
    return {
        "Label": "Doorstep",
        "MessageRelay": {
            "Enabled": relay is not None,
            "SMTPServer": f"{relay.host}:{relay.port}" if relay else "",
            "ReturnPath": relay.return_path if relay else "",
            "AllowedRecipients": (relay and relay.allowed_recipients) or "",
            "BlockedRecipients": (relay and relay.blocked_recipients) or "",
            "OverrideFrom": relay.override_from if relay else "",
            "PreserveMessageIDs": bool(relay and relay.preserve_message_ids),
            "RecipientAllowlist": (relay and relay.allowed_recipients) or "",
        },
        "SpamAssassin": inspection.spamassassin is not None,
        "ChaosEnabled": inspection.chaos_enabled,
        "DuplicatesIgnored": False,
        "HideDeleteAllButton": False,
    }


# -- tags ---------------------------------------------------------------------------------------
async def get_tags(inspection: Inspection, request: Request) -> Any:
    """GET /api/v1/tags: every tag in use."""
    return inspection.all_tags()


def _strings(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(400, f'`{key}` must be a list of strings, e.g. {{{key!r}: ["a"]}}')
    return list(value)


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "send a JSON object")
    return body


async def set_tags(inspection: Inspection, request: Request) -> Any:
    """PUT /api/v1/tags: replace the tags of the emails in `IDs` (no `Tags`: remove them all)."""
    body = _object(await json_body(request))
    tags = [clean_tag(t) for t in _strings(body, "Tags")]
    emails = [inspection.email(i) for i in _strings(body, "IDs")]  # 404 before any change
    for email in emails:
        inspection.set_tags(email, tags)
    return _ok()


async def rename_tag(inspection: Inspection, request: Request) -> Any:
    """PUT /api/v1/tags/{tag}: rename a tag on every email (`{"Name": "new"}`)."""
    body = _object(await json_body(request))
    name = body.get("Name")
    new = clean_tag(name) if isinstance(name, str) else ""
    if not new:
        raise ApiError(400, 'give the new name as {"Name": "..."} (letters, digits, - . _ space)')
    inspection.replace_tag(request.path_params["tag"], new)
    return _ok()


async def delete_tag(inspection: Inspection, request: Request) -> Any:
    """DELETE /api/v1/tags/{tag}: remove a tag from every email (the emails stay)."""
    inspection.replace_tag(request.path_params["tag"], None)
    return _ok()


# -- delete by search, send, SpamAssassin -------------------------------------------------------
async def delete_search(inspection: Inspection, request: Request) -> Any:
    """DELETE /api/v1/search?query=...: delete the emails the search finds."""
    query = request.query_params.get("query", "")
    if not query.strip():
        raise ApiError(
            400, "missing query parameter `query`; e.g. DELETE /api/v1/search?query=is:read"
        )
    found = inspection.matches(query, request.query_params.get("tz"))
    if found:
        inspection.emulator.outbox.delete([e.id for e in found])
    return _ok()


async def send(inspection: Inspection, request: Request) -> Any:
    """POST /api/v1/send: Mailpit's send API; the email is captured as if it came over SMTP.
    The body may be as large as an SMTP message (50 MB), base64 attachments included."""
    body = _object(await json_body(request, limit=SEND_LIMIT))
    try:
        message, envelope_to = build_message(body)
    except (ValueError, TypeError) as exc:
        raise ApiError(400, str(exc)) from None
    sender = parseaddr(str(message["From"]))[1]
    email_id = inspection.emulator.outbox.ingest_raw(
        message.as_bytes(), envelope_from=sender, envelope_to=envelope_to
    )
    return {"ID": email_id}


def _address(value: Any, where: str) -> tuple[str, str]:
    if isinstance(value, str):
        name, email = "", value
    elif isinstance(value, dict):
        name, email = str(value.get("Name") or ""), str(value.get("Email") or "")
    else:
        raise ValueError(f'invalid {where} address: give {{"Email": ..., "Name": ...}}')
    if "@" not in parseaddr(email)[1]:
        raise ValueError(f"invalid {where} address: {email}")
    return name, email


def build_message(body: dict[str, Any]) -> tuple[EmailMessage, list[str]]:
    """The MIME message for a SendRequest and its envelope recipients; ValueError as Mailpit."""
    message = EmailMessage()
    name, sender = _address(body.get("From"), "From")
    message["From"] = formataddr((name, sender))
    envelope: list[str] = []
    for key, header in (("To", "To"), ("Cc", "Cc"), ("Bcc", "Bcc"), ("ReplyTo", "Reply-To")):
        pairs = [_address(v, header) for v in body.get(key) or []]
        if pairs and key != "Bcc":
            message[header] = ", ".join(formataddr(p) for p in pairs)
        if key != "ReplyTo":
            envelope += [p[1] for p in pairs]
    message["Subject"] = str(body.get("Subject") or "")
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="doorstep.local")
    tags = [t for t in (clean_tag(str(t)) for t in body.get("Tags") or []) if t]
    if tags:
        message["X-Tags"] = ", ".join(tags)
    for key, value in (body.get("Headers") or {}).items():
        if key.lower() in _RESTRICTED or (tags and key.lower() == "x-tags"):
            raise ValueError(f'cannot overwrite header: "{key}"')
        message[key] = str(value)
    message.set_content(str(body.get("Text") or ""))
    if body.get("HTML"):
        message.add_alternative(str(body["HTML"]), subtype="html")
    for attachment in body.get("Attachments") or []:
        _attach(message, attachment)
    return message, envelope


def _attach(message: EmailMessage, attachment: dict[str, Any]) -> None:
    filename = str(attachment.get("Filename") or "attachment")
    content = str(attachment.get("Content") or "").split(",")[-1]
    try:
        data = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f'error decoding base64 attachment "{filename}": {exc}') from None
    maintype, _, subtype = str(attachment.get("ContentType") or "").partition("/")
    if not subtype:
        maintype, subtype = "application", "octet-stream"
    cid = attachment.get("ContentID")
    if cid:
        message.add_attachment(
            data, maintype, subtype, filename=filename, disposition="inline", cid=f"<{cid}>"
        )
    else:
        message.add_attachment(data, maintype, subtype, filename=filename)


async def html_check(inspection: Inspection, request: Request) -> Any:
    """GET /api/v1/message/{id}/html-check: email-client support of the email's HTML and CSS."""
    email = inspection.email(request.path_params["id"])
    if not email.html:
        raise ApiError(400, "message does not contain HTML")
    return run_html_check(email.html)


MAILPIT_ROUTES: tuple[tuple[str, Handler, str], ...] = (
    ("/api/v1/info", info, "GET"),
    ("/api/v1/webui", webui, "GET"),
    ("/api/v1/tags", get_tags, "GET"),
    ("/api/v1/tags", set_tags, "PUT"),
    ("/api/v1/tags/{tag}", rename_tag, "PUT"),
    ("/api/v1/tags/{tag}", delete_tag, "DELETE"),
    ("/api/v1/search", delete_search, "DELETE"),
    ("/api/v1/send", send, "POST"),
    ("/api/v1/message/{id}/sa-check", spam_check, "GET"),
    ("/api/v1/message/{id}/html-check", html_check, "GET"),
    ("/api/v1/message/{id}/part/{part}/thumb", thumbnail, "GET"),
    ("/api/v1/message/{id}/release", release, "POST"),
    ("/api/v1/chaos", get_chaos, "GET"),
    ("/api/v1/chaos", set_chaos, "PUT"),
)
