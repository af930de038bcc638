"""Knock's Slack and Microsoft Teams provider endpoints, answered from stored channel data.

No workspace or tenant exists here, so these read what Knock itself stores on the object (or
user) named by `access_token_object` / `ms_teams_tenant_object` (a JSON string such as
`{"collection": "projects", "object_id": "p1"}` or `{"user_id": "u1"}`), under the channel:

- Slack (`SlackChannelData`): `token.access_token` makes `auth_check` ok; the channels are the
  stored `connections`' `channel_id`s; `revoke_access` removes the token.
- Microsoft Teams (`MsTeamsChannelData`): `ms_teams_tenant_id` makes `auth_check` ok; teams and
  their channels come from the `connections`' `ms_teams_team_id` / `ms_teams_channel_id`;
  `revoke_access` removes the tenant id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator.http.knock._channel_data import resolve_key
from emulator.http.knock._core import KnockContext, endpoint, json_response
from emulator.http.knock._errors import KnockAPIError, invalid


def _owner(ctx: KnockContext, request: Request, param: str) -> tuple[str, str, dict[str, Any]]:
    """(collection, id, entity) of the object or user the JSON query parameter names."""
    raw = request.query_params.get(param)
    if not raw:
        raise invalid(
            param, 'is required: a JSON string like {"collection": "c", "object_id": "o"}'
        )
    try:
        ref = json.loads(raw)
    except ValueError:
        raise invalid(param, f"is not valid JSON: {raw!r}") from None
    if isinstance(ref, Mapping) and isinstance(ref.get("user_id"), str):
        collection, entity_id = "$users", str(ref["user_id"])
        entity = ctx.emulator.user(entity_id)
    elif (
        isinstance(ref, Mapping)
        and isinstance(ref.get("collection"), str)
        and isinstance(ref.get("object_id"), str)
    ):
        collection, entity_id = str(ref["collection"]), str(ref["object_id"])
        entity = ctx.emulator.object(collection, entity_id)
    else:
        raise invalid(param, 'must name {"collection", "object_id"} or {"user_id"}')
    if entity is None:
        raise KnockAPIError(404, "resource_missing", f"{param} names no stored recipient")
    return collection, entity_id, entity


def _data(
    ctx: KnockContext, entity: Mapping[str, Any], channel_id: str
) -> tuple[str, Mapping[str, Any]]:
    key = resolve_key(ctx, entity, channel_id)
    stored = entity.get("channel_data")
    data = stored.get(key) if isinstance(stored, Mapping) else None
    return key, data if isinstance(data, Mapping) else {}


def _connections(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = data.get("connections")
    return [c for c in found if isinstance(c, Mapping)] if isinstance(found, list) else []


def _slack_token(data: Mapping[str, Any]) -> str | None:
    token = data.get("token")
    access = token.get("access_token") if isinstance(token, Mapping) else None
    return access if isinstance(access, str) and access else None


def slack_auth_check(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    _, _, entity = _owner(ctx, request, "access_token_object")
    _, data = _data(ctx, entity, request.path_params["channel_id"])
    ok = _slack_token(data) is not None
    reason = None if ok else "no Slack access token is stored in this channel's data"
    return json_response({"connection": {"ok": ok, "reason": reason}})


def slack_channels(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    _, _, entity = _owner(ctx, request, "access_token_object")
    _, data = _data(ctx, entity, request.path_params["channel_id"])
    if _slack_token(data) is None:
        raise KnockAPIError(403, "slack_not_connected", "no Slack access token is stored")
    ids = dict.fromkeys(
        str(c["channel_id"]) for c in _connections(data) if isinstance(c.get("channel_id"), str)
    )
    channels = [
        {"id": i, "name": i, "is_private": False, "is_im": False, "context_team_id": ""}
        for i in ids
    ]
    return json_response({"slack_channels": channels, "next_cursor": None})


def _revoke(ctx: KnockContext, request: Request, param: str, field: str) -> Response:
    collection, entity_id, entity = _owner(ctx, request, param)
    key, data = _data(ctx, entity, request.path_params["channel_id"])
    if data:
        ctx.emulator.set_channel_data(
            collection, entity_id, {key: {k: v for k, v in data.items() if k != field}}
        )
    return json_response({"ok": "ok"})


def slack_revoke(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    return _revoke(ctx, request, "access_token_object", "token")


def teams_auth_check(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    _, _, entity = _owner(ctx, request, "ms_teams_tenant_object")
    _, data = _data(ctx, entity, request.path_params["channel_id"])
    tenant = data.get("ms_teams_tenant_id")
    ok = isinstance(tenant, str) and bool(tenant)
    connection = {
        "ok": ok,
        "ms_teams_tenant_id": tenant if ok else None,
        "reason": None if ok else "no ms_teams_tenant_id is stored in this channel's data",
    }
    return json_response({"connection": connection})


def _teams_data(ctx: KnockContext, request: Request) -> Mapping[str, Any]:
    _, _, entity = _owner(ctx, request, "ms_teams_tenant_object")
    _, data = _data(ctx, entity, request.path_params["channel_id"])
    if not data.get("ms_teams_tenant_id"):
        raise KnockAPIError(403, "ms_teams_not_connected", "no ms_teams_tenant_id is stored")
    return data


def teams_teams(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    data = _teams_data(ctx, request)
    ids = dict.fromkeys(
        str(c["ms_teams_team_id"])
        for c in _connections(data)
        if isinstance(c.get("ms_teams_team_id"), str)
    )
    teams = [{"id": i, "displayName": i} for i in ids]
    return json_response({"ms_teams_teams": teams, "skip_token": None})


def teams_channels(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    team = request.query_params.get("team_id")
    if not team:
        raise invalid("team_id", "is required: the id of a team from /teams")
    data = _teams_data(ctx, request)
    ids = dict.fromkeys(
        str(c["ms_teams_channel_id"])
        for c in _connections(data)
        if c.get("ms_teams_team_id") == team and isinstance(c.get("ms_teams_channel_id"), str)
    )
    return json_response({"ms_teams_channels": [{"id": i, "displayName": i} for i in ids]})


def teams_revoke(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    return _revoke(ctx, request, "ms_teams_tenant_object", "ms_teams_tenant_id")


def provider_routes(ctx: KnockContext) -> list[Route]:
    """The seven Slack and Microsoft Teams provider operations of knock-api.yml."""
    slack, teams = "/v1/providers/slack/{channel_id}", "/v1/providers/ms-teams/{channel_id}"

    def r(path: str, handler: Any, method: str) -> Route:
        return Route(path, endpoint(ctx, handler), methods=[method])

    return [
        r(slack + "/auth_check", slack_auth_check, "GET"),
        r(slack + "/channels", slack_channels, "GET"),
        r(slack + "/revoke_access", slack_revoke, "PUT"),
        r(teams + "/auth_check", teams_auth_check, "GET"),
        r(teams + "/teams", teams_teams, "GET"),
        r(teams + "/channels", teams_channels, "GET"),
        r(teams + "/revoke_access", teams_revoke, "PUT"),
    ]
