"""Finding the user or object a Knock API path names (`/v1/users/{user_id}/...`,
`/v1/objects/{collection}/{object_id}/...`), shared by every recipient sub-resource module.

Collections starting with `$` are Knock's own (`$users`, `$tenants`) and refused on the object
paths, so an object path can never reach a user or tenant by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from emulator import USERS
from emulator.http.knock._core import KnockContext
from emulator.http.knock._errors import invalid, missing


def object_collection(collection: str) -> str:
    if collection.startswith("$"):
        raise invalid(
            "collection",
            f"{collection!r} is reserved by Knock; use the users or tenants endpoints, or a "
            "collection name without `$`",
        )
    return collection


def owner(request: Request) -> tuple[str, str]:
    """(collection, id) of the user or object the path names; users live in `$users`."""
    params = request.path_params
    if "collection" in params:
        return object_collection(params["collection"]), params["object_id"]
    return USERS, params["user_id"]


def kind_of(collection: str) -> str:
    return "user" if collection == USERS else "object"


def require_entity(ctx: KnockContext, collection: str, entity_id: str, kind: str) -> dict[str, Any]:
    """The stored entity, or Knock's 404 saying how to create it."""
    found = ctx.emulator.object(collection, entity_id)
    if found is None:
        hint = {
            "user": "identify it with PUT /v1/users/{id} first",
            "tenant": "create it with PUT /v1/tenants/{id} first",
        }.get(kind, f"create it with PUT /v1/objects/{collection}/{{id}} first")
        raise missing(kind, entity_id, hint)
    return found


def upsert(
    ctx: KnockContext, collection: str, entity_id: str, props: Mapping[str, Any]
) -> dict[str, Any]:
    """Knock's upsert without events (`identify` is the one that tells waiting runs)."""
    return ctx.emulator.set_object(collection, entity_id, **props)
