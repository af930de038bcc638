"""Plugs into an `Engine` what imports it: the step executors and schedule firing.

The engine module imports none of them (they depend on it), so whoever builds an engine calls
`wire` once; `Emulator` does. Both load on first use (the executors with the first step a run
executes, the dispatcher with the first due schedule): an Emulator that runs nothing, as in a
test's set-up, does not pay for them.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from emulator.core import DoorstepError
from emulator.engine._engine import not_emulated

if TYPE_CHECKING:
    from emulator.definitions import Step
    from emulator.engine._engine import Engine, StepHandler
    from emulator.stores import Schedule, TriggerResult


def wire(engine: Engine) -> None:
    """Register every step type's executor and let due schedules start their runs."""
    engine.missing_handler = load_step_handlers
    engine.schedules_store.trigger = ScheduleTrigger(engine)


def load_step_handlers(engine: Engine, step: Step) -> StepHandler:
    """The first step without a handler: register every executor (a handler set before keeps
    its type), then answer for `step`."""
    from emulator.engine.steps import HANDLERS

    for kind, handler in HANDLERS.items():
        engine.step_handlers.setdefault(kind, handler)
    engine.missing_handler = not_emulated
    return engine.step_handlers.get(step.type) or not_emulated(engine, step)


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
        from emulator.engine._dispatch import trigger_schedule

        return trigger_schedule(engine, schedule, scope)

    def __reduce__(self) -> tuple[Any, ...]:
        return (ScheduleTrigger, (self._engine(),))  # a snapshot names the engine itself
