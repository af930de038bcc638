"""Captured email: what the Mailbox keeps.

Outgoing email (the engine, Resend POST) is captured as an `_Outgoing`: read from the fields it
was sent with, its MIME built only when raw bytes or headers are asked for. SMTP mail is parsed
as it is accepted (`_parse`, outside the Mailbox lock); a `_Raw` is mail kept unparsed (rows a
data dir stored unparsed before SMTP mail was parsed at intake), parsed on first read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from emulator.mail._model import (
    CapturedAttachment,
    CapturedEmail,
    OutgoingEmail,
    WayIn,
    address_of,
    addresses,
)

if TYPE_CHECKING:
    from emulator.mail._mime import ParsedMime

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


_LATER: Any = object()  # a field of an `_Outgoing` filled on first read


class _Outgoing(CapturedEmail):
    """An outgoing email (engine, Resend API) captured from the fields it was sent with: the
    subject, addresses, bodies and attachments are read from them; the MIME (`raw`, `headers`,
    `defects`) is built when one of those is first read, Resend's derived `text` made then,
    and the captured attachments listed when first read.

    Building is deterministic (boundaries named after the Message-ID), so two threads that
    race to fill a field fill it with equal values, and a store can keep the recipe instead
    of the bytes. The email sent is kept whole only when it carried headers or attachments;
    otherwise only its `text`, and `source` makes it again from the fields. The address and
    tag lists are kept as tuples (the empty ones as the one empty tuple) and become lists on
    first read: an email the engine sends keeps one object the collector tracks, not nine."""

    __slots__ = ("sent",)
    sent: OutgoingEmail | str | None  # the email sent, or (no headers, no attachments) its text

    @property
    def source(self) -> OutgoingEmail:
        """The email as it was sent (made again from the fields when not kept whole)."""
        sent = self.sent
        if isinstance(sent, OutgoingEmail):
            return sent
        prov = {attr: getattr(self, attr) for attr in PROVENANCE_HEADERS.values()}
        return OutgoingEmail(
            *(self.from_, self.to, self.subject, self.html, sent),
            *(self.cc, self.bcc, self.reply_to),
            tags=self.tags,
            batch=self.batch,
            **prov,
        )

    @property
    def sent_headers(self) -> dict[str, str]:
        """The headers the sender wrote (none unless the email sent is kept whole)."""
        return self.sent.headers if isinstance(self.sent, OutgoingEmail) else {}

    @property
    def sent_text(self) -> str | None:
        """The `text` the sender wrote."""
        return self.sent.text if isinstance(self.sent, OutgoingEmail) else self.sent

    @property
    def built(self) -> bool:
        """Whether the MIME has been built already."""
        try:
            _SLOTS["raw"].__get__(self, CapturedEmail)
        except AttributeError:
            return False
        return True


_SLOTS: dict[str, Any] = {
    name: vars(CapturedEmail)[name] for name in ("raw", "headers", "defects", "text", "attachments")
}


def derives_text(email: _Outgoing) -> bool:
    """Whether the email's `text` is (or will be) made from its `html`, as Resend does."""
    if email.sent_text is not None:
        return False
    try:
        return _SLOTS["text"].__get__(email, CapturedEmail) is not None
    except AttributeError:
        return True  # not derived yet


def _fill_mime(email: _Outgoing) -> None:
    when = email.received_at or email.received_wall_at
    raw, headers, defects = _mime(email.source, when, f"<{email.id}@doorstep.local>")
    _SLOTS["headers"].__set__(email, headers)
    _SLOTS["defects"].__set__(email, defects)
    _SLOTS["raw"].__set__(email, raw)


def _fill_text(email: _Outgoing) -> None:
    from emulator.mail._mime import html_to_text  # the stdlib's email and html parsers: on use

    _SLOTS["text"].__set__(email, html_to_text(email.html) if email.html else None)


