"""Resend's suppression list, and its effect on sending.

Addresses are matched without regard to case and found by id or by address, as Resend allows.
Resend does not deliver to a suppressed address: `without_suppressed` takes such recipients off
an email before it is captured (an email left with none is `suppressed`, never captured).
Suppressions added through the API are `manual`; Doorstep bounces nothing, so none is `bounce`
or `complaint` unless a test adds one through `add(..., origin=...)`.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from emulator.core import Clock, IdFactory
from emulator.mail._model import OutgoingEmail, addresses
from emulator.mail._resend_resources import Record, body_of, field, page, pg_time
from emulator.mail._resend_validation import ResendApiError

MAX_BATCH = 100
_ORIGINS = ("bounce", "complaint", "manual")


def _address(value: Any, where: str) -> str:
    if not isinstance(value, str) or "@" not in value or not value.strip():
        raise ResendApiError(
            422, "validation_error", f"{where} must be an email address (`name@example.com`)."
        )
    return value.strip()


def _list(body: Any, name: str) -> list[str] | None:
    values: list[str] | None = field(body, name, list)
    if values is not None and not 1 <= len(values) <= MAX_BATCH:
        raise ResendApiError(
            422, "validation_error", f"The `{name}` field must list 1 to {MAX_BATCH} entries."
        )
    return values


class ResendSuppressions:
    """The account's suppressed addresses."""

    def __init__(self, clock: Clock, *, seed: int = 0) -> None:
        self.clock = clock
        self._ids = IdFactory(seed, kind="resend_suppressions")
        self._lock = threading.RLock()
        self.suppressions: dict[str, Record] = {}  # id -> record

    def clear(self) -> None:
        """Forget every suppression."""
        with self._lock:
            self.suppressions.clear()

    def _by_address(self, address: str) -> Record | None:
        lowered = address.lower()
        return next((s for s in self.suppressions.values() if s["email"] == lowered), None)

    def _find(self, key: str) -> Record:
        record = self.suppressions.get(key) or self._by_address(key)
        if record is None:
            raise ResendApiError(404, "not_found", "Suppression not found")
        return record

    def add(self, address: str, *, origin: str = "manual", source_id: str | None = None) -> Record:
        """Suppress `address` (already suppressed: its record, unchanged)."""
        with self._lock:
            existing = self._by_address(address)
            if existing is not None:
                return existing
            record: Record = {
                "id": self._ids.uuid4(),
                "email": address.lower(),
                "origin": origin if origin in _ORIGINS else "manual",
                "source_id": source_id,
                "created_at": pg_time(self.clock.now),
            }
            self.suppressions[record["id"]] = record
            return record

    def create(self, raw: Any) -> Record:
        """`POST /suppressions`."""
        body = body_of(raw)
        address = _address(field(body, "email", str, required=True), "The `email` field")
        return {"object": "suppression", "id": self.add(address)["id"]}

    def batch_add(self, raw: Any) -> Record:
        """`POST /suppressions/batch/add`: up to 100 addresses."""
        body = body_of(raw)
        if body.get("emails") is None:
            raise ResendApiError(422, "missing_required_field", "Missing `emails` field.")
        emails = _list(body, "emails") or []
        checked = [_address(e, f"emails[{i}]") for i, e in enumerate(emails)]
        return {"data": [{"object": "suppression", "id": self.add(e)["id"]} for e in checked]}

    def batch_remove(self, raw: Any) -> Record:
        """`POST /suppressions/batch/remove`: by `emails` or by `ids`, not both."""
        body = body_of(raw)
        emails, ids = _list(body, "emails"), _list(body, "ids")
        if (emails is None) == (ids is None):
            raise ResendApiError(
                422, "validation_error", "Provide either `emails` or `ids`, but not both."
            )
        keys = [str(k) for k in (emails or ids or [])]
        out = []
        with self._lock:
            for key in keys:
                record = self.suppressions.get(key) or self._by_address(key)
                if record is not None:
                    del self.suppressions[record["id"]]
                out.append(
                    {"object": "suppression", "id": record["id"] if record else key}
                    | {"deleted": record is not None}
                )
        return {"data": out}

    def list(
        self, limit: int, after: str | None, before: str | None, origin: str | None = None
    ) -> Record:
        """`GET /suppressions`: newest first, optionally one `origin`."""
        if origin is not None and origin not in _ORIGINS:
            raise ResendApiError(
                422, "validation_error", f"The `origin` parameter must be one of {_ORIGINS}."
            )
        with self._lock:
            items = [
                dict(s)
                for s in reversed(self.suppressions.values())
                if origin is None or s["origin"] == origin
            ]
        return page(items, limit, after, before)

    def get(self, key: str) -> Record:
        """`GET /suppressions/{id or email}`."""
        with self._lock:
            return {"object": "suppression", **self._find(key)}

    def remove(self, key: str) -> Record:
        """`DELETE /suppressions/{id or email}`."""
        with self._lock:
            record = self._find(key)
            del self.suppressions[record["id"]]
        return {"object": "suppression", "id": record["id"], "deleted": True}

    def without_suppressed(self, email: OutgoingEmail) -> OutgoingEmail | None:
        """`email` without its suppressed recipients; None when none is left."""
        if not self.suppressions:  # one read, no lock: the list is empty for most sends
            return email
        with self._lock:
            if not self.suppressions:
                return email
            blocked = {s["email"] for s in self.suppressions.values()}

        def keep(values: list[str]) -> list[str]:
            return [v for v in values if (addresses([v]) or [v])[0].lower() not in blocked]

        to, cc, bcc = keep(email.to), keep(email.cc), keep(email.bcc)
        if not (to or cc or bcc):
            return None
        if (len(to), len(cc), len(bcc)) == (len(email.to), len(email.cc), len(email.bcc)):
            return email
        return dataclasses.replace(email, to=to, cc=cc, bcc=bcc)
