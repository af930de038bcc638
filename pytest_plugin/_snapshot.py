"""Snapshot support: `normalize()` makes rendered messages stable, syrupy stores them.

    def test_digest_email(emulator, message_snapshot):
        ...
        message_snapshot(emulator.outbox.latest())   # compare; `pytest --snapshot-update` writes

Volatile values become placeholders: UUIDs turn into `<uuid:1>`, `<uuid:2>`... in order of first
appearance (so "same id twice" is still visible), ISO timestamps into `<datetime>`, MIME
boundaries into `<boundary>`, and the
`Date`, `Message-ID` and Doorstep id headers are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
_BOUNDARY = re.compile(r"={5,}\d+={2,}")
VOLATILE_HEADERS = frozenset(
    {"date", "message-id", "x-doorstep-workflow-run-id", "x-doorstep-run-id"}
    | {"x-doorstep-message-id"}
)


def normalize(value: Any) -> Any:
    """A snapshot-ready copy of a `Message`, `CapturedEmail`, mapping, list or string."""
    ids: dict[str, str] = {}
    return _clean(_shape(value), ids)


def _shape(value: Any) -> Any:
    from emulator import CapturedEmail, Message

    if isinstance(value, Message):
        return {
            "channel_type": value.channel_type,
            "recipient": value.recipient_id,
            "workflow": value.workflow,
            "step_ref": value.step_ref,
            "status": value.status,
            "content": value.content,
        }
    if isinstance(value, CapturedEmail):
        return {
            "from": value.from_,
            "to": value.to,
            "cc": value.cc,
            "subject": value.subject,
            "headers": [[k, v] for k, v in value.headers if k.lower() not in VOLATILE_HEADERS],
            "html": value.html,
            "text": value.text,
        }
    return value


def _clean(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):

        def number(match: re.Match[str]) -> str:
            key = match.group(0).lower()
            return ids.setdefault(key, f"<uuid:{len(ids) + 1}>")

        text = _BOUNDARY.sub("<boundary>", _UUID.sub(number, value))
        return _ISO.sub("<datetime>", text)
    if isinstance(value, Mapping):
        return {str(k): _clean(v, ids) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v, ids) for v in value]
    return value


def checker(snapshot: Any) -> Callable[[Any], None]:
    """What the `message_snapshot` fixture returns: asserts the normalised value against
    syrupy's `snapshot` (here, so pytest rewrites the assertion and shows syrupy's diff)."""

    def check(value: Any) -> None:
        __tracebackhide__ = True
        assert normalize(value) == snapshot

    return check
