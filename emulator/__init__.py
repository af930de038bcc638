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
`Emulator(ai_responder=...)` (AiRequest -> the model's answer). `sign_user_token` makes the
user tokens a browser sends with a `pk_` key (Knock's enhanced security), like `signUserToken`.
"""

from emulator._emulator import Emulator
from emulator._environments import Environment, Environments, UnknownEnvironmentError
from emulator._feed import Feed
from emulator._journal import Journal, JournalError
from emulator.core import (
    WEEKDAYS,
    Clock,
    ClockError,
    DefinitionError,
    DefinitionWarning,
    DoorstepError,
    DurationError,
    Problem,
    SigningKey,
    SigningKeyError,
    Span,
    Timer,
    TriggerError,
    UserTokenError,
    check_user_token,
    format_duration,
    format_timestamp,
    parse_duration,
    sign_user_token,
)
from emulator.definitions import (
    Channel,
    Definitions,
    EmulatorConfig,
    EnvironmentConfig,
    Layout,
    Partial,
    Workflow,
    YamlError,
    compose_yaml,
    load_config,
    load_definitions,
    not_utf8,
    parse_workflow,
    validate_preference_set,
    yaml_constructor,
)
from emulator.engine import (
    AiRequest,
    AiResponder,
    ConditionResult,
    FetchError,
    FetchRequest,
    FetchResponse,
    Responder,
    RunObserver,
    observe_every_emulator,
)
from emulator.lint import Finding, Report, check_before_serving, format_report, validate
from emulator.mail import CapturedEmail, DeliveryError, Mailbox, OutgoingEmail
from emulator.stores import (
    DELIVERY_STATUSES,
    TENANTS,
    USERS,
    Activity,
    BatchInfo,
    BulkOperation,
    DeliveryAttempt,
    Membership,
    Message,
    Run,
    Schedule,
    StepRecord,
    Subscription,
    TriggerResult,
    UnknownMessageError,
    UnknownRunError,
)
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
    "DefinitionWarning",
    "Definitions",
    "DeliveryAttempt",
    "DeliveryError",
    "DoorstepError",
    "DurationError",
    "Emulator",
    "EmulatorConfig",
    "Environment",
    "EnvironmentConfig",
    "Environments",
    "Feed",
    "FetchError",
    "FetchRequest",
    "FetchResponse",
    "Finding",
    "Journal",
    "JournalError",
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
    "RunObserver",
    "Schedule",
    "SigningKey",
    "SigningKeyError",
    "Span",
    "StepRecord",
    "Subscription",
    "TemplateError",
    "Timer",
    "TriggerError",
    "TriggerResult",
    "UnknownEnvironmentError",
    "UnknownMessageError",
    "UnknownRunError",
    "UserTokenError",
    "Workflow",
    "YamlError",
    "check_before_serving",
    "check_user_token",
    "compose_yaml",
    "format_duration",
    "format_report",
    "format_timestamp",
    "load_config",
    "load_definitions",
    "not_utf8",
    "observe_every_emulator",
    "parse_duration",
    "parse_workflow",
    "sign_user_token",
    "validate",
    "validate_preference_set",
    "yaml_constructor",
]
