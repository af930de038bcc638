"""Users, tenants and objects (wire.md 2.3, knock.md 5.1), and the routes of every recipient
sub-resource (preferences, subscriptions, channel data, merge and bulk live in their own modules).

Writes go through the emulator's entity store, so what the API sets is what the next trigger
sees. Collections starting with `$` are Knock's own (`$users`, `$tenants`) and refused here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator import TENANTS, USERS
from emulator.http.knock._bulk_recipients import bulk_recipient_routes
from emulator.http.knock._channel_data import channel_data_routes
from emulator.http.knock._core import KnockContext, endpoint, json_response, no_content
from emulator.http.knock._entities import object_collection, owner, require_entity, upsert
from emulator.http.knock._entity_fields import check_entity_fields
from emulator.http.knock._errors import get_dict
from emulator.http.knock._inline import check_inline, store_inline
from emulator.http.knock._preferences import check_preference_set, preference_routes
from emulator.http.knock._query import paginate, q_list, q_str
from emulator.http.knock._serialize import (
    object_json,
    preference_set_json,
    tenant_json,
    user_json,
)
from emulator.http.knock._subscriptions import (
    add_subscriptions,
    delete_subscriptions,
    list_subscriptions,
    list_user_subscriptions,
)
from emulator.http.knock._tenants import check_tenant, upsert_tenant
from emulator.http.knock._user_merge import merge_user


def _validate_inline_preferences(body: Mapping[str, Any]) -> None:
    """Inline `preferences` is `{set_id: PreferenceSet}`; each set is checked before storing."""
    sets = get_dict(body, "preferences")
    for set_id, pref_set in (sets or {}).items():
        check_preference_set(pref_set, f"preferences.{set_id}")


# -- users ---------------------------------------------------------------------------------------
def identify(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """Checked like a bulk identify item (channel data stored under the channel key), then
    written through `Emulator.identify`, so waits on `recipient.updated` resume."""
    user_id = request.path_params["user_id"]
    item = check_inline(ctx, {**body, "id": user_id}, "", USERS)
    user = store_inline(ctx, item, lambda: ctx.emulator.identify(user_id, **item.properties))
    return json_response(user_json(user))


def get_user(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    return json_response(
        user_json(require_entity(ctx, USERS, request.path_params["user_id"], "user"))
    )


def delete_user(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    user_id = request.path_params["user_id"]
    require_entity(ctx, USERS, user_id, "user")
    ctx.emulator.delete_user(user_id)
    return no_content()


def list_users(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    params = request.query_params
    include = set(q_list(params, "include"))
    users = ctx.emulator.users()
    page, info = paginate(users, lambda u: str(u["id"]), params)
    entries = []
    for user in page:
        out = user_json(user)
        if "preferences" in include:
            sets = ctx.emulator.preference_sets(user["id"])
            out["preferences"] = {k: preference_set_json(k, v) for k, v in sets.items()}
        entries.append(out)
    return json_response({"entries": entries, "page_info": info})


# -- tenants -------------------------------------------------------------------------------------
def set_tenant(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    check_tenant(body)
    return json_response(tenant_json(upsert_tenant(ctx, request.path_params["tenant_id"], body)))


def get_tenant(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    tenant_id = request.path_params["tenant_id"]
    return json_response(tenant_json(require_entity(ctx, TENANTS, tenant_id, "tenant")))


def delete_tenant(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    tenant_id = request.path_params["tenant_id"]
    require_entity(ctx, TENANTS, tenant_id, "tenant")
    ctx.emulator.delete_tenant(tenant_id)
    return no_content()


def list_tenants(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    params = request.query_params
    wanted_id, name = q_str(params, "tenant_id"), q_str(params, "name")
    tenants = [
        t
        for t in ctx.emulator.tenants()
        if (wanted_id is None or t["id"] == wanted_id) and (name is None or t.get("name") == name)
    ]
    page, info = paginate(tenants, lambda t: str(t["id"]), params)
    return json_response({"entries": [tenant_json(t) for t in page], "page_info": info})


# -- objects -------------------------------------------------------------------------------------
def set_object(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection = object_collection(request.path_params["collection"])
    check_entity_fields(body, "", collection)
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
    ctx.emulator.delete_object(collection, object_id)
    return no_content()


def list_objects(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection = object_collection(request.path_params["collection"])
    found = ctx.emulator.objects(collection)
    page, info = paginate(found, lambda o: str(o["id"]), request.query_params)
    return json_response({"entries": [object_json(collection, o) for o in page], "page_info": info})


def recipient_routes(ctx: KnockContext) -> list[Route]:
    def r(path: str, handler: Any, method: str, body: Any = "none") -> Route:
        return Route(path, endpoint(ctx, handler, body), methods=[method])

    user = "/v1/users/{user_id}"
    obj = "/v1/objects/{collection}/{object_id}"
    return [
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
        r(f"{user}/merge", merge_user, "POST", "required"),
        *channel_data_routes(ctx),
        *preference_routes(ctx),
        *bulk_recipient_routes(ctx),
    ]
