"""Writes on users, objects and tenants that the engine must hear about (the events
`wait_for_event` steps wait for) or that follow Knock's merge rules. The `Emulator` facade calls
these with the engine's lock held."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from emulator.definitions import merge_preference_set, validate_preference_set
from emulator.engine._engine import Engine
from emulator.engine._events import Event
from emulator.engine._targets import parse_entity
from emulator.stores import TENANTS, USERS, Subscription


def identify(engine: Engine, user_id: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    """Upsert a user and emit `recipient.updated` for waits on it."""
    user = engine.entities.upsert(USERS, user_id, properties, engine.clock.now)
    payload = {
        "recipient": user_id,
        "event_type": "recipient.updated",
        "timestamp": engine.clock.now.isoformat(),
        "properties": dict(properties),
    }
    engine.emit(Event("recipient", "updated", (USERS, user_id), payload=payload))
    return user


def send_event(
    engine: Engine,
    event_key: str,
    recipient: Any,
    data: Mapping[str, Any] | None,
    source_key: str | None,
) -> None:
    """An integration-source event for `recipient` (see `Emulator.send_event`)."""
    ref = parse_entity(recipient, "recipient", engine.entities, engine.clock.now)
    payload = {
        "data": dict(data or {}),
        "user_id": ref[1],
        "inserted_at": engine.clock.now.isoformat(),
    }
    engine.emit(
        Event("integration_source", event_key, ref, "integration_source", source_key, payload)
    )


def subscribe(
    engine: Engine,
    collection: str,
    object_id: str,
    recipients: Sequence[Any],
    properties: Mapping[str, Any] | None,
) -> list[Subscription]:
    """Subscribe each recipient (a user id, a reference or an inline entity), stamped now."""
    now = engine.clock.now
    refs = [
        parse_entity(raw, f"recipients[{index}]", engine.entities, now)
        for index, raw in enumerate(recipients)
    ]
    return [engine.entities.subscribe(collection, object_id, ref, properties, now) for ref in refs]


def unsubscribe(
    engine: Engine, collection: str, object_id: str, recipients: Sequence[Any]
) -> list[Subscription]:
    """Remove each recipient's subscription; the ones that existed, in the order given."""
    now = engine.clock.now
    refs = [
        parse_entity(raw, f"recipients[{index}]", engine.entities, now)
        for index, raw in enumerate(recipients)
    ]
    removed = [engine.entities.unsubscribe(collection, object_id, ref) for ref in refs]
    return [sub for sub in removed if sub is not None]


def add_to_audience(
    engine: Engine, audience_key: str, user_ids: Sequence[str], tenant: str | None
) -> list[str]:
    """Add members (identifying unknown users); the users who entered get an `enter` event."""
    now = engine.clock.now
    entered = []
    for user_id in user_ids:
        if engine.entities.get(USERS, user_id) is None:
            engine.entities.upsert(USERS, user_id, {}, now)
        if engine.audiences.add(audience_key, user_id, now, tenant):
            entered.append(user_id)
            _audience_event(engine, audience_key, user_id, "enter")
    return entered


def remove_from_audience(
    engine: Engine, audience_key: str, user_ids: Sequence[str], tenant: str | None
) -> list[str]:
    """Remove members; the users whose last membership went get an `exit` event."""
    exited = [u for u in user_ids if engine.audiences.remove(audience_key, u, tenant)]
    for user_id in exited:
        _audience_event(engine, audience_key, user_id, "exit")
    return exited


def _audience_event(engine: Engine, audience_key: str, user_id: str, transition: str) -> None:
    payload = {
        "audience_id": audience_key,
        "audience_key": audience_key,
        "recipient": user_id,
        "transition": transition,
        "happened_at": engine.clock.now.isoformat(),
    }
    ref = (USERS, user_id)
    engine.emit(Event("audience", transition, ref, "audience", audience_key, payload))


def set_preferences(
    engine: Engine, collection: str, entity_id: str, set_id: str, update: Mapping[str, Any]
) -> dict[str, Any]:
    """Validate and store one set: replaced, unless it says `__persistence_strategy__: merge`."""
    validate_preference_set(update)
    existing = engine.entities.preference_sets(collection, entity_id).get(set_id)
    merged = merge_preference_set(existing, update, strategy="replace")
    engine.entities.set_preference_set(collection, entity_id, set_id, merged)
    return copy.deepcopy(merged)


def merge_preferences(
    engine: Engine, collection: str, entity_id: str, set_id: str, update: Mapping[str, Any]
) -> None:
    """Inline `preferences` of an identify: deep-merged unless the set says replace."""
    existing = engine.entities.preference_sets(collection, entity_id).get(set_id)
    merged = merge_preference_set(existing, update, strategy="merge")
    engine.entities.set_preference_set(collection, entity_id, set_id, merged)


def set_tenant(engine: Engine, tenant_id: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    """Upsert a tenant; `settings.preference_set` merges into the stored default set (Knock's
    rule), `__persistence_strategy__: "replace"` overwrites it and `None` removes it."""
    settings = properties.get("settings")
    props = dict(properties)
    given = isinstance(settings, Mapping) and "preference_set" in settings
    new_pref: Any = None
    if isinstance(settings, Mapping):
        new_pref = settings.get("preference_set")
        props["settings"] = {k: v for k, v in settings.items() if k != "preference_set"}
    existing = engine.entities.get(TENANTS, tenant_id)
    old_settings = (existing or {}).get("settings")
    old_pref = old_settings.get("preference_set") if isinstance(old_settings, Mapping) else None
    tenant = engine.entities.upsert(TENANTS, tenant_id, props, engine.clock.now)
    if given:
        stored = tenant.setdefault("settings", {})
        if new_pref is None:
            stored.pop("preference_set", None)
        else:
            stored["preference_set"] = merge_preference_set(old_pref, new_pref, strategy="merge")
    return tenant


def set_channel_data(
    engine: Engine,
    collection: str,
    entity_id: str,
    channel_data: Mapping[str, Mapping[str, Any] | None],
) -> dict[str, Any]:
    """Set (a mapping) or unset (None) the channel data of each channel key, creating the
    entity when it does not exist; other channels keep theirs."""
    entity = engine.entities.get(collection, entity_id)
    if entity is None:
        entity = engine.entities.upsert(collection, entity_id, {}, engine.clock.now)
    stored = entity.get("channel_data")
    current = dict(stored) if isinstance(stored, Mapping) else {}
    for key, data in channel_data.items():
        if data is None:
            current.pop(key, None)
        else:
            current[key] = copy.deepcopy(dict(data))
    if current:
        entity["channel_data"] = current
    else:
        entity.pop("channel_data", None)
    return entity
