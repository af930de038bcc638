"""The engine: fans triggers out into runs and drives each run through its steps on the virtual
clock, evaluating conditions and preferences and writing what happens into the stores."""

from typing import TYPE_CHECKING

from emulator._lazy import lazy_exports

if TYPE_CHECKING:
    from emulator.engine._conditions import ConditionResult
    from emulator.engine._content import (
        RESOURCE_TYPES,
        ContentCommit,
        ContentStore,
        check_document,
        use_definitions,
    )
    from emulator.engine._dispatch import IDEMPOTENCY_WINDOW, start_trigger
    from emulator.engine._engine import Engine
    from emulator.engine._guides import (
        EligibleGuide,
        GuideList,
        GuideStepView,
        IneligibleGuide,
        engage,
        find_guide,
        guide_id,
        reset_engagement,
        select_guides,
        unarchive,
    )
    from emulator.engine._lifecycle import cancel_runs, forget, merge_users, reset_state
    from emulator.engine._observers import RunObserver, observe_every_emulator
    from emulator.engine._recipients import (
        add_to_audience,
        identify,
        merge_preferences,
        remove_from_audience,
        send_event,
        set_channel_data,
        set_preferences,
        set_tenant,
        subscribe,
        unsubscribe,
    )
    from emulator.engine._responders import (
        AiRequest,
        AiResponder,
        FetchError,
        FetchRequest,
        FetchResponse,
        Responder,
    )
    from emulator.engine._retention import RunRetention
    from emulator.engine._schedule_requests import new_schedules, schedule_changes
    from emulator.engine._targets import parse_entity
    from emulator.engine._wiring import wire

# Each name is imported from its module on first use (PEP 562): `from emulator import Emulator`
# loads the facade alone, and the engine loads with the first `Emulator()`.
if not TYPE_CHECKING:  # (mypy reads the imports above)
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "_conditions": ("ConditionResult",),
            "_content": (
                "RESOURCE_TYPES",
                "ContentCommit",
                "ContentStore",
                "check_document",
                "use_definitions",
            ),
            "_dispatch": ("IDEMPOTENCY_WINDOW", "start_trigger"),
            "_engine": ("Engine",),
            "_guides": (
                "EligibleGuide",
                "GuideList",
                "GuideStepView",
                "IneligibleGuide",
                "engage",
                "find_guide",
                "guide_id",
                "reset_engagement",
                "select_guides",
                "unarchive",
            ),
            "_lifecycle": ("cancel_runs", "forget", "merge_users", "reset_state"),
            "_observers": ("RunObserver", "observe_every_emulator"),
            "_recipients": (
                "add_to_audience",
                "identify",
                "merge_preferences",
                "remove_from_audience",
                "send_event",
                "set_channel_data",
                "set_preferences",
                "set_tenant",
                "subscribe",
                "unsubscribe",
            ),
            "_responders": (
                "AiRequest",
                "AiResponder",
                "FetchError",
                "FetchRequest",
                "FetchResponse",
                "Responder",
            ),
            "_retention": ("RunRetention",),
            "_schedule_requests": ("new_schedules", "schedule_changes"),
            "_targets": ("parse_entity",),
            "_wiring": ("wire",),
        },
    )

__all__ = [
    "IDEMPOTENCY_WINDOW",
    "RESOURCE_TYPES",
    "AiRequest",
    "AiResponder",
    "ConditionResult",
    "ContentCommit",
    "ContentStore",
    "EligibleGuide",
    "Engine",
    "FetchError",
    "FetchRequest",
    "FetchResponse",
    "GuideList",
    "GuideStepView",
    "IneligibleGuide",
    "Responder",
    "RunObserver",
    "RunRetention",
    "add_to_audience",
    "cancel_runs",
    "check_document",
    "engage",
    "find_guide",
    "forget",
    "guide_id",
    "identify",
    "merge_preferences",
    "merge_users",
    "new_schedules",
    "observe_every_emulator",
    "parse_entity",
    "remove_from_audience",
    "reset_engagement",
    "reset_state",
    "schedule_changes",
    "select_guides",
    "send_event",
    "set_channel_data",
    "set_preferences",
    "set_tenant",
    "start_trigger",
    "subscribe",
    "unarchive",
    "unsubscribe",
    "use_definitions",
    "wire",
]