def _fill_attachments(email: _Outgoing) -> None:
    eid = email.id
    _SLOTS["attachments"].__set__(
        email,
        [
            CapturedAttachment(
                f"{eid}-{i}",
                a.filename,
                a.content_type,
                a.content,
                a.content_id,
                "inline" if a.content_id else "attachment",
            )
            for i, a in enumerate(
                email.sent.attachments if isinstance(email.sent, OutgoingEmail) else ()
            )
        ],
    )


def _later(name: str, fill: Callable[[_Outgoing], None]) -> property:
    slot = _SLOTS[name]

    def get(email: _Outgoing) -> Any:
        try:
            return slot.__get__(email, CapturedEmail)
        except AttributeError:
            fill(email)
            return slot.__get__(email, CapturedEmail)

    def put(email: _Outgoing, value: Any) -> None:
        if value is not _LATER:
            slot.__set__(email, value)

    return property(get, put)


_FILLS: dict[str, Callable[[_Outgoing], None]] = {
    "raw": _fill_mime,
    "headers": _fill_mime,
    "defects": _fill_mime,
    "text": _fill_text,
    "attachments": _fill_attachments,  # most emails have none: no list kept for them
}
for _name, _fill in _FILLS.items():  # properties over the slots the dataclass made
    setattr(_Outgoing, _name, _later(_name, _fill))


def _listed(name: str) -> property:
    """A list field kept as a tuple: a list (the same one from then on) when first read."""
    slot = vars(CapturedEmail)[name]

    def get(email: _Outgoing) -> Any:
        value = slot.__get__(email, CapturedEmail)
        if type(value) is tuple:
            value = list(value)
            slot.__set__(email, value)
        return value

    return property(get, slot.__set__)


for _name in ("envelope_to", "to", "cc", "bcc", "reply_to", "tags"):
    setattr(_Outgoing, _name, _listed(_name))

# An `_Outgoing` is made by setting its slots directly, in this order: the dataclass's frozen
# `__init__` (27 keyword arguments, one `object.__setattr__` each) cost twice as much. The
# slots filled later (`_FILLS`) stay empty until first read; `text` is set when it is known.
_EAGER = (
    "id", "received_at", "received_wall_at", "way_in", "envelope_from", "envelope_to",
    "from_", "to", "cc", "bcc", "reply_to", "subject", "html", "tags",
    *PROVENANCE_HEADERS.values(), "batch", "resend_request",
)  # fmt: skip
_PUTS = (*(vars(CapturedEmail)[n].__set__ for n in _EAGER), vars(_Outgoing)["sent"].__set__)


def _maker() -> Callable[..., _Outgoing]:
    """`make(*values)`: a new `_Outgoing` with `_EAGER` and `sent` set to `values`, one
    setter call per slot written out (as `dataclasses` writes `__init__`): a loop over the
    setters cost a third more."""
    params = ", ".join(f"v{i}" for i in range(len(_PUTS)))
    body = "".join(f"    put{i}(email, v{i})\n" for i in range(len(_PUTS)))
    code = f"def make({params}):\n    email = new(Outgoing)\n{body}    return email\n"
    scope: dict[str, Any] = {f"put{i}": put for i, put in enumerate(_PUTS)}
    scope.update(new=object.__new__, Outgoing=_Outgoing)
    exec(code, scope)  # code made above from slot positions only
    make: Callable[..., _Outgoing] = scope["make"]
    return make


_make = _maker()


def capture_outgoing(
    email: OutgoingEmail,
    eid: str,
    received: datetime | None,
    wall: datetime,
    way_in: WayIn,
    resend_request: dict[str, Any] | None,
    derive_text: bool,
) -> CapturedEmail:
    """The captured form of an outgoing email, without building its MIME (see `_Outgoing`);
    `derive_text` fills a missing `text` from `html` (on first read), as Resend does."""
    captured = _make(
        eid,
        received,
        wall,
        way_in,
        address_of(email.from_),
        tuple(addresses([*email.to, *email.cc, *email.bcc])),
        email.from_,
        tuple(email.to),  # lists on first read (see `_Outgoing`)
        tuple(email.cc),
        tuple(email.bcc),
        tuple(email.reply_to),
        email.subject,
        email.html,
        tuple(email.tags),
        *_provenance(email),
        email.batch,
        resend_request,
        email if email.headers or email.attachments else email.text,
    )
    if email.text is not None or not (derive_text and email.html):
        _SLOTS["text"].__set__(captured, email.text)  # else derived on first read
    return captured


