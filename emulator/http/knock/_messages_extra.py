"""More of Knock's message API: a message's activities and delivery logs, the contents of several
messages at once, an object's messages and a user's in-app feed settings.

Activities are the triggers behind a message (built in `_activities`).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator.http.knock._activities import activities_json
from emulator.http.knock._core import KnockContext, endpoint, json_response
from emulator.http.knock._delivery_logs import list_delivery_logs
from emulator.http.knock._entities import kind_of, owner, require_entity
from emulator.http.knock._errors import invalid
from emulator.http.knock._messages import _message, _message_page, matches_data
from emulator.http.knock._query import paginate, q_json_object, q_list
from emulator.http.knock._serialize import contents_json

MAX_BATCH_CONTENTS = 50  # the spec's limit on `message_ids` elsewhere in the messages API


def list_activities(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    params = request.query_params
    message = _message(ctx, request.path_params["message_id"])
    wanted = q_json_object(params, "trigger_data")
    found = [
        a
        for a in activities_json(ctx.emulator, message)
        if wanted is None or matches_data(a["data"] or {}, wanted)
    ]
    page, info = paginate(found, lambda a: str(a["id"]), params)
    return json_response({"items": page, "page_info": info})


def batch_contents(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """Contents in the order asked (each id once); an unknown id is a 404 naming it."""
    ids = list(dict.fromkeys(q_list(request.query_params, "message_ids")))
    if not ids:
        raise invalid(
            "message_ids", "is required; pass one or more ids as ?message_ids[]=ID&message_ids[]=ID"
        )
    if len(ids) > MAX_BATCH_CONTENTS:
        raise invalid(
            "message_ids",
            f"has {len(ids)} ids; pass at most {MAX_BATCH_CONTENTS} per request and page the rest",
        )
    messages = [_message(ctx, message_id) for message_id in ids]
    return json_response([contents_json(ctx.emulator, m) for m in messages])


def list_object_messages(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """An object's messages, filtered like a user's; 404 only for an object never set that has
    no messages (a message can name an object that was only referenced in a trigger)."""
    collection, object_id = owner(request)
    mine = [
        m
        for m in ctx.emulator.messages(recipient=object_id)
        if isinstance(m.recipient, dict)
        and m.recipient.get("collection") == collection
        and m.recipient.get("id") == object_id
    ]
    if not mine:
        require_entity(ctx, collection, object_id, kind_of(collection))
    return _message_page(ctx, request, mine)


def feed_settings(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """The emulator shows no Knock branding, so none is ever required."""
    return json_response({"features": {"branding_required": False}})


def message_extra_routes(ctx: KnockContext) -> list[Route]:
    """Registered before `message_routes`: `batch/content` must win over `{message_id}`."""

    def r(path: str, handler: Any) -> Route:
        return Route(path, endpoint(ctx, handler), methods=["GET"])

    return [
        r("/v1/messages/batch/content", batch_contents),
        r("/v1/messages/{message_id}/activities", list_activities),
        r("/v1/messages/{message_id}/delivery_logs", list_delivery_logs),
        r("/v1/objects/{collection}/{object_id}/messages", list_object_messages),
        r("/v1/users/{user_id}/feeds/{channel_id}/settings", feed_settings),
    ]
