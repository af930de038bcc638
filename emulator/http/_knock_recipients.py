"""Users, preference sets, tenants and objects (wire.md 2.3, knock.md 5.1), and the routes of
every recipient sub-resource (subscriptions and channel data live in their own modules).

Writes go through the emulator's entity store, so what the API sets is what the next trigger
sees. Collections starting with `$` are Knock's own (`$users`, `$tenants`) and refused here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .._preferences import merge_preference_set, validate_preference_set
from .._stores import USERS
from .._triggers import TENANTS
from ._knock_channel_data import channel_data_routes
from ._knock_core import KnockContext, endpoint, json_response, no_content
from ._knock_entities import kind_of, object_collection, owner, require_entity, upsert
from ._knock_errors import get_dict, invalid, missing
from ._knock_query import paginate, q_list, q_str
from ._knock_serialize import (
    object_json,
    preference_set_json,
    tenant_json,
    user_json,
)
from ._knock_subscriptions import (
    add_subscriptions,
    delete_subscriptions,
    list_subscriptions,
    list_user_subscriptions,
)


def _validate_inline_preferences(body: Mapping[str, Any]) -> None:
    """Inline `preferences` is `{set_id: PreferenceSet}`; each set is checked before storing."""
    sets = get_dict(body, "preferences")
    for set_id, pref_set in (sets or {}).items():
        validate_preference_set(pref_set, where=f"preferences.{set_id}")


# -- users ---------------------------------------------------------------------------------------
def identify(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    _validate_inline_preferences(body)
    user = upsert(ctx, USERS, request.path_params["user_id"], body)
    return json_response(user_json(user))


def get_user(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    return json_response(
        user_json(require_entity(ctx, USERS, request.path_params["user_id"], "user"))
    )


def delete_user(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    user_id = request.path_params["user_id"]
    require_entity(ctx, USERS, user_id, "user")
    ctx.emulator.entities.delete(USERS, user_id)
    return no_content()


def list_users(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    params = request.query_params
    include = set(q_list(params, "include"))
    users = ctx.emulator.entities.all(USERS)
    page, info = paginate(users, lambda u: str(u["id"]), params)
    entries = []
    for user in page:
        out = user_json(user)
        if "preferences" in include:
            sets = ctx.emulator.entities.preference_sets(USERS, user["id"])
            out["preferences"] = {k: preference_set_json(k, v) for k, v in sets.items()}
        entries.append(out)
    return json_response({"entries": entries, "page_info": info})


# -- preference sets -----------------------------------------------------------------------------
def _pref_owner(ctx: KnockContext, request: Request) -> tuple[str, str]:
    collection, entity_id = owner(request)
    require_entity(ctx, collection, entity_id, kind_of(collection))
    return collection, entity_id


def list_preferences(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection, entity_id = _pref_owner(ctx, request)
    sets = ctx.emulator.entities.preference_sets(collection, entity_id)
    if "default" not in sets:
        sets = {"default": {}, **sets}
    return json_response([preference_set_json(k, v) for k, v in sets.items()])


def get_preferences(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """A set never written reads as an empty set (every preference unset, so everything sends)."""
    collection, entity_id = _pref_owner(ctx, request)
    set_id = q_str(request.query_params, "tenant") or request.path_params["set_id"]
    stored = ctx.emulator.entities.preference_sets(collection, entity_id).get(set_id)
    return json_response(preference_set_json(set_id, stored))


def set_preferences(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """Replaces the set unless the body says `"__persistence_strategy__": "merge"`. Setting
    preferences for a user that does not exist yet identifies it, as Knock does."""
    collection, entity_id = owner(request)
    set_id = request.path_params["set_id"]
    strategy = body.get("__persistence_strategy__", "replace")
    if strategy not in ("replace", "merge"):
        raise invalid("__persistence_strategy__", f'must be "replace" or "merge"; got {strategy!r}')
    update = {k: v for k, v in body.items() if k != "id"}
    validate_preference_set(
        {k: v for k, v in update.items() if k != "__persistence_strategy__"}, where="body"
    )
    entities = ctx.emulator.entities
    if entities.get(collection, entity_id) is None:
        if collection != USERS:
            require_entity(ctx, collection, entity_id, "object")
        upsert(ctx, collection, entity_id, {})
    existing = entities.preference_sets(collection, entity_id).get(set_id)
    merged = merge_preference_set(existing, update, strategy="replace")
    entities.set_preference_set(collection, entity_id, set_id, merged)
    return json_response(preference_set_json(set_id, merged))


def delete_preferences(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection, entity_id = _pref_owner(ctx, request)
    sets = ctx.emulator.entities.preference_sets(collection, entity_id)
    set_id = request.path_params["set_id"]
    if set_id not in sets:
        raise missing("preference set", set_id, f"its owner has sets {sorted(sets)}")
    del sets[set_id]
    return no_content()


# -- tenants -------------------------------------------------------------------------------------
def set_tenant(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """`settings.preference_set` merges into the stored one by default (knock.md 5.1); its
    `__persistence_strategy__: "replace"` overwrites it and `null` removes it."""
    tenant_id = request.path_params["tenant_id"]
    settings = get_dict(body, "settings")
    props = dict(body)
    pref_given = settings is not None and "preference_set" in settings
    new_pref: Any = None
    if settings is not None:
        new_pref = settings.get("preference_set")
        props["settings"] = {k: v for k, v in settings.items() if k != "preference_set"}
        if new_pref is not None:
            validate_preference_set(
                {k: v for k, v in new_pref.items() if k != "__persistence_strategy__"}
                if isinstance(new_pref, Mapping)
                else new_pref,
                where="settings.preference_set",
            )
    existing = ctx.emulator.entities.get(TENANTS, tenant_id)
    old_settings = (existing or {}).get("settings")
    old_pref = old_settings.get("preference_set") if isinstance(old_settings, Mapping) else None
    tenant = upsert(ctx, TENANTS, tenant_id, props)
    if pref_given:
        stored = tenant.setdefault("settings", {})
        if new_pref is None:
            stored.pop("preference_set", None)
        else:
            stored["preference_set"] = merge_preference_set(old_pref, new_pref, strategy="merge")
    return json_response(tenant_json(tenant))


def get_tenant(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    tenant_id = request.path_params["tenant_id"]
    return json_response(tenant_json(require_entity(ctx, TENANTS, tenant_id, "tenant")))


def delete_tenant(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    tenant_id = request.path_params["tenant_id"]
    require_entity(ctx, TENANTS, tenant_id, "tenant")
    ctx.emulator.entities.delete(TENANTS, tenant_id)
    return no_content()


def list_tenants(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    params = request.query_params
    wanted_id, name = q_str(params, "tenant_id"), q_str(params, "name")
    tenants = [
        t
        for t in ctx.emulator.entities.all(TENANTS)
        if (wanted_id is None or t["id"] == wanted_id) and (name is None or t.get("name") == name)
    ]
    page, info = paginate(tenants, lambda t: str(t["id"]), params)
    return json_response({"entries": [tenant_json(t) for t in page], "page_info": info})


# -- objects -------------------------------------------------------------------------------------
def set_object(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection = object_collection(request.path_params["collection"])
    _validate_inline_preferences(body)
    found = upsert(ctx, collection, request.path_params["object_id"], body)
    return json_response(object_json(collection, found))


def get_object(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection, object_id = owner(request)
    return json_response(
        object_json(collection, require_entity(ctx, collection, object_id, "object"))
    )


def delete_object(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection, object_id = owner(request)
    require_entity(ctx, collection, object_id, "object")
    ctx.emulator.entities.delete(collection, object_id)
    return no_content()


def list_objects(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection = object_collection(request.path_params["collection"])
    found = ctx.emulator.entities.all(collection)
    page, info = paginate(found, lambda o: str(o["id"]), request.query_params)
    return json_response({"entries": [object_json(collection, o) for o in page], "page_info": info})


def recipient_routes(ctx: KnockContext) -> list[Route]:
    def r(path: str, handler: Any, method: str, body: Any = "none") -> Route:
        return Route(path, endpoint(ctx, handler, body), methods=[method])

    user = "/v1/users/{user_id}"
    obj = "/v1/objects/{collection}/{object_id}"
    routes = [
        r("/v1/users", list_users, "GET"),
        r(user, identify, "PUT", "optional"),
        r(user, get_user, "GET"),
        r(user, delete_user, "DELETE"),
        r("/v1/tenants", list_tenants, "GET"),
        r("/v1/tenants/{tenant_id}", set_tenant, "PUT", "optional"),
        r("/v1/tenants/{tenant_id}", get_tenant, "GET"),
        r("/v1/tenants/{tenant_id}", delete_tenant, "DELETE"),
        r("/v1/objects/{collection}", list_objects, "GET"),
        r(obj, set_object, "PUT", "optional"),
        r(obj, get_object, "GET"),
        r(obj, delete_object, "DELETE"),
        r(f"{obj}/subscriptions", add_subscriptions, "POST", "required"),
        r(f"{obj}/subscriptions", list_subscriptions, "GET"),
        r(f"{obj}/subscriptions", delete_subscriptions, "DELETE", "required"),
        r(f"{user}/subscriptions", list_user_subscriptions, "GET"),
        *channel_data_routes(ctx),
    ]
    for base in (user, obj):
        routes += [
            r(f"{base}/preferences", list_preferences, "GET"),
            r(f"{base}/preferences/{{set_id}}", get_preferences, "GET"),
            r(f"{base}/preferences/{{set_id}}", set_preferences, "PUT", "optional"),
            r(f"{base}/preferences/{{set_id}}", delete_preferences, "DELETE"),
        ]
    return routes
