"""Fields every step shares (ref, name, description, conditions), read once per step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emulator.core._errors import DefinitionError
from emulator.definitions._conditions import parse_conditions
from emulator.definitions._fields import Problems, get_str
from emulator.definitions._model import ConditionGroup, Source

COMMON_STEP_KEYS = ("ref", "type", "name", "description", "conditions")


@dataclass(frozen=True, slots=True)
class StepBase:
    ref: str
    name: str | None
    description: str | None
    conditions: ConditionGroup | None
    source: Source


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
    return StepBase(
        ref=get_str(raw, "ref", src, probs, required=True) or "",
        name=get_str(raw, "name", src, probs),
        description=get_str(raw, "description", src, probs),
        conditions=read_conditions(raw, src, probs),
        source=src,
    )
