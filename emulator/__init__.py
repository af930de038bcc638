"""Doorstep: run Knock-style notification workflows offline, on a virtual clock.

from emulator import Emulator
emu = Emulator.from_directory("fixtures/workflows")
emu.identify("u1", email="ada@example.com")
result = emu.trigger("invoice-created", recipients=["u1"], data={"invoice_id": "inv_1"})
emu.clock.advance(minutes=5)
"""

from ._channels import Channel
from ._clock import Clock, Timer
from ._config import EmulatorConfig, load_config
from ._definitions import load_definitions, parse_workflow
from ._dispatch import TriggerResult
from ._emulator import Emulator
from ._errors import ClockError, DefinitionError, DoorstepError, Problem, TriggerError
from ._feed import Feed
from ._messages import Message, UnknownMessage
from ._model import Definitions, Layout, Partial, Workflow
from ._runs import Activity, BatchInfo, Run, StepRecord
from ._schedules import Schedule
from ._steps._agent import AiRequest
from ._steps._fetch import FetchError, FetchRequest, FetchResponse
from ._templates import TemplateError
from .mail import CapturedEmail, DeliveryError, Mailbox, OutgoingEmail

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
    "Emulator",
    "EmulatorConfig",
    "Feed",
    "FetchError",
    "FetchRequest",
    "FetchResponse",
    "Layout",
    "Mailbox",
    "Message",
    "OutgoingEmail",
    "Partial",
    "Problem",
    "Run",
    "Schedule",
    "StepRecord",
    "TemplateError",
    "Timer",
    "TriggerError",
    "TriggerResult",
    "UnknownMessage",
    "Workflow",
    "load_config",
    "load_definitions",
    "parse_workflow",
]
