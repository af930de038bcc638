"""Shared pure helpers every layer may use: errors, the virtual clock, ids, the one duration
grammar, the one UTC timestamp formatter, the weekday table and time-zone fallback, and Knock
user tokens (signing keys, `sign_user_token`)."""

import importlib
from typing import TYPE_CHECKING, Any

from emulator.core._calendar import DAY_SETS, WEEKDAY_NAMES, WEEKDAYS, add_months, zone_or_utc
from emulator.core._clock import Clock, Timer
from emulator.core._durations import (
    ACCEPTED_FORMS,
    MICROSECONDS,
    SHORT,
    UNITS,
    DurationError,
    DurationPart,
    Span,
    duration_parts,
    format_duration,
    parse_duration,
)
from emulator.core._errors import (
    ClockError,
    DefinitionError,
    DefinitionWarning,
    DoorstepError,
    Problem,
    TriggerError,
)
from emulator.core._ids import IdFactory
from emulator.core._journaling import Recorder, journaled
from emulator.core._merge import deep_merge
from emulator.core._timestamps import format_timestamp

if TYPE_CHECKING:
    from emulator.core._user_tokens import (
        SigningKey,
        SigningKeyError,
        UserTokenError,
        check_user_token,
        sign_user_token,
    )

# User tokens (uuid, base64, hmac) load when first used: only servers and token tests need them.
_LAZY = ("SigningKey", "SigningKeyError", "UserTokenError", "check_user_token", "sign_user_token")


def __getattr__(name: str) -> Any:
    """A user-token name, imported when first asked for."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}._user_tokens"), name)
    globals()[name] = value
    return value


__all__ = [
    "ACCEPTED_FORMS",
    "DAY_SETS",
    "MICROSECONDS",
    "SHORT",
    "UNITS",
    "WEEKDAYS",
    "WEEKDAY_NAMES",
    "Clock",
    "ClockError",
    "DefinitionError",
    "DefinitionWarning",
    "DoorstepError",
    "DurationError",
    "DurationPart",
    "IdFactory",
    "Problem",
    "Recorder",
    "SigningKey",
    "SigningKeyError",
    "Span",
    "Timer",
    "TriggerError",
    "UserTokenError",
    "add_months",
    "check_user_token",
    "deep_merge",
    "duration_parts",
    "format_duration",
    "format_timestamp",
    "journaled",
    "parse_duration",
    "sign_user_token",
    "zone_or_utc",
]
