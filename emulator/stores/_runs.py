"""Workflow recipient runs and their step-by-step trace."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from emulator.core import DoorstepError


class UnknownRunError(DoorstepError, KeyError):
    """No run with that id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown run"


# Our statuses (the keys) say why a run ended; `knock_status` maps them onto Knock's API enum.
_KNOCK_STATUS = {
    "running": "processing",
    "waiting": "paused",
    "completed": "completed",
    "cancelled": "cancelled",
    "merged_into_batch": "completed",
    "throttled": "completed",
    "terminated": "completed",
    "failed": "completed",
}
FINISHED = frozenset(
    {"completed", "cancelled", "merged_into_batch", "throttled", "terminated", "failed"}
)


@dataclass(frozen=True, slots=True)
class Activity:
    """One trigger inside a batch, shaped like Knock's Activity."""

    id: str
    run_id: str
    inserted_at: datetime
    actor: dict[str, Any] | None
    recipient: dict[str, Any]
    data: dict[str, Any]

    def to_template(self) -> dict[str, Any]:
        """What templates see: Knock exposes the trigger data keys at the top level too."""
        stamp = self.inserted_at.isoformat()
        return {
            **self.data,
            "id": self.id,
            "inserted_at": stamp,
            "updated_at": stamp,
            "actor": self.actor,
            "recipient": self.recipient,
            "data": self.data,
        }


@dataclass(frozen=True, slots=True)
class BatchInfo:
    """A closed (or still open) batch as later steps see it."""

    key: str
    opened_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None
    total_activities: int
    total_actors: int
    activities: tuple[Activity, ...]  # the rendered ones: at most the render limit
    actors: tuple[dict[str, Any], ...]
    run_ids: tuple[str, ...]  # every run whose trigger is in the batch, arrival order
    merged_data: dict[str, Any]
    first: Activity | None = None  # the opening activity: preference conditions read it
    # Every activity in arrival order (Knock's message activities API lists them all).
    all_activities: tuple[Activity, ...] = ()

    @property
    def activity_data(self) -> list[dict[str, Any]]:
        """Each activity's trigger `data`, oldest first."""
        return [a.data for a in self.activities]


@dataclass(slots=True)
class StepRecord:
    """What happened at one step of one run."""

    ref: str
    type: str
    outcome: str  # executed | skipped | waiting | cancelled | failed | merged | throttled
    started_at: datetime
    ended_at: datetime | None = None
    skipped_because: str | None = None
    branch: str | None = None
    batch: BatchInfo | None = None
    message_ids: tuple[str, ...] = ()  # a tuple: cheaper for the GC than one list per step
    error: str | None = None
    # What the step evaluated (conditions, preferences, a batch key, ...): made on first use,
    # so the many steps that record nothing keep no dict.
    _detail: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def detail(self) -> dict[str, Any]:
        """What the step evaluated and decided, by name (empty when it recorded nothing)."""
        if self._detail is None:
            self._detail = {}
        return self._detail

    @detail.setter
    def detail(self, value: dict[str, Any]) -> None:
        self._detail = value

    def drop_detail(self) -> None:
        """Forget the detail (a compact trace keeps outcomes and times only)."""
        self._detail = None

    def __repr__(self) -> str:
        extra = (
            f" because {self.skipped_because}"
            if self.skipped_because
            else f" branch={self.branch!r}"
            if self.branch
            else ""
        )
        return f"<Step {self.ref} ({self.type}) {self.outcome}{extra}>"


@dataclass(slots=True)
class Run:
    """One recipient's run of a workflow: status, the path taken and a record per step."""

    id: str
    workflow_run_id: str
    workflow: str
    recipient: str | dict[str, str]
    actor: str | dict[str, str] | None
    tenant: str | None
    data: dict[str, Any]
    cancellation_key: str | None
    inserted_at: datetime
    status: str = "running"
    updated_at: datetime | None = None
    steps: list[StepRecord] = field(default_factory=list)
    ended_because: str | None = None
    trigger_source: str = "api"
    schedule_id: str | None = None  # the schedule whose occurrence started this run

    @property
    def recipient_id(self) -> str:
        """The recipient's id, a user's or an object's."""
        return self.recipient if isinstance(self.recipient, str) else self.recipient["id"]

    @property
    def finished(self) -> bool:
        """Whether the run has ended (it never resumes)."""
        return self.status in FINISHED

    @property
    def knock_status(self) -> str:
        """The status Knock's API reports for the run (`processing`, `paused`, ...)."""
        return _KNOCK_STATUS[self.status]

    @property
    def path(self) -> list[str]:
        """Refs of the steps that executed, in order (skipped steps are left out)."""
        return [s.ref for s in self.steps if s.outcome == "executed"]

    @property
    def trace(self) -> list[str]:
        """Every step reached, with its outcome: `["branch_1", "batch_1:merged"]`."""
        return [s.ref if s.outcome == "executed" else f"{s.ref}:{s.outcome}" for s in self.steps]

    @property
    def error_count(self) -> int:
        """How many steps failed."""
        return sum(1 for s in self.steps if s.outcome == "failed")

    def step(self, ref: str) -> StepRecord:
        """The record of step `ref`; the latest one if the run reached it more than once."""
        for record in reversed(self.steps):
            if record.ref == ref:
                return record
        reached = ", ".join(self.trace) or "no steps"
        raise DoorstepError(
            f"run {self.id} never reached step {ref!r} (reached: {reached}; status {self.status})"
        )

    def __repr__(self) -> str:
        return f"<Run {self.workflow} for {self.recipient_id!r} {self.status} path={self.trace}>"


@dataclass(frozen=True, slots=True)
class TriggerResult:
    """What a trigger returns: Knock's `workflow_run_id` and one Run per recipient."""

    workflow_run_id: str
    runs: list[Run] = field(default_factory=list)

    def run_for(self, recipient: str) -> Run:
        """The run started for `recipient` (a user id); a clear error when there is none."""
        for run in self.runs:
            if run.recipient_id == recipient:
                return run
        raise DoorstepError(
            f"no run for recipient {recipient!r}; this trigger ran for "
            f"{[r.recipient_id for r in self.runs]}"
        )
