"""Doorstep: run Knock-style notification workflows offline, on a virtual clock.

from emulator import Emulator
emu = Emulator.from_directory("fixtures/workflows")
emu.identify("u1", email="ada@example.com")
result = emu.trigger("invoice-created", recipients=["u1"], data={"invoice_id": "inv_1"})
emu.clock.advance(minutes=5)
"""

from emulator._emulator import Emulator
from emulator._feed import Feed
from emulator.core._clock import Clock, Timer
from emulator.core._durations import DurationError, Span, format_duration, parse_duration
from emulator.core._errors import ClockError, DefinitionError, DoorstepError, Problem, TriggerError
from emulator.core._timestamps import format_timestamp
from emulator.definitions import load_definitions, parse_workflow
from emulator.definitions._channels import Channel
from emulator.definitions._config import EmulatorConfig, load_config
from emulator.definitions._model import Definitions, Layout, Partial, Workflow
from emulator.engine._responders import AiRequest, FetchError, FetchRequest, FetchResponse
from emulator.lint import Finding, Report, format_report, validate
from emulator.mail import CapturedEmail, DeliveryError, Mailbox, OutgoingEmail
from emulator.stores._messages import Message, UnknownMessage
from emulator.stores._runs import Activity, BatchInfo, Run, StepRecord, TriggerResult
from emulator.stores._schedules import Schedule
from emulator.templates import TemplateError

__all__ = [
    "Activity",
    "AiRequest",
    "BatchInfo",
    "CapturedEmail",
    "Channel",
    "Clock",
    "ClockError",
    "DefinitionError",
    "Definitions",
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
    "Message",
    "OutgoingEmail",
    "Partial",
    "Problem",
    "Report",
    "Run",
    "Schedule",
    "Span",
    "StepRecord",
    "TemplateError",
    "Timer",
    "TriggerError",
    "TriggerResult",
    "UnknownMessage",
    "Workflow",
    "format_duration",
    "format_report",
    "format_timestamp",
    "load_config",
    "load_definitions",
    "parse_duration",
    "parse_workflow",
    "validate",
]
