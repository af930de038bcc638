"""Durations: Knock's `{"unit": "minutes", "value": 5}` objects, or our short strings (`5m`).

Both forms produce the same `Duration`, so a YAML workflow and its Knock export compare equal.
Short suffixes: `s` seconds, `m` minutes, `h` hours, `d` days, `w` weeks, `mo` months; the long
unit names (`5 minutes`, `1 day`) are accepted too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

from emulator.core._errors import DefinitionError, Problem
from emulator.definitions._fields import did_you_mean, type_name
from emulator.definitions._model import DURATION_UNITS, Duration, DurationUnit, Source

_SUFFIXES: dict[str, str] = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_SUFFIXES |= {"w": "weeks", "mo": "months"}
for _unit in DURATION_UNITS:
    _SUFFIXES[_unit] = _unit
    _SUFFIXES[_unit[:-1]] = _unit  # singular: "1 day"
_STRING = re.compile(r"^\s*(\d+)\s*([a-z]+)\s*$")
_FIX = (
    "write a positive whole number and a unit, e.g. `30s`, `5m`, `2h`, `1d`, `1w`, or "
    '`{"unit": "minutes", "value": 5}` (units: seconds, minutes, hours, days, weeks, months)'
)


def parse_duration(raw: Any, source: Source) -> Duration:
    """Read a duration in either form; raise DefinitionError naming `source` when it is wrong."""
    if isinstance(raw, str):
        return _from_string(raw, source)
    if isinstance(raw, Mapping):
        return _from_object(raw, source)
    raise _error(source, f"a duration must be a string or an object, got {type_name(raw)}", _FIX)


def _from_string(raw: str, source: Source) -> Duration:
    match = _STRING.match(raw.lower())
    if match is None:
        raise _error(source, f"{raw!r} is not a duration", _FIX)
    value, suffix = int(match.group(1)), match.group(2)
    unit = _SUFFIXES.get(suffix)
    if unit is None:
        raise _error(
            source,
            f"{raw!r} has an unknown unit {suffix!r}",
            "use s, m, h, d, w or mo (or a full unit name); " + did_you_mean(suffix, _SUFFIXES),
        )
    if value <= 0:
        raise _error(source, f"{raw!r}: the value must be positive", _FIX)
    return Duration(cast(DurationUnit, unit), value)


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
