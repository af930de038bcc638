"""Every piece of the emulator's state: entities, subscriptions, preference sets, runs and their
records, messages and their metadata, guide engagement, audiences, schedules and bulk operations."""

from typing import TYPE_CHECKING

from emulator._lazy import lazy_exports

if TYPE_CHECKING:
    from emulator.stores._audiences import Audiences, Membership
    from emulator.stores._bulk import BulkOperation, BulkOperations
    from emulator.stores._compact_runs import CompactRow, CompactRuns, RunFacts, facts, readdressed
    from emulator.stores._entities import TENANTS, USERS, Entities, EntityView, Ref, Subscription
    from emulator.stores._guides import ENGAGEMENTS, GuideEngagements, GuideMessage
    from emulator.stores._message_store import MessageStore
    from emulator.stores._messages import (
        DELIVERY_STATUSES,
        DeliveryAttempt,
        Message,
        UnknownMessageError,
        message_event,
    )
    from emulator.stores._runs import (
        Activity,
        BatchInfo,
        Run,
        StepRecord,
        TriggerResult,
        UnknownRunError,
    )
    from emulator.stores._schedules import Schedule

# Each name is imported from its module on first use (PEP 562).
if not TYPE_CHECKING:  # (mypy reads the imports above)
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "_audiences": ("Audiences", "Membership"),
            "_bulk": ("BulkOperation", "BulkOperations"),
            "_compact_runs": ("CompactRow", "CompactRuns", "RunFacts", "facts", "readdressed"),
            "_entities": ("TENANTS", "USERS", "Entities", "EntityView", "Ref", "Subscription"),
            "_guides": ("ENGAGEMENTS", "GuideEngagements", "GuideMessage"),
            "_messages": (
                "DELIVERY_STATUSES",
                "DeliveryAttempt",
                "Message",
                "UnknownMessageError",
                "message_event",
            ),
            "_message_store": ("MessageStore",),
            "_runs": (
                "Activity",
                "BatchInfo",
                "Run",
                "StepRecord",
                "TriggerResult",
                "UnknownRunError",
            ),
            "_schedules": ("Schedule",),
        },
    )

__all__ = [
    "DELIVERY_STATUSES",
    "ENGAGEMENTS",
    "TENANTS",
    "USERS",
    "Activity",
    "Audiences",
    "BatchInfo",
    "BulkOperation",
    "BulkOperations",
    "CompactRow",
    "CompactRuns",
    "DeliveryAttempt",
    "Entities",
    "EntityView",
    "GuideEngagements",
    "GuideMessage",
    "Membership",
    "Message",
    "MessageStore",
    "Ref",
    "Run",
    "RunFacts",
    "Schedule",
    "StepRecord",
    "Subscription",
    "TriggerResult",
    "UnknownMessageError",
    "UnknownRunError",
    "facts",
    "message_event",
    "readdressed",
]
