"""Request bodies read with a size limit: refused once they exceed it, never buffered whole."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive


async def read_limited(
    request: Request, limit: int, too_large: Callable[[int, int], Exception]
) -> bytes:
    """The raw body; `too_large(size, limit)` builds the vendor-shaped error to raise."""
    _check_declared(request.headers.get("content-length"), limit, too_large)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def receive_limited(
    receive: Receive,
    declared: str | None,
    limit: int,
    too_large: Callable[[int, int], Exception],
) -> bytes:
    """`read_limited` for a plain ASGI app that has not read the body: straight from `receive`
    (`declared`: the Content-Length header); `ClientDisconnect` if the client goes."""
    _check_declared(declared, limit, too_large)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            continue
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(size, limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _check_declared(
    declared: str | None, limit: int, too_large: Callable[[int, int], Exception]
) -> None:
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(int(declared), limit)
