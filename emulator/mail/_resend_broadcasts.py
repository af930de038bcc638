"""Resend's broadcasts: one email per contact of a segment, sent through the same path as
`POST /emails` (so each is captured in the mailbox and fires the webhooks), now or at
`scheduled_at` on the virtual clock.

Contacts that unsubscribed are skipped, and with a `topic_id` so are those whose subscription to
the topic (their own, else the topic's default) is `opt_out`. `{{{FIRST_NAME}}}`, `{{{LAST_NAME}}}`,
`{{{EMAIL}}}` (each with an optional `|fallback`) and `{{{RESEND_UNSUBSCRIBE_URL}}}` are filled in
per contact, as Resend does.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from emulator.core import Clock, IdFactory
from emulator.mail._resend_contacts import ResendContacts
from emulator.mail._resend_resources import Record, body_of, field, found, page, pg_time
from emulator.mail._resend_topics import ResendTopics
from emulator.mail._resend_validation import ResendApiError, parse_schedule

_TEXT = ("name", "from", "subject", "preview_text", "html", "text")
_PLACEHOLDER = re.compile(r"\{\{\{\s*([A-Z_]+)\s*(?:\|([^}]*))?\}\}\}")


def _personal(text: str | None, contact: Record) -> str | None:
    if text is None:
        return None
    values = {
        "FIRST_NAME": contact.get("first_name") or "",
        "LAST_NAME": contact.get("last_name") or "",
        "EMAIL": contact["email"],
        "RESEND_UNSUBSCRIBE_URL": f"https://resend.doorstep.local/unsubscribe/{contact['id']}",
    }
    return _PLACEHOLDER.sub(
        lambda m: str(values.get(m.group(1), m.group(0))) or (m.group(2) or "").strip(), text
    )


class ResendBroadcasts:
    """Broadcast records, their sending and who received them."""

    def __init__(
        self,
        clock: Clock,
        contacts: ResendContacts,
        topics: ResendTopics,
        send: Callable[[dict[str, Any]], dict[str, Any]],
        *,
        seed: int = 0,
    ) -> None:
        self.clock, self.contacts, self.topics, self._send = clock, contacts, topics, send
        self._ids = IdFactory(seed, kind="resend_broadcasts")
        self._lock = threading.RLock()
        self.broadcasts: dict[str, Record] = {}
        self.recipients: dict[str, list[Record]] = {}
        self._timers: dict[str, Any] = {}

    def clear(self) -> None:
        """Forget every broadcast; scheduled ones never go out."""
        with self._lock:
            for timer in self._timers.values():
                timer.cancel()
            self._timers.clear()
            self.broadcasts.clear()
            self.recipients.clear()

    def _fields(self, body: Any, record: Record) -> None:
        for name in _TEXT:
            value = field(body, name, str)
            if value is not None:
                record[name] = value
        reply_to = field(body, "reply_to", list)
        if reply_to is not None:
            record["reply_to"] = [str(r) for r in reply_to]
        segment = field(body, "segment_id", str) or field(body, "audience_id", str)
        if segment is not None:
            found(self.contacts.segments, segment, "Segment")
            record["segment_id"] = record["audience_id"] = segment
        topic = field(body, "topic_id", str)
        if topic is not None:
            found(self.topics.topics, topic, "Topic")
            record["topic_id"] = topic

    def create(self, raw: Any) -> Record:
        """`POST /broadcasts` (with `send: true`, sent or scheduled at once)."""
        body = body_of(raw)
        for name in ("from", "subject"):
            field(body, name, str, required=True)
        if body.get("segment_id") is None and body.get("audience_id") is None:
            raise ResendApiError(422, "missing_required_field", "Missing `segment_id` field.")
        with self._lock:
            broadcast_id = self._ids.uuid4()
            record: Record = {
                "id": broadcast_id,
                "name": "",
                "reply_to": [],
                "status": "draft",
                "created_at": pg_time(self.clock.now),
                "html": None,
                "text": None,
                "topic_id": None,
            }
            self._fields(body, record)
            self.broadcasts[broadcast_id] = record
            self.recipients[broadcast_id] = []
        if field(body, "send", bool):
            self.send(broadcast_id, {"scheduled_at": body.get("scheduled_at")})
        return {"object": "broadcast", "id": broadcast_id}

    def _draft(self, broadcast_id: str) -> Record:
        record = found(self.broadcasts, broadcast_id, "Broadcast")
        if record["status"] != "draft":
            raise ResendApiError(
                422, "validation_error", f"The broadcast is {record['status']}, not a draft."
            )
        return record

    def update(self, broadcast_id: str, raw: Any) -> Record:
        """`PATCH /broadcasts/{id}`: a draft only."""
        body = body_of(raw)
        with self._lock:
            self._fields(body, self._draft(broadcast_id))
        return {"object": "broadcast", "id": broadcast_id}

    def send(self, broadcast_id: str, raw: Any) -> Record:
        """`POST /broadcasts/{id}/send`: now, or at `scheduled_at` on the virtual clock."""
        when_text = field(body_of(raw or {}), "scheduled_at", str)
        with self.clock.lock, self._lock:
            record = self._draft(broadcast_id)
            if when_text is None:
                self._deliver(broadcast_id)
            else:
                when = parse_schedule(when_text, self.clock.now)
                record["status"], record["scheduled_at"] = "scheduled", pg_time(when)
                self._timers[broadcast_id] = self.clock.call_at(
                    when, lambda: self._deliver(broadcast_id), label=f"broadcast {broadcast_id}"
                )
        return {"id": broadcast_id}

    def cancel(self, broadcast_id: str) -> Record:
        """`POST /broadcasts/{id}/cancel`: a scheduled broadcast goes back to draft."""
        with self._lock:
            record = found(self.broadcasts, broadcast_id, "Broadcast")
            if record["status"] != "scheduled":
                raise ResendApiError(422, "validation_error", "Only a scheduled broadcast cancels.")
            self._timers.pop(broadcast_id).cancel()
            record["status"] = "draft"
            record.pop("scheduled_at", None)
        return {"object": "broadcast", "id": broadcast_id}

    def _audience(self, record: Record) -> list[Record]:
        topic_id = record.get("topic_id")
        topic = self.topics.topics.get(topic_id) if topic_id else None
        chosen = []
        for contact in self.contacts.contacts.values():
            if record["segment_id"] not in contact["segments"] or contact["unsubscribed"]:
                continue
            if topic is not None:
                key = (contact["id"], topic["id"])
                if self.topics.subscriptions.get(key, topic["default_subscription"]) != "opt_in":
                    continue
            chosen.append(contact)
        return chosen

    def _deliver(self, broadcast_id: str) -> None:
        with self._lock:
            record = self.broadcasts.get(broadcast_id)
            if record is None or record["status"] == "sent":
                return
            self._timers.pop(broadcast_id, None)
            record["status"], record["sent_at"] = "sent", pg_time(self.clock.now)
            for contact in self._audience(record):
                email = {"from": record["from"], "to": [contact["email"]]}
                email["subject"] = _personal(record["subject"], contact)
                for name in ("html", "text"):
                    if record.get(name) is not None:
                        email[name] = _personal(record[name], contact)
                if record["reply_to"]:
                    email["reply_to"] = record["reply_to"]
                sent = self._send(email)
                self.recipients[broadcast_id].append(
                    {"id": sent["id"], "contact_id": contact["id"], "email": contact["email"]}
                )

    def list(self, limit: int, after: str | None, before: str | None) -> Record:
        """`GET /broadcasts`: newest first."""
        keep = ("id", "name", "audience_id", "segment_id", "status", "created_at", "scheduled_at")
        with self._lock:
            items = [
                {k: b[k] for k in (*keep, "sent_at", "topic_id") if b.get(k) is not None}
                for b in reversed(self.broadcasts.values())
            ]
        return page(items, limit, after, before)

    def get(self, broadcast_id: str) -> Record:
        """`GET /broadcasts/{id}`."""
        with self._lock:
            return {"object": "broadcast"} | found(self.broadcasts, broadcast_id, "Broadcast")

    def remove(self, broadcast_id: str) -> Record:
        """`DELETE /broadcasts/{id}`: a draft or scheduled one (scheduling is cancelled)."""
        with self._lock:
            record = found(self.broadcasts, broadcast_id, "Broadcast")
            if record["status"] == "sent":
                raise ResendApiError(422, "validation_error", "A sent broadcast cannot be deleted.")
            timer = self._timers.pop(broadcast_id, None)
            if timer is not None:
                timer.cancel()
            del self.broadcasts[broadcast_id]
        return {"object": "broadcast", "id": broadcast_id, "deleted": True}

    def sent_to(
        self, broadcast_id: str, limit: int, after: str | None, before: str | None
    ) -> Record:
        """`GET /broadcasts/{id}/recipients`: each email sent, with its contact."""
        with self._lock:
            found(self.broadcasts, broadcast_id, "Broadcast")
            items = [r | {"count": 1, "clicked_links": []} for r in self.recipients[broadcast_id]]
        return page(items, limit, after, before)

    def clicked_links(
        self, broadcast_id: str, limit: int, after: str | None, before: str | None
    ) -> Record:
        """`GET /broadcasts/{id}/clicked-links`: no clicks are tracked here, so none."""
        with self._lock:
            found(self.broadcasts, broadcast_id, "Broadcast")
        return page([], limit, after, before)
