"""Resend's events: named definitions (with an optional payload schema) and `POST /events/send`,
which starts every enabled automation triggered by that event for the contact and wakes runs
waiting for it (`ResendAutomations.on_event`).

An event is found by id or by name. Names starting with `resend:` are reserved. A payload is
checked against the event's schema when it has one (`string`, `number`, `boolean`, `date`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from emulator.core import Clock, IdFactory
from emulator.mail._resend_contacts import ResendContacts
from emulator.mail._resend_resources import Record, body_of, field, found, page, pg_time
from emulator.mail._resend_validation import ResendApiError

TYPES = ("string", "number", "boolean", "date")
Listener = Callable[[str, Record, dict[str, Any]], None]


def _invalid(message: str) -> ResendApiError:
    return ResendApiError(422, "validation_error", message)


def _schema(raw: Any) -> dict[str, str] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and v in TYPES for k, v in raw.items()
    ):
        raise _invalid(f"The `schema` field must map keys to one of {', '.join(TYPES)}.")
    return dict(raw)


def _typed(value: Any, kind: str) -> bool:
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "date":
        try:
            datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return False
        return isinstance(value, str)
    return isinstance(value, str)


class ResendEvents:
    """Event definitions, and the listener `send` tells (the automations)."""

    def __init__(self, clock: Clock, contacts: ResendContacts, *, seed: int = 0) -> None:
        self.clock, self.contacts = clock, contacts
        self._ids = IdFactory(seed, kind="resend_events")
        self._lock = threading.RLock()
        self.events: dict[str, Record] = {}
        self.listeners: list[Listener] = []

    def clear(self) -> None:
        """Forget every event definition."""
        with self._lock:
            self.events.clear()

    def _find(self, key: str) -> Record:
        record = self.events.get(key) or next(
            (e for e in self.events.values() if e["name"] == key), None
        )
        return found({key: record} if record else {}, key, "Event")

    def create(self, raw: Any) -> Record:
        """`POST /events`."""
        body = body_of(raw)
        name = field(body, "name", str, required=True)
        if name.startswith("resend:"):
            raise _invalid("The `resend:` prefix is reserved for Resend's own events.")
        schema = _schema(body.get("schema"))
        with self._lock:
            if any(e["name"] == name for e in self.events.values()):
                raise ResendApiError(409, "invalid_parameter", f"Event `{name}` already exists.")
            record = {
                "id": self._ids.uuid4(),
                "name": name,
                "schema": schema,
                "created_at": pg_time(self.clock.now),
                "updated_at": None,
            }
            self.events[record["id"]] = record
        return {"object": "event", "id": record["id"]}

    def list(self, limit: int, after: str | None, before: str | None) -> Record:
        """`GET /events`: newest first."""
        with self._lock:
            items = [dict(e) for e in reversed(self.events.values())]
        return page(items, limit, after, before)

    def get(self, key: str) -> Record:
        """`GET /events/{id or name}`."""
        with self._lock:
            return {"object": "event", **self._find(key)}

    def update(self, key: str, raw: Any) -> Record:
        """`PATCH /events/{id or name}`: a new schema (`null` clears it)."""
        body = body_of(raw)
        if "schema" not in body:
            raise ResendApiError(422, "missing_required_field", "Missing `schema` field.")
        schema = _schema(body["schema"])
        with self._lock:
            record = self._find(key)
            record.update(schema=schema, updated_at=pg_time(self.clock.now))
        return {"object": "event", "id": record["id"]}

    def remove(self, key: str) -> Record:
        """`DELETE /events/{id or name}`."""
        with self._lock:
            record = self._find(key)
            del self.events[record["id"]]
        return {"object": "event", "id": record["id"], "deleted": True}

    def send(self, raw: Any) -> Record:
        """`POST /events/send`: for one contact (by `contact_id` or `email`)."""
        body = body_of(raw)
        name = field(body, "event", str, required=True)
        contact_id, email = field(body, "contact_id", str), field(body, "email", str)
        if (contact_id is None) == (email is None):
            raise _invalid("Exactly one of `contact_id` or `email` must be provided.")
        payload = field(body, "payload", dict) or {}
        with self._lock:
            definition = next((e for e in self.events.values() if e["name"] == name), None)
        for key, kind in ((definition or {}).get("schema") or {}).items():
            if key in payload and not _typed(payload[key], kind):
                raise _invalid(f"payload.{key} must be a {kind} (the event's schema says so).")
        if contact_id is not None:
            contact = self.contacts.get_contact(contact_id)
        else:
            known = [c for c in self.contacts.contacts.values() if c["email"] == email]
            contact = dict(known[0]) if known else {"id": None, "email": email}
        for listener in list(self.listeners):
            listener(name, contact, payload)
        return {"object": "event", "event": name}
