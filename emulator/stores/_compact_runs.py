"""Finished runs as one flat tuple each: what the engine keeps for runs older than the newest
few thousand, instead of a `Run` with a list of `StepRecord` objects.

The tuple holds the same values (ids, status, data, every step's outcome, times, message ids,
reason, branch, error, batch and detail), so `expand()` gives back an equal `Run`; it is a new
object on each read. Tuples and dicts of plain values are not tracked by the garbage collector
once it has seen them, so a long session's finished runs cost the collector nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from emulator.stores._runs import Run, StepRecord

__all__ = ["CompactRun", "compact_run"]

_WIDTH = 7  # per step: ref, type, outcome, started_at, ended_at, message ids, the rest


class CompactRun(NamedTuple):
    """A finished run, flattened (see the module docstring); `expand()` makes its `Run`."""

    id: str
    workflow_run_id: str
    workflow: str
    recipient: str | dict[str, str]
    actor: str | dict[str, str] | None
    tenant: str | None
    data: tuple[Any, ...]  # keys then values
    cancellation_key: str | None
    inserted_at: datetime
    status: str
    updated_at: datetime | None
    ended_because: str | None
    trigger_source: str
    schedule_id: str | None
    steps: tuple[Any, ...]  # _WIDTH values per step

    @property
    def finished(self) -> bool:
        """Always: only finished runs are compacted."""
        return True

    @property
    def recipient_id(self) -> str:
        """The recipient's id, a user's or an object's."""
        return self.recipient if isinstance(self.recipient, str) else self.recipient["id"]

    def expand(self) -> Run:
        """The run as a `Run` (a new object, equal to the one compacted)."""
        half = len(self.data) // 2
        steps = self.steps
        return Run(
            self.id,
            self.workflow_run_id,
            self.workflow,
            self.recipient,
            self.actor,
            self.tenant,
            dict(zip(self.data[:half], self.data[half:], strict=True)),
            self.cancellation_key,
            self.inserted_at,
            self.status,
            self.updated_at,
            [_step(steps[i : i + _WIDTH]) for i in range(0, len(steps), _WIDTH)],
            self.ended_because,
            self.trigger_source,
            self.schedule_id,
        )


def compact_run(run: Run) -> CompactRun:
    """`run` (finished) as a `CompactRun`."""
    steps: list[Any] = []
    for s in run.steps:
        ids: Any = s.message_ids[0] if len(s.message_ids) == 1 else s.message_ids
        rest = (s.skipped_because, s.branch, s.batch, s.error, s._detail or None)
        steps += (s.ref, s.type, s.outcome, s.started_at, s.ended_at, ids, _or_none(rest))
    return CompactRun(
        run.id,
        run.workflow_run_id,
        run.workflow,
        run.recipient,
        run.actor,
        run.tenant,
        (*run.data.keys(), *run.data.values()),
        run.cancellation_key,
        run.inserted_at,
        run.status,
        run.updated_at,
        run.ended_because,
        run.trigger_source,
        run.schedule_id,
        tuple(steps),
    )


def _or_none(rest: tuple[Any, ...]) -> tuple[Any, ...] | None:
    return None if all(x is None for x in rest) else rest


def _step(values: tuple[Any, ...]) -> StepRecord:
    ref, type_, outcome, started_at, ended_at, ids, rest = values
    record = StepRecord(ref, type_, outcome, started_at, ended_at)
    record.message_ids = (ids,) if isinstance(ids, str) else ids
    if rest is not None:
        record.skipped_because, record.branch, record.batch, record.error, record._detail = rest
    return record
