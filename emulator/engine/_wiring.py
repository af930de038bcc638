"""Plugs into an `Engine` what imports it: the step executors and schedule firing.

The engine module imports none of them (they depend on it), so whoever builds an engine calls
`wire` once; `Emulator` does.
"""

from __future__ import annotations

from functools import partial

from emulator.engine._dispatch import trigger_schedule
from emulator.engine._engine import Engine
from emulator.engine.steps import HANDLERS


def wire(engine: Engine) -> None:
    """Register every step type's executor and let due schedules start their runs."""
    engine.step_handlers.update(HANDLERS)
    engine.schedules_store.trigger = partial(trigger_schedule, engine)
