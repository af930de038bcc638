"""Bulk users and tenants: `POST /v1/users/bulk/identify|delete|preferences` and
`POST /v1/tenants/bulk/set|delete` (the objects' bulk endpoints are in `_knock_bulk_objects`).

Knock runs these asynchronously; the emulator checks the whole request first (422 names the
JSON path of the first bad item, and nothing is stored), applies it at once and answers with a
completed BulkOperation, kept for `GET /v1/bulk_operations/{id}`. Each item counts as one row.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator import TENANTS, USERS
from emulator.http.knock._bulk_common import bulk_list, id_list, operation, upsert_all
from emulator.http.knock._bulk_objects import bulk_object_routes
from emulator.http.knock._core import KnockContext, endpoint
from emulator.http.knock._errors import get_list, invalid
from emulator.http.knock._inline import Inline, check_inline, store_inline
from emulator.http.knock._preferences import check_preference_set
from emulator.http.knock._query import q_list
from emulator.http.knock._tenants import check_tenant, upsert_tenant


# -- users ---------------------------------------------------------------------------------------
def bulk_identify_users(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    return upsert_all(ctx, request, body, "users", USERS, "users.bulk_identify")


def bulk_delete_users(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """Hard-deletes each user, as `DELETE /v1/users/{id}` does; ids of unknown users are
    accepted and change nothing (deleting is idempotent)."""
    user_ids = id_list(get_list(body, "user_ids", required=True) or [], "user_ids")
    for user_id in dict.fromkeys(user_ids):
        ctx.emulator.delete_user(user_id)
    return operation(ctx, request, "users.bulk_delete", len(user_ids))


def bulk_set_user_preferences(
    ctx: KnockContext, request: Request, body: dict[str, Any]
) -> Response:
    """Replaces the set `preferences.id` (default `default`) of every user, identifying users
    that do not exist yet, as the single-user endpoint does."""
    user_ids = id_list(get_list(body, "user_ids", required=True) or [], "user_ids")
    preferences = body.get("preferences")
    if not isinstance(preferences, dict):
        raise invalid("preferences", 'is required; pass a preference set like {"id": "default"}')
    set_id = preferences.get("id", "default")
    if not isinstance(set_id, str) or not set_id:
        raise invalid("preferences.id", f"must be a preference set id string, got {set_id!r}")
    if "__persistence_strategy__" in preferences:
        raise invalid(
            "preferences.__persistence_strategy__",
            "is not accepted here: bulk preferences always replace the set; use "
            'PUT /v1/users/{id}/preferences/{set} with "merge" to merge',
        )
    pref_set = {k: v for k, v in preferences.items() if k != "id"}
    check_preference_set(pref_set, "preferences")
    for user_id in user_ids:
        if ctx.emulator.user(user_id) is None:
            ctx.emulator.set_object(USERS, user_id)
        ctx.emulator.set_preferences(user_id, pref_set, set_id=set_id)
    return operation(ctx, request, "users.bulk_set_preferences", len(user_ids))


# -- tenants -------------------------------------------------------------------------------------
def _tenant(ctx: KnockContext, raw: Any, where: str) -> Inline:
    """InlineTenantRequest: a tenant id, or a TenantRequest object."""
    if isinstance(raw, str) and raw:
        return Inline(TENANTS, raw, {})
    if not isinstance(raw, dict):
        raise invalid(where, f'must be a tenant id or an object like {{"id": "acme"}}, got {raw!r}')
    item = check_inline(ctx, raw, where, TENANTS)
    check_tenant(raw, where)
    return item


def bulk_set_tenants(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    items = bulk_list(body, "tenants")
    checked = [_tenant(ctx, raw, f"tenants[{i}]") for i, raw in enumerate(items)]
    for item in checked:
        store_inline(ctx, item, partial(upsert_tenant, ctx, item.id, item.properties))
    return operation(ctx, request, "tenants.bulk_set", len(checked))


def bulk_delete_tenants(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """`tenant_ids` comes in the query string, as the spec says (`tenant_ids[]=a&...`)."""
    tenant_ids = id_list(q_list(request.query_params, "tenant_ids"), "tenant_ids")
    for tenant_id in dict.fromkeys(tenant_ids):
        ctx.emulator.delete_tenant(tenant_id)
    return operation(ctx, request, "tenants.bulk_delete", len(tenant_ids))


def bulk_recipient_routes(ctx: KnockContext) -> list[Route]:
    def r(path: str, handler: Any, body: Any = "required") -> Route:
        return Route(path, endpoint(ctx, handler, body), methods=["POST"])

    return [
        r("/v1/users/bulk/identify", bulk_identify_users),
        r("/v1/users/bulk/delete", bulk_delete_users),
        r("/v1/users/bulk/preferences", bulk_set_user_preferences),
        r("/v1/tenants/bulk/set", bulk_set_tenants),
        r("/v1/tenants/bulk/delete", bulk_delete_tenants, "none"),
        *bulk_object_routes(ctx),
    ]
