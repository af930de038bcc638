"""A quick MIME parse for the common shape of mail, with exactly `parse_mime`'s result.

`doorstep serve` parses SMTP mail as it is accepted; the stdlib parser costs several bare SMTP
transactions per message. `quick_parse` reads well-formed mail (headers, nested multiparts,
7bit/8bit/quoted-printable/base64 parts, plain address lists, known charsets) with byte
operations and the stdlib's own header rendering rules; anything it is not sure of (encoded
words in structured headers, RFC 2231 parameters, message/* parts, a missing boundary, bare
CRs...) answers None and the caller uses `parse_mime`. `tests/test_quick_mime.py` compares the
two on every shape it accepts.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache

from emulator.core import BoundedCache
from emulator.mail._mime import _DEFAULT, ParsedMime, ParsedPart, unescape_8bit

_NAME = re.compile(rb"[!-9;-~]+\Z")
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PARAMS = re.compile(rf'\s*;\s*([!#$%&\'+.^_`|~0-9A-Za-z-]+)=({_TOKEN}|"[ -!#-\[\]-~]*")')
_MAIN = re.compile(rf"\s*({_TOKEN}(?:/{_TOKEN})?)")
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDR = rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_MAILBOX = re.compile(
    rf'\s*(?:({_ADDR})|(?:"([ -!#-\[\]-~]*)"|({_ATEXT}(?: {_ATEXT})*))?\s*<({_ADDR})>)\s*(,|\Z)'
)
_SPECIALS = set('()<>@,:;."[]')
_MSGID = re.compile(r"<[^<>\s\"()\\,;:\[\]@]+@[^<>\s\"()\\,;:\[\]@]+>\Z")
_ADDRESS_HEADERS = frozenset({"from", "to", "cc", "bcc", "reply-to", "sender"}) | {
    f"resent-{n}" for n in ("from", "to", "cc", "bcc", "sender")
}
_STRUCTURED = frozenset(
    {"content-disposition", "content-transfer-encoding", "content-type", "date", "message-id"}
    | {"mime-version", "orig-date", "resent-date", "subject"}
    | _ADDRESS_HEADERS
)
_CTE = frozenset({"", "7bit", "8bit", "binary", "quoted-printable", "base64"})


class _Unsure(Exception):
    """The quick parse cannot promise the stdlib's answer: parse with the stdlib instead."""


Header = tuple[str, str, list[str] | None]  # name, value as parse_mime gives it, addresses


def quick_parse(raw: bytes) -> ParsedMime | None:
    """`parse_mime(raw)`, quickly, or None when the message needs the stdlib parser."""
    if raw.count(b"\r") != raw.count(b"\r\n") or b"\x00" in raw:
        return None
    try:
        return _parse(raw.replace(b"\r\n", b"\n"))
    except _Unsure:
        return None


def _parse(data: bytes) -> ParsedMime:
    root = _Part(data, None)
    html, text = _body(root, "html"), _body(root, "plain")
    parts = [
        _attachment(p)
        for p in root.walk()
        if p.children is None and p is not html and p is not text
    ]
    first, addrs = root.first, root.head.addrs
    return ParsedMime(
        headers=list(root.head.pairs),
        from_=first.get("from", ""),
        to=list(addrs.get("to", ())),
        cc=list(addrs.get("cc", ())),
        reply_to=list(addrs.get("reply-to", ())),
        subject=first.get("subject", ""),
        html=None if html is None else html.text(),
        text=None if text is None else text.text(),
        parts=parts,
        message_id=first.get("message-id"),
        defects=[],
    )


class _Head:
    """A header block read once: the headers as the stdlib renders them and what the MIME
    structure needs from them. Blocks repeat (a client's part headers are the same in every
    message it sends), so they are memoised by their bytes."""

    __slots__ = (
        *("addrs", "cte", "ctype", "disposition", "disposition_params", "first", "pairs"),
        "params",
    )

    def __init__(self, block: bytes) -> None:
        headers = _headers(block) if block else []
        self.pairs = [(n, v) for n, v, _ in headers]  # `headers` of ParsedMime (copied)
        self.first: dict[str, str] = {}
        self.addrs: dict[str, list[str]] = {}  # the addresses of To, Cc... (copied)
        for n, v, addrs in headers:
            self.first.setdefault(n.lower(), v)
            if addrs is not None:
                self.addrs.setdefault(n.lower(), []).extend(addrs)
        self.params: dict[str, str] = {}
        self.disposition_params: dict[str, str] = {}
        if sum(1 for n, _ in self.pairs if n.lower() == "content-type") > 1:
            raise _Unsure("two Content-Types")
        self.ctype = "text/plain"
        found = self.first.get("content-type")
        if found is not None:
            main, pairs = _split_params(found)
            self.params = {k.lower(): v for k, v in pairs}
            self.ctype = main.lower() if main.count("/") == 1 else "text/plain"
        self.disposition: str | None = None
        value = self.first.get("content-disposition")
        if value is not None:
            if ";" in value:
                self.disposition_params = {k.lower(): v for k, v in _split_params(value)[1]}
            self.disposition = value.split(";", 1)[0].strip().lower()
        self.cte = (self.first.get("content-transfer-encoding") or "").lower()
        if self.cte not in _CTE:
            raise _Unsure(f"transfer encoding {self.cte!r}")


