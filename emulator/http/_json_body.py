"""The one JSON decoder for every JSON route (Knock API, Resend API, inspection API).

Knock and Resend speak strict JSON (RFC 8259): `NaN`, `Infinity` and `-Infinity` are not JSON,
and a number too large for a double (`1e400`) would become one. Python's `json` accepts them,
stores them, and every later response that includes them fails to encode; so they are refused
here, before any route sees the body. Nesting is bounded too: deep arrays cost recursion, and
no vendor payload comes near `MAX_DEPTH`. Each adapter turns `JsonBodyError` into its own
vendor's error shape and status.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects a body may have (the body itself is depth 1)."""


class JsonBodyError(ValueError):
    """A body that is not strict JSON or nests too deep; `message` says how to fix it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _refuse_constant(name: str) -> Any:
    raise JsonBodyError(
        f"the request body contains {name}, which is not JSON; "
        "send finite numbers only (or null, or a string)"
    )


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonBodyError(
            f"the number {text[:40]} is too large to represent; send a finite number"
        )
    return value


# One decoder for every body: `json.loads` with these options would build one per call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def decode_json(raw: bytes) -> Any:
    """`raw` decoded as strict JSON nested at most `MAX_DEPTH` deep, else `JsonBodyError`.

    The caller handles an empty body itself (each API means something different by it).
    """
    # What `json.loads(raw, ...)` does: UTF-8/16/32 told by the first bytes, then decode. A
    # body starting `{x` with x not NUL is UTF-8 (no BOM, not UTF-16/32), the common case.
    utf8 = raw[:1] == b"{" and raw[1:2] != b"\x00"
    try:
        text = raw.decode("utf-8" if utf8 else json.detect_encoding(raw), "surrogatepass")
        value = _DECODER.decode(text)
    except JsonBodyError:
        raise
    except RecursionError:
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise JsonBodyError(
            f"the request body is not valid JSON ({exc}); send valid JSON"
        ) from None
    # Each level of nesting needs its own `{` or `[` in the text: a body with at most MAX_DEPTH
    # of them (most bodies) cannot be too deep, and is not walked.
    if raw.count(b"{") + raw.count(b"[") > MAX_DEPTH and _depth_exceeds(value, MAX_DEPTH):
        raise _too_deep()
    return value


def _too_deep() -> JsonBodyError:
    return JsonBodyError(
        f"the request body nests arrays or objects more than {MAX_DEPTH} deep; flatten it"
    )


def _depth_exceeds(value: Any, limit: int) -> bool:
    """True when `value` nests deeper than `limit`, walked without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Any
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
