"""Resend's topics (what a contact subscribes to), contacts' topic subscriptions and contact
properties, in resend-api.yml's shapes. A contact's subscription to a topic is its own choice when
it made one, else the topic's `default_subscription`."""

from __future__ import annotations

import threading
from typing import Any

from emulator.core import Clock, IdFactory
from emulator.mail._resend_contacts import ResendContacts
from emulator.mail._resend_resources import Record, body_of, field, found, page, pg_time
from emulator.mail._resend_validation import ResendApiError

_SUBSCRIPTIONS = ("opt_in", "opt_out")


def _one_of(body: Any, name: str, allowed: tuple[str, ...], *, required: bool = False) -> Any:
    value = field(body, name, str, required=required)
    if value is not None and value not in allowed:
        raise ResendApiError(
            422, "validation_error", f"The `{name}` field must be one of {', '.join(allowed)}."
        )
    return value


def _name(body: Any, *, required: bool) -> str | None:
    name: str | None = field(body, "name", str, required=required)
    if name is not None and len(name) > 50:
        raise ResendApiError(422, "validation_error", "The `name` field is at most 50 characters.")
    return name


def _fallback(body: Any, kind: str) -> Any:
    value = body.get("fallback_value")
    wrong = value is not None and (
        isinstance(value, bool)
        or (kind == "string" and not isinstance(value, str))
        or (kind == "number" and not isinstance(value, int | float))
    )
    if wrong:
        raise ResendApiError(
            422, "validation_error", f"The `fallback_value` field must be a {kind}."
        )
    return value


