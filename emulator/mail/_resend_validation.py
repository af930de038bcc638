"""Validation of Resend `SendEmailRequest` bodies, with Resend's error names and statuses."""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from email.utils import parseaddr
from functools import cached_property
from typing import Any

from emulator.core import BoundedCache, DoorstepError
from emulator.mail._mime import html_to_text
from emulator.mail._model import Attachment, OutgoingEmail

MAX_RECIPIENTS = 50
MAX_BATCH = 100
MAX_ATTACHMENT_BYTES = 40 * 1024 * 1024
MAX_SCHEDULE_AHEAD = timedelta(days=30)
_SIMPLE = re.compile(
    r"^(?:[\w .'-]*<[\w.+'-]+@[\w-]+(?:\.[\w-]+)+>|[\w.+'-]+@[\w-]+(?:\.[\w-]+)+)$"
)
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")
_TAG = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_FORMAT_HINT = (
    "The email address needs to follow the `email@example.com` or "
    "`Name <email@example.com>` format."
)
_IN = re.compile(r"^in\s+(\d+)\s*(second|sec|minute|min|hour|hr|day)s?$", re.IGNORECASE)
_UNITS = {"second": 1, "sec": 1, "minute": 60, "min": 60, "hour": 3600, "hr": 3600, "day": 86400}


