"""Static audience members: `GET/POST/DELETE /v1/audiences/{key}/members` (knock-api.yml).

Adding upserts each inline user first, as Knock does, then goes through the emulator, so the
audience `enter`/`exit` events reach waiting runs and `is_audience_member` sees the change.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator import Membership
from emulator.http.knock._core import KnockContext, endpoint, json_response, no_content
from emulator.http.knock._errors import get_list, invalid
from emulator.http.knock._query import paginate
from emulator.http.knock._serialize import iso, user_json

MAX_MEMBERS = 1000  # per request, as the spec says for add and remove


def _members(body: dict[str, Any]) -> list[tuple[str, dict[str, Any], str | None]]:
    """`members[]` as (user id, inline properties, tenant); 422 names the bad item's path."""
    items = get_list(body, "members", required=True) or []
    if len(items) > MAX_MEMBERS:
        raise invalid("members", f"has {len(items)} items; send at most {MAX_MEMBERS} per request")
    out = []
    for i, item in enumerate(items):
        where = f"members[{i}]"
        if not isinstance(item, dict):
            raise invalid(where, 'must be an object like {"user": {"id": "user_1"}}')
        user = item.get("user")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"]:
            raise invalid(f"{where}.user.id", "is required; pass the user's id as a string")
        tenant = item.get("tenant")
        if tenant is not None and (not isinstance(tenant, str) or not tenant):
            raise invalid(f"{where}.tenant", "must be a tenant id string or null")
        props = {k: v for k, v in user.items() if k != "id"}
        out.append((user["id"], props, tenant))
    return out


def add_members(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    emulator = ctx.emulator
    for user_id, props, tenant in _members(body):
        if props:
            emulator.identify(user_id, **props)
        emulator.add_to_audience(request.path_params["key"], user_id, tenant=tenant)
    return no_content()


def remove_members(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    for user_id, _props, tenant in _members(body):
        ctx.emulator.remove_from_audience(request.path_params["key"], user_id, tenant=tenant)
    return no_content()


def list_members(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    emulator = ctx.emulator
    members = emulator.audience_members(request.path_params["key"])
    page, info = paginate(members, _ident, request.query_params)
    entries = []
    for member in page:
        user = emulator.user(member.user_id) or {"id": member.user_id}
        entries.append(
            {
                "__typename": "AudienceMember",
                "added_at": iso(member.added_at),
                "tenant": member.tenant,
                "user_id": member.user_id,
                "user": user_json(user, member.added_at),
            }
        )
    return json_response({"entries": entries, "page_info": info})


def _ident(member: Membership) -> str:
    return f"{member.user_id}/{member.tenant or ''}"


def audience_routes(ctx: KnockContext) -> list[Route]:
    path = "/v1/audiences/{key}/members"
    return [
        Route(path, endpoint(ctx, list_members), methods=["GET"]),
        Route(path, endpoint(ctx, add_members, "required"), methods=["POST"]),
        Route(path, endpoint(ctx, remove_members, "required"), methods=["DELETE"]),
    ]
