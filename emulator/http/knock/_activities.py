"""Activities and in-app feed items: the triggers behind a message (knock.md 6).

A message sent after a batch step has one activity per trigger in the batch: all of them, not
only the `batch_items_render_limit` its template saw, taken from the batch record of the run
that carried the batch on (`BatchInfo.all_activities`), in arrival order, with their engine ids
(the `activity.id` templates render). Any other message has a single activity: its own run's
trigger (the run id as activity id, the run's data, actor and recipient). Actor and recipient
are the entities as stored now, like the feed's.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from emulator import Activity, BatchInfo, Message, Run, UnknownRunError
from emulator.http.knock._query import encode_cursor
from emulator.http.knock._serialize import feed_blocks, iso, recipient_json, version_uuid

if TYPE_CHECKING:
    from emulator import Emulator


def _run(emulator: Emulator, run_id: str) -> Run | None:
    try:
        return emulator.run(run_id)
    except UnknownRunError:
        return None  # the recipient was deleted since


def _batch_of(emulator: Emulator, message: Message) -> BatchInfo | None:
    """The batch record before the message's step in the run that sent it."""
    if message.batch is None:
        return None
    run = _run(emulator, message.run_id)
    if run is None:
        return None
    found = None
    for record in run.steps:
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
        run = _run(emulator, message.run_id)
        if run is None:
            return []
        return [_activity_json(emulator, run.id, run, run.inserted_at, run.data)]
    out = []
    for activity in batch.all_activities:
        found = _run(emulator, activity.run_id)
        if found is not None:
            out.append(_from_engine(emulator, activity, found))
    return out


def _from_engine(emulator: Emulator, activity: Activity, run: Run) -> dict[str, Any]:
    return _activity_json(emulator, activity.id, run, activity.inserted_at, activity.data)


def feed_item_json(
    emulator: Emulator, message: Message, *, compact: bool = False
) -> dict[str, Any]:
    """An in-app FeedItem: activities are the runs whose triggers the message covers.

    `compact` is Knock's `mode=compact` (knock.md 6.3): no `activities`/`total_activities`,
    `data` without nested objects or arrays, at most one actor (`total_actors` still counts all).
    Knock's spec marks the two dropped fields required, as real Knock's compact feed violates it.
    """
    activities = activities_json(emulator, message)  # the same ids the activities API gives
    actors = [recipient_json(emulator, a, message.inserted_at) for a in message.actors]
    total = int(message.batch["total_activities"]) if message.batch else len(activities) or 1
    stamp = iso(message.inserted_at)
    item = {
        "__typename": "FeedItem",
        # The page cursor of this item: the client fetches `before` its head on `new-message`.
        "__cursor": encode_cursor(message.id),
        "id": message.id,
        "inserted_at": stamp,
        "updated_at": iso(message.updated_at) or stamp,
        "seen_at": iso(message.seen_at),
        "read_at": iso(message.read_at),
        "interacted_at": iso(message.interacted_at),
        "link_clicked_at": iso(message.link_clicked_at),
        "clicked_at": iso(message.link_clicked_at),
        "archived_at": iso(message.archived_at),
        "tenant": message.tenant,
        "data": message.data,
        "total_activities": total,
        "total_actors": len(actors),
        "actors": actors,
        "activities": activities,
        "blocks": feed_blocks(message),
        "source": {
            "__typename": "Workflow",
            "key": message.workflow,
            "version_id": version_uuid(message.workflow),
            "categories": list(message.categories),
        },
    }
    if compact:
        del item["activities"], item["total_activities"]
        item["actors"] = actors[:1]
        item["data"] = {k: v for k, v in message.data.items() if not isinstance(v, (dict, list))}
    return item
