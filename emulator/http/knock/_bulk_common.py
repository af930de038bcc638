"""What every recipient bulk endpoint shares: list limits, id checks, check-all-then-store, and
the completed BulkOperation they answer with."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from emulator.http.knock._bulk import completed_operation
from emulator.http.knock._core import KnockContext, json_response
from emulator.http.knock._errors import get_list, invalid
from emulator.http.knock._inline import check_inline, store_inline

MAX_ITEMS = 1000  # per request: users, tenants and objects, as the spec and docs say


def bulk_list(body: dict[str, Any], key: str, limit: int = MAX_ITEMS) -> list[Any]:
    items = get_list(body, key, required=True) or []
    if not 1 <= len(items) <= limit:
        raise invalid(key, f"has {len(items)} items; pass 1 to {limit} per request")
    return items


def id_list(values: Sequence[Any], key: str, limit: int = MAX_ITEMS) -> list[str]:
    if not 1 <= len(values) <= limit:
        raise invalid(key, f"has {len(values)} ids; pass 1 to {limit} per request")
    for index, value in enumerate(values):
        if not isinstance(value, str) or not value:
            raise invalid(f"{key}[{index}]", f"must be a non-empty id string, got {value!r}")
    return list(values)


def operation(ctx: KnockContext, request: Request, name: str, count: int) -> Response:
    return json_response(completed_operation(ctx, request, name, count))


def upsert_all(
    ctx: KnockContext, request: Request, body: dict[str, Any], key: str, collection: str, name: str
) -> Response:
    """Check every inline entity under `key` first (422 names `key[i]...`), then store them."""
    items = bulk_list(body, key)
    checked = [check_inline(ctx, raw, f"{key}[{i}]", collection) for i, raw in enumerate(items)]
    for item in checked:
        store_inline(ctx, item)
    return operation(ctx, request, name, len(checked))