_MEMO_SIZE = 4096
_HEADS: BoundedCache[bytes, _Head] = BoundedCache(_MEMO_SIZE)


def _head(block: bytes) -> _Head:
    found = _HEADS.get(block)
    return _HEADS.keep(block, _Head(block)) if found is None else found


class _Part:
    """One MIME part: its header block (`_Head`) and its body."""

    __slots__ = ("body", "children", "cte", "ctype", "disposition", "first", "head", "params")

    def __init__(self, data: bytes, parent: _Part | None) -> None:
        if data.startswith((b"From ", b" ", b"\t")):
            raise _Unsure("an mbox From line or a continuation first")
        end = 0 if data.startswith(b"\n") else data.find(b"\n\n")
        if end < 0:
            raise _Unsure("no blank line after the headers")
        self.head = head = _head(data[:end])
        self.first, self.ctype, self.params = head.first, head.ctype, head.params
        self.disposition, self.cte = head.disposition, head.cte
        self.body = data[end + (1 if end == 0 else 2) :]
        if parent is not None and parent.ctype == "multipart/digest":
            raise _Unsure("a digest part")
        self.children: list[_Part] | None = None
        if self.ctype.startswith("message/"):
            raise _Unsure("an attached message")
        if self.ctype.startswith("multipart/"):
            if self.cte not in ("", "7bit", "8bit", "binary"):
                raise _Unsure("an encoded multipart")
            boundary = self.params.get("boundary", "").rstrip()
            if not boundary:
                raise _Unsure("a multipart without a boundary")
            self.children = [_Part(p, self) for p in _split(self.body, boundary.encode())]

    def walk(self) -> list[_Part]:
        found = [self]
        for child in self.children or ():
            found.extend(child.walk())
        return found

    def payload(self) -> bytes:
        if self.cte == "quoted-printable":
            return binascii.a2b_qp(self.body)
        if self.cte == "base64":
            joined = b"".join(self.body.splitlines())
            if len(joined) % 4:
                raise _Unsure("base64 padding")
            try:
                return base64.b64decode(joined, validate=True)
            except binascii.Error:
                raise _Unsure("bad base64") from None
        return self.body

    def text(self) -> str:
        charset = self.params.get("charset", "ASCII")
        if not _known(charset):
            raise _Unsure(f"charset {charset!r}")
        return self.payload().decode(charset, "replace")


@lru_cache(maxsize=64)
def _known(charset: str) -> bool:
    try:
        codecs.lookup(charset)
    except LookupError:
        return False
    return True


def _split(body: bytes, boundary: bytes) -> list[bytes]:
    """The parts between `--boundary` lines, each without the line end before the next."""
    delim = b"--" + boundary
    marker, skip = b"\n" + delim, len(delim)
    line_start = 0 if body.startswith(delim) else body.find(marker) + 1
    if line_start == 0 and not body.startswith(delim):
        raise _Unsure("no boundary")
    parts: list[bytes] = []
    eol = None  # where the previous boundary line ends
    while True:
        if eol is not None:
            if eol < 0:
                raise _Unsure("a boundary at the end")
            parts.append(body[eol + 1 : max(eol + 1, line_start - 1)])
        eol = body.find(b"\n", line_start)
        rest = body[line_start + skip : eol if eol >= 0 else len(body)]
        closing = rest[:2] == b"--"
        if (rest[2:] if closing else rest).strip(b" \t"):
            raise _Unsure("a line that starts like a boundary")
        if closing:
            break
        line_start = body.find(marker, line_start) + 1
        if line_start == 0:
            raise _Unsure("no closing boundary")
    if not parts:
        raise _Unsure("no part before the closing boundary")
    return parts


def _headers(block: bytes) -> list[Header]:
    lines = block.split(b"\n")
    grouped: list[list[bytes]] = []
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            grouped[-1].append(line)
        elif b":" in line and _NAME.match(line[: line.index(b":")]):
            grouped.append([line])
        else:
            raise _Unsure("a line that is not a header")
    return [_header(group) for group in grouped]


# header lines repeat: From, parts' types
_MEMO: BoundedCache[tuple[bytes, bytes], Header] = BoundedCache(_MEMO_SIZE)


