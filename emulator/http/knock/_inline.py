"""One inline-identified user, object or tenant of a bulk request (InlineIdentifyUserRequest,
BulkSetObjectRequest, TenantRequest): checked in full first, stored later, so a bulk request
whose item 3 is wrong changes nothing.

Properties deep-merge into the entity (Knock's upsert); inline `preferences` deep-merge into
each set unless the set says `"__persistence_strategy__": "replace"`; inline `channel_data` is
`{channel_id: data}`, each checked like `PUT .../channel_data/{channel_id}` and stored under the
channel key push and chat steps read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator import TENANTS, USERS
from emulator.http.knock._channel_data import channel_type, full_shape, resolve_key, validate_data
from emulator.http.knock._core import KnockContext
from emulator.http.knock._entities import object_collection, upsert
from emulator.http.knock._entity_fields import check_entity_fields, check_settings
from emulator.http.knock._errors import KnockAPIError, invalid
from emulator.http.knock._preferences import check_preference_set

Ref = tuple[str, str]  # (collection, id); users are in USERS
_PERSISTENCE = "__persistence_strategy__"
_NOT_PROPERTIES = ("id", "collection", "preferences", "channel_data")


@dataclass
class Inline:
    """A checked inline entity, ready to store."""

    collection: str
    id: str
    properties: dict[str, Any]
    preferences: dict[str, dict[str, Any]] = field(default_factory=dict)
    channel_data: dict[str, dict[str, Any]] = field(default_factory=dict)


def at(where: str, name: str) -> str:
    """`users[3].id`, or plain `id` for a request body that is itself the entity."""
    return f"{where}.{name}" if where else name


def require_id(raw: Any, where: str, example: str) -> str:
    if not isinstance(raw, dict):
        raise invalid(where or "body", f"must be an object like {example}")
    entity_id = raw.get("id")
    if not isinstance(entity_id, str) or not entity_id:
        raise invalid(at(where, "id"), f"is required; pass a non-empty string, got {entity_id!r}")
    return entity_id


def check_inline(ctx: KnockContext, raw: Any, where: str, collection: str) -> Inline:
    """`raw` as an Inline; 422 names the JSON path of the first problem (`users[3].id`)."""
    entity_id = require_id(raw, where, '{"id": "user_1", "name": "Jane"}')
    check_entity_fields(raw, where, collection)
    item = Inline(collection, entity_id, {k: v for k, v in raw.items() if k not in _NOT_PROPERTIES})
    item.preferences = _preferences(raw.get("preferences"), at(where, "preferences"))
    channels = raw.get("channel_data")
    if channels is None:
        return item
    if not isinstance(channels, dict):
        raise invalid(at(where, "channel_data"), 'must be an object like {"<channel id>": {...}}')
    entity = ctx.emulator.object(collection, entity_id)
    for channel_id, data in channels.items():
        key = resolve_key(ctx, entity, channel_id)
        try:
            checked = validate_data({"data": data}, channel_type(ctx, key), key)
        except KnockAPIError as exc:
            raise _rebased(exc, at(where, f"channel_data.{channel_id}")) from None
        item.channel_data[key] = full_shape(checked)
    return item


def _preferences(raw: Any, where: str) -> dict[str, dict[str, Any]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise invalid(where, 'must be an object of preference sets by id, like {"default": {...}}')
    for set_id, pref_set in raw.items():
        path = f"{where}.{set_id}"
        if isinstance(pref_set, Mapping):
            strategy = pref_set.get(_PERSISTENCE, "merge")
            if strategy not in ("merge", "replace"):
                raise invalid(
                    f"{path}.{_PERSISTENCE}", f'must be "merge" or "replace"; got {strategy!r}'
                )
            pref_set = {k: v for k, v in pref_set.items() if k != _PERSISTENCE}
        check_preference_set(pref_set, path)
    return dict(raw)


def _rebased(exc: KnockAPIError, where: str) -> KnockAPIError:
    """A channel data error about `data...` reported at the bulk item's path instead."""
    old = exc.field or "data"
    new = where + old.removeprefix("data")
    return invalid(new, exc.message.removeprefix(f"{old}: "))


def store_inline(
    ctx: KnockContext, item: Inline, write: Callable[[], dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Store a checked item; `write` replaces the plain property upsert (tenants' settings)."""
    entity = write() if write else upsert(ctx, item.collection, item.id, item.properties)
    for set_id, update in item.preferences.items():
        ctx.emulator.merge_preferences(item.id, update, set_id=set_id, collection=item.collection)
    if item.channel_data:
        entity = ctx.emulator.set_channel_data(item.collection, item.id, item.channel_data)
    return entity


# -- recipients of a subscription ------------------------------------------------------------
def recipient_reference(raw: Any, where: str) -> Ref:
    """RecipientReference: a user id, or `{id, collection}` (no collection: a user)."""
    if isinstance(raw, str) and raw:
        return (USERS, raw)
    entity_id = require_id(raw, where, '"user_1" or {"id": "project_1", "collection": "projects"}')
    collection = raw.get("collection") or USERS
    if not isinstance(collection, str):
        raise invalid(f"{where}.collection", f"must be a collection name, got {collection!r}")
    return (collection, entity_id)


def subscriber(ref: Ref) -> str | dict[str, str]:
    """A checked reference as `Emulator.subscribe` takes it (a reference: nothing upserted)."""
    return ref[1] if ref[0] == USERS else {"id": ref[1], "collection": ref[0]}


def check_recipient(ctx: KnockContext, raw: Any, where: str) -> tuple[Ref, Inline | None]:
    """RecipientRequest: a reference, or an inline user/object identified before subscribing
    (a user given inline is identified even without properties, as a trigger does)."""
    ref = recipient_reference(raw, where)
    if isinstance(raw, str):
        return ref, None
    if ref[0] != USERS:
        object_collection(ref[0])
    item = check_inline(ctx, raw, where, ref[0])
    inline = bool(item.properties or item.preferences or item.channel_data) or ref[0] == USERS
    return ref, item if inline else None


def check_trigger_entities(
    ctx: KnockContext, recipients: list[Any], body: Mapping[str, Any]
) -> None:
    """Inline-identified recipients, actor and tenant of a trigger, checked like identify (fields,
    `preferences`, `channel_data`) before the engine stores any: a user is an object without
    `collection`, an object names its collection."""
    for where, raw in [
        *((f"recipients[{i}]", r) for i, r in enumerate(recipients)),
        ("actor", body.get("actor")),
    ]:
        if isinstance(raw, Mapping):
            collection = raw.get("collection")
            check_inline(ctx, raw, where, collection if isinstance(collection, str) else USERS)
    tenant = body.get("tenant")
    if isinstance(tenant, Mapping):
        check_entity_fields(tenant, "tenant", TENANTS)
        settings = tenant.get("settings")
        if isinstance(settings, Mapping):
            check_settings(settings, "tenant.settings")
