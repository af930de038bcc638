"""SMTP DATA read in bulk: the message bytes up to the lone dot, dot-unstuffed, in as few reads
as the mail allows (aiosmtpd reads one line at a time), or the refusal aiosmtpd would answer
for the same bytes (an over-long line: 500; too much data: 552). `_smtp_protocol._Smtp` reads
DATA with it; `tests/test_smtp_protocol.py` compares the answers with aiosmtpd's own.
"""

from __future__ import annotations

import asyncio

_END = b".\r\n"  # the lone dot, when a line starts with it
TOO_LONG = "500 Line too long (see RFC5321 4.5.3.1.6)"
TOO_MUCH = "552 Error: Too much mail data"


async def read_data(
    reader: asyncio.StreamReader, limit: int, longest: int
) -> tuple[bytes, str | None]:
    """The lines up to the lone dot, dot-unstuffed, or the refusal aiosmtpd would answer with
    a size `limit` (0: none) and lines of at most `longest` bytes; once refused, the rest is
    read and dropped."""
    parts: list[bytes] = []
    size = 0  # bytes read so far (dropped ones included)
    tail = b""  # the last bytes read, to tell whether a ".\r\n" starts a line
    refusal: str | None = None
    while True:
        try:
            chunk = await reader.readuntil(_END)
            ended = True
        except asyncio.LimitOverrunError as exc:  # no lone dot within the buffer's limit
            chunk = await reader.read(exc.consumed)
            ended = False
        size += len(chunk)
        tail = (tail + chunk[-5:])[-5:]
        if refusal is None:
            parts.append(chunk)
        if ended and (size == 3 or tail[:2] == b"\r\n"):
            break
        if refusal is None and limit and size > limit:
            refusal = _refusal(b"".join(parts), limit, longest, done=False)
            if refusal is not None:
                parts = []
    data = b"".join(parts)[:-3]
    if refusal is None and (size - 3 > limit if limit else size > longest):
        refusal = _refusal(data, limit, longest, done=True)
    if refusal is not None:
        return b"", refusal
    if data[:1] == b".":
        data = data[1:]
    return data.replace(b"\r\n.", b"\r\n"), None


def _refusal(data: bytes, limit: int, longest: int, done: bool) -> str | None:
    """aiosmtpd's verdict on `data` read line by line: the first line whose content is longer
    than `longest` (500) or that takes the total past `limit` (552); None while the line
    deciding it has not ended (or, when `done`, when all is well)."""
    if not limit:  # no size limit: only an over-long line is refused
        at = 0
        while at < len(data):
            end = data.find(b"\r\n", at)
            end = len(data) if end < 0 else end
            if end - at > longest:
                return TOO_LONG
            at = end + 2
        return None
    before = data.rfind(b"\r\n", 0, limit)
    start = 0 if before < 0 else before + 2  # the line that crosses the limit
    end = data.find(b"\r\n", start)
    if end < 0 and not done:
        return TOO_LONG if len(data) - start > longest else None
    end = len(data) if end < 0 else end
    return TOO_LONG if end - start > longest else TOO_MUCH