def _header(group: list[bytes]) -> Header:
    name_b, _, first = group[0].partition(b":")
    value_b = first.lstrip(b" \t") + b"".join(group[1:])
    found = _MEMO.get((name_b, value_b))
    if found is None:
        found = _render(name_b.decode("ascii"), value_b.decode("ascii", "surrogateescape"))
        _MEMO.keep((name_b, value_b), found)
    name, shown, addrs = found
    return name, shown, None if addrs is None else list(addrs)


def _render(name: str, value: str) -> Header:
    key = name.lower()
    if key not in _STRUCTURED or key == "subject":
        if "=?" not in value:
            return name, unescape_8bit(value), None
    elif value.isascii():
        quick = _structured(key, value)
        if quick is not None:
            return name, quick[0], quick[1]
    return _stdlib_header(name, value)


def _structured(key: str, value: str) -> tuple[str, list[str] | None] | None:
    if key in _ADDRESS_HEADERS:
        found = _mailboxes(value)
        return None if found is None else (", ".join(found), found)
    if key in ("content-type", "content-disposition"):
        try:
            main, pairs = _split_params(value)
        except _Unsure:
            return None
        return main + "".join(f'; {k}="{v}"' for k, v in pairs), None
    if key in ("date", "orig-date", "resent-date"):
        try:
            return format_datetime(parsedate_to_datetime(value)), None
        except (TypeError, ValueError):
            return None
    if key == "message-id" and _MSGID.match(value):
        return value, None
    if key in ("mime-version", "content-transfer-encoding") and re.fullmatch(r"[\w.-]+", value):
        return value, None
    return None


def _mailboxes(value: str) -> list[str] | None:
    if "=?" in value or "(" in value:
        return None
    found: list[str] = []
    at = 0
    while at < len(value):
        m = _MAILBOX.match(value, at)
        if m is None:
            return None
        bare, quoted, phrase, addr, _ = m.groups()
        name = quoted if quoted is not None else phrase
        if bare:
            found.append(bare)
        elif not name or not name.strip():
            if name:
                return None
            found.append(addr)
        elif quoted is not None and (name != name.strip() or "  " in name):
            return None
        else:
            shown = f'"{name}"' if _SPECIALS & set(name) else name
            found.append(f"{shown} <{addr}>")
        at = m.end()
        if m.group(5) == "," and at == len(value):
            return None
    return found or None


@lru_cache(maxsize=1024)
def _split_params(value: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """`type/subtype` (or a disposition) and its simple parameters (each name once)."""
    main = _MAIN.match(value)
    if main is None:
        raise _Unsure("an unusual parameter list")
    pairs: list[tuple[str, str]] = []
    at = main.end()
    for m in _PARAMS.finditer(value, at):
        if m.start() != at:
            break
        k, v = m.groups()
        pairs.append((k, v[1:-1] if v.startswith('"') else v))
        at = m.end()
    names = {k.lower() for k, _ in pairs}
    if value[at:].strip(" \t;") or len(names) != len(pairs):
        raise _Unsure("an unusual parameter list")
    return main.group(1), tuple(pairs)


def _stdlib_header(name: str, value: str) -> Header:
    """One header through the stdlib's own header classes (the message stays quick)."""
    try:
        parsed = _DEFAULT.header_fetch_parse(name, value)
        shown = unescape_8bit(str(parsed))
    except Exception:
        raise _Unsure("a header the stdlib repairs") from None
    if name.lower() not in _ADDRESS_HEADERS:
        return name, shown, None
    try:
        addrs = [unescape_8bit(str(a)) for a in parsed.addresses]
    except Exception:
        raise _Unsure("an address list the stdlib repairs") from None
    return name, shown, addrs


def _body(part: _Part, subtype: str) -> _Part | None:
    """`EmailMessage.get_body(preferencelist=(subtype,))`: the first such text part found."""
    if part.disposition == "attachment":
        return None
    maintype, _, sub = part.ctype.partition("/")
    if maintype == "text":
        return part if sub == subtype else None
    if part.children is None:
        return None
    if sub != "related":
        return next((f for c in part.children if (f := _body(c, subtype)) is not None), None)
    if part.params.get("start"):
        raise _Unsure("a related part with a start")
    return _body(part.children[0], subtype) if part.children else None


def _attachment(part: _Part) -> ParsedPart:
    filename = part.head.disposition_params.get("filename")
    if filename is None:
        filename = part.params.get("name")
    cid = part.first.get("content-id")
    cid_text = cid.strip().strip("<>") if cid else None
    kind = "inline" if part.disposition == "inline" or cid_text else "attachment"
    name = None if filename is None else filename.strip()
    return ParsedPart(name, part.ctype, part.payload(), cid_text, kind)  # type: ignore[arg-type]
