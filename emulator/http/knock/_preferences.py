"""Preference sets of users and objects (`/v1/users/{user_id}/preferences/...` and
`/v1/objects/{collection}/{object_id}/preferences/...`), whole sets and the granular updates.

Every write is validated (422 naming the JSON path) and stored through the emulator's
preference methods, so the next trigger sees it. The granular endpoints are deprecated in
Knock's spec, which gives no request bodies; the bodies are the ones Knock's SDKs sent:
`channel_types` / `workflows` / `categories` take that section's map and replace the section
(the rest of the set stays); `channel_types/{type}` takes `{"subscribed": bool}` (or
`{"conditions": [...]}`); `workflows/{key}` and `categories/{key}` take `{"subscribed": bool}` or
the setting object itself (`{"channel_types": {...}}`, `{"conditions": [...]}`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator import USERS, DefinitionError, validate_preference_set
from emulator.http.knock._core import KnockContext, endpoint, json_response, no_content
from emulator.http.knock._entities import kind_of, owner, require_entity, upsert
from emulator.http.knock._errors import invalid, missing
from emulator.http.knock._query import q_str
from emulator.http.knock._serialize import preference_set_json

CHANNEL_TYPES = ("chat", "email", "http", "in_app_feed", "push", "sms")
_PERSISTENCE = "__persistence_strategy__"


def check_preference_set(raw: Any, path: str, *, inside: str = "") -> None:
    """The engine's validation, reported as Knock's 422 naming the full JSON path of the first
    problem (`users[3].preferences.default.channel_types.email`). `inside` is the part of the
    checked set that the request body itself stands for (a granular body is one section)."""
    try:
        validate_preference_set(raw, where=path or "body")
    except DefinitionError as exc:
        first = exc.problems[0]
        inner = first.path
        if inside and (inner == inside or inner.startswith(f"{inside}.")):
            inner = inner[len(inside) + 1 :]
        field = ".".join(p for p in (path, inner) if p) or "body"
        fix = f" ({first.fix})" if first.fix else ""
        more = len(exc.problems) - 1
        tail = f"; {more} more problem(s) in this preference set" if more else ""
        raise invalid(field, f"{first.message}{fix}{tail}") from None


# -- whole sets ----------------------------------------------------------------------------------
def _existing_owner(ctx: KnockContext, request: Request) -> tuple[str, str]:
    collection, entity_id = owner(request)
    require_entity(ctx, collection, entity_id, kind_of(collection))
    return collection, entity_id


def _writable_owner(ctx: KnockContext, request: Request) -> tuple[str, str]:
    """Writing preferences of a user that does not exist yet identifies it, as Knock does;
    an object must exist (404 says how to create it)."""
    collection, entity_id = owner(request)
    if ctx.emulator.object(collection, entity_id) is None:
        if collection != USERS:
            require_entity(ctx, collection, entity_id, "object")
        upsert(ctx, collection, entity_id, {})
    return collection, entity_id


def list_preferences(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection, entity_id = _existing_owner(ctx, request)
    sets = ctx.emulator.preference_sets(entity_id, collection=collection)
    if "default" not in sets:
        sets = {"default": {}, **sets}
    return json_response([preference_set_json(k, v) for k, v in sets.items()])


def get_preferences(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """A set never written reads as an empty set (every preference unset, so everything sends)."""
    collection, entity_id = _existing_owner(ctx, request)
    set_id = q_str(request.query_params, "tenant") or request.path_params["set_id"]
    stored = ctx.emulator.preference_sets(entity_id, collection=collection).get(set_id)
    return json_response(preference_set_json(set_id, stored))


def set_preferences(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """Replaces the set unless the body says `"__persistence_strategy__": "merge"`."""
    strategy = body.get(_PERSISTENCE, "replace")
    if strategy not in ("replace", "merge"):
        raise invalid(_PERSISTENCE, f'must be "replace" or "merge"; got {strategy!r}')
    update = {k: v for k, v in body.items() if k != "id"}
    check_preference_set({k: v for k, v in update.items() if k != _PERSISTENCE}, "")
    collection, entity_id = _writable_owner(ctx, request)
    set_id = request.path_params["set_id"]
    stored = ctx.emulator.set_preferences(entity_id, update, set_id=set_id, collection=collection)
    return json_response(preference_set_json(set_id, stored))


def delete_preferences(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection, entity_id = _existing_owner(ctx, request)
    set_id = request.path_params["set_id"]
    if not ctx.emulator.delete_preferences(entity_id, set_id=set_id, collection=collection):
        sets = ctx.emulator.preference_sets(entity_id, collection=collection)
        raise missing("preference set", set_id, f"its owner has sets {sorted(sets)}")
    return no_content()


# -- granular updates ----------------------------------------------------------------------------
Handler = Callable[[KnockContext, Request, dict[str, Any]], Response]


def _check_values(body: Mapping[str, Any], section: str) -> None:
    """A null would read back as neither a boolean nor an object, which Knock's PreferenceSet
    does not allow (unset a preference by replacing its section or set); channel types are
    Knock's six (next to the `__strategy__` marker)."""
    for key, value in body.items():
        if value is None:
            raise invalid(key, f"must be true, false or an object; to unset it, replace {section}")
        if section == "channel_types" and key != "__strategy__":
            _channel_type(key, key)


