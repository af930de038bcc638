"""Resend's webhooks, segments (audiences) and contacts, in resend-api.yml's shapes.

A webhook receives the `email.*` events it subscribed to, Svix-signed with its `signing_secret`:
posted when its endpoint is on this machine, captured in `WebhookSender.sent` otherwise, so
nothing leaves the machine. Contacts are found by id or by email address, as Resend allows; the
`resend` SDKs send audience calls to `/segments` (audiences are now an alias for segments), so
both paths read one store, and a contact belongs to any number of segments.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from emulator.core import Clock, IdFactory
from emulator.mail._resend_records import EmailRecord
from emulator.mail._resend_resources import Record, body_of, field, found, page, pg_time
from emulator.mail._resend_validation import ResendApiError
from emulator.mail._webhooks import WebhookSender, new_secret

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_CONTACT_FIELDS = (("first_name", str), ("last_name", str), ("unsubscribed", bool))


def _events(body: Any, *, required: bool) -> list[str] | None:
    events = field(body, "events", list, required=required)
    if events is None:
        return None
    if not events or not all(isinstance(e, str) and e for e in events):
        raise ResendApiError(
            422, "validation_error", "The `events` field must list at least one event type."
        )
    return list(events)


def _endpoint(body: Any, *, required: bool) -> str | None:
    endpoint: str | None = field(body, "endpoint", str, required=required)
    if endpoint is not None and urlsplit(endpoint).scheme not in ("http", "https"):
        raise ResendApiError(422, "validation_error", "The `endpoint` field must be a URL.")
    return endpoint


def _sender(hook: Record) -> WebhookSender:
    host = urlsplit(hook["endpoint"]).hostname or ""
    transport = _post_quietly if host in _LOOPBACK else _captured_only
    return WebhookSender(
        hook["endpoint"], hook["signing_secret"], events=set(hook["events"]), transport=transport
    )


def _post_quietly(url: str, body: bytes, headers: dict[str, str]) -> None:
    """Post to an endpoint on this machine; one that is down never fails the email's send."""
    import httpx

    with contextlib.suppress(httpx.HTTPError):  # Resend retries later; the event stays in `sent`
        httpx.post(url, content=body, headers=headers, timeout=5.0)


def _captured_only(url: str, body: bytes, headers: dict[str, str]) -> None:
    """Events for endpoints off this machine stay in `WebhookSender.sent`, never sent."""


