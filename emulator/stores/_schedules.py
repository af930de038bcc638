"""Workflow schedule records: one per (workflow, recipient), shaped like Knock's `Schedule`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from emulator.core import Timer


@dataclass(slots=True)
class Schedule:
    """A recipient's schedule for one workflow, shaped like Knock's `Schedule`."""

    id: str
    workflow: str
    recipient: tuple[str, str]  # (collection, id); users are ("$users", id)
    repeats: tuple[dict[str, Any], ...]
    data: dict[str, Any] | None
    actor: tuple[str, str] | None
    tenant: str | None
    scheduled_at: datetime | None
    ending_at: datetime | None
    inserted_at: datetime
    updated_at: datetime
    last_occurrence_at: datetime | None = None
    next_occurrence_at: datetime | None = None
    run_ids: list[str] = field(default_factory=list)  # runs its occurrences started
    errors: list[str] = field(default_factory=list)  # occurrences Knock would have refused
    anchors: list[datetime] = field(default_factory=list, repr=False)
    timer: Timer | None = field(default=None, repr=False)

    @property
    def recipient_id(self) -> str:
        """The recipient's id, a user's or an object's."""
        return self.recipient[1]
