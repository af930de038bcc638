"""What the realtime socket says about a user's in-app feed: the `feeds:{channel_id}:{user_id}`
topic, the filters a join carries and the `new-message` payload `@knocklabs/client` expects.

Since the client's feed socket manager (0.14), one channel per topic serves every feed client
of the page: the join payload maps each client's reference id (`client_...`) to its feed
options, and a `new-message` names in `attn` the clients whose feed the new item lands in, with
each one's badge counts under `data[ref].metadata`. The client then fetches the items newer
than its head and emits `items.received.realtime`. Older clients joined with their options as
the whole payload and read the top-level `metadata`; both are served.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import QueryParams

from emulator import Message
from emulator.http.knock._core import KnockContext, channel_messages
from emulator.http.knock._messages import feed_selection

TOPIC_PREFIX = "feeds:"
CLIENT_PREFIX = "client_"  # the client's reference ids: `client_` + nanoid
# Feed options that page or shape the answer rather than choose items.
_NOT_FILTERS = frozenset(
    {"before", "after", "page_size", "mode", "exclude", "auto_manage_socket_connection"}
)
_COUNTS = ("total_count", "unread_count", "unseen_count")


@dataclass(frozen=True, slots=True)
class FeedTopic:
    """`feeds:{channel_id}:{user_id}`: a channel key or UUID, and the user (may hold `:`)."""

    channel_id: str
    user_id: str


def parse_topic(topic: str) -> FeedTopic | None:
    """The feed a topic names, or None when it is not a feed topic."""
    if not topic.startswith(TOPIC_PREFIX):
        return None
    channel_id, _, user_id = topic[len(TOPIC_PREFIX) :].partition(":")
    if not channel_id or not user_id:
        return None
    return FeedTopic(channel_id, user_id)


def feed_params(options: Mapping[str, Any]) -> QueryParams:
    """Feed options as the query string the client's feed fetch sends (`key[]` for lists,
    `trigger_data` as JSON), so the socket filters exactly like `GET .../feeds/{id}`."""
    items: list[tuple[str, str]] = []
    for key, value in options.items():
        if key in _NOT_FILTERS or key.startswith("__"):
            continue
        if key == "trigger_data" and isinstance(value, dict):
            items.append((key, json.dumps(value)))
        else:
            _flatten(key, value, items)
    return QueryParams(items)


def _flatten(key: str, value: Any, items: list[tuple[str, str]]) -> None:
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            _flatten(f"{key}[]", item, items)
    elif isinstance(value, dict):
        for name, item in value.items():
            _flatten(f"{key}[{name}]", item, items)
    elif isinstance(value, bool):
        items.append((key, "true" if value else "false"))
    else:
        items.append((key, str(value)))


@dataclass(frozen=True, slots=True)
class FeedJoin:
    """One joined feed channel: its topic, the join's ref and each feed client's filters
    (`legacy` holds the one filter set of a pre-0.14 client, which has no reference ids)."""

    topic: str
    feed: FeedTopic
    join_ref: str | int | None
    clients: Mapping[str, QueryParams]
    legacy: QueryParams | None


def feed_join(
    ctx: KnockContext, topic: str, feed: FeedTopic, join_ref: str | int | None, payload: Any
) -> FeedJoin:
    """The join `payload` read and checked against the feed endpoint's rules.

    Raises ValueError for a payload that is not an object, KnockAPIError for a bad filter."""
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise ValueError("join payload must be an object of feed options")
    per_client = bool(payload) and all(
        isinstance(key, str) and key.startswith(CLIENT_PREFIX) and isinstance(value, dict)
        for key, value in payload.items()
    )
    if per_client:
        clients = {key: feed_params(value) for key, value in payload.items()}
        join = FeedJoin(topic, feed, join_ref, clients, None)
    else:
        join = FeedJoin(topic, feed, join_ref, {}, feed_params(payload))
    for params in _all_params(join):
        feed_selection(ctx, feed.user_id, feed.channel_id, params)  # 422 for a bad filter now
    return join


def _all_params(join: FeedJoin) -> list[QueryParams]:
    return [*join.clients.values(), *([join.legacy] if join.legacy is not None else [])]


def belongs(ctx: KnockContext, join: FeedJoin, message: Message) -> bool:
    """Whether `message` is an item of the joined feed (the user's, on that channel)."""
    return (
        message.channel_type == "in_app_feed"
        and message.recipient == join.feed.user_id
        and bool(channel_messages(ctx, join.feed.channel_id, [message], "in_app_feed"))
    )


def _counts(meta: Mapping[str, Any]) -> dict[str, Any]:
    return {name: meta[name] for name in _COUNTS}


def new_message_payload(
    ctx: KnockContext, join: FeedJoin, message: Message | None
) -> dict[str, Any] | None:
    """The `new-message` payload for `message` on `join` (None: a catch-up naming every feed
    client, after events were dropped), or None when no feed client's filters select it."""
    feed = join.feed

    def select(params: QueryParams) -> tuple[bool, dict[str, Any]]:
        listed, meta = feed_selection(ctx, feed.user_id, feed.channel_id, params)
        hit = message is None or any(m.id == message.id for m in listed)
        return hit, _counts(meta)

    if join.legacy is not None:
        hit, meta = select(join.legacy)
        return {"event": "new-message", "metadata": meta, "data": {}, "attn": []} if hit else None
    data: dict[str, Any] = {}
    for ref, params in join.clients.items():
        hit, meta = select(params)
        if hit:
            data[ref] = {"metadata": meta}
    if not data:
        return None
    _, overall = select(QueryParams())
    return {"event": "new-message", "metadata": overall, "data": data, "attn": list(data)}