class ResendTopics:
    """Topics, subscriptions (contact id, topic id) -> opt_in/opt_out, and contact properties."""

    def __init__(self, clock: Clock, contacts: ResendContacts, *, seed: int = 0) -> None:
        self.clock = clock
        self.contacts = contacts
        self._ids = IdFactory(seed, kind="resend_topics")
        self._lock = threading.RLock()
        self.topics: dict[str, Record] = {}
        self.subscriptions: dict[tuple[str, str], str] = {}
        self.properties: dict[str, Record] = {}

    def clear(self) -> None:
        """Forget every topic, subscription and contact property."""
        with self._lock:
            self.topics.clear()
            self.subscriptions.clear()
            self.properties.clear()

    # -- topics ------------------------------------------------------------------------
    def create_topic(self, raw: Any) -> Record:
        """`POST /topics`."""
        body = body_of(raw)
        name = _name(body, required=True)
        default = _one_of(body, "default_subscription", _SUBSCRIPTIONS, required=True)
        visibility = _one_of(body, "visibility", ("public", "private")) or "private"
        with self._lock:
            topic_id = self._ids.uuid4()
            self.topics[topic_id] = {
                "id": topic_id,
                "name": name,
                "default_subscription": default,
                "visibility": visibility,
                "created_at": pg_time(self.clock.now),
            }
        return {"object": "topic", "id": topic_id}

    def list_topics(self, limit: int, after: str | None, before: str | None) -> Record:
        """`GET /topics`: newest first."""
        with self._lock:
            items = [dict(t) for t in reversed(self.topics.values())]
        return page(items, limit, after, before)

    def get_topic(self, topic_id: str) -> Record:
        """`GET /topics/{id}`."""
        with self._lock:
            return {"object": "topic"} | found(self.topics, topic_id, "Topic")

    def update_topic(self, topic_id: str, raw: Any) -> Record:
        """`PATCH /topics/{id}`: name and visibility (the default subscription is fixed)."""
        body = body_of(raw)
        name = _name(body, required=False)
        visibility = _one_of(body, "visibility", ("public", "private"))
        with self._lock:
            topic = found(self.topics, topic_id, "Topic")
            for key, value in (("name", name), ("visibility", visibility)):
                if value is not None:
                    topic[key] = value
        return {"object": "topic", "id": topic_id}

    def remove_topic(self, topic_id: str) -> Record:
        """`DELETE /topics/{id}`, with every subscription to it."""
        with self._lock:
            found(self.topics, topic_id, "Topic")
            del self.topics[topic_id]
            for key in [k for k in self.subscriptions if k[1] == topic_id]:
                del self.subscriptions[key]
        return {"object": "topic", "id": topic_id, "deleted": True}

    # -- a contact's topics ------------------------------------------------------------
    def contact_topics(self, key: str, limit: int, after: str | None, before: str | None) -> Record:
        """`GET /contacts/{id}/topics`: every topic with the contact's subscription to it."""
        contact_id = self.contacts.contact(key)["id"]
        with self._lock:
            items = [
                {
                    "id": topic_id,
                    "name": topic["name"],
                    "subscription": self.subscriptions.get(
                        (contact_id, topic_id), topic["default_subscription"]
                    ),
                }
                for topic_id, topic in reversed(self.topics.items())
            ]
        return page(items, limit, after, before)

    def update_contact_topics(self, key: str, raw: Any) -> Record:
        """`PATCH /contacts/{id}/topics`: `{"topics": [{"id", "subscription"}]}`, or the bare
        list, which the Node `resend` SDK (6.38) sends although resend-api.yml documents the
        object."""
        raw = {"topics": raw} if isinstance(raw, list) else raw
        topics = field(body_of(raw), "topics", list, required=True)
        contact_id = self.contacts.contact(key)["id"]
        changes = []
        with self._lock:
            for entry in topics:
                item = body_of(entry)
                topic_id = field(item, "id", str, required=True)
                found(self.topics, topic_id, "Topic")
                changes.append(
                    (topic_id, _one_of(item, "subscription", _SUBSCRIPTIONS, required=True))
                )
            for topic_id, subscription in changes:
                self.subscriptions[(contact_id, topic_id)] = subscription
        listed = [{"id": t, "subscription": s} for t, s in changes]
        return {"object": "contact_topics", "contact_id": contact_id, "topics": listed}

    # -- contact properties ------------------------------------------------------------
    def create_property(self, raw: Any) -> Record:
        """`POST /contact-properties`: a `string` or `number` key with an optional fallback."""
        body = body_of(raw)
        key = field(body, "key", str, required=True)
        kind = _one_of(body, "type", ("string", "number"), required=True)
        fallback = _fallback(body, kind)
        with self._lock:
            if any(p["key"] == key for p in self.properties.values()):
                raise ResendApiError(409, "invalid_parameter", f"Property {key} already exists.")
            property_id = self._ids.uuid4()
            self.properties[property_id] = {
                "id": property_id,
                "key": key,
                "type": kind,
                "fallback_value": fallback,
                "created_at": pg_time(self.clock.now),
            }
        return {"object": "contact_property", "id": property_id}

    def _shown(self, record: Record) -> Record:
        return {k: v for k, v in record.items() if v is not None or k != "fallback_value"}

    def list_properties(self, limit: int, after: str | None, before: str | None) -> Record:
        """`GET /contact-properties`: newest first."""
        with self._lock:
            items = [self._shown(p) for p in reversed(self.properties.values())]
        return page(items, limit, after, before)

    def get_property(self, property_id: str) -> Record:
        """`GET /contact-properties/{id}`."""
        with self._lock:
            record = found(self.properties, property_id, "Contact property")
            return {"object": "contact_property"} | self._shown(record)

    def update_property(self, property_id: str, raw: Any) -> Record:
        """`PATCH /contact-properties/{id}`: only the fallback value changes."""
        body = body_of(raw)
        with self._lock:
            record = found(self.properties, property_id, "Contact property")
            record["fallback_value"] = _fallback(body, record["type"])
        return {"object": "contact_property", "id": property_id}

    def remove_property(self, property_id: str) -> Record:
        """`DELETE /contact-properties/{id}`."""
        with self._lock:
            found(self.properties, property_id, "Contact property")
            del self.properties[property_id]
        return {"object": "contact_property", "id": property_id, "deleted": True}
