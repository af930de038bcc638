"""The registry of scenario actions: one `ActionSpec` each, in the order the docs list them.

The loader checks a step with its spec (schema, then value checks) and the runner plays it with
the same spec; nothing else names an action.
"""

from __future__ import annotations

from collections.abc import Mapping

from emulator.scenarios._act_clock import ADVANCE, ADVANCE_TO, EXPECT, RUN_UNTIL_IDLE
from emulator.scenarios._act_people import (
    ADD_TO_AUDIENCE,
    ENGAGE,
    IDENTIFY,
    REMOVE_FROM_AUDIENCE,
    SET_PREFERENCES,
)
from emulator.scenarios._act_workflows import CANCEL, SCHEDULE, SEND_EVENT, TRIGGER
from emulator.scenarios._spec import ActionSpec

REGISTRY: Mapping[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        TRIGGER,
        ADVANCE,
        ADVANCE_TO,
        RUN_UNTIL_IDLE,
        CANCEL,
        IDENTIFY,
        SET_PREFERENCES,
        *ENGAGE,
        SCHEDULE,
        ADD_TO_AUDIENCE,
        REMOVE_FROM_AUDIENCE,
        SEND_EVENT,
        EXPECT,
    )
}
"""Every action a step may name, by name."""

ACTIONS: tuple[str, ...] = tuple(REGISTRY)
"""The action names, in the order the docs list them."""
