"""Messages, engagement updates, in-app feeds and workflow recipient runs (knock.md 6 and 8.1)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator import DELIVERY_STATUSES, Message, Run, UnknownMessageError, UnknownRunError
from emulator.http.knock._activities import feed_item_json
from emulator.http.knock._core import (
    KnockContext,
    channel_messages,
    endpoint,
    json_response,
    message_channel,
)
from emulator.http.knock._errors import get_dict, get_list, invalid, missing
from emulator.http.knock._exclude import exclude_paths, without_paths
from emulator.http.knock._query import (
    paginate,
    parse_time,
    q_bool,
    q_choice,
    q_json_object,
    q_list,
    q_str,
    q_time_range,
)
from emulator.http.knock._run_events import run_detail_json
from emulator.http.knock._serialize import (
    channel_uuid,
    contents_json,
    message_event_json,
    message_json,
    run_json,
)

ENGAGEMENT_FILTERS = (
    "seen",
    "unseen",
    "read",
    "unread",
    "archived",
    "unarchived",
    "interacted",
    "link_clicked",
)
# action in the URL -> engagement changes (status, on); interacted also marks read (knock.md 6.2)
ACTIONS: dict[str, tuple[tuple[str, bool], ...]] = {
    "seen": (("seen", True),),
    "unseen": (("seen", False),),
    "read": (("read", True),),
    "unread": (("read", False),),
    "archived": (("archived", True),),
    "unarchived": (("archived", False),),
    "interacted": (("read", True), ("interacted", True)),
}
_KNOCK_RUN_STATUSES = ("queued", "processing", "paused", "completed", "cancelled")


# -- filtering -----------------------------------------------------------------------------------
def engaged(message: Message, wanted: str) -> bool:
    if wanted.startswith("un"):
        return getattr(message, f"{wanted[2:]}_at") is None
    return getattr(message, f"{wanted}_at") is not None


def matches_data(data: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return all(key in data and data[key] == value for key, value in wanted.items())


def common_filters(params: QueryParams, messages: Iterable[Message]) -> list[Message]:
    """Filters shared by message lists and feeds: source, tenant, categories, data, time."""
    source = q_str(params, "source")
    tenant = q_str(params, "tenant")
    has_tenant = q_bool(params, "has_tenant")
    categories = set(q_list(params, "workflow_categories"))
    trigger_data = q_json_object(params, "trigger_data")
    when = q_time_range(params, "inserted_at")
    return [
        m
        for m in messages
        if (source is None or m.workflow == source)
        and (tenant is None or m.tenant == tenant)
        and (has_tenant is None or (m.tenant is not None) == has_tenant)
        and (not categories or categories & set(m.categories))
        and (trigger_data is None or matches_data(m.data, trigger_data))
        and when(m.inserted_at)
    ]


def _message_filters(params: QueryParams, messages: Iterable[Message]) -> list[Message]:
    statuses = q_list(params, "status")
    for status in statuses:
        if status not in DELIVERY_STATUSES:
            raise invalid("status[]", f"{status!r} is not one of {', '.join(DELIVERY_STATUSES)}")
    engagement = q_list(params, "engagement_status")
    for wanted in engagement:
        if wanted not in ENGAGEMENT_FILTERS:
            raise invalid(
                "engagement_status[]", f"{wanted!r} is not one of {', '.join(ENGAGEMENT_FILTERS)}"
            )
    channel = q_str(params, "channel_id")
    ids = set(q_list(params, "message_ids"))
    run_id = q_str(params, "workflow_run_id")
    recipient_run = q_str(params, "workflow_recipient_run_id")
    found = [
        m
        for m in common_filters(params, messages)
        if (not statuses or m.status in statuses)
        and (not engagement or any(engaged(m, e) for e in engagement))
        and (channel is None or channel in (m.channel_key, channel_uuid(message_channel(m))))
        and (not ids or m.id in ids)
        and (run_id is None or m.workflow_run_id == run_id)
        and (recipient_run is None or m.run_id == recipient_run)
    ]
    return found[::-1]  # newest first


def _message_page(ctx: KnockContext, request: Request, messages: list[Message]) -> Response:
    params = request.query_params
    page, info = paginate(_message_filters(params, messages), _ident, params)
    return json_response({"items": [message_json(m) for m in page], "page_info": info})


def _ident(message: Message) -> str:
    return message.id


def _message(ctx: KnockContext, message_id: str) -> Message:
    try:
        return ctx.emulator.message(message_id)
    except UnknownMessageError:
        raise missing("message", message_id, "list message ids with GET /v1/messages") from None


# -- handlers ------------------------------------------------------------------------------------
def list_messages(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    return _message_page(ctx, request, ctx.emulator.messages())


def list_user_messages(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    user_id = request.path_params["user_id"]
    mine = [m for m in ctx.emulator.messages(recipient=user_id) if m.recipient == user_id]
    return _message_page(ctx, request, mine)


def get_message(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    message = _message(ctx, request.path_params["message_id"])
    return json_response(message_json(message))


def get_contents(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    message = _message(ctx, request.path_params["message_id"])
    return json_response(contents_json(ctx.emulator, message))


def list_events(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    message = _message(ctx, request.path_params["message_id"])
    events = [
        message_event_json(message, index, kind, at)
        for index, (kind, at) in enumerate(message.events)
    ][::-1]
    page, info = paginate(events, lambda e: str(e["id"]), request.query_params)
    return json_response({"items": page, "page_info": info})


def apply_action(
    ctx: KnockContext, message: Message, action: str, metadata: dict[str, Any] | None
) -> None:
    for status, on in ACTIONS[action]:
        ctx.emulator.mark_message(message.id, status, on)
    if metadata is not None:
        ctx.emulator.set_message_metadata(message.id, metadata)


def _metadata(body: dict[str, Any]) -> dict[str, Any] | None:
    return get_dict(body, "metadata")


def update_message(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """`PUT .../{seen|read|archived|interacted}` marks, `DELETE` unmarks (also the spec's
    `DELETE .../{unseen|unread|unarchived}` spellings)."""
    action = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    if request.method == "DELETE":
        action = action if action.startswith("un") else f"un{action}"
    message = _message(ctx, request.path_params["message_id"])
    apply_action(ctx, message, action, _metadata(body) if action == "interacted" else None)
    return json_response(message_json(message))


def batch_update(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """All ids are checked before any message changes, so a typo changes nothing."""
    action = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    ids = get_list(body, "message_ids", required=True) or []
    for index, message_id in enumerate(ids):
        if not isinstance(message_id, str):
            raise invalid(f"message_ids[{index}]", f"must be a string, got {message_id!r}")
    messages = [_message(ctx, message_id) for message_id in ids]
    metadata = _metadata(body) if action == "interacted" else None
    for message in messages:
        apply_action(ctx, message, action, metadata)
    return json_response([message_json(m) for m in messages])


def feed_selection(
    ctx: KnockContext, user_id: str, channel_id: str, params: QueryParams
) -> tuple[list[Message], dict[str, Any]]:
    """A user's in-app feed before paging: the items `params` select (newest first) and the
    `meta` badge counts, shared by the feed endpoint and the realtime socket. `channel_id` is
    the channel key (or the UUID the API reports as `channel_id`); an id that names no known
    in-app channel selects every in-app message of the user, so a client configured with a
    real Knock channel UUID still works. Badge counts cover unarchived items matching the
    non-status filters. Raises KnockAPIError (422) for a bad filter value."""
    status = q_choice(params, "status", ("unread", "read", "unseen", "seen", "all"), "all")
    archived = q_choice(params, "archived", ("exclude", "include", "only"), "exclude")
    items = [
        m
        for m in ctx.emulator.messages(channel_type="in_app_feed", recipient=user_id)
        if m.recipient == user_id
    ]
    items = channel_messages(ctx, channel_id, items, "in_app_feed")
    base = common_filters(params, items)
    badge = [m for m in base if m.archived_at is None]
    if archived == "exclude":
        listed = badge
    elif archived == "only":
        listed = [m for m in base if m.archived_at is not None]
    else:
        listed = base
    if status != "all":
        listed = [m for m in listed if engaged(m, status)]
    meta = {
        "__typename": "FeedMetadata",
        "total_count": len(listed),
        "unread_count": sum(1 for m in badge if m.read_at is None),
        "unseen_count": sum(1 for m in badge if m.seen_at is None),
    }
    return listed[::-1], meta


def list_feed(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """A user's in-app feed, newest first (see `feed_selection`); `exclude` drops the named
    fields from the answer (`_knock_exclude`)."""
    params = request.query_params
    listed, meta = feed_selection(
        ctx, request.path_params["user_id"], request.path_params["channel_id"], params
    )
    compact = q_choice(params, "mode", ("rich", "compact"), "rich") == "compact"
    excluded = exclude_paths(q_str(params, "exclude"))
    page, info = paginate(listed, _ident, params)
    feed = {
        "entries": [feed_item_json(ctx.emulator, m, compact=compact) for m in page],
        "meta": meta,
        "page_info": info,
        "vars": dict(ctx.emulator.vars),
    }
    return json_response(without_paths(feed, excluded))


def list_runs(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    params = request.query_params
    workflow = q_str(params, "workflow")
    statuses = q_list(params, "status")
    for status in statuses:
        if status not in _KNOCK_RUN_STATUSES:
            raise invalid("status[]", f"{status!r} is not one of {', '.join(_KNOCK_RUN_STATUSES)}")
    tenant = q_str(params, "tenant")
    has_errors = q_bool(params, "has_errors")
    recipient = q_str(params, "recipient")
    starting = q_time_range(params, "starting_at")
    runs: list[Run] = [
        r
        for r in ctx.emulator.runs(workflow=workflow)
        if (not statuses or r.knock_status in statuses)
        and (tenant is None or r.tenant == tenant)
        and (has_errors is None or (r.error_count > 0) == has_errors)
        and (recipient is None or r.recipient_id == recipient)
        and starting(r.inserted_at)
        and _before_end(params, r)
    ][::-1]
    page, info = paginate(runs, lambda r: r.id, params)
    return json_response({"items": [run_json(r) for r in page], "page_info": info})


def _before_end(params: QueryParams, run: Run) -> bool:
    raw = params.get("ending_at")
    return not raw or run.inserted_at <= parse_time("ending_at", raw)


def get_run(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    run_id = request.path_params["run_id"]
    try:
        found = ctx.emulator.run(run_id)
    except UnknownRunError:
        raise missing(
            "workflow recipient run", run_id, "list runs with GET /v1/workflow_recipient_runs"
        ) from None
    emulator = ctx.emulator

    def channel_of(message_id: str) -> str | None:
        try:
            return emulator.message(message_id).channel_type
        except UnknownMessageError:
            return None  # deleted through the bulk API since

    return json_response(run_detail_json(found, channel_of))


def message_routes(ctx: KnockContext) -> list[Route]:
    single = endpoint(ctx, update_message, "optional")
    batch = endpoint(ctx, batch_update, "required")
    routes = [
        Route("/v1/messages", endpoint(ctx, list_messages), methods=["GET"]),
        *(Route(f"/v1/messages/batch/{action}", batch, methods=["POST"]) for action in ACTIONS),
        Route("/v1/messages/{message_id}", endpoint(ctx, get_message), methods=["GET"]),
        Route("/v1/messages/{message_id}/content", endpoint(ctx, get_contents), methods=["GET"]),
        Route("/v1/messages/{message_id}/events", endpoint(ctx, list_events), methods=["GET"]),
    ]
    for action in ACTIONS:
        methods = ["DELETE"] if action.startswith("un") else ["PUT"]
        if action in ("seen", "read", "archived"):
            methods.append("DELETE")
        routes.append(Route(f"/v1/messages/{{message_id}}/{action}", single, methods=methods))
    return [
        *routes,
        Route("/v1/users/{user_id}/messages", endpoint(ctx, list_user_messages), methods=["GET"]),
        Route("/v1/users/{user_id}/feeds/{channel_id}", endpoint(ctx, list_feed), methods=["GET"]),
        Route("/v1/workflow_recipient_runs", endpoint(ctx, list_runs), methods=["GET"]),
        Route("/v1/workflow_recipient_runs/{run_id}", endpoint(ctx, get_run), methods=["GET"]),
    ]
