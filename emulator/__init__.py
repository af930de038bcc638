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

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator._emulator import Emulator
    from emulator._environments import (
        Environment,
        Environments,
        PromotionError,
        UnknownCommitError,
        UnknownEnvironmentError,
    )
    from emulator._feed import Feed
    from emulator._journal import COMPACT_EVERY, Journal, JournalError
    from emulator._snapshot import SnapshotError
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
        Guide,
        Layout,
        Partial,
        Workflow,
        YamlError,
        compose_yaml,
        load_config,
        load_definitions,
        not_utf8,
        parse_document,
        parse_workflow,
        validate_preference_set,
        yaml_constructor,
    )
    from emulator.engine import (
        RESOURCE_TYPES,
        AiRequest,
        AiResponder,
        ConditionResult,
        ContentCommit,
        ContentStore,
        EligibleGuide,
        FetchError,
        FetchRequest,
        FetchResponse,
        GuideList,
        GuideStepView,
        IneligibleGuide,
        Responder,
        RunObserver,
        observe_every_emulator,
    )
    from emulator.lint import (
        Finding,
        Promotion,
        Report,
        check_before_serving,
        compare_promotion,
        format_promotion,
        format_report,
        validate,
    )
    from emulator.mail import CapturedEmail, DeliveryError, Mailbox, OutgoingEmail
    from emulator.stores import (
        DELIVERY_STATUSES,
        TENANTS,
        USERS,
        Activity,
        BatchInfo,
        BulkOperation,
        DeliveryAttempt,
        GuideMessage,
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
    "COMPACT_EVERY",
    "DELIVERY_STATUSES",
    "RESOURCE_TYPES",
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
    "ContentCommit",
    "ContentStore",
    "DefinitionError",
    "DefinitionWarning",
    "Definitions",
    "DeliveryAttempt",
    "DeliveryError",
    "DoorstepError",
    "DurationError",
    "EligibleGuide",
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
    "Guide",
    "GuideList",
    "GuideMessage",
    "GuideStepView",
    "IneligibleGuide",
    "Journal",
    "JournalError",
    "Layout",
    "Mailbox",
    "Membership",
    "Message",
    "OutgoingEmail",
    "Partial",
    "Problem",
    "Promotion",
    "PromotionError",
    "Report",
    "Responder",
    "Run",
    "RunObserver",
    "Schedule",
    "SigningKey",
    "SigningKeyError",
    "SnapshotError",
    "Span",
    "StepRecord",
    "Subscription",
    "TemplateError",
    "Timer",
    "TriggerError",
    "TriggerResult",
    "UnknownCommitError",
    "UnknownEnvironmentError",
    "UnknownMessageError",
    "UnknownRunError",
    "UserTokenError",
    "Workflow",
    "YamlError",
    "check_before_serving",
    "check_user_token",
    "compare_promotion",
    "compose_yaml",
    "format_duration",
    "format_promotion",
    "format_report",
    "format_timestamp",
    "load_config",
    "load_definitions",
    "not_utf8",
    "observe_every_emulator",
    "parse_document",
    "parse_duration",
    "parse_workflow",
    "sign_user_token",
    "validate",
    "validate_preference_set",
    "yaml_constructor",
]

# `import emulator` loads nothing more: each public name is imported from its home module on
# first use (PEP 562), so `from emulator.coverage import ...` or the pytest plugin's start does
# not pay for the engine, the templates and their dependencies.
_HOMES: dict[str, tuple[str, ...]] = {
    "emulator._emulator": ("Emulator",),
    "emulator._environments": (
        "Environment",
        "Environments",
        "PromotionError",
        "UnknownCommitError",
        "UnknownEnvironmentError",
    ),
    "emulator._feed": ("Feed",),
    "emulator._journal": (
        "COMPACT_EVERY",
        "Journal",
        "JournalError",
    ),
    "emulator._snapshot": ("SnapshotError",),
    "emulator.core": (
        "WEEKDAYS",
        "Clock",
        "ClockError",
        "DefinitionError",
        "DefinitionWarning",
        "DoorstepError",
        "DurationError",
        "Problem",
        "SigningKey",
        "SigningKeyError",
        "Span",
        "Timer",
        "TriggerError",
        "UserTokenError",
        "check_user_token",
        "format_duration",
        "format_timestamp",
        "parse_duration",
        "sign_user_token",
    ),
    "emulator.definitions": (
        "Channel",
        "Definitions",
        "EmulatorConfig",
        "EnvironmentConfig",
        "Guide",
        "Layout",
        "Partial",
        "Workflow",
        "YamlError",
        "compose_yaml",
        "load_config",
        "load_definitions",
        "not_utf8",
        "parse_document",
        "parse_workflow",
        "validate_preference_set",
        "yaml_constructor",
    ),
    "emulator.engine": (
        "RESOURCE_TYPES",
        "AiRequest",
        "AiResponder",
        "ConditionResult",
        "ContentCommit",
        "ContentStore",
        "EligibleGuide",
        "FetchError",
        "FetchRequest",
        "FetchResponse",
        "GuideList",
        "GuideStepView",
        "IneligibleGuide",
        "Responder",
        "RunObserver",
        "observe_every_emulator",
    ),
    "emulator.lint": (
        "Finding",
        "Promotion",
        "Report",
        "check_before_serving",
        "compare_promotion",
        "format_promotion",
        "format_report",
        "validate",
    ),
    "emulator.mail": (
        "CapturedEmail",
        "DeliveryError",
        "Mailbox",
        "OutgoingEmail",
    ),
    "emulator.stores": (
        "DELIVERY_STATUSES",
        "TENANTS",
        "USERS",
        "Activity",
        "BatchInfo",
        "BulkOperation",
        "DeliveryAttempt",
        "GuideMessage",
        "Membership",
        "Message",
        "Run",
        "Schedule",
        "StepRecord",
        "Subscription",
        "TriggerResult",
        "UnknownMessageError",
        "UnknownRunError",
    ),
    "emulator.templates": ("TemplateError",),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    """A public name (imported from its home module) or a subpackage, on first use."""
    home = _HOME.get(name)
    if home is not None:
        from emulator._method_cache import cached_dataclass_methods

        with cached_dataclass_methods():  # our dataclasses' methods are compiled once a machine
            value = getattr(importlib.import_module(home), name)
        globals()[name] = value
        return value
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
