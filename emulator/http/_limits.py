"""Request bodies read with a size limit: refused once they exceed it, never buffered whole."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request


async def read_limited(
    request: Request, limit: int, too_large: Callable[[int, int], Exception]
) -> bytes:
    """The raw body; `too_large(size, limit)` builds the vendor-shaped error to raise."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)
