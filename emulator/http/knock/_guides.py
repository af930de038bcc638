"""Knock's guides API (`/v1/users/{user_id}/guides/...`): the guides a user is eligible for on
a channel, and their engagement (seen, interacted, archived, unarchived, reset), as
`@knocklabs/client`'s guide client calls it with a public key.

`channel_id` is the guide channel's key or the UUID this API reports for it; an id that names
no loaded guide's channel lists every guide, so a client configured with a real Knock channel
UUID still works (as the feed does). The per-message routes (`.../messages/{message_id}/seen`)
record the same engagement as the body-only ones, which are what the client SDK calls.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator import EligibleGuide, GuideList, GuideStepView
from emulator.http.knock._channel_data import reported_id
from emulator.http.knock._core import KnockContext, endpoint, json_response
from emulator.http.knock._errors import get_dict, get_str, invalid
from emulator.http.knock._query import q_str
from emulator.http.knock._serialize import channel_uuid, iso

_USER = "/v1/users/{user_id}/guides"
_REQUIRED = ("channel_id", "guide_id", "guide_key", "guide_step_ref")
OK = {"status": "ok"}


def _channel(ctx: KnockContext, channel_id: str) -> str | None:
    """The guide channel key `channel_id` names; None when it names none (every guide)."""
    for key in sorted({g.channel_key for g in ctx.emulator.definitions.guides.values()}):
        if channel_id in (key, channel_uuid(key)):
            return key
    return None


def _data(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise invalid("data", f"must be a JSON-encoded object, got {raw!r}") from None
    if not isinstance(value, dict):
        raise invalid("data", f"must be a JSON-encoded object, got {raw!r}")
    return value


def list_guides(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    params = request.query_params
    listed = ctx.emulator.guides(
        request.path_params["user_id"],
        _channel(ctx, request.path_params["channel_id"]),
        tenant=q_str(params, "tenant"),
        data=_data(params.get("data")),
        type=q_str(params, "type"),
    )
    return json_response(guides_json(ctx, listed))


def guides_json(ctx: KnockContext, listed: GuideList) -> dict[str, Any]:
    """A `GuidesResponse`: entries, the one default group (no `display_interval`: no throttle
    window), display logs, ineligible guides."""
    stamp = iso(ctx.emulator.clock.now)
    return {
        "entries": [_entry(e, stamp) for e in listed.entries],
        "guide_groups": [
            {
                "__typename": "GuideGroup",
                "key": "default",
                "display_sequence": [g.key for g in ctx.emulator.definitions.guides.values()],
                "inserted_at": stamp,
                "updated_at": stamp,
            }
        ],
        "guide_group_display_logs": (
            {} if listed.display_log is None else {"default": iso(listed.display_log)}
        ),
        "ineligible_guides": [
            {"__typename": "GuideIneligibilityMarker", "key": i.key, "reason": i.reason}
            | {"message": i.message}
            for i in listed.ineligible
        ],
    }


def _entry(entry: EligibleGuide, stamp: str | None) -> dict[str, Any]:
    guide = entry.guide
    return {
        "__typename": "Guide",
        "id": entry.id,
        "key": guide.key,
        "type": guide.type,
        "semver": guide.semver,
        "active": True,
        "channel_id": reported_id(guide.channel_key),
        "bypass_global_group_limit": guide.bypass_global_group_limit,
        "activation_url_rules": [
            {"directive": r.directive, "variable": r.variable, "operator": r.operator}
            | {"argument": r.argument}
            for r in guide.activation_url_rules
        ],
        "activation_url_patterns": [
            {"directive": p.directive}
            | ({} if p.pathname is None else {"pathname": p.pathname})
            | ({} if p.search is None else {"search": p.search})
            for p in guide.activation_url_patterns
        ],
        "steps": [_step(s) for s in entry.steps],
        "inserted_at": stamp,
        "updated_at": stamp,
    }


def _step(view: GuideStepView) -> dict[str, Any]:
    message = view.message
    state = {} if message is None else message.state()
    return {
        "ref": view.step.ref,
        "schema_key": view.step.schema_key,
        "schema_semver": view.step.schema_semver,
        "schema_variant_key": view.step.schema_variant_key,
        "content": view.content,
        "message": {
            name: state.get(name) if name == "id" else iso(state.get(name))
            for name in ("id", "seen_at", "read_at", "interacted_at", "archived_at")
        }
        | {"link_clicked_at": iso(state.get("link_clicked_at"))},
    }


def _mark(status: str) -> Any:
    def mark(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
        for name in _REQUIRED:
            get_str(body, name, required=True)
        if status == "seen" and get_dict(body, "content") is None:
            raise invalid("content", "is required: the step content the user saw (an object)")
        details = {
            "channel_id": body["channel_id"],
            "tenant": get_str(body, "tenant"),
            "content": get_dict(body, "content"),
            "data": get_dict(body, "data"),
            "metadata": get_dict(body, "metadata"),
            "unthrottled": body.get("unthrottled") is True,
        }
        ctx.emulator.mark_guide(
            request.path_params["user_id"],
            body["guide_key"],
            status,
            step=body["guide_step_ref"],
            details=details,
        )
        return json_response(OK)

    mark.__name__ = f"mark_guide_{status}"
    return mark


def unarchive(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    key = get_str(body, "guide_key", required=True) or ""
    ctx.emulator.unarchive_guide(request.path_params["user_id"], key)
    return json_response(OK)


def reset(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    key = get_str(body, "guide_key", required=True) or ""
    ctx.emulator.reset_guide_engagement(request.path_params["user_id"], key)
    return json_response(OK)


def guide_routes(ctx: KnockContext) -> list[Route]:
    """The guides routes; the fixed `messages/...` and `engagements/...` paths come first."""
    routes = [
        Route(f"{_USER}/engagements/reset", endpoint(ctx, reset, "required"), methods=["PUT"]),
        Route(
            f"{_USER}/messages/archived", endpoint(ctx, unarchive, "required"), methods=["DELETE"]
        ),
    ]
    for status in ("seen", "interacted", "archived"):
        handler = endpoint(ctx, _mark(status), "required")
        routes.append(Route(f"{_USER}/messages/{status}", handler, methods=["PUT"]))
        routes.append(Route(f"{_USER}/messages/{{message_id}}/{status}", handler, methods=["PUT"]))
    routes.append(Route(f"{_USER}/{{channel_id}}", endpoint(ctx, list_guides), methods=["GET"]))
    return routes
