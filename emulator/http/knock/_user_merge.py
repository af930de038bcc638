"""Deleting and merging users the way Knock's docs describe (managing-recipients/deleting-users
and merging-users).

Deleting hard-deletes the user's properties, preferences, channel data, subscriptions,
schedules and messages. Merging `from_user_id` (the secondary) into `user_id` (the primary):
properties deep-merge with the primary winning conflicts; preference sets and channel data are
shallow-merged (what the primary lacks is added, by set id and channel); the secondary's last
30 days of messages, and of finished runs (activities) it was the recipient or actor of, now
belong to the primary; then the secondary is deleted. Runs still in flight are not moved, as
the docs say. Subscriptions and schedules are not in the docs' list of what is merged, so they
go with the deleted secondary.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from emulator.http.knock._core import KnockContext, json_response
from emulator.http.knock._entities import require_entity, upsert
from emulator.http.knock._errors import get_str, invalid
from emulator.http.knock._serialize import user_json
from emulator.stores._entities import USERS, deep_merge

HISTORY = timedelta(days=30)  # what a merge moves to the primary, as Knock documents
_STAMPS = ("id", "created_at", "updated_at", "channel_data")


def forget_user(ctx: KnockContext, user_id: str) -> None:
    """Hard-delete a user (the engine's part is `Emulator.delete_user`) and the API's own
    records about them."""
    emulator = ctx.emulator
    ref = (USERS, user_id)
    for sub in emulator.entities.subscriptions_of(ref):
        ctx.subscribed_at.pop(
            (str(sub["object"]["collection"]), str(sub["object"]["id"]), *ref), None
        )
    for message in emulator.messages(recipient=user_id):
        ctx.metadata.pop(message.id, None)
    emulator.delete_user(user_id)


def forget_object(ctx: KnockContext, collection: str, object_id: str) -> None:
    """Delete an object (`Emulator.delete_object`) and the API's subscription timestamps."""
    ref = (collection, object_id)
    for key in [k for k in ctx.subscribed_at if k[:2] == ref or k[2:] == ref]:
        del ctx.subscribed_at[key]
    ctx.emulator.delete_object(collection, object_id)


def _moved(actor: Any, secondary: str, primary: str) -> Any:
    return primary if actor == secondary else actor


def _move_history(ctx: KnockContext, secondary: str, primary: str) -> None:
    emulator = ctx.emulator
    since = emulator.clock.now - HISTORY
    for message in emulator.messages_store:
        if message.inserted_at < since:
            continue
        if message.recipient == secondary:
            message.recipient = primary
        message.actors = [_moved(a, secondary, primary) for a in message.actors]
    for state in emulator.runs_by_id.values():
        run = state.record
        if run.finished and run.inserted_at >= since:
            run.recipient = _moved(run.recipient, secondary, primary)
            run.actor = _moved(run.actor, secondary, primary)
            if state.recipient_ref == (USERS, secondary):  # so deleting the secondary keeps it
                state.recipient_ref = (USERS, primary)


def merge_user(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    primary_id = request.path_params["user_id"]
    secondary_id = get_str(body, "from_user_id", required=True) or ""
    if secondary_id == primary_id:
        raise invalid("from_user_id", "is the user being merged into; pass another user's id")
    primary = require_entity(ctx, USERS, primary_id, "user")
    secondary = require_entity(ctx, USERS, secondary_id, "user")
    entities = ctx.emulator.entities
    props = deep_merge(
        {k: v for k, v in secondary.items() if k not in _STAMPS},
        {k: v for k, v in primary.items() if k not in _STAMPS},
    )
    channels = {
        **dict(secondary.get("channel_data") or {}),
        **dict(primary.get("channel_data") or {}),
    }
    sets = entities.preference_sets(USERS, secondary_id)
    have = entities.preference_sets(USERS, primary_id)
    for set_id, pref_set in sets.items():
        if set_id not in have:
            entities.set_preference_set(USERS, primary_id, set_id, pref_set)
    _move_history(ctx, secondary_id, primary_id)
    forget_user(ctx, secondary_id)
    merged = upsert(ctx, USERS, primary_id, props)
    if channels:
        merged["channel_data"] = channels
    return json_response(user_json(merged))
