"""Resend delivery webhooks, signed the Svix way (`svix-id`, `svix-timestamp`, `svix-signature`).

Events go through an injectable `transport(url, body, headers)`. The default transport posts
with httpx, and only to loopback hosts unless `allow_any_host=True`: the emulator never calls
out to the internet by accident.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from emulator.core import DoorstepError, format_timestamp
from emulator.mail._resend_records import EmailRecord

Transport = Callable[[str, bytes, dict[str, str]], None]
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class WebhookError(DoorstepError):
    """A webhook that cannot be sent as configured."""


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `svix-signature` value for `body` (`v1,<base64 HMAC-SHA256>`)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


class WebhookSender:
    """Signs and sends `email.*` events for one endpoint."""

    def __init__(
        self,
        url: str,
        secret: str | None = None,
        *,
        events: set[str] | None = None,
        transport: Transport | None = None,
        allow_any_host: bool = False,
    ) -> None:
        host = urlsplit(url).hostname or ""
        if transport is None and not allow_any_host and host not in _LOOPBACK:
            raise WebhookError(
                f"webhook URL {url!r} is not on this machine; pass allow_any_host=True to send "
                "events there, or a transport= callable to capture them"
            )
        self.url = url
        self.secret = secret or new_secret()
        self.events = events
        self.transport = transport or _post
        self.sent: list[dict[str, Any]] = []

    def email_event(self, kind: str, record: EmailRecord, when: datetime) -> None:
        """Sign and post one `email.*` event, unless the endpoint did not subscribe to `kind`."""
        if self.events is not None and kind not in self.events:
            return
        e = record.valid.email
        data: dict[str, Any] = {
            "email_id": record.id,
            "created_at": _iso(record.created_at),
            "from": e.from_,
            "to": list(e.to),
            "subject": e.subject,
            "message_id": f"<{record.id}@doorstep.local>",
            "tags": {t["name"]: t["value"] for t in e.tags},
        }
        if e.headers:
            data["headers"] = [{"name": k, "value": v} for k, v in e.headers.items()]
        payload = {"type": kind, "created_at": _iso(when), "data": data}
        body = json.dumps(payload, separators=(",", ":")).encode()
        msg_id, stamp = "msg_" + uuid.uuid4().hex, int(time.time())
        headers = {
            "svix-id": msg_id,
            "svix-timestamp": str(stamp),
            "svix-signature": sign(self.secret, msg_id, stamp, body),
            "content-type": "application/json",
        }
        self.sent.append(payload)
        self.transport(self.url, body, headers)


def _iso(when: datetime) -> str:
    return format_timestamp(when, timespec="milliseconds")


def _post(url: str, body: bytes, headers: dict[str, str]) -> None:
    import httpx

    httpx.post(url, content=body, headers=headers, timeout=5.0)