class ResendContacts:
    """Webhooks, segments and contacts: the records and what the API returns for them."""

    def __init__(self, clock: Clock, *, seed: int = 0) -> None:
        self.clock = clock
        self._ids = IdFactory(seed, kind="resend_contacts")
        self._lock = threading.RLock()
        self.webhooks: dict[str, Record] = {}
        self.senders: dict[str, WebhookSender] = {}
        self.segments: dict[str, Record] = {}
        self.contacts: dict[str, Record] = {}

    def clear(self) -> None:
        """Forget every webhook, audience and contact."""
        with self._lock:
            self.webhooks.clear()
            self.senders.clear()
            self.segments.clear()
            self.contacts.clear()

    # -- webhooks ----------------------------------------------------------------------
    def create_webhook(self, raw: Any) -> Record:
        """`POST /webhooks`: returns the id and the signing secret."""
        body = body_of(raw)
        endpoint = _endpoint(body, required=True)
        events = _events(body, required=True)
        with self._lock:
            hook_id = self._ids.uuid4()
            hook: Record = {
                "object": "webhook",
                "id": hook_id,
                "endpoint": endpoint,
                "events": events,
                "status": "enabled",
                "created_at": pg_time(self.clock.now),
                "signing_secret": new_secret(),
            }
            self.webhooks[hook_id] = hook
            self.senders[hook_id] = _sender(hook)
        return {"object": "webhook", "id": hook_id, "signing_secret": hook["signing_secret"]}

    def list_webhooks(self, limit: int, after: str | None, before: str | None) -> Record:
        """`GET /webhooks`: newest first, without secrets."""
        with self._lock:
            items = [
                {k: v for k, v in h.items() if k not in ("object", "signing_secret")}
                for h in reversed(self.webhooks.values())
            ]
        return page(items, limit, after, before)

    def get_webhook(self, hook_id: str) -> Record:
        """`GET /webhooks/{id}`, with its signing secret."""
        with self._lock:
            return dict(found(self.webhooks, hook_id, "Webhook"))

    def update_webhook(self, hook_id: str, raw: Any) -> Record:
        """`PATCH /webhooks/{id}`: endpoint, events, `enabled`/`disabled`."""
        body = body_of(raw)
        endpoint = _endpoint(body, required=False)
        events = _events(body, required=False)
        status = field(body, "status", str)
        if status is not None and status not in ("enabled", "disabled"):
            raise ResendApiError(
                422, "validation_error", "The `status` field must be enabled or disabled."
            )
        with self._lock:
            hook = found(self.webhooks, hook_id, "Webhook")
            for name, value in (("endpoint", endpoint), ("events", events), ("status", status)):
                if value is not None:
                    hook[name] = value
            self.senders[hook_id] = _sender(hook)
        return {"object": "webhook", "id": hook_id}

    def remove_webhook(self, hook_id: str) -> Record:
        """`DELETE /webhooks/{id}`."""
        with self._lock:
            found(self.webhooks, hook_id, "Webhook")
            del self.webhooks[hook_id]
            del self.senders[hook_id]
        return {"object": "webhook", "id": hook_id, "deleted": True}

    def email_event(
        self, kind: str, record: EmailRecord, when: datetime, *, also: WebhookSender | None
    ) -> None:
        """Sign and send one `email.*` event to `also` (if any) and every enabled webhook."""
        if also is None and not self.webhooks:  # nobody to tell (every send without webhooks)
            return
        for sender in ([] if also is None else [also]) + self.enabled_senders():
            sender.email_event(kind, record, when)

    def enabled_senders(self) -> list[WebhookSender]:
        """The senders of every enabled webhook, oldest first."""
        with self._lock:
            return [self.senders[i] for i, h in self.webhooks.items() if h["status"] == "enabled"]

    # -- segments (audiences are their deprecated alias) ---------------------------------
    def create_segment(self, raw: Any, kind: str = "segment") -> Record:
        """`POST /segments` (or `/audiences`, which answers with the name too)."""
        name = field(body_of(raw), "name", str, required=True)
        with self._lock:
            segment_id = self._ids.uuid4()
            self.segments[segment_id] = {
                "id": segment_id,
                "name": name,
                "created_at": pg_time(self.clock.now),
            }
        out = {"object": kind, "id": segment_id}
        return out | {"name": name} if kind == "audience" else out

    def list_segments(self, limit: int, after: str | None, before: str | None) -> Record:
        """`GET /segments` (`/audiences`): newest first."""
        with self._lock:
            items = [dict(segment) for segment in reversed(self.segments.values())]
        return page(items, limit, after, before)

    def get_segment(self, segment_id: str, kind: str = "segment") -> Record:
        """`GET /segments/{id}` (`/audiences/{id}`)."""
        with self._lock:
            return {"object": kind} | found(self.segments, segment_id, kind.title())

    def remove_segment(self, segment_id: str, kind: str = "segment") -> Record:
        """`DELETE /segments/{id}` (`/audiences/{id}`): its contacts stay, outside it."""
        with self._lock:
            found(self.segments, segment_id, kind.title())
            del self.segments[segment_id]
            for contact in self.contacts.values():
                contact["segments"].discard(segment_id)
        return {"object": kind, "id": segment_id, "deleted": True}

    def contact_segments(
        self, key: str, limit: int, after: str | None, before: str | None
    ) -> Record:
        """`GET /contacts/{id}/segments`."""
        with self._lock:
            ids = self.contact(key)["segments"]
            items = [dict(s) for i, s in reversed(self.segments.items()) if i in ids]
        return page(items, limit, after, before)

    def add_to_segment(self, key: str, segment_id: str, *, remove: bool = False) -> Record:
        """`POST` (or `DELETE`) `/contacts/{id}/segments/{segment_id}`."""
        with self._lock:
            contact = self.contact(key)
            found(self.segments, segment_id, "Segment")
            if remove:
                contact["segments"].discard(segment_id)
            else:
                contact["segments"].add(segment_id)
        out = {"object": "contact_segment", "contact_id": contact["id"], "segment_id": segment_id}
        return out | {"deleted": True} if remove else out

    # -- contacts ----------------------------------------------------------------------
    def create_contact(self, raw: Any, audience_id: str | None = None) -> Record:
        """`POST /contacts` (or `/audiences/{id}/contacts`): one contact per email address."""
        body = body_of(raw)
        email = field(body, "email", str, required=True)
        audience_id = audience_id or field(body, "audience_id", str)
        values = {name: field(body, name, kind) for name, kind in _CONTACT_FIELDS}
        properties = field(body, "properties", dict) or {}
        segments = set(field(body, "segments", list) or ()) | ({audience_id} - {None})
        with self._lock:
            for segment_id in segments:
                if not isinstance(segment_id, str):
                    raise ResendApiError(422, "validation_error", "`segments` lists segment ids.")
                found(self.segments, segment_id, "Segment")
            if any(c["email"] == email for c in self.contacts.values()):
                raise ResendApiError(409, "invalid_parameter", f"Contact {email} already exists.")
            contact = {
                "object": "contact",
                "id": self._ids.uuid4(),
                "email": email,
                "first_name": values["first_name"] or "",
                "last_name": values["last_name"] or "",
                "created_at": pg_time(self.clock.now),
                "unsubscribed": bool(values["unsubscribed"]),
                "properties": dict(properties),
                "segments": segments,
            }
            self.contacts[contact["id"]] = contact
        return {"object": "contact", "id": contact["id"]}

    def contact(self, key: str) -> Record:
        """A contact by id or by email address (the stored record; hold the lock to change it)."""
        contact = self.contacts.get(key) or next(
            (c for c in self.contacts.values() if c["email"] == key), None
        )
        if contact is None:
            raise ResendApiError(404, "not_found", "Contact not found")
        return contact

    def list_contacts(
        self, limit: int, after: str | None, before: str | None, segment_id: str | None = None
    ) -> Record:
        """`GET /contacts`: newest first (only a segment's, given one)."""
        with self._lock:
            if segment_id is not None:
                found(self.segments, segment_id, "Segment")
            items = [
                {k: c[k] for k in ("id", "email", "first_name", "last_name", "created_at")}
                | {"unsubscribed": c["unsubscribed"]}
                for c in reversed(self.contacts.values())
                if segment_id is None or segment_id in c["segments"]
            ]
        return page(items, limit, after, before)

    def get_contact(self, key: str) -> Record:
        """`GET /contacts/{id or email}`."""
        with self._lock:
            return {k: v for k, v in self.contact(key).items() if k != "segments"}

    def update_contact(self, key: str, raw: Any) -> Record:
        """`PATCH /contacts/{id or email}`."""
        body = body_of(raw)
        values = {
            name: field(body, name, kind) for name, kind in (*_CONTACT_FIELDS, ("email", str))
        }
        properties = field(body, "properties", dict)
        with self._lock:
            contact = self.contact(key)
            contact.update({k: v for k, v in values.items() if v is not None})
            if properties is not None:
                contact["properties"] = {**contact["properties"], **properties}
        return {"object": "contact", "id": contact["id"]}

    def remove_contact(self, key: str) -> Record:
        """`DELETE /contacts/{id or email}`."""
        with self._lock:
            contact = self.contact(key)
            del self.contacts[contact["id"]]
        return {"object": "contact", "id": contact["id"], "deleted": True}
