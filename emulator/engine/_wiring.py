"""Plugs into an `Engine` what imports it: the step executors and schedule firing.

The engine module imports none of them (they depend on it), so whoever builds an engine calls
`wire` once; `Emulator` does.
"""

from __future__ import annotations

import weakref
from typing import Any

from emulator.core import DoorstepError
from emulator.engine._dispatch import trigger_schedule
from emulator.engine._engine import Engine
from emulator.engine.steps import HANDLERS
from emulator.stores import Schedule, TriggerResult


def wire(engine: Engine) -> None:
    """Register every step type's executor and let due schedules start their runs."""
    engine.step_handlers.update(HANDLERS)
    engine.schedules_store.trigger = ScheduleTrigger(engine)


class ScheduleTrigger:
    """Starts a due schedule's run on its engine, holding the engine weakly: the engine holds
    its schedules, so a strong reference would make every engine a reference cycle, freed only
    by the cyclic collector (a cost each test paid after its `Emulator` was dropped)."""

    __slots__ = ("_engine",)

    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)

    def __call__(self, schedule: Schedule, scope: dict[str, Any]) -> TriggerResult:
        engine = self._engine()
        if engine is None:
            raise DoorstepError(
                f"schedule {schedule.id} is due but its Emulator is gone; keep the Emulator "
                "while advancing its clock"
            )
        return trigger_schedule(engine, schedule, scope)

    def __reduce__(self) -> tuple[Any, ...]:
        return (ScheduleTrigger, (self._engine(),))  # a snapshot names the engine itself
