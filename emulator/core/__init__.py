"""Shared pure helpers every layer may use: errors, the virtual clock, ids, the one duration
grammar, the one UTC timestamp formatter, the weekday table and time-zone fallback, and Knock
user tokens (signing keys, `sign_user_token`)."""

from typing import TYPE_CHECKING

from emulator._lazy import lazy_exports

if TYPE_CHECKING:
    from emulator.core._bounded import BoundedCache
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
    from emulator.core._ids import TENANTS, USERS, IdFactory
    from emulator.core._journaling import journaled
    from emulator.core._merge import deep_merge
    from emulator.core._recorder import Recorder
    from emulator.core._timestamps import format_timestamp
    from emulator.core._user_tokens import (
        SigningKey,
        SigningKeyError,
        UserTokenError,
        check_user_token,
        sign_user_token,
    )

# Each name is imported from its module on first use (PEP 562), so a module that needs the
# clock or an error does not load the duration grammar, time zones or user tokens.
if not TYPE_CHECKING:  # (mypy reads the imports above)
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "_bounded": ("BoundedCache",),
            "_calendar": ("DAY_SETS", "WEEKDAYS", "WEEKDAY_NAMES", "add_months", "zone_or_utc"),
            "_clock": ("Clock", "Timer"),
            "_durations": (
                "ACCEPTED_FORMS",
                "MICROSECONDS",
                "SHORT",
                "UNITS",
                "DurationError",
                "DurationPart",
                "Span",
                "duration_parts",
                "format_duration",
                "parse_duration",
            ),
            "_errors": (
                "ClockError",
                "DefinitionError",
                "DefinitionWarning",
                "DoorstepError",
                "Problem",
                "TriggerError",
            ),
            "_ids": ("TENANTS", "USERS", "IdFactory"),
            "_journaling": ("journaled",),
            "_merge": ("deep_merge",),
            "_recorder": ("Recorder",),
            "_timestamps": ("format_timestamp",),
            "_user_tokens": (
                "SigningKey",
                "SigningKeyError",
                "UserTokenError",
                "check_user_token",
                "sign_user_token",
            ),
        },
    )

__all__ = [
    "ACCEPTED_FORMS",
    "DAY_SETS",
    "MICROSECONDS",
    "SHORT",
    "TENANTS",
    "UNITS",
    "USERS",
    "WEEKDAYS",
    "WEEKDAY_NAMES",
    "BoundedCache",
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
