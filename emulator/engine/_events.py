"""Events that wait_for_event steps match, the waits parked on them, and the events the engine
itself raises (`message` and `workflow`).

Below the engine: the engine offers every event to each `Wait`; the wait step module arms a
wait's `offer` with its matching, so the engine never imports a step module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from emulator.core import Timer
from emulator.definitions import WaitForEventStep
from emulator.engine._state import RunState
from emulator.stores import USERS, Message, StepRecord


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened to a recipient, as a wait step matches it."""

    event_type: str  # message | workflow | integration_source | recipient | audience
    event_key: str  # e.g. seen, interacted, completed, updated, enter, or a source's event name
    recipient: tuple[str, str]
    source_type: str | None = None
    source_key: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)  # what `event.*` reads


def _ignore(event: Event) -> None:
    """A wait that no step has armed yet matches nothing."""


@dataclass(slots=True)
class Wait:
    """A run parked on a wait_for_event step; `offer` hands it an event to match."""

    run: RunState
    step: WaitForEventStep
    record: StepRecord
    timer: Timer | None = None
    offer: Callable[[Event], None] = field(default=_ignore, repr=False)


def message_event(message: Message, key: str, now: datetime) -> Event:
    """Knock's `message.<key>` event: a message's status or engagement changed."""
    recipient = message.recipient
    ref = (
        (USERS, recipient)
        if isinstance(recipient, str)
        else (recipient["collection"], recipient["id"])
    )
    payload = {
        "message_id": message.id,
        "event_type": f"message.{key}",
        "channel_type": message.channel_type,
        "channel_id": message.channel_key,
        "tenant_id": message.tenant,
        "step_ref": message.step_ref,
        "recipient": message.recipient_id,
        "inserted_at": now.isoformat(),
        "source": {"type": "workflow", "key": message.workflow},
        "data": message.data,
    }
    return Event("message", key, ref, "workflow", message.workflow, payload)


def workflow_event(rs: RunState, key: str, now: datetime) -> Event:
    """The `workflow.<key>` event of a run (`started`, `completed`)."""
    payload = {
        "workflow_key": rs.workflow.key,
        "workflow_run_id": rs.record.workflow_run_id,
        "recipient": rs.recipient_ref[1],
        "status": rs.record.status,
        "tenant_id": rs.tenant_id,
        "inserted_at": now.isoformat(),
        "data": rs.data,
    }
    return Event("workflow", key, rs.recipient_ref, "workflow", rs.workflow.key, payload)
