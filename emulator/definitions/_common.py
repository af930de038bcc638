"""What every step parser shares: the common fields (ref, name, description, conditions), read
once per step, and the readers for a function step's `settings` and its durations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from emulator.core import DefinitionError
from emulator.definitions._conditions import parse_conditions
from emulator.definitions._durations import parse_duration
from emulator.definitions._fields import Problems, as_map, check_keys, get_str
from emulator.definitions._model import ConditionGroup, Duration, Source

COMMON_STEP_KEYS = ("ref", "type", "name", "description", "conditions")


class CommonStepFields(TypedDict):
    """The keyword arguments every conditional step model takes from its `StepBase`."""

    ref: str
    conditions: ConditionGroup | None
    name: str | None
    description: str | None
    source: Source


@dataclass(frozen=True, slots=True)
class StepBase:
    """The fields every step has, read before the parser of its type runs."""

    ref: str
    name: str | None
    description: str | None
    conditions: ConditionGroup | None
    source: Source

    def common(self) -> CommonStepFields:
        """The shared fields as keyword arguments: `DelayStep(**base.common(), ...)`."""
        return CommonStepFields(
            ref=self.ref,
            conditions=self.conditions,
            name=self.name,
            description=self.description,
            source=self.source,
        )


def read_conditions(obj: Mapping[str, Any], src: Source, probs: Problems) -> ConditionGroup | None:
    """Parse `obj["conditions"]` with the shared condition parser, keeping its problems."""
    raw = obj.get("conditions")
    if raw is None:
        return None
    try:
        return parse_conditions(raw, src.at("conditions"))
    except DefinitionError as err:
        probs.absorb(err)
        return None


def read_base(raw: Mapping[str, Any], src: Source, probs: Problems) -> StepBase:
    """The common fields of the step `raw`, read at `src`."""
    return StepBase(
        ref=get_str(raw, "ref", src, probs, required=True) or "",
        name=get_str(raw, "name", src, probs),
        description=get_str(raw, "description", src, probs),
        conditions=read_conditions(raw, src, probs),
        source=src,
    )


def read_settings(
    raw: Mapping[str, Any],
    base: StepBase,
    probs: Problems,
    keys: tuple[str, ...] | None = None,
    what: str = "",
) -> tuple[Source, Mapping[str, Any]]:
    """A step's `settings` (empty when absent) and its source; unknown `keys` are reported."""
    src = base.source.at("settings")
    value = raw.get("settings")
    settings = {} if value is None else as_map(value, src, probs, "`settings`") or {}
    if keys is not None:
        check_keys(settings, keys, src, probs, what)
    return src, settings


def read_duration(
    settings: Mapping[str, Any], key: str, src: Source, probs: Problems
) -> Duration | None:
    """`settings[key]` as a Duration, or None when absent or wrong (the problem is recorded)."""
    value = settings.get(key)
    if value is None:
        return None
    try:
        return parse_duration(value, src.at(key))
    except DefinitionError as err:
        probs.absorb(err)
        return None
