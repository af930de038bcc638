"""Bulk objects of one collection: `POST /v1/objects/{collection}/bulk/set|delete` and
`.../bulk/subscriptions/add|delete`.

As for the other bulk endpoints, the whole request is checked first (422 names the JSON path,
nothing is stored) and the answer is a completed BulkOperation. Objects count one row each,
subscriptions one row per (object, recipient) pair. Subscriptions are what trigger fan-out
reads, so a trigger to the object reaches recipients added here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator.http.knock._bulk_common import bulk_list, operation, upsert_all
from emulator.http.knock._core import KnockContext, endpoint
from emulator.http.knock._entities import object_collection
from emulator.http.knock._errors import invalid
from emulator.http.knock._inline import (
    check_recipient,
    recipient_reference,
    require_id,
    store_inline,
    subscriber,
)

MAX_RECIPIENTS = 100  # recipients per subscribed-to object, as the spec says


# -- objects -------------------------------------------------------------------------------------
def bulk_set_objects(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection = object_collection(request.path_params["collection"])
    return upsert_all(ctx, request, body, "objects", collection, "objects.bulk_set")


def bulk_delete_objects(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """Ids of objects that do not exist are accepted and change nothing."""
    collection = object_collection(request.path_params["collection"])
    ids = bulk_list(body, "object_ids")
    for index, value in enumerate(ids):
        if not isinstance(value, str) or not value:
            raise invalid(f"object_ids[{index}]", f"must be a non-empty id string, got {value!r}")
    for object_id in dict.fromkeys(ids):
        ctx.emulator.delete_object(collection, object_id)
    return operation(ctx, request, "objects.bulk_delete", len(ids))


# -- subscriptions -------------------------------------------------------------------------------
def _groups(
    ctx: KnockContext, body: dict[str, Any], parse: Callable[[Any, str], Any]
) -> list[tuple[str, list[Any], Any]]:
    """`subscriptions[]` as (object id, parsed recipients, properties)."""
    out = []
    for index, raw in enumerate(bulk_list(body, "subscriptions")):
        where = f"subscriptions[{index}]"
        object_id = require_id(raw, where, '{"id": "project_1", "recipients": ["user_1"]}')
        recipients = raw.get("recipients")
        if not isinstance(recipients, list) or not 1 <= len(recipients) <= MAX_RECIPIENTS:
            count = len(recipients) if isinstance(recipients, list) else recipients
            raise invalid(
                f"{where}.recipients", f"must list 1 to {MAX_RECIPIENTS} recipients; got {count!r}"
            )
        properties = raw.get("properties")
        if properties is not None and not isinstance(properties, dict):
            raise invalid(f"{where}.properties", f"must be an object or null, got {properties!r}")
        parsed = [parse(r, f"{where}.recipients[{i}]") for i, r in enumerate(recipients)]
        out.append((object_id, parsed, properties))
    return out


def bulk_add_subscriptions(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """Upserts each subscription (properties replaced); every subscribed-to object must exist
    (422 names the item's `id` otherwise), as the single-object endpoint requires."""
    collection = object_collection(request.path_params["collection"])
    groups = _groups(ctx, body, lambda raw, where: check_recipient(ctx, raw, where))
    for index, (object_id, _, _) in enumerate(groups):
        if ctx.emulator.object(collection, object_id) is None:
            raise invalid(
                f"subscriptions[{index}].id",
                f"no object {object_id!r} in {collection!r}; create it first with "
                f"PUT /v1/objects/{collection}/{{id}} or POST .../bulk/set",
            )
    count = 0
    for object_id, recipients, properties in groups:
        for ref, inline in recipients:
            if inline is not None:
                store_inline(ctx, inline)
            ctx.emulator.subscribe(collection, object_id, [subscriber(ref)], properties)
            count += 1
    return operation(ctx, request, "objects.bulk_add_subscriptions", count)


def bulk_delete_subscriptions(
    ctx: KnockContext, request: Request, body: dict[str, Any]
) -> Response:
    """Subscriptions (or objects) that do not exist are skipped, as the spec says."""
    collection = object_collection(request.path_params["collection"])
    groups = _groups(ctx, body, recipient_reference)
    count = 0
    for object_id, refs, _ in groups:
        for ref in refs:
            ctx.emulator.unsubscribe(collection, object_id, [subscriber(ref)])
            count += 1
    return operation(ctx, request, "objects.bulk_delete_subscriptions", count)


def bulk_object_routes(ctx: KnockContext) -> list[Route]:
    def r(path: str, handler: Any) -> Route:
        return Route(
            f"/v1/objects/{{collection}}/bulk/{path}",
            endpoint(ctx, handler, "required"),
            methods=["POST"],
        )

    return [
        r("set", bulk_set_objects),
        r("delete", bulk_delete_objects),
        r("subscriptions/add", bulk_add_subscriptions),
        r("subscriptions/delete", bulk_delete_subscriptions),
    ]
