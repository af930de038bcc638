"""The `Emulator`'s schedules (Knock's `/v1/schedules`): create, update, delete, list; the
virtual clock runs them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

# binds `emulator`: the other packages load on first use (the engine with the first Emulator)
import emulator.core
from emulator.core import journaled

if TYPE_CHECKING:
    import emulator.engine
    from emulator.core import Recorder
    from emulator.engine import Engine
    from emulator.stores import Schedule


class SchedulesFacade:
    """Mixed into `Emulator`; every method takes the engine's lock."""

    _engine: Engine
    _journal: Recorder | None

    @journaled("emulator")
    def create_schedules(
        self,
        workflow: str,
        recipients: Sequence[Any],
        *,
        repeats: Sequence[Mapping[str, Any]] = (),
        data: Mapping[str, Any] | None = None,
        actor: Any = None,
        tenant: Any = None,
        scheduled_at: datetime | str | None = None,
        ending_at: datetime | str | None = None,
    ) -> list[Schedule]:
        """One schedule per recipient, like Knock's `POST /v1/schedules`; the virtual clock runs
        them. Recurring with `repeats`, or once at `scheduled_at`."""
        with self._engine.lock:
            made = emulator.engine.new_schedules(
                self._engine,
                workflow,
                recipients,
                repeats=repeats,
                data=data,
                actor=actor,
                tenant=tenant,
                scheduled_at=scheduled_at,
                ending_at=ending_at,
            )
            return [self._engine.schedules_store.add(schedule) for schedule in made]

    @journaled("emulator")
    def update_schedules(self, schedule_ids: Sequence[str], **changes: Any) -> list[Schedule]:
        """Apply the same changes to each schedule (`repeats`, `data`, `actor`, `tenant`,
        `scheduled_at`, `ending_at`), like Knock's `PUT /v1/schedules`."""
        with self._engine.lock:
            store = self._engine.schedules_store
            update = emulator.engine.schedule_changes(self._engine, changes)
            found = [store.get(i) for i in schedule_ids]
            for schedule in found:
                for name, value in update.items():
                    setattr(schedule, name, value)
                schedule.updated_at = self._engine.clock.now
                store.arm(schedule, reset_anchors=True)
            return found

    @journaled("emulator")
    def delete_schedules(self, schedule_ids: Sequence[str]) -> list[Schedule]:
        """Delete schedules; their pending occurrences never fire (runs already started go on)."""
        with self._engine.lock:
            store = self._engine.schedules_store
            for schedule_id in schedule_ids:
                store.get(schedule_id)  # all or nothing: check every id first
            return [store.remove(i) for i in schedule_ids]

    def schedules(
        self, *, workflow: str | None = None, recipient: str | None = None
    ) -> list[Schedule]:
        """Schedules in creation order, optionally for one workflow and/or recipient id."""
        with self._engine.lock:
            return [
                s
                for s in self._engine.schedules_store.by_id.values()
                if (workflow is None or s.workflow == workflow)
                and (recipient is None or s.recipient_id == recipient)
            ]
