"""Recipients and tenants: users, objects, their preference sets and object subscriptions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator.core import TENANTS as TENANTS
from emulator.core import USERS as USERS
from emulator.core import TriggerError
from emulator.core import deep_merge as deep_merge

Ref = tuple[str, str]  # (collection, id) of a user, object or tenant


@dataclass(frozen=True, slots=True)
class Subscription:
    """One recipient subscribed to one object, stamped when it was (last) made, as Knock does."""

    collection: str
    object_id: str
    recipient: Ref
    properties: dict[str, Any]
    inserted_at: datetime


class Entities:
    """Users, objects and tenants keyed by (collection, id); users live in `$users`."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], dict[str, Any]] = {}
        self._preferences: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        # (collection, object id) -> {(recipient collection, recipient id): subscription}
        self._subscriptions: dict[Ref, dict[Ref, Subscription]] = {}

    # -- entities ------------------------------------------------------------------------
    def upsert(
        self, collection: str, entity_id: str, properties: Mapping[str, Any], now: datetime
    ) -> dict[str, Any]:
        """Create or deep-merge an entity; inline `preferences` deep-merge into its sets."""
        if not isinstance(entity_id, str) or not entity_id:
            raise TriggerError(
                "invalid_params", f"an id must be a non-empty string, got {entity_id!r}", status=422
            )
        props = dict(properties)
        preferences = props.pop("preferences", None)
        props.pop("id", None)
        props.pop("collection", None)
        key = (collection, entity_id)
        existing = self._items.get(key)
        stamp = now.isoformat()
        if existing is None:
            existing = {"id": entity_id, "created_at": props.pop("created_at", stamp)}
        merged = deep_merge(existing, props)
        merged["updated_at"] = stamp
        self._items[key] = merged
        if isinstance(preferences, Mapping):
            sets = self._preferences.setdefault(key, {})
            for set_id, pref_set in preferences.items():
                sets[set_id] = deep_merge(sets.get(set_id, {}), pref_set)
        return merged

    def get(self, collection: str, entity_id: str) -> dict[str, Any] | None:
        return self._items.get((collection, entity_id))

    def delete(self, collection: str, entity_id: str) -> bool:
        self._preferences.pop((collection, entity_id), None)
        return self._items.pop((collection, entity_id), None) is not None

    def all(self, collection: str) -> list[dict[str, Any]]:
        return [v for (c, _), v in self._items.items() if c == collection]

    def serialize(self, collection: str, entity_id: str) -> dict[str, Any]:
        """The recipient/actor object templates see (`__typename`, id, properties)."""
        found = self._items.get((collection, entity_id)) or {"id": entity_id}
        out = dict(found)
        if collection == USERS:
            out["__typename"] = "User"
        else:
            out["__typename"] = "Object"
            out["collection"] = collection
        return out

    # -- preferences ---------------------------------------------------------------------
    def preference_sets(self, collection: str, entity_id: str) -> dict[str, dict[str, Any]]:
        return self._preferences.get((collection, entity_id), {})

    def set_preference_set(
        self, collection: str, entity_id: str, set_id: str, preference_set: Mapping[str, Any]
    ) -> None:
        self._preferences.setdefault((collection, entity_id), {})[set_id] = dict(preference_set)

    def delete_preference_set(self, collection: str, entity_id: str, set_id: str) -> bool:
        """Drop one set; False when the entity had no set of that id."""
        return self._preferences.get((collection, entity_id), {}).pop(set_id, None) is not None

    # -- subscriptions -------------------------------------------------------------------
    def subscribe(
        self,
        collection: str,
        object_id: str,
        recipient: Ref,
        properties: Mapping[str, Any] | None,
        now: datetime,
    ) -> Subscription:
        """Create or replace a subscription; re-subscribing stamps it afresh, as Knock does."""
        made = Subscription(collection, object_id, recipient, dict(properties or {}), now)
        self._subscriptions.setdefault((collection, object_id), {})[recipient] = made
        return made

    def unsubscribe(self, collection: str, object_id: str, recipient: Ref) -> Subscription | None:
        return self._subscriptions.get((collection, object_id), {}).pop(recipient, None)

    def subscriptions(self, collection: str, object_id: str) -> list[Subscription]:
        """The object's subscriptions in the order they were made."""
        return list(self._subscriptions.get((collection, object_id), {}).values())

    def subscriptions_for(self, recipient: Ref) -> list[Subscription]:
        """Every subscription of `recipient`, by object in the order objects got subscribers."""
        return [subs[recipient] for subs in self._subscriptions.values() if recipient in subs]

    def subscribers(self, collection: str, object_id: str) -> list[tuple[Ref, dict[str, Any]]]:
        """(recipient, properties) pairs, what trigger fan-out reads."""
        return [(s.recipient, s.properties) for s in self.subscriptions(collection, object_id)]

    def subscriptions_of(self, recipient: Ref) -> list[dict[str, Any]]:
        """`{object, properties}` for every object `recipient` is subscribed to."""
        return [
            {
                "object": self.serialize(s.collection, s.object_id),
                "properties": dict(s.properties),
            }
            for s in self.subscriptions_for(recipient)
        ]

    def clear(self) -> None:
        self._items.clear()
        self._preferences.clear()
        self._subscriptions.clear()


class EntityView:
    """What templates' `user`, `object`, `tenant` and `subscriptions` filters read."""

    def __init__(self, entities: Entities) -> None:
        self._entities = entities

    def user(self, user_id: str) -> dict[str, Any] | None:
        return self._serialized(USERS, user_id)

    def object(self, collection: str, object_id: str) -> dict[str, Any] | None:
        return self._serialized(collection, object_id)

    def tenant(self, tenant_id: str) -> dict[str, Any] | None:
        found = self._serialized("$tenants", tenant_id)
        return None if found is None else found | {"__typename": "Tenant"}

    def subscriptions(self, user_id: str) -> list[dict[str, Any]]:
        return self._entities.subscriptions_of((USERS, user_id))

    def _serialized(self, collection: str, entity_id: str) -> dict[str, Any] | None:
        if self._entities.get(collection, entity_id) is None:
            return None
        return self._entities.serialize(collection, entity_id)
