"""Subscriptions from both ends: an object's subscribers (`/v1/objects/{collection}/{object_id}/
subscriptions`) and the objects a user is subscribed to (`/v1/users/{user_id}/subscriptions`).

Subscribers receive a trigger sent to the object (fan-out, knock.md 4.1), so both views read the
emulator's entity store. Knock stamps a subscription when it is created; the store keeps no
time, so the API remembers the first time it reported each one (`KnockContext.subscribed_at`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from emulator.engine._targets import parse_entity
from emulator.http.knock._core import KnockContext, json_response
from emulator.http.knock._entities import owner, require_entity
from emulator.http.knock._errors import get_dict, get_list, invalid, missing
from emulator.http.knock._query import paginate, q_list
from emulator.http.knock._serialize import iso, object_json, preference_set_json, recipient_json
from emulator.stores._entities import USERS

Ref = tuple[str, str]
_REF_FIELD = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<index>\d*)\]\[(?P<field>id|collection)\]$")
_REF_INDEXED = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<index>\d+)\]$")


def _stamp(ctx: KnockContext, obj: Ref, recipient: Ref) -> datetime:
    return ctx.subscribed_at.setdefault((*obj, *recipient), ctx.emulator.clock.now)


def subscription_json(
    ctx: KnockContext, collection: str, object_id: str, ref: Ref, props: Any
) -> dict[str, Any]:
    """Knock's Subscription; an object deleted after the subscription was made reads as a bare
    reference rather than failing the whole list."""
    emulator = ctx.emulator
    stamp = _stamp(ctx, (collection, object_id), ref)
    reference: str | dict[str, str] = (
        ref[1] if ref[0] == USERS else {"id": ref[1], "collection": ref[0]}
    )
    parent = emulator.entities.get(collection, object_id) or {"id": object_id}
    return {
        "__typename": "Subscription",
        "recipient": recipient_json(emulator, reference, stamp),
        "object": object_json(collection, parent, stamp),
        "properties": props or None,
        "inserted_at": iso(stamp),
        "updated_at": iso(stamp),
    }


def _subscription_refs(ctx: KnockContext, body: dict[str, Any]) -> list[Ref]:
    recipients = get_list(body, "recipients", required=True) or []
    if not recipients:
        raise invalid("recipients", "is empty; pass at least one recipient")
    now = ctx.emulator.clock.now
    return [
        parse_entity(raw, f"recipients[{i}]", ctx.emulator.entities, now)
        for i, raw in enumerate(recipients)
    ]


# -- an object's subscribers ---------------------------------------------------------------------
def add_subscriptions(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection, object_id = owner(request)
    require_entity(ctx, collection, object_id, "object")
    properties = get_dict(body, "properties")
    refs = _subscription_refs(ctx, body)
    for ref in refs:
        ctx.emulator.entities.subscribe(collection, object_id, ref, properties)
        ctx.subscribed_at.pop((collection, object_id, *ref), None)
    return json_response(
        [subscription_json(ctx, collection, object_id, ref, properties) for ref in refs]
    )


def delete_subscriptions(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection, object_id = owner(request)
    require_entity(ctx, collection, object_id, "object")
    current = dict(ctx.emulator.entities.subscribers(collection, object_id))
    removed = []
    for ref in _subscription_refs(ctx, body):
        if ref in current:
            removed.append(subscription_json(ctx, collection, object_id, ref, current[ref]))
            ctx.emulator.entities.unsubscribe(collection, object_id, ref)
            ctx.subscribed_at.pop((collection, object_id, *ref), None)
    return json_response(removed)


def list_subscriptions(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    collection, object_id = owner(request)
    require_entity(ctx, collection, object_id, "object")
    subs = ctx.emulator.entities.subscribers(collection, object_id)
    page, info = paginate(subs, lambda s: f"{s[0][0]}/{s[0][1]}", request.query_params)
    entries = [subscription_json(ctx, collection, object_id, ref, props) for ref, props in page]
    return json_response({"entries": entries, "page_info": info})


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
    entities = ctx.emulator.entities
    user: Ref = (USERS, user_id)
    subs = entities.subscriptions_of(user)
    if not subs and entities.get(USERS, user_id) is None:
        raise missing("user", user_id, "identify it with PUT /v1/users/{id} first")
    rows = [
        ((str(s["object"]["collection"]), str(s["object"]["id"])), s["properties"]) for s in subs
    ]
    rows = [row for row in rows if not wanted or row[0] in wanted][::-1]
    rows.sort(key=lambda row: _stamp(ctx, row[0], user), reverse=True)  # stable: newest first
    page, info = paginate(rows, lambda row: f"{row[0][0]}/{row[0][1]}", params)
    entries = [subscription_json(ctx, *obj, user, props) for obj, props in page]
    if "preferences" in include:
        sets = entities.preference_sets(*user)
        prefs = {k: preference_set_json(k, v) for k, v in sets.items()}
        for entry in entries:
            entry["recipient"]["preferences"] = prefs
    return json_response({"entries": entries, "page_info": info})
