"""Doorstep: run Knock-style notification workflows offline, on a virtual clock.

from emulator import Emulator
emu = Emulator.from_directory("fixtures/workflows")
emu.identify("u1", email="ada@example.com")
result = emu.trigger("invoice-created", recipients=["u1"], data={"invoice_id": "inv_1"})
emu.clock.advance(minutes=5)

Constants: `USERS` and `TENANTS` are Knock's collection names for users and tenants in
(collection, id) references; `DELIVERY_STATUSES` lists a message's delivery statuses;
`WEEKDAYS` the weekday names of schedule repeats (`mon` ... `sun`). `Responder` is the type
of `Emulator(http_responder=...)` (FetchRequest -> FetchResponse) and `AiResponder` of
`Emulator(ai_responder=...)` (AiRequest -> the model's answer).
"""

from emulator._emulator import Emulator
from emulator._feed import Feed
from emulator.core._calendar import WEEKDAYS
from emulator.core._clock import Clock, Timer
from emulator.core._durations import DurationError, Span, format_duration, parse_duration
from emulator.core._errors import ClockError, DefinitionError, DoorstepError, Problem, TriggerError
from emulator.core._timestamps import format_timestamp
from emulator.definitions import load_definitions, parse_workflow
from emulator.definitions._channels import Channel
from emulator.definitions._config import EmulatorConfig, load_config
from emulator.definitions._model import Definitions, Layout, Partial, Workflow
from emulator.definitions._preferences import validate_preference_set
from emulator.engine._conditions import ConditionResult
from emulator.engine._responders import (
    AiRequest,
    AiResponder,
    FetchError,
    FetchRequest,
    FetchResponse,
    Responder,
)
from emulator.lint import Finding, Report, format_report, validate
from emulator.mail import CapturedEmail, DeliveryError, Mailbox, OutgoingEmail
from emulator.stores._audiences import Membership
from emulator.stores._bulk import BulkOperation
from emulator.stores._entities import TENANTS, USERS, Subscription
from emulator.stores._messages import (
    DELIVERY_STATUSES,
    DeliveryAttempt,
    Message,
    UnknownMessageError,
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
from emulator.templates import TemplateError

__all__ = [
    "DELIVERY_STATUSES",
    "TENANTS",
    "USERS",
    "WEEKDAYS",
    "Activity",
    "AiRequest",
    "AiResponder",
    "BatchInfo",
    "BulkOperation",
    "CapturedEmail",
    "Channel",
    "Clock",
    "ClockError",
    "ConditionResult",
    "DefinitionError",
    "Definitions",
    "DeliveryAttempt",
    "DeliveryError",
    "DoorstepError",
    "DurationError",
    "Emulator",
    "EmulatorConfig",
    "Feed",
    "FetchError",
    "FetchRequest",
    "FetchResponse",
    "Finding",
    "Layout",
    "Mailbox",
    "Membership",
    "Message",
    "OutgoingEmail",
    "Partial",
    "Problem",
    "Report",
    "Responder",
    "Run",
    "Schedule",
    "Span",
    "StepRecord",
    "Subscription",
    "TemplateError",
    "Timer",
    "TriggerError",
    "TriggerResult",
    "UnknownMessageError",
    "UnknownRunError",
    "Workflow",
    "format_duration",
    "format_report",
    "format_timestamp",
    "load_config",
    "load_definitions",
    "parse_duration",
    "parse_workflow",
    "validate",
    "validate_preference_set",
]
