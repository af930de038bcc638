"""More of Knock's message API: a message's activities and delivery logs, the contents of several
messages at once, an object's messages and a user's in-app feed settings.

Activities are the triggers behind a message. A message sent after a batch step has one per
trigger in the batch: all of them, not only the `batch_items_render_limit` its template saw,
taken from the batch record of the run that carried the batch on (`BatchInfo.all_activities`),
in arrival order, with their engine ids (the `activity.id` templates render). Any other message
has a single activity: its own run's trigger (the run id as activity id, the run's data, actor
and recipient). Actor and recipient are the entities as stored now, like the feed's.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator import Activity, BatchInfo, Message, Run
from emulator.http.knock._core import KnockContext, endpoint, json_response
from emulator.http.knock._delivery_logs import list_delivery_logs
from emulator.http.knock._entities import kind_of, owner, require_entity
from emulator.http.knock._errors import invalid
from emulator.http.knock._messages import _message, _message_page, matches_data
from emulator.http.knock._query import paginate, q_json_object, q_list
from emulator.http.knock._serialize import contents_json, iso, recipient_json

if TYPE_CHECKING:
    from emulator import Emulator

MAX_BATCH_CONTENTS = 50  # the spec's limit on `message_ids` elsewhere in the messages API


def _batch_of(emulator: Emulator, message: Message) -> BatchInfo | None:
    """The batch record before the message's step in the run that sent it."""
    if message.batch is None:
        return None
    state = emulator.runs_by_id.get(message.run_id)
    if state is None:
        return None
    found = None
    for record in state.record.steps:
        if message.id in record.message_ids:
            break
        if record.batch is not None:
            found = record.batch
    return found


def _activity_json(
    emulator: Emulator, ident: str, run: Run, at: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    stamp = iso(at)
    actor = None if run.actor is None else recipient_json(emulator, run.actor, at)
    return {
        "__typename": "Activity",
        "id": ident,
        "actor": actor,
        "recipient": recipient_json(emulator, run.recipient, at),
        "data": data,
        "inserted_at": stamp,
        "updated_at": stamp,
    }


def activities_json(emulator: Emulator, message: Message) -> list[dict[str, Any]]:
    """Activity JSON for every trigger behind `message`, oldest first."""
    batch = _batch_of(emulator, message)
    if batch is None:
        state = emulator.runs_by_id.get(message.run_id)
        if state is None:
            return []
        run = state.record
        return [_activity_json(emulator, run.id, run, run.inserted_at, run.data)]
    out = []
    for activity in batch.all_activities:
        state = emulator.runs_by_id.get(activity.run_id)
        if state is not None:
            out.append(_from_engine(emulator, activity, state.record))
    return out


def _from_engine(emulator: Emulator, activity: Activity, run: Run) -> dict[str, Any]:
    return _activity_json(emulator, activity.id, run, activity.inserted_at, activity.data)


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
        for m in ctx.emulator.messages_store
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
