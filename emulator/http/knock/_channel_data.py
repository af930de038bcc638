"""Channel data of users and objects: `GET/PUT/DELETE /v1/users/{user_id}/channel_data/
{channel_id}` and `/v1/objects/{collection}/{object_id}/channel_data/{channel_id}`.

Push tokens and chat connections live where the engine's channel steps look for them: the
recipient entity's `channel_data` property, keyed by channel key. `channel_id` may be the channel
key or the UUID the API reports as `channel_id` (stored under the key either way, so a push step
with that `channel_key` finds it); an id naming no known channel is stored as given.
PUT replaces that channel's data, as Knock does, and creates a missing user or object.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator.http.knock._core import (
    KnockContext,
    channel_keys,
    endpoint,
    json_response,
    no_content,
)
from emulator.http.knock._entities import kind_of, owner, require_entity
from emulator.http.knock._errors import invalid, missing
from emulator.http.knock._serialize import channel_uuid

PUSH_FIELDS = ("tokens", "devices", "target_arns", "player_ids")
_EXAMPLE = '{"data": {"tokens": ["..."]}} for push or {"data": {"connections": [...]}} for chat'


# -- channels ------------------------------------------------------------------------------------
def _stored(entity: Mapping[str, Any] | None) -> dict[str, Any]:
    found = (entity or {}).get("channel_data")
    return dict(found) if isinstance(found, Mapping) else {}


def resolve_key(ctx: KnockContext, entity: Mapping[str, Any] | None, channel_id: str) -> str:
    """The key `channel_id` names among known channels and the entity's stored data."""
    for key in sorted(channel_keys(ctx, None) | set(_stored(entity))):
        if channel_id in (key, channel_uuid(key)):
            return key
    return channel_id


def reported_id(key: str) -> str:
    """`channel_id` in responses: a UUID (the spec's format) for a key, a stored UUID as is."""
    try:
        if str(uuid.UUID(key)) == key.lower():
            return key
    except ValueError:
        pass
    return channel_uuid(key)


def channel_type(ctx: KnockContext, key: str) -> str | None:
    """The type of the configured channel or workflow channel step `key` names, if any."""
    emulator = ctx.emulator
    for channel in emulator.channels:
        if channel.key == key:
            return str(channel.type)
    for workflow in emulator.definitions.workflows.values():
        for step in workflow.iter_steps():
            step_type = getattr(step, "channel_type", None)
            if step_type is not None and key == (getattr(step, "channel_key", None) or step_type):
                return str(step_type)
    return None


# -- validation (ChannelDataRequest) -------------------------------------------------------------
def _strings(value: Any, where: str, *, as_uuid: bool = False, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, str):
        raise invalid(where, f"must be a string, got {value!r}")
    if as_uuid:
        try:
            uuid.UUID(value)
        except ValueError:
            raise invalid(where, f"must be a UUID, got {value!r}") from None


def _list(data: Mapping[str, Any], name: str) -> list[Any]:
    value = data.get(name)
    if not isinstance(value, list):
        raise invalid(f"data.{name}", f"must be a list, got {type(value).__name__}")
    return value


def _check_push(data: Mapping[str, Any]) -> None:
    for name in ("tokens", "target_arns", "player_ids"):
        if name in data:
            for i, item in enumerate(_list(data, name)):
                _strings(item, f"data.{name}[{i}]", as_uuid=name == "player_ids")
    if "devices" not in data:
        return
    for i, device in enumerate(_list(data, "devices")):
        where = f"data.devices[{i}]"
        if not isinstance(device, Mapping):
            raise invalid(where, f"must be an object with a token, got {device!r}")
        if "token" not in device and "target_arn" not in device:
            raise invalid(f"{where}.token", "is required; pass the device's push token")
        for name in ("token", "target_arn"):
            if name in device:
                _strings(device[name], f"{where}.{name}")
        for name in ("locale", "timezone"):
            _strings(device.get(name), f"{where}.{name}", nullable=True)


def _check_chat(data: Mapping[str, Any]) -> None:
    for i, connection in enumerate(_list(data, "connections")):
        where = f"data.connections[{i}]"
        if not isinstance(connection, Mapping):
            raise invalid(where, f"must be an object, got {connection!r}")
        for name, value in connection.items():
            if name == "incoming_webhook":
                if not isinstance(value, Mapping):
                    raise invalid(f"{where}.incoming_webhook", 'must be {"url": "https://..."}')
                _strings(value.get("url"), f"{where}.incoming_webhook.url")
            else:
                _strings(value, f"{where}.{name}", nullable=True, as_uuid=name.startswith("ms_"))
    token = data.get("token")
    if token is not None:
        if not isinstance(token, Mapping):
            raise invalid("data.token", 'must be {"access_token": "xoxb-..."} or null')
        _strings(token.get("access_token"), "data.token.access_token", nullable=True)
    _strings(data.get("ms_teams_tenant_id"), "data.ms_teams_tenant_id", nullable=True, as_uuid=True)


