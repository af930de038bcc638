"""MIME in both directions with the stdlib `email` package (policy=default).

`build_mime` turns an outgoing email into the exact bytes an SMTP client would send, so mail
that never crossed SMTP (in-process, Resend) still has a downloadable `.eml`. `parse_mime`
reads any bytes into fields without raising: malformed input yields defects, not crashes.
"""

from __future__ import annotations

import contextlib
import hashlib
import html as htmllib
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from html.parser import HTMLParser
from typing import Literal

from emulator.mail._model import Attachment, OutgoingEmail


class _HeaderClasses(HeaderRegistry):
    """The stdlib registry makes a new class for every header it parses (`type(...)` per
    call, a tenth of capturing an email); this one makes each header name's class once."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


_DEFAULT = policy.default.clone(header_factory=_HeaderClasses())
_SMTP = policy.SMTP.clone(header_factory=_HeaderClasses())
_PARSER = BytesParser(policy=_DEFAULT)
# Headers the builder sets itself; custom headers with these names replace ours.
_OWN_HEADERS = ("from", "to", "cc", "reply-to", "subject", "date", "message-id")


def build_mime(email: OutgoingEmail, *, when: datetime, message_id: str | None = None) -> bytes:
    """Full RFC 5322 bytes for `email`; Bcc stays out of the headers, as a real MTA does."""
    return _message(email, when, message_id).as_bytes()


def build_mime_with_headers(
    email: OutgoingEmail, *, when: datetime, message_id: str | None = None
) -> tuple[bytes, list[tuple[str, str]]]:
    """`build_mime`'s bytes and its top-level headers as `parse_mime` reads them back, without
    parsing the bytes again: the builder's header objects are parsed already (parsing cost
    more than half of capturing an email)."""
    msg = _message(email, when, message_id)
    raw = msg.as_bytes()  # sets the multipart boundary on `msg` too
    return raw, [(key, unescape_8bit(str(value))) for key, value in msg.items()]


def _message(email: OutgoingEmail, when: datetime, message_id: str | None) -> EmailMessage:
    message_id = message_id or make_msgid(domain="doorstep.local")
    msg = EmailMessage(policy=_SMTP)
    custom = {k.lower(): (k, v) for k, v in email.headers.items()}
    msg["From"] = email.from_
    if email.to:
        msg["To"] = ", ".join(email.to)
    if email.cc:
        msg["Cc"] = ", ".join(email.cc)
    if email.reply_to:
        msg["Reply-To"] = ", ".join(email.reply_to)
    msg["Subject"] = email.subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id
    for lowered, (name, value) in custom.items():
        if lowered in _OWN_HEADERS:
            del msg[name]
        msg[name] = value
    _set_bodies(msg, email.text, email.html)
    inline = [a for a in email.attachments if a.content_id]
    regular = [a for a in email.attachments if not a.content_id]
    if inline:
        html_part = msg.get_body(preferencelist=("html",))
        target = html_part if isinstance(html_part, EmailMessage) else msg
        for att in inline:
            _attach(target, att, related=target is html_part)
    for att in regular:
        _attach(msg, att, related=False)
    _name_boundaries(msg, message_id)
    return msg


def _name_boundaries(msg: EmailMessage, message_id: str) -> None:
    """Boundaries from the Message-ID, not random: building the same email again (after a
    restart, from the stored recipe) gives the same bytes."""
    token = hashlib.sha256(message_id.encode("utf-8", "surrogateescape")).hexdigest()[:24]
    n = 0
    for part in msg.walk():
        if part.is_multipart():
            part.set_boundary(f"=_doorstep_{token}_{n}")
            n += 1


def _set_bodies(msg: EmailMessage, text: str | None, html: str | None) -> None:
    if text is not None and html is not None:
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(text or "")


def _attach(target: EmailMessage, att: Attachment, *, related: bool) -> None:
    maintype, _, subtype = att.content_type.partition("/")
    cid = f"<{att.content_id.strip('<>')}>" if att.content_id else None
    filename = att.filename or None
    if related:
        target.add_related(
            att.content,
            maintype or "application",
            subtype or "octet-stream",
            disposition="inline",
            filename=filename,
            cid=cid,
        )
    else:
        target.add_attachment(
            att.content,
            maintype or "application",
            subtype or "octet-stream",
            filename=filename,
            cid=cid,
        )


@dataclass(slots=True)
class ParsedPart:
    """One attachment or inline part found while parsing MIME."""

    filename: str | None
    content_type: str
    content: bytes
    content_id: str | None
    disposition: Literal["inline", "attachment"]


@dataclass(slots=True)
class ParsedMime:
    """Fields read out of raw MIME; `defects` names everything the parser had to repair."""

    headers: list[tuple[str, str]]
    from_: str
    to: list[str]
    cc: list[str]
    reply_to: list[str]
    subject: str
    html: str | None
    text: str | None
    parts: list[ParsedPart]
    message_id: str | None
    defects: list[str] = field(default_factory=list)


def unescape_8bit(text: str) -> str:
    """`text` with the stdlib parser's surrogate escapes turned back into UTF-8 characters.

    Raw 8-bit header bytes (SMTPUTF8 addresses such as `jösé@example.com`, which nodemailer
    sends unencoded) come out of `email` as lone surrogates that no JSON encoder or web page
    can write; bytes that are not UTF-8 become U+FFFD.
    """
    if text.isascii() or not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def parse_mime(raw: bytes) -> ParsedMime:
    """Best-effort parse; never raises on bad input (defects are reported instead)."""
    msg = _PARSER.parsebytes(raw.replace(b"\r\n", b"\n"))
    defects = [f"{type(d).__name__}: {d}" for d in msg.defects]
    headers: list[tuple[str, str]] = []
    for key, value in msg.raw_items():
        try:
            headers.append((key, unescape_8bit(str(msg.policy.header_fetch_parse(key, value)))))
        except Exception as exc:
            defects.append(f"header {key!r} could not be decoded ({exc}); kept raw")
            headers.append((key, unescape_8bit(str(value))))
    lookup = {k.lower(): v for k, v in reversed(headers)}
    html_part = _body(msg, "html", defects)
    text_part = _body(msg, "plain", defects)
    parts: list[ParsedPart] = []
    for part in msg.walk():
        if part.is_multipart() or part is html_part or part is text_part:
            continue
        parts.append(_part(part, defects))
    return ParsedMime(
        headers=headers,
        from_=lookup.get("from", ""),
        to=_split(msg, "to"),
        cc=_split(msg, "cc"),
        reply_to=_split(msg, "reply-to"),
        subject=lookup.get("subject", ""),
        html=_content(html_part, defects),
        text=_content(text_part, defects),
        parts=parts,
        message_id=lookup.get("message-id"),
        defects=defects,
    )


def _body(msg: EmailMessage, subtype: str, defects: list[str]) -> Message | None:
    try:
        part = msg.get_body(preferencelist=(subtype,))
    except Exception as exc:
        defects.append(f"could not find the {subtype} body ({exc})")
        return None
    if part is None or part.get_content_disposition() == "attachment":
        return None
    return part


def _content(part: Message | None, defects: list[str]) -> str | None:
    if part is None:
        return None
    try:
        value = part.get_content()  # type: ignore[attr-defined]
    except Exception as exc:
        defects.append(f"body could not be decoded ({exc}); kept as replaced text")
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return value if isinstance(value, str) else bytes(value).decode("utf-8", "replace")


def _part(part: Message, defects: list[str]) -> ParsedPart:
    payload = b""
    with contextlib.suppress(Exception):
        decoded = part.get_payload(decode=True)
        payload = decoded if isinstance(decoded, bytes) else b""
    filename: str | None = None
    try:
        found = part.get_filename()
        filename = None if found is None else unescape_8bit(found)
    except Exception as exc:
        defects.append(f"attachment filename could not be decoded ({exc})")
    cid = part.get("Content-ID")
    cid_text = unescape_8bit(str(cid)).strip().strip("<>") if cid else None
    disposition = part.get_content_disposition()
    kind: Literal["inline", "attachment"] = (
        "inline" if disposition == "inline" or cid_text else "attachment"
    )
    return ParsedPart(filename, part.get_content_type(), payload, cid_text, kind)


def _split(msg: EmailMessage, name: str) -> list[str]:
    out: list[str] = []
    for value in msg.get_all(name) or []:
        try:
            addrs = getattr(value, "addresses", None)
            if addrs is None:
                raise ValueError("not an address header")
            out.extend(unescape_8bit(str(a)) for a in addrs)
        except Exception:
            text = unescape_8bit(str(value))
            out.extend(p.strip() for p in text.split(",") if p.strip())
    return out


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "head"):
            self._skip += 1
        elif tag in ("br", "p", "div", "tr", "li", "h1", "h2", "h3"):
            self.chunks.append("\n")
        elif tag in ("td", "th"):
            self.chunks.append(" ")  # cells of a row stay apart: `Invoice inv_1`

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    """Plain text from HTML, the way Resend fills `text` when only `html` was sent."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (
        " ".join(line.split()) for line in htmllib.unescape("".join(parser.chunks)).splitlines()
    )
    return "\n".join(line for line in lines if line)
