"""Durations in workflow definitions: Knock's `{"unit": "minutes", "value": 5}` objects, or any
form of the one duration grammar (`emulator.core._durations`): `5m`, `1h30m`, `1mo`, `5 minutes`,
`PT1H30M`, `{minutes: 5}`.

Every form produces the same `Duration`, so a YAML workflow and its Knock export compare equal.
Knock's duration has a single unit: a duration written in several parts is kept in the smallest
unit it names (`1h30m` is 90 minutes), months cannot be mixed with other units, and nothing is
finer than a second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, cast

from emulator.core import (
    ACCEPTED_FORMS,
    MICROSECONDS,
    SHORT,
    UNITS,
    DefinitionError,
    DurationError,
    DurationPart,
    Problem,
    duration_parts,
)
from emulator.definitions._fields import did_you_mean, type_name
from emulator.definitions._model import DURATION_UNITS, Duration, DurationUnit, Source

_UNIT_WORDS = (*SHORT.values(), *UNITS)
_FIX = f"{ACCEPTED_FORMS} (units: seconds, minutes, hours, days, weeks, months)"
_ONE_UNIT = (
    "a workflow duration is a whole number of one unit, at least a second: write e.g. `90s`, "
    "`90m` or `2mo`"
)


def parse_duration(raw: Any, source: Source) -> Duration:
    """Read a duration in any form; raise DefinitionError naming `source` when it is wrong."""
    if isinstance(raw, Mapping) and (not raw or not {str(k) for k in raw} <= set(UNITS)):
        return _from_object(raw, source)
    if not isinstance(raw, str | Mapping):
        got = type_name(raw)
        raise _error(source, f"a duration must be a string or an object, got {got}", _FIX)
    try:
        parts = duration_parts(raw)
    except DurationError as exc:
        fix = _FIX
        if exc.unit is not None:
            fix = "use s, m, h, d, w or mo (or a full unit name); "
            fix += did_you_mean(exc.unit, _UNIT_WORDS)
        raise _error(source, exc.reason, fix) from None
    return _one_unit(raw, parts, source)


def _one_unit(raw: Any, parts: Sequence[DurationPart], source: Source) -> Duration:
    """The parts as Knock's single-unit duration, in the smallest Knock unit they name."""
    units = {part.unit for part in parts}
    if "months" in units:
        if len(units) > 1:
            raise _error(source, f"{raw!r} mixes calendar months with other units", _ONE_UNIT)
        unit, count = "months", sum((part.value for part in parts), Decimal(0))
    else:
        finer = units - set(DURATION_UNITS)  # milliseconds or microseconds
        unit = "seconds" if finer else next(u for u in DURATION_UNITS if u in units)
        micros = sum((part.value * MICROSECONDS[part.unit] for part in parts), Decimal(0))
        count = micros / MICROSECONDS[unit]
    if count != count.to_integral_value():
        raise _error(source, f"{raw!r} is not a whole number of {unit}", _ONE_UNIT)
    if count <= 0:
        raise _error(source, f"{raw!r}: the value must be positive", _FIX)
    return Duration(cast(DurationUnit, unit), int(count))


def _from_object(raw: Mapping[str, Any], source: Source) -> Duration:
    problems: list[Problem] = []
    unit, value = raw.get("unit"), raw.get("value")
    extra = sorted(str(k) for k in raw if k not in ("unit", "value"))
    if extra:
        problems.append(
            Problem(
                source.file,
                source.at(extra[0]).path,
                f"unknown field `{extra[0]}` in a duration",
                "a duration has only `unit` and `value`",
            )
        )
    if not isinstance(unit, str) or unit not in DURATION_UNITS:
        problems.append(
            Problem(
                source.file,
                source.at("unit").path,
                f"duration unit is {unit!r}; it must be one of {', '.join(DURATION_UNITS)}",
                did_you_mean(str(unit), DURATION_UNITS),
            )
        )
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        problems.append(
            Problem(
                source.file,
                source.at("value").path,
                f"duration value is {value!r}; it must be a positive whole number",
                "set `value` to an integer of at least 1",
            )
        )
    if problems:
        raise DefinitionError(problems)
    return Duration(cast(DurationUnit, unit), cast(int, value))


def _error(source: Source, message: str, fix: str) -> DefinitionError:
    return DefinitionError([Problem(source.file, source.path, message, fix)])
