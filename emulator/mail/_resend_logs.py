"""Resend's API request logs and OAuth grants.

Every request the fake API answered after its key was accepted is logged (method, path, status,
user agent, request and response bodies), newest first, except reads of the logs themselves;
the last `keep` are kept. OAuth grants come from Resend's OAuth apps, which Doorstep does not
run: the list is empty unless a test adds one with `ResendOAuthGrants.grant`, and revoking one
marks it revoked.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from datetime import datetime
from typing import Any

from emulator.core import Clock, IdFactory
from emulator.mail._resend_resources import Record, page, pg_time
from emulator.mail._resend_validation import ResendApiError

KEEP = 1000


# One log entry, kept as a tuple (a send's log costs a tuple, formatted when read): (id as its
# `uuid4_bits`, created_at, method, endpoint, status, user_agent, request body, response body).
_Entry = tuple[int, datetime, str, str, int, str | None, bytes, dict[str, Any] | None]


def _summary(entry: _Entry) -> Record:
    bits, created_at, method, endpoint, status, user_agent = entry[:6]
    return {
        "id": IdFactory.uuid4_text(bits),
        "created_at": pg_time(created_at),
        "endpoint": endpoint,
        "method": method,
        "response_status": status,
        "user_agent": user_agent,
    }


def _object_or_none(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw) if raw.strip() else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class ResendLogs:
    """The API's request log."""

    def __init__(self, clock: Clock, *, seed: int = 0, keep: int = KEEP) -> None:
        self.clock, self.keep = clock, keep
        self._ids = IdFactory(seed, kind="resend_logs")
        self._lock = threading.Lock()
        self._entries: deque[_Entry] = deque(maxlen=keep)  # oldest first; the oldest drop

    def clear(self) -> None:
        """Forget every log."""
        with self._lock:
            self._entries.clear()

    def record(
        self,
        method: str,
        endpoint: str,
        status: int,
        user_agent: str | None,
        request: bytes,
        response: dict[str, Any] | None,
    ) -> None:
        """Log one answered request (the request body is parsed only when the log is read)."""
        if endpoint.startswith("/logs") or method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            return
        with self._lock:
            self._entries.append(
                (
                    self._ids.uuid4_bits(),  # the id's draw, in order; written when read
                    self.clock.now,
                    method,
                    endpoint,
                    status,
                    user_agent,
                    request,
                    response,
                )
            )

    def list(self, limit: int, after: str | None, before: str | None) -> Record:
        """`GET /logs`: newest first."""
        with self._lock:
            items = [_summary(e) for e in reversed(self._entries)]
        return page(items, limit, after, before)

    def get(self, log_id: str) -> Record:
        """`GET /logs/{id}`: with the request and response bodies."""
        bits = _bits(log_id)
        with self._lock:
            entry = next((e for e in self._entries if e[0] == bits), None)
        if entry is None:
            raise ResendApiError(404, "not_found", "Log not found")
        return {
            "object": "log",
            **_summary(entry),
            "request_body": _object_or_none(entry[6]),
            "response_body": entry[7],
        }


def _bits(log_id: str) -> int | None:
    """The `uuid4_bits` a log id was written from (None: no log has this id)."""
    digits = log_id.replace("-", "")
    if len(log_id) != 36 or len(digits) != 32:
        return None
    try:
        bits = int(digits, 16)
    except ValueError:
        return None
    return bits if IdFactory.uuid4_text(bits) == log_id else None  # the written form only


class ResendOAuthGrants:
    """OAuth grants of the account (added by tests; Doorstep runs no OAuth app)."""

    def __init__(self, clock: Clock, *, seed: int = 0) -> None:
        self.clock = clock
        self._ids = IdFactory(seed, kind="resend_oauth_grants")
        self._lock = threading.Lock()
        self.grants: dict[str, Record] = {}

    def clear(self) -> None:
        """Forget every grant."""
        with self._lock:
            self.grants.clear()

    def grant(self, client_id: str, name: str, scopes: list[str]) -> Record:
        """Add a grant, as an OAuth app the user authorized would."""
        with self._lock:
            record: Record = {
                "id": self._ids.uuid4(),
                "client_id": client_id,
                "scopes": list(scopes),
                "created_at": pg_time(self.clock.now),
                "revoked_at": None,
                "revoked_reason": None,
                "client": {"name": name, "logo_uri": None},
            }
            self.grants[record["id"]] = record
        return dict(record)

    def list(self, limit: int, after: str | None, before: str | None) -> Record:
        """`GET /oauth/grants`: newest first, revoked ones included."""
        with self._lock:
            items = [dict(g) for g in reversed(self.grants.values())]
        return page(items, limit, after, before)

    def revoke(self, grant_id: str) -> Record:
        """`DELETE /oauth/grants/{id}`."""
        with self._lock:
            record = self.grants.get(grant_id)
            if record is None:
                raise ResendApiError(404, "not_found", "OAuth grant not found")
            if record["revoked_at"] is None:
                record["revoked_at"] = pg_time(self.clock.now)
                record["revoked_reason"] = "revoked_by_user"
            when = self.clock.now.strftime("%Y-%m-%dT%H:%M:%S.") + (
                f"{self.clock.now.microsecond // 1000:03d}Z"
            )
        return {
            "object": "oauth_grant",
            "id": grant_id,
            "revoked_at": when,
            "revoked_reason": record["revoked_reason"],
        }
