"""Subscriptions from both ends: an object's subscribers (`/v1/objects/{collection}/{object_id}/
subscriptions`) and the objects a user is subscribed to (`/v1/users/{user_id}/subscriptions`).

Subscribers receive a trigger sent to the object (fan-out, knock.md 4.1), so both views read the
emulator's subscriptions, each stamped when it was made (`Subscription.inserted_at`).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from emulator import USERS, Subscription
from emulator.http.knock._core import KnockContext, json_response
from emulator.http.knock._entities import owner, require_entity
from emulator.http.knock._errors import get_dict, get_list, invalid, missing
from emulator.http.knock._inline import (
    check_recipient,
    recipient_reference,
    store_inline,
    subscriber,
)
from emulator.http.knock._query import paginate, q_list
from emulator.http.knock._serialize import iso, object_json, preference_set_json, recipient_json

Ref = tuple[str, str]
_REF_FIELD = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<index>\d*)\]\[(?P<field>id|collection)\]$")
_REF_INDEXED = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<index>\d+)\]$")


def subscription_json(ctx: KnockContext, sub: Subscription) -> dict[str, Any]:
    """Knock's Subscription; an object deleted after the subscription was made reads as a bare
    reference rather than failing the whole list."""
    emulator = ctx.emulator
    ref, stamp = sub.recipient, sub.inserted_at
    reference: str | dict[str, str] = (
        ref[1] if ref[0] == USERS else {"id": ref[1], "collection": ref[0]}
    )
    parent = emulator.object(sub.collection, sub.object_id) or {"id": sub.object_id}
    return {
        "__typename": "Subscription",
        "recipient": recipient_json(emulator, reference, stamp),
        "object": object_json(sub.collection, parent, stamp),
        "properties": sub.properties or None,
        "inserted_at": iso(stamp),
        "updated_at": iso(stamp),
    }


def _recipients(body: dict[str, Any]) -> list[Any]:
    recipients = get_list(body, "recipients", required=True) or []
    if not recipients:
        raise invalid("recipients", "is empty; pass at least one recipient")
    return recipients


# -- an object's subscribers ---------------------------------------------------------------------
def add_subscriptions(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection, object_id = owner(request)
    require_entity(ctx, collection, object_id, "object")
    properties = get_dict(body, "properties")
    checked = [
        check_recipient(ctx, raw, f"recipients[{i}]") for i, raw in enumerate(_recipients(body))
    ]
    for _, inline in checked:
        if inline is not None:
            store_inline(ctx, inline)
    made = ctx.emulator.subscribe(
        collection, object_id, [subscriber(ref) for ref, _ in checked], properties
    )
    return json_response([subscription_json(ctx, sub) for sub in made])


def delete_subscriptions(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection, object_id = owner(request)
    require_entity(ctx, collection, object_id, "object")
    refs = [recipient_reference(raw, f"recipients[{i}]") for i, raw in enumerate(_recipients(body))]
    removed = ctx.emulator.unsubscribe(collection, object_id, [subscriber(ref) for ref in refs])
    return json_response([subscription_json(ctx, sub) for sub in removed])


def list_subscriptions(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection, object_id = owner(request)
    require_entity(ctx, collection, object_id, "object")
    subs = ctx.emulator.subscriptions(collection, object_id)
    page, info = paginate(subs, _sub_ident, request.query_params)
    return json_response({"entries": [subscription_json(ctx, s) for s in page], "page_info": info})


def _sub_ident(sub: Subscription) -> str:
    return f"{sub.recipient[0]}/{sub.recipient[1]}"


# -- a user's subscriptions ----------------------------------------------------------------------
def q_refs(params: QueryParams, name: str) -> list[Ref]:
    """RecipientReferences in a query string, in every SDK spelling: `name[]=u1` (a user id),
    Python's `name[][id]=p1&name[][collection]=projects` (httpx groups repeated keys, so the
    n-th id pairs with the n-th collection) and Node's `name[0][id]=p1&name[0][collection]=...`.
    """
    refs: list[Ref] = [(USERS, v) for v in params.getlist(name) + params.getlist(f"{name}[]")]
    ids, collections = params.getlist(f"{name}[][id]"), params.getlist(f"{name}[][collection]")
    if len(collections) > len(ids):
        raise invalid(f"{name}[{len(ids)}].id", "is required; pass the object's id")
    refs += [(c, i) for i, c in zip(ids, collections + [USERS] * len(ids), strict=False)]
    indexed: dict[int, dict[str, str]] = {}
    for key, value in params.multi_items():
        field, bare = _REF_FIELD.match(key), _REF_INDEXED.match(key)
        if bare and bare["name"] == name:
            indexed.setdefault(int(bare["index"]), {})["id"] = value
        elif field and field["name"] == name and field["index"]:
            indexed.setdefault(int(field["index"]), {})[field["field"]] = value
    for index, part in sorted(indexed.items()):
        if not part.get("id"):
            raise invalid(f"{name}[{index}].id", "is required; pass the object's id")
        refs.append((part.get("collection") or USERS, part["id"]))
    return refs


def list_user_subscriptions(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """The objects a user is subscribed to, newest subscription first (Knock's descending
    order). `objects[]` narrows to the given references; `include[]=preferences` adds the
    user's preference sets to each entry's recipient, as `GET /v1/users` does."""
    user_id = request.path_params["user_id"]
    params = request.query_params
    include = q_list(params, "include")
    for value in include:
        if value != "preferences":
            raise invalid("include[]", f"{value!r} is not supported; the only value is preferences")
    wanted = set(q_refs(params, "objects"))
    emulator = ctx.emulator
    subs = emulator.subscriptions_for((USERS, user_id))
    if not subs and emulator.user(user_id) is None:
        raise missing("user", user_id, "identify it with PUT /v1/users/{id} first")
    rows = [s for s in subs if not wanted or (s.collection, s.object_id) in wanted][::-1]
    rows.sort(key=lambda s: s.inserted_at, reverse=True)  # stable: newest first
    page, info = paginate(rows, lambda s: f"{s.collection}/{s.object_id}", params)
    entries = [subscription_json(ctx, sub) for sub in page]
    if "preferences" in include:
        sets = emulator.preference_sets(user_id)
        prefs = {k: preference_set_json(k, v) for k, v in sets.items()}
        for entry in entries:
            entry["recipient"]["preferences"] = prefs
    return json_response({"entries": entries, "page_info": info})