def _channel_type(value: str, field: str) -> None:
    if value not in CHANNEL_TYPES:
        raise invalid(
            field, f"{value!r} is not a channel type; use one of {', '.join(CHANNEL_TYPES)}"
        )


def _setting(body: Mapping[str, Any], *, nested: bool) -> Any:
    """`{"subscribed": bool}` is a plain true/false; any other body is the setting object."""
    if "subscribed" in body:
        extra = sorted(set(body) - {"subscribed"})
        if extra:
            raise invalid(extra[0], 'cannot be sent with "subscribed"; send one or the other')
        if not isinstance(body["subscribed"], bool):
            raise invalid("subscribed", f"must be true or false, got {body['subscribed']!r}")
        return body["subscribed"]
    if not nested and "conditions" not in body:
        raise invalid(
            "subscribed", 'is required; send {"subscribed": false} or {"conditions": [...]}'
        )
    if not body:
        raise invalid(
            "subscribed",
            'is required; send {"subscribed": false}, {"channel_types": {...}} or '
            '{"conditions": [...]}',
        )
    return dict(body)


def _update_set(
    ctx: KnockContext, request: Request, change: Callable[[dict[str, Any]], None]
) -> Response:
    """Apply `change` to a copy of the stored set (or an empty one) and store it whole."""
    collection, entity_id = _writable_owner(ctx, request)
    set_id = request.path_params["set_id"]
    sets = ctx.emulator.preference_sets(entity_id, collection=collection)
    updated = dict(sets.get(set_id) or {})
    change(updated)
    stored = ctx.emulator.set_preferences(entity_id, updated, set_id=set_id, collection=collection)
    return json_response(preference_set_json(set_id, stored))


def _section_handler(section: str) -> Handler:
    """PUT .../{section}: the body is the section's map and replaces it."""

    def handler(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
        _check_values(body, section)
        check_preference_set({section: body}, "", inside=section)
        return _update_set(ctx, request, lambda stored: stored.__setitem__(section, dict(body)))

    handler.__name__ = f"set_{section}_preferences"
    return handler


def _key_handler(section: str) -> Handler:
    """PUT .../{section}/{key}: sets one entry, keeping the rest of the section."""
    param = "type" if section == "channel_types" else "key"

    def handler(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
        key = request.path_params[param]
        if section == "channel_types":
            _channel_type(key, param)
        value = _setting(body, nested=section != "channel_types")
        check_preference_set({section: {key: value}}, "", inside=f"{section}.{key}")

        def change(stored: dict[str, Any]) -> None:
            current = stored.get(section)
            stored[section] = {**(current if isinstance(current, Mapping) else {}), key: value}

        return _update_set(ctx, request, change)

    handler.__name__ = f"set_{section}_preference"
    return handler


def preference_routes(ctx: KnockContext) -> list[Route]:
    def r(path: str, handler: Any, method: str, body: Any = "none") -> Route:
        return Route(path, endpoint(ctx, handler, body), methods=[method])

    routes = []
    for base in ("/v1/users/{user_id}", "/v1/objects/{collection}/{object_id}"):
        one = f"{base}/preferences/{{set_id}}"
        routes += [
            r(f"{base}/preferences", list_preferences, "GET"),
            r(one, get_preferences, "GET"),
            r(one, set_preferences, "PUT", "optional"),
            r(one, delete_preferences, "DELETE"),
            r(f"{one}/channel_types", _section_handler("channel_types"), "PUT", "required"),
            r(f"{one}/channel_types/{{type}}", _key_handler("channel_types"), "PUT", "required"),
            r(f"{one}/workflows", _section_handler("workflows"), "PUT", "required"),
            r(f"{one}/workflows/{{key}}", _key_handler("workflows"), "PUT", "required"),
            r(f"{one}/categories", _section_handler("categories"), "PUT", "required"),
            r(f"{one}/categories/{{key}}", _key_handler("categories"), "PUT", "required"),
        ]
    return routes
