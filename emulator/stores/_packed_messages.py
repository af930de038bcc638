"""Stored messages as one flat tuple each, for the message store to keep instead of a `Message`
that nobody else holds.

A `Message` keeps five to nine container objects (itself, its actors list, data, content and
batch dicts, the deliveries with their attempts) that live as long as the store; every one counts
toward the garbage collector's next collection and is scanned by it. A packed row is one tuple of
plain values: containers inside a message are marshalled to bytes (which the collector does not
see), a content dict of plain values is laid out as its keys (one tuple shared by every message of
the same shape) then its values at the row's end, delivery attempts as their fields one after
another. `unpack` gives back an equal `Message` whose containers are fresh copies of the same
values and types (marshal keeps list, dict, tuple, str, int, float, bool and None exactly, and
refuses anything else: such a message is not packed).
"""

from __future__ import annotations

import marshal
from collections.abc import Callable
from typing import Any

from emulator.stores._messages import DeliveryAttempt, Message

__all__ = ["ROW_FIELDS", "ROW_INDEX", "Row", "pack", "recipient_id", "recipient_ref", "unpack"]

Row = tuple[Any, ...]
"""A packed message (see the module docstring)."""

# The row's head: the Message fields kept as they are (strings, times, ints, and tuples that are
# the message's own: categories, events, diagnostics) or encoded; content's values follow it.
ROW_FIELDS = (
    "id",
    "channel_type",
    "channel_key",
    "recipient",  # str, or marshal bytes of an object reference dict
    "workflow",
    "step_ref",
    "run_id",
    "workflow_run_id",
    "inserted_at",
    "actors",  # marshal bytes
    "tenant",
    "categories",
    "data",  # marshal bytes
    "status",
    "updated_at",
    "scheduled_at",
    "seen_at",
    "read_at",
    "interacted_at",
    "link_clicked_at",
    "archived_at",
    "diagnostics",
    "batch",  # None or marshal bytes
    "events",
    "attempts",
    "error",
    "deliveries",  # each attempt's five fields, one after another
    "provider_id",
    "metadata",  # None or marshal bytes
    "listener",  # its place in the store's listener list, or None
    "content",  # the keys tuple (values at the row's end), or marshal bytes
)
ROW_INDEX = {name: i for i, name in enumerate(ROW_FIELDS)}
_HEAD = len(ROW_FIELDS)
_PLAIN = frozenset({str, int, float, bool, type(None)})
_STR = frozenset({str})
_SHAPES_LIMIT = 256  # distinct content key tuples a store shares (bounded: keyed by content)


def pack(
    message: Message,
    listeners: list[Callable[[Message, str], None]],
    shapes: dict[tuple[str, ...], tuple[str, ...]],
) -> Row | None:
    """`message` as a row, or None when it cannot come back exactly (a value marshal refuses, a
    delivery attempt of another type). `listeners` and `shapes` are the store's shared parts."""
    m = message
    deliveries: tuple[Any, ...] = ()
    for d in m.deliveries:
        if type(d) is not DeliveryAttempt:
            return None
        deliveries += (d.at, d.ok, d.provider_id, d.status, d.error)
    listener = _place(m.listener, listeners)
    try:
        layout, values = _content(m.content, shapes)
        recipient = m.recipient if type(m.recipient) is str else marshal.dumps(m.recipient)
        actors, data = marshal.dumps(m.actors), marshal.dumps(m.data)
        batch = None if m.batch is None else marshal.dumps(m.batch)
        metadata = None if m.metadata is None else marshal.dumps(m.metadata)
    except ValueError:  # "unmarshallable object": kept as a Message
        return None
    return (
        m.id,
        m.channel_type,
        m.channel_key,
        recipient,
        m.workflow,
        m.step_ref,
        m.run_id,
        m.workflow_run_id,
        m.inserted_at,
        actors,
        m.tenant,
        m.categories,
        data,
        m.status,
        m.updated_at,
        m.scheduled_at,
        m.seen_at,
        m.read_at,
        m.interacted_at,
        m.link_clicked_at,
        m.archived_at,
        m.diagnostics,
        batch,
        m.events,
        m.attempts,
        m.error,
        deliveries,
        m.provider_id,
        metadata,
        listener,
        layout,
        *values,
    )


def _content(content: Any, shapes: dict[tuple[str, ...], tuple[str, ...]]) -> tuple[Any, Row]:
    """The content's layout (its shared keys, or marshal bytes) and the values laid out."""
    if (
        type(content) is dict
        and _PLAIN.issuperset(map(type, content.values()))
        and _STR.issuperset(map(type, content))
    ):
        keys = tuple(content)
        layout = shapes.get(keys, keys)
        if len(shapes) < _SHAPES_LIMIT:
            shapes.setdefault(keys, keys)
        return layout, tuple(content.values())
    return marshal.dumps(content), ()


def _place(listener: Any, listeners: list[Callable[[Message, str], None]]) -> int | None:
    """Where `listener` is in the store's list (added at the end if new); None for none."""
    if listener is None:
        return None
    for place, seen in enumerate(listeners):
        if seen is listener:
            return place
    listeners.append(listener)
    return len(listeners) - 1


def unpack(row: Row, listeners: list[Callable[[Message, str], None]]) -> Message:
    """The `Message` that `row` packed: equal fields, fresh containers."""
    layout = row[_HEAD - 1]
    content = (
        dict(zip(layout, row[_HEAD:], strict=True))
        if type(layout) is tuple
        else marshal.loads(layout)
    )
    flat = row[26]
    return Message(
        id=row[0],
        channel_type=row[1],
        channel_key=row[2],
        recipient=recipient_ref(row),
        workflow=row[4],
        step_ref=row[5],
        run_id=row[6],
        workflow_run_id=row[7],
        content=content,
        inserted_at=row[8],
        actors=marshal.loads(row[9]),
        tenant=row[10],
        categories=row[11],
        data=marshal.loads(row[12]),
        status=row[13],
        updated_at=row[14],
        scheduled_at=row[15],
        seen_at=row[16],
        read_at=row[17],
        interacted_at=row[18],
        link_clicked_at=row[19],
        archived_at=row[20],
        diagnostics=row[21],
        batch=None if row[22] is None else marshal.loads(row[22]),
        events=row[23],
        attempts=row[24],
        error=row[25],
        deliveries=tuple(DeliveryAttempt(*flat[i : i + 5]) for i in range(0, len(flat), 5)),
        provider_id=row[27],
        metadata=None if row[28] is None else marshal.loads(row[28]),
        listener=None if row[29] is None else listeners[row[29]],
    )


def recipient_ref(row: Row) -> Any:
    """The packed message's `recipient`: a user id, or an object reference dict (a copy)."""
    recipient = row[3]
    return recipient if type(recipient) is str else marshal.loads(recipient)


def recipient_id(row: Row) -> Any:
    """The packed message's `recipient_id`, without unpacking it."""
    recipient = row[3]
    return recipient if type(recipient) is str else marshal.loads(recipient)["id"]
