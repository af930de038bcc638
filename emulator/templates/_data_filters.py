"""Knock's dynamic data filters: `user`, `object`, `tenant` and `subscriptions` load entities
from the environment at render time (`{% assign project = data.project_id | object: "projects" %}`).

The renderer gets an `EntityLookup` from the engine; an entity that does not exist renders as nil,
as Knock documents. `subscriptions` returns at most 25 `{object, properties}` for a user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from liquid import Undefined
from liquid.filter import with_context

if TYPE_CHECKING:
    from emulator.templates._environment import KnockEnvironment

MAX_SUBSCRIPTIONS = 25


class EntityLookup(Protocol):
    """What the data filters read: serialized entities, or None when they do not exist."""

    def user(self, user_id: str) -> dict[str, Any] | None: ...
    def object(self, collection: str, object_id: str) -> dict[str, Any] | None: ...
    def tenant(self, tenant_id: str) -> dict[str, Any] | None: ...
    def subscriptions(self, user_id: str) -> list[dict[str, Any]]: ...


def _key(value: object) -> str | None:
    if value is None or isinstance(value, Undefined | dict | list):
        return None
    text = str(value)
    return text or None


def _lookup(context: Any) -> EntityLookup | None:
    env: KnockEnvironment = context.env
    return env.entities


@with_context
def user_filter(value: object, *, context: Any) -> object:
    key, lookup = _key(value), _lookup(context)
    return None if key is None or lookup is None else lookup.user(key)


@with_context
def object_filter(value: object, collection: object = None, *, context: Any) -> object:
    key, lookup = _key(value), _lookup(context)
    if key is None or lookup is None or not isinstance(collection, str) or not collection:
        return None
    return lookup.object(collection, key)


@with_context
def tenant_filter(value: object, *, context: Any) -> object:
    key, lookup = _key(value), _lookup(context)
    return None if key is None or lookup is None else lookup.tenant(key)


@with_context
def subscriptions_filter(value: object, *, context: Any) -> object:
    key, lookup = _key(value), _lookup(context)
    if key is None or lookup is None:
        return []
    return lookup.subscriptions(key)[:MAX_SUBSCRIPTIONS]


DATA_FILTERS: dict[str, Any] = {
    "user": user_filter,
    "object": object_filter,
    "tenant": tenant_filter,
    "subscriptions": subscriptions_filter,
}
