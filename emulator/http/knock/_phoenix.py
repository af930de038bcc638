"""Phoenix Channels' wire format, protocol `2.0.0` (the `phoenix` npm package's serializer, which
`@knocklabs/client` speaks): every text frame is a JSON array
`[join_ref, ref, topic, event, payload]`.

Replies are `phx_reply` frames `{"status": "ok"|"error", "response": {...}}` carrying the ref
of the message they answer; the server closes a channel with `phx_close` (join_ref as both
refs), as `Phoenix.Socket` does. A frame that is not such an array is a protocol error: the
socket is closed with a websocket code saying why, never answered with a traceback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from emulator.http._json_body import JsonBodyError, decode_json

VSN = "2.0.0"
MAX_FRAME_BYTES = 1024 * 1024  # a join with every feed client's filters fits many times over

# websocket close codes (RFC 6455 section 7.4.1)
UNSUPPORTED_DATA = 1003
INVALID_PAYLOAD = 1007
MESSAGE_TOO_BIG = 1009

Ref = str | int | None


class ProtocolError(Exception):
    """A frame Phoenix could not decode; `code` is the websocket close code to answer with."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded message: `[join_ref, ref, topic, event, payload]`."""

    join_ref: Ref
    ref: Ref
    topic: str
    event: str
    payload: Any


def decode(text: str) -> Frame:
    """Parse one text frame; ProtocolError says what is wrong with it."""
    if len(text.encode()) > MAX_FRAME_BYTES:
        raise ProtocolError(
            MESSAGE_TOO_BIG, f"frame over {MAX_FRAME_BYTES} bytes; send smaller messages"
        )
    try:
        value = decode_json(text.encode())
    except JsonBodyError as exc:
        raise ProtocolError(INVALID_PAYLOAD, f"frame: {exc.message}") from None
    if not isinstance(value, list) or len(value) < 5:
        raise ProtocolError(
            INVALID_PAYLOAD,
            "frame must be a JSON array [join_ref, ref, topic, event, payload] (vsn 2.0.0)",
        )
    join_ref, ref, topic, event, payload = value[:5]
    for name, item in (("join_ref", join_ref), ("ref", ref)):
        if item is not None and (isinstance(item, bool) or not isinstance(item, str | int)):
            raise ProtocolError(INVALID_PAYLOAD, f"{name} must be a string or null")
    if not isinstance(topic, str) or not isinstance(event, str):
        raise ProtocolError(INVALID_PAYLOAD, "topic and event must be strings")
    return Frame(join_ref, ref, topic, event, payload)


def encode(join_ref: Ref, ref: Ref, topic: str, event: str, payload: dict[str, Any]) -> str:
    """One text frame."""
    return json.dumps([join_ref, ref, topic, event, payload], separators=(",", ":"))


def reply(frame: Frame, status: str, response: dict[str, Any], *, join_ref: Ref = None) -> str:
    """The `phx_reply` answering `frame`. `join_ref` is the channel's (None for Phoenix's
    socket-level replies: heartbeats and unmatched topics)."""
    body = {"status": status, "response": response}
    return encode(join_ref, frame.ref, frame.topic, "phx_reply", body)


def close(join_ref: Ref, topic: str) -> str:
    """`phx_close`: the server ended the channel `join_ref` (after a leave or a rejoin)."""
    return encode(join_ref, join_ref, topic, "phx_close", {})
