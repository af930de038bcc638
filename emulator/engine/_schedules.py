"""Workflow schedules: Knock's recipient-timezone-aware cron, on the virtual clock.

One schedule per (workflow, recipient). Recurring schedules fire at every occurrence of their
repeat rules from `scheduled_at` (or creation) until `ending_at`; a schedule without repeats
fires once at `scheduled_at`. Each occurrence triggers the workflow for the recipient alone (an
object recipient does not fan out to its subscribers, as Knock documents), with trigger source
`schedule` and `recipient.schedule` in scope. A trigger Knock would refuse at that moment (the
workflow was deactivated, say) is recorded in `Schedule.errors`, never raised into the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from emulator.core import Clock, DoorstepError, TriggerError
from emulator.definitions import first_occurrence, next_occurrence, utc
from emulator.stores import Entities, Schedule, TriggerResult

# Schedule (the record) lives in stores/_schedules; importable from here too.
__all__ = [
    "MAX_RECIPIENTS",
    "Schedule",
    "ScheduleTrigger",
    "Schedules",
    "parse_moment",
    "schedule_data",
]

MAX_RECIPIENTS = 100  # per create call, as Knock documents
_TICK = timedelta(microseconds=1)


ScheduleTrigger = Callable[[Schedule, dict[str, Any]], TriggerResult]


def _unwired(schedule: Schedule, scope: dict[str, Any]) -> TriggerResult:
    raise DoorstepError(
        f"schedule {schedule.id} is due but nothing triggers schedules on this engine; build it "
        "through Emulator (or call emulator.engine._wiring.wire on it)"
    )


class Schedules:
    """Every schedule of an engine, by id, with the timer of its next occurrence.

    A due occurrence calls `trigger` (the engine's `trigger_schedule`, plugged in by `wire`):
    starting runs belongs to the dispatcher, which sits above the engine.
    """

    def __init__(self, clock: Clock, entities: Entities) -> None:
        self.clock = clock
        self.entities = entities
        self.trigger: ScheduleTrigger = _unwired
        self.by_id: dict[str, Schedule] = {}

    def add(self, schedule: Schedule) -> Schedule:
        self.by_id[schedule.id] = schedule
        self.arm(schedule, reset_anchors=True)
        return schedule

    def get(self, schedule_id: str) -> Schedule:
        try:
            return self.by_id[schedule_id]
        except KeyError:
            raise DoorstepError(
                f"no schedule with id {schedule_id!r}; list ids with emulator.schedules()"
            ) from None

    def remove(self, schedule_id: str) -> Schedule:
        schedule = self.get(schedule_id)
        del self.by_id[schedule_id]
        if schedule.timer is not None:
            schedule.timer.cancel()
        schedule.timer, schedule.next_occurrence_at = None, None
        return schedule

    def clear(self) -> None:
        for schedule_id in list(self.by_id):
            self.remove(schedule_id)

    def arm(self, schedule: Schedule, *, reset_anchors: bool = False) -> None:
        """(Re)compute the next occurrence and set the timer for it."""
        if schedule.timer is not None:
            schedule.timer.cancel()
            schedule.timer = None
        now = self.clock.now
        start = now
        if schedule.scheduled_at is not None and schedule.scheduled_at > now:
            start = schedule.scheduled_at - _TICK  # an occurrence at scheduled_at counts
        timezone = self._timezone(schedule)
        if reset_anchors:
            schedule.anchors = [first_occurrence(r, start, timezone) for r in schedule.repeats]
        schedule.next_occurrence_at = self._next(schedule, start, timezone)
        if schedule.next_occurrence_at is not None:
            schedule.timer = self.clock.call_at(
                schedule.next_occurrence_at,
                lambda: self._fire(schedule),
                label=f"schedule {schedule.id} ({schedule.workflow})",
                recurring=bool(schedule.repeats),
            )

    def _next(self, schedule: Schedule, after: datetime, timezone: str | None) -> datetime | None:
        if not schedule.repeats:  # one-off: once, at scheduled_at (at once if that has passed)
            if schedule.last_occurrence_at is not None or schedule.scheduled_at is None:
                return None
            if schedule.ending_at is not None and schedule.scheduled_at > schedule.ending_at:
                return None  # it would start after it ended: Knock never runs it
            return max(schedule.scheduled_at, self.clock.now)
        found = [
            when
            for rule, anchor in zip(schedule.repeats, schedule.anchors, strict=True)
            if (when := next_occurrence(rule, after, anchor, timezone)) is not None
        ]
        upcoming = min(found, default=None)
        if upcoming is None or (schedule.ending_at is not None and upcoming > schedule.ending_at):
            return None
        return upcoming

    def _timezone(self, schedule: Schedule) -> str | None:
        entity = self.entities.get(*schedule.recipient) or {}
        timezone = entity.get("timezone")
        return timezone if isinstance(timezone, str) else None

    def _fire(self, schedule: Schedule) -> None:
        now = self.clock.now
        schedule.timer = None
        schedule.last_occurrence_at = now
        upcoming = self._next(schedule, now, self._timezone(schedule))
        scope = {
            "id": schedule.id,
            "last_occurrence_at": now.isoformat(),
            "next_occurrence_at": upcoming.isoformat() if upcoming else None,
        }
        try:
            result = self.trigger(schedule, scope)
            schedule.run_ids.extend(run.id for run in result.runs)
        except TriggerError as exc:
            schedule.errors.append(f"{now.isoformat()}: {exc}")
        self.arm(schedule)


def parse_moment(value: datetime | str | None, name: str) -> datetime | None:
    """`scheduled_at` / `ending_at`: a datetime or an ISO-8601 string, in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        from emulator.definitions import parse_timestamp

        try:
            return parse_timestamp(value)
        except ValueError:
            raise TriggerError(
                "invalid_params", f"{name}: {value!r} is not an ISO-8601 timestamp"
            ) from None
    if isinstance(value, datetime):
        return utc(value)
    raise TriggerError("invalid_params", f"{name}: expected an ISO-8601 timestamp, got {value!r}")


def schedule_data(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TriggerError("invalid_params", f"data: must be an object, got {value!r}")
    return dict(value)