_PROVENANCE_OF = attrgetter(*PROVENANCE_HEADERS.values())


def _provenance(email: OutgoingEmail) -> Sequence[Any]:
    """The provenance fields in `PROVENANCE_HEADERS` order, each from its attribute or else
    its `X-Doorstep-*` header."""
    if not email.headers:
        found: tuple[Any, ...] = _PROVENANCE_OF(email)
        return found
    lookup = {k.lower(): v for k, v in email.headers.items()}
    return [
        getattr(email, attr) if getattr(email, attr) is not None else lookup.get(h)
        for h, attr in PROVENANCE_HEADERS.items()
    ]


def _mime(
    email: OutgoingEmail, when: datetime, message_id: str
) -> tuple[bytes, list[tuple[str, str]], list[str]]:
    """The MIME bytes, the top-level headers as a parser reads them, and the defects."""
    from emulator.mail._mime import build_mime, build_mime_with_headers, parse_mime

    if email.headers:  # headers the sender wrote read back as a parser reads them (a bad Date)
        raw = build_mime(email, when=when, message_id=message_id)
        parsed = parse_mime(raw)
        return raw, parsed.headers, parsed.defects
    # Only the builder's own headers: what parsing the bytes would read, without parsing.
    raw, headers = build_mime_with_headers(email, when=when, message_id=message_id)
    return raw, headers, []


def _parse(r: _Raw) -> CapturedEmail:
    """The captured form of mail kept raw (see `parse_arrived`; `make`, when given, makes it)."""
    if r.make is not None:
        return r.make()
    return parse_arrived(
        r.raw, r.id, r.envelope_from, r.envelope_to, r.way_in, r.received_at, r.received_wall_at
    )


def _parsed(raw: bytes) -> ParsedMime:
    """The quick parse, or the stdlib's for unusual mail (loaded with the first mail to arrive)."""
    from emulator.mail._mime import parse_mime
    from emulator.mail._quick_mime import quick_parse

    return quick_parse(raw) or parse_mime(raw)


def parse_arrived(
    raw: bytes,
    eid: str,
    envelope_from: str,
    envelope_to: list[str],
    way_in: WayIn,
    received: datetime | None,
    wall: datetime,
) -> CapturedEmail:
    """Bcc = envelope recipients missing from To/Cc; provenance from X-Doorstep-* headers.
    Well-formed mail takes the quick parse (the same result, a fraction of the cost)."""
    parsed = _parsed(raw)
    prov: dict[str, str | None] = dict.fromkeys(PROVENANCE_HEADERS.values())
    x_tags = ""
    for name, value in parsed.headers:  # the last of each wins, as a dict of them keeps it
        if name[:2] in ("X-", "x-"):
            low = name.lower()
            attr = PROVENANCE_HEADERS.get(low)
            if attr is not None:
                prov[attr] = value
            elif low == "x-tags":
                x_tags = value
    tags = [{"name": t.strip(), "value": ""} for t in x_tags.split(",") if t.strip()]
    to, cc = parsed.to, parsed.cc
    bcc = list(envelope_to)
    if bcc:
        visible = {a.lower() for a in addresses([*to, *cc])}
        bcc = [a for a in bcc if a.lower() not in visible]
    return CapturedEmail(
        id=eid,
        received_at=received,
        received_wall_at=wall,
        way_in=way_in,
        envelope_from=envelope_from,
        envelope_to=envelope_to,
        headers=parsed.headers,
        from_=parsed.from_,
        to=to,
        cc=cc,
        bcc=bcc,
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
        raw=raw,
        defects=parsed.defects,
        workflow_key=prov["workflow_key"],
        workflow_run_id=prov["workflow_run_id"],
        run_id=prov["run_id"],
        step_ref=prov["step_ref"],
        recipient_id=prov["recipient_id"],
        message_id=prov["message_id"],
    )
