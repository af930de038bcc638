"""Bulk message updates for one channel and the BulkOperation records they report (knock.md 6.2).

Knock runs bulk operations asynchronously; the emulator applies them at once, under the clock's
lock, and answers with the operation already `completed`, so a test never has to poll.
`GET /v1/bulk_operations/{id}` returns the stored operation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator import DELIVERY_STATUSES, BulkOperation, Message
from emulator.http._json_body import JsonBodyError, decode_json
from emulator.http.knock._core import KnockContext, channel_messages, endpoint, json_response
from emulator.http.knock._errors import get_list, invalid, missing
from emulator.http.knock._messages import (
    ACTIONS,
    ENGAGEMENT_FILTERS,
    apply_action,
    engaged,
    matches_data,
)
from emulator.http.knock._query import parse_time
from emulator.http.knock._serialize import iso

DELETE = "delete"
# URL action -> the engagement action it performs (Knock's archive/unarchive are aliases).
BULK_ACTIONS: dict[str, str] = {
    **{action: action for action in ACTIONS},
    "archive": "archived",
    "unarchive": "unarchived",
    DELETE: DELETE,
}
ARCHIVED_CHOICES = ("exclude", "include", "only")
# `user_ids` is what Knock's JS feed client sends for "mark all as seen/read".
FILTER_FIELDS = (
    "archived",
    "delivery_status",
    "engagement_status",
    "has_tenant",
    "newer_than",
    "older_than",
    "recipient_ids",
    "user_ids",
    "tenants",
    "trigger_data",
    "workflows",
)
Predicate = Callable[[Message], bool]


# -- request parsing -----------------------------------------------------------------------------
def _strings(body: dict[str, Any], key: str) -> set[str] | None:
    values = get_list(body, key)
    if values is None:
        return None
    for index, value in enumerate(values):
        if not isinstance(value, str):
            raise invalid(f"{key}[{index}]", f"must be a string, got {value!r}")
    return set(values)


def _choice(body: dict[str, Any], key: str, choices: tuple[str, ...]) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if value not in choices:
        raise invalid(key, f"must be one of {', '.join(choices)}; got {value!r}")
    return str(value)


def _trigger_data(body: dict[str, Any]) -> dict[str, Any] | None:
    raw = body.get("trigger_data")
    if raw is None:
        return None
    hint = 'must be a JSON object encoded as a string, e.g. "{\\"key\\": \\"value\\"}"'
    if not isinstance(raw, str):
        raise invalid("trigger_data", f"{hint}; got {type(raw).__name__}")
    try:
        parsed = decode_json(raw.encode())
    except JsonBodyError:
        raise invalid("trigger_data", f"{hint}; got {raw!r}") from None
    if not isinstance(parsed, dict):
        raise invalid("trigger_data", f"{hint}; got {raw!r}")
    return parsed


def parse_filters(body: dict[str, Any]) -> list[Predicate]:
    """One predicate per given filter; unknown fields are refused so a typo cannot widen an
    update (or a delete) to every message of the channel."""
    unknown = sorted(set(body) - set(FILTER_FIELDS))
    if unknown:
        raise invalid(
            unknown[0],
            f"is not a filter of this endpoint; use {', '.join(FILTER_FIELDS)}",
        )
    tests: list[Predicate] = []
    recipients = _strings(body, "recipient_ids")
    users = _strings(body, "user_ids")
    if recipients is not None or users is not None:
        wanted = (recipients or set()) | (users or set())
        tests.append(lambda m: m.recipient_id in wanted)
    tenants = _strings(body, "tenants")
    if tenants is not None:
        tests.append(lambda m: m.tenant in tenants)
    workflows = _strings(body, "workflows")
    if workflows is not None:
        tests.append(lambda m: m.workflow in workflows)
    has_tenant = body.get("has_tenant")
    if has_tenant is not None:
        if not isinstance(has_tenant, bool):
            raise invalid("has_tenant", f"must be true or false, got {has_tenant!r}")
        tests.append(lambda m: (m.tenant is not None) == has_tenant)
    engagement = _choice(body, "engagement_status", ENGAGEMENT_FILTERS)
    if engagement is not None:
        tests.append(lambda m: engaged(m, engagement))
    delivery = _choice(body, "delivery_status", DELIVERY_STATUSES)
    if delivery is not None:
        tests.append(lambda m: m.status == delivery)
    archived = _choice(body, "archived", ARCHIVED_CHOICES) or "include"
    if archived != "include":
        only = archived == "only"
        tests.append(lambda m: (m.archived_at is not None) == only)
    for key, newer in (("newer_than", True), ("older_than", False)):
        raw = body.get(key)
        if raw is None:
            continue
        if not isinstance(raw, str):
            raise invalid(key, f"must be an ISO-8601 timestamp string, got {raw!r}")
        tests.append(_time_bound(parse_time(key, raw), newer=newer))
    data = _trigger_data(body)
    if data is not None:
        tests.append(lambda m: matches_data(m.data, data))
    return tests


def _time_bound(bound: datetime, *, newer: bool) -> Predicate:
    if newer:
        return lambda m: m.inserted_at > bound
    return lambda m: m.inserted_at < bound


# -- handlers ------------------------------------------------------------------------------------
def bulk_update_channel(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """Apply `action` to every message of the channel matching the filters; all input is
    checked before any message changes."""
    action = request.path_params["action"]
    if action not in BULK_ACTIONS:
        raise invalid("action", f"{action!r} is not one of {', '.join(BULK_ACTIONS)}")
    tests = parse_filters(body)
    listed = ctx.emulator.messages()
    chosen = [
        m
        for m in channel_messages(ctx, request.path_params["channel_id"], listed, None)
        if all(test(m) for test in tests)
    ]
    effect = BULK_ACTIONS[action]
    for message in chosen:
        if effect == DELETE:
            ctx.emulator.delete_message(message.id)
        else:
            apply_action(ctx, message, effect, None)
    operation = completed_operation(ctx, request, f"channel_messages.{action}", len(chosen))
    return json_response(operation)


def completed_operation(
    ctx: KnockContext, request: Request, name: str, count: int
) -> dict[str, Any]:
    """A BulkOperation that finished at once (the emulator applies bulk work synchronously),
    recorded by the emulator for `GET /v1/bulk_operations/{id}`."""
    return operation_json(request, ctx.emulator.record_bulk_operation(name, count))


def operation_json(request: Request, operation: BulkOperation) -> dict[str, Any]:
    """Knock's BulkOperation for a recorded operation."""
    stamp = iso(operation.at)
    return {
        "__typename": "BulkOperation",
        "id": operation.id,
        "name": operation.name,
        "status": "completed",
        "estimated_total_rows": operation.rows,
        "processed_rows": operation.rows,
        "success_count": operation.rows,
        "error_count": 0,
        "error_items": [],
        "progress_path": str(request.url_for("get_bulk_operation", id=operation.id)),
        "inserted_at": stamp,
        "started_at": stamp,
        "completed_at": stamp,
        "failed_at": None,
        "updated_at": stamp,
    }


def get_bulk_operation(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    op_id = request.path_params["id"]
    operation = ctx.emulator.bulk_operation(op_id)
    if operation is None:
        raise missing(
            "bulk operation",
            op_id,
            "use the id returned by POST /v1/channels/{channel_id}/messages/bulk/{action}",
        )
    return json_response(operation_json(request, operation))


def bulk_routes(ctx: KnockContext) -> list[Route]:
    return [
        Route(
            "/v1/channels/{channel_id}/messages/bulk/{action}",
            endpoint(ctx, bulk_update_channel, "object"),
            methods=["POST"],
        ),
        Route(
            "/v1/bulk_operations/{id}",
            endpoint(ctx, get_bulk_operation),
            methods=["GET"],
            name="get_bulk_operation",
        ),
    ]