def validate_data(body: Mapping[str, Any], kind: str | None, key: str) -> dict[str, Any]:
    """`body["data"]` checked against Knock's ChannelDataRequest shapes, and against the
    channel's type when the emulator knows it (push needs tokens, chat needs connections)."""
    data = body.get("data")
    if data is None:
        raise invalid("data", f"is required; send {_EXAMPLE}")
    if not isinstance(data, dict):
        raise invalid("data", f"must be an object, got {type(data).__name__}; send {_EXAMPLE}")
    push = [name for name in PUSH_FIELDS if name in data]
    if kind == "push" and not push:
        raise invalid("data.tokens", f"is required for push channel {key!r}; pass a list of tokens")
    if kind == "chat" and "connections" not in data:
        raise invalid("data.connections", f"is required for chat channel {key!r}; pass a list")
    if push and "connections" in data:
        raise invalid("data", f"mixes push ({', '.join(push)}) and chat (connections) data")
    if not push and "connections" not in data:
        raise invalid("data", f"has none of {', '.join(PUSH_FIELDS)}, connections; send {_EXAMPLE}")
    if push:
        _check_push(data)
    else:
        _check_chat(data)
    return data


def full_shape(data: Mapping[str, Any]) -> dict[str, Any]:
    """Push data with both `tokens` and `devices` (AWS SNS: `target_arns` and `devices`), as
    Knock's ChannelData answers: the one not given is derived from the other (or empty)."""
    out = dict(data)
    devices = out.get("devices")
    rows = [d for d in devices if isinstance(d, Mapping)] if isinstance(devices, list) else []
    for listed, field in (("tokens", "token"), ("target_arns", "target_arn")):
        if listed in out or (rows and all(field in d for d in rows)):
            out.setdefault(listed, [d[field] for d in rows if isinstance(d.get(field), str)])
            out.setdefault("devices", [])
            break
    return out


def channel_data_json(key: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"__typename": "ChannelData", "channel_id": reported_id(key), "data": full_shape(data)}


# -- handlers ------------------------------------------------------------------------------------
def get_channel_data(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection, entity_id = owner(request)
    kind = kind_of(collection)
    entity = require_entity(ctx, collection, entity_id, kind)
    channel_id = request.path_params["channel_id"]
    key = resolve_key(ctx, entity, channel_id)
    stored = _stored(entity)
    if key not in stored:
        have = ", ".join(sorted(stored)) or "none"
        raise missing(
            "channel data",
            channel_id,
            f"the {kind} has channel data for: {have}; set it with PUT {request.url.path}",
        )
    return json_response(channel_data_json(key, stored[key]))


def set_channel_data(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection, entity_id = owner(request)
    entity = ctx.emulator.object(collection, entity_id)
    key = resolve_key(ctx, entity, request.path_params["channel_id"])
    data = full_shape(validate_data(body, channel_type(ctx, key), key))
    ctx.emulator.set_channel_data(collection, entity_id, {key: data})
    return json_response(channel_data_json(key, data))


def unset_channel_data(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """204 whether or not the channel had data (unsetting is idempotent); 404 for a missing
    user or object, so a typo in the id does not pass silently."""
    collection, entity_id = owner(request)
    entity = require_entity(ctx, collection, entity_id, kind_of(collection))
    key = resolve_key(ctx, entity, request.path_params["channel_id"])
    ctx.emulator.set_channel_data(collection, entity_id, {key: None})
    return no_content()


def channel_data_routes(ctx: KnockContext) -> list[Route]:
    routes = []
    for owner_path in ("/v1/users/{user_id}", "/v1/objects/{collection}/{object_id}"):
        path = f"{owner_path}/channel_data/{{channel_id}}"
        routes += [
            Route(path, endpoint(ctx, get_channel_data), methods=["GET"]),
            Route(path, endpoint(ctx, set_channel_data, "required"), methods=["PUT"]),
            Route(path, endpoint(ctx, unset_channel_data), methods=["DELETE"]),
        ]
    return routes