class ResendApiError(DoorstepError):
    """An error Resend would answer with: `{"statusCode", "name", "message"}`."""

    def __init__(
        self, status: int, name: str, message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{status} {name}: {message}")
        self.retry_after = retry_after
        self.status = status
        self.name = name
        self.message = message

    def body(self) -> dict[str, Any]:
        """The JSON body Resend answers with."""
        return {"statusCode": self.status, "name": self.name, "message": self.message}


def _invalid(message: str, status: int = 422) -> ResendApiError:
    return ResendApiError(status, "validation_error", message)


@dataclass
class ValidEmail:
    """A send request that passed validation: what to deliver and when."""

    email: OutgoingEmail
    scheduled_at: datetime | None
    attachment_paths: tuple[str | None, ...] = ()  # a tuple: no list kept per email

    @cached_property
    def text(self) -> str | None:
        """`text` as sent, or derived from `html` like Resend does (computed when first read)."""
        e = self.email
        return e.text if e.text is not None else (html_to_text(e.html) if e.html else None)


def validate_send(body: Any, *, now: datetime, batch: bool = False) -> ValidEmail:
    """Check one `SendEmailRequest` (a `template` already filled in by `ResendTemplates.expand`);
    raises `ResendApiError` exactly as Resend would answer."""
    if type(body) is dict and (valid := _plain_send(body)) is not None:
        return valid
    return _checked_send(body, now, batch)


_PLAIN_FIELDS = frozenset({"from", "to", "subject", "html", "text"})
# Whether `_SIMPLE` matches a value: a pure cache keyed by the value, emptied when full (senders
# and recipients repeat; matching again cost a fifth of validating a send).
_SIMPLE_SEEN: BoundedCache[str, bool] = BoundedCache(4096)


def _simple(value: str) -> bool:
    seen = _SIMPLE_SEEN.get(value)
    if seen is None:
        seen = _SIMPLE_SEEN.keep(value, _SIMPLE.match(value) is not None)
    return seen


def _plain_send(body: dict[str, Any]) -> ValidEmail | None:
    """The common send (`from`, `to`, `subject`, `html` and/or `text`, nothing else), when
    every field is well formed; None for anything else, which `_checked_send` then checks and
    answers with its errors (this only accepts what it would accept, and builds the same)."""
    if not body.keys() <= _PLAIN_FIELDS:
        return None
    sender, to, subject = body.get("from"), body.get("to"), body.get("subject")
    html, text = body.get("html"), body.get("text")
    if type(sender) is not str or type(subject) is not str or not subject:
        return None
    if (html is not None and type(html) is not str) or (text is not None and type(text) is not str):
        return None
    if type(to) is str:
        to = [to]
    elif type(to) is not list or not 0 < len(to) <= MAX_RECIPIENTS:
        return None
    if not _simple(sender):
        return None
    for item in to:
        if type(item) is not str or not _simple(item):
            return None
    return ValidEmail(_outgoing(sender, to, subject, html, text, [], [], [], {}, [], []), None)


def _checked_send(body: Any, now: datetime, batch: bool) -> ValidEmail:
    """Every check, in Resend's order: the first failing one is the error."""
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object (a `SendEmailRequest`).")
    for name in ("from", "to", "subject"):
        if body.get(name) in (None, "", []):
            raise ResendApiError(422, "missing_required_field", f"Missing `{name}` field.")
    sender = body["from"]
    if not isinstance(sender, str) or not _valid_address(sender):
        raise _invalid(f"Invalid `from` field. {_FORMAT_HINT}")
    to = _addresses(body, "to")
    if len(to) > MAX_RECIPIENTS:
        raise _invalid(
            f"Invalid `to` field. Too many recipients: {len(to)}; the maximum is "
            f"{MAX_RECIPIENTS} per email (split them, or use the batch endpoint)."
        )
    subject = body.get("subject", "")
    if not isinstance(subject, str):
        raise _invalid("Invalid `subject` field. It must be a string.")
    html_body, text_body = _string_or_none(body, "html"), _string_or_none(body, "text")
    headers = _headers(given) if (given := body.get("headers")) else {}
    if batch and body.get("attachments"):
        raise _invalid(
            "Invalid `attachments` field. Attachments are not supported in batch emails."
        )
    attachments, paths = _attachments(body.get("attachments"))
    tags = _tags(body.get("tags"))
    scheduled = _scheduled(body.get("scheduled_at"), now)
    email = _outgoing(
        sender,
        to,
        subject,
        html_body,
        text_body,
        _addresses(body, "cc"),
        _addresses(body, "bcc"),
        _addresses(body, "reply_to"),
        headers,
        attachments,
        tags,
    )
    return ValidEmail(email, scheduled, paths)


_SENT_FIELDS = (
    "from_", "to", "subject", "html", "text", "cc", "bcc", "reply_to", "headers", "attachments",
    "tags",
)  # fmt: skip
# The other fields of an `OutgoingEmail` (provenance, set by the engine): all None by default.
_UNSET = {f.name: None for f in fields(OutgoingEmail) if f.name not in _SENT_FIELDS}
if any(f.default is not None for f in fields(OutgoingEmail) if f.name in _UNSET):
    raise RuntimeError("an OutgoingEmail field left out of `_SENT_FIELDS` is not None by default")
_new = object.__new__


def _outgoing(
    sender: str,
    to: list[str],
    subject: str,
    html: str | None,
    text: str | None,
    cc: list[str],
    bcc: list[str],
    reply_to: list[str],
    headers: dict[str, str],
    attachments: list[Attachment],
    tags: list[dict[str, str]],
) -> OutgoingEmail:
    """`OutgoingEmail(sender, to, ...)`, its fields put in its `__dict__` at once: the frozen
    dataclass's `__init__` sets each of its 18 with `object.__setattr__`, a third of a send's
    validation."""
    email: OutgoingEmail = _new(OutgoingEmail)
    email.__dict__.update(
        from_=sender,
        to=to,
        subject=subject,
        html=html,
        text=text,
        cc=cc,
        bcc=bcc,
        reply_to=reply_to,
        headers=headers,
        attachments=attachments,
        tags=tags,
        **_UNSET,
    )
    return email


def _headers(headers: Any) -> dict[str, str]:
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise _invalid("Invalid `headers` field. It must be an object of string keys and values.")
    for key, value in headers.items():
        if not _HEADER_NAME.match(key) or "\r" in value or "\n" in value:
            raise _invalid(
                f"Invalid `headers` field. Header {key!r} needs a name of printable ASCII "
                "without `:` or spaces, and a value without line breaks."
            )
    return dict(headers)


def _valid_address(value: str) -> bool:
    if _SIMPLE.match(value):
        return True
    name, addr = parseaddr(value)
    return bool(addr) and bool(_ADDRESS.match(addr)) and ("<" in value or not name)


def _addresses(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key)
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise _invalid(f"Invalid `{key}` field. It must be a string or an array of strings.")
    for item in items:
        if not isinstance(item, str):
            raise _invalid(f"Invalid `{key}` field. It must be a string or an array of strings.")
    for item in items:
        if not _SIMPLE.match(item) and not _valid_address(item):
            raise _invalid(f"Invalid `{key}` field. {_FORMAT_HINT}")
    return items  # a list from the body is kept as it is (the record keeps that body too)


def _string_or_none(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise _invalid(f"Invalid `{key}` field. It must be a string.")
    return value


def _attachments(value: Any) -> tuple[list[Attachment], tuple[str | None, ...]]:
    if value is None:
        return [], ()
    if not isinstance(value, list):
        raise _invalid("Invalid `attachments` field. It must be an array.")
    out: list[Attachment] = []
    paths: list[str | None] = []
    total = 0
    for index, item in enumerate(value):
        where = f"`attachments[{index}]`"
        if not isinstance(item, dict):
            raise ResendApiError(422, "invalid_attachment", f"{where} must be an object.")
        content, path = item.get("content"), item.get("path")
        if content is None and path is None:
            raise ResendApiError(
                422, "invalid_attachment", "Attachment must have either a `content` or `path`."
            )
        data = _decode_content(content, where) if content is not None else b""
        total += len(data)
        filename = item.get("filename")
        if filename is not None and not isinstance(filename, str):
            raise ResendApiError(422, "invalid_attachment", f"{where}.filename must be a string.")
        name = filename or (str(path).rsplit("/", 1)[-1] if path else "")
        ctype = (
            item.get("content_type") or mimetypes.guess_type(name)[0] or "application/octet-stream"
        )
        cid = item.get("content_id") or item.get("inline_content_id")
        out.append(Attachment(name, data, str(ctype), str(cid) if cid else None))
        paths.append(str(path) if path is not None else None)
    if total > MAX_ATTACHMENT_BYTES:
        raise _invalid(
            f"Invalid `attachments` field. The attachments add up to {total} bytes; "
            "the maximum is 40MB per email."
        )
    return out, tuple(paths)


def _decode_content(content: Any, where: str) -> bytes:
    if isinstance(content, str):
        try:
            return base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise ResendApiError(
                422, "invalid_attachment", f"{where}.content is not valid base64."
            ) from None
    if isinstance(content, list) and all(
        isinstance(b, int) and not isinstance(b, bool) and 0 <= b <= 255 for b in content
    ):
        return bytes(content)
    raise ResendApiError(
        422, "invalid_attachment", f"{where}.content must be a base64 string or an array of bytes."
    )


def _tags(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    rule = (
        "Tag names and values can only contain ASCII letters, numbers, underscores, or "
        "dashes, and can contain no more than 256 characters."
    )
    if not isinstance(value, list):
        raise _invalid("Invalid `tags` field. It must be an array of `{name, value}` objects.")
    out: list[dict[str, str]] = []
    for index, tag in enumerate(value):
        if not isinstance(tag, dict) or not isinstance(tag.get("name"), str):
            raise _invalid(f"Invalid `tags[{index}]` field. Each tag needs a string `name`.")
        name, val = tag["name"], tag.get("value", "")
        if not _TAG.match(name) or not isinstance(val, str) or (val and not _TAG.match(val)):
            raise _invalid(f"Invalid `tags[{index}]` field. {rule}")
        out.append({"name": name, "value": val})
    return out


def parse_schedule(value: str, now: datetime) -> datetime:
    """ISO 8601 or `in N minutes|hours|days`; raises ResendApiError otherwise."""
    text = value.strip()
    match = _IN.match(text)
    if match:
        return now + timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2).lower()])
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(
            f"Invalid `scheduled_at` field. {value!r} is neither ISO 8601 "
            "(2025-01-01T09:00:00Z) nor a phrase like `in 10 minutes`."
        ) from None
    if when.tzinfo is None:
        raise _invalid("Invalid `scheduled_at` field. Give a time zone, e.g. `2025-01-01T09:00Z`.")
    return when


def _scheduled(value: Any, now: datetime) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid("Invalid `scheduled_at` field. It must be a string.")
    when = parse_schedule(value, now)
    if when - now > MAX_SCHEDULE_AHEAD:
        raise _invalid("Invalid `scheduled_at` field. Emails can be scheduled up to 30 days ahead.")
    return when
