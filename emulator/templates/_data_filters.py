"""Knock's dynamic data filters: `user`, `object`, `tenant` and `subscriptions` load entities
from the environment at render time (`{% assign project = data.project_id | object: "projects" %}`).

The renderer gets an `EntityLookup` from the engine; an entity that does not exist renders as nil,
as Knock documents. `subscriptions` returns at most 25 `{object, properties}` for a user.
"""

from __future__ import annotations

from typing import Any

from liquid import Undefined
from liquid.filter import with_context

from emulator.templates._environment import EntityLookup, KnockEnvironment

MAX_SUBSCRIPTIONS = 25


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
