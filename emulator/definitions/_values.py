"""The values the definitions model is built from: where a definition was read (`Source`),
a `Duration`, and the condition tree (`Condition`, `ConditionGroup`).

`source` fields never take part in equality, so one workflow loaded from two formats compares
equal; `source_field()` declares them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

DurationUnit: TypeAlias = Literal["seconds", "minutes", "hours", "days", "weeks", "months"]
DURATION_UNITS: tuple[str, ...] = ("seconds", "minutes", "hours", "days", "weeks", "months")


@dataclass(frozen=True, slots=True)
class Source:
    """Where a definition was read: a file and a JSON path inside it (`steps[2].settings`)."""

    file: str = ""
    path: str = ""

    def at(self, suffix: str) -> Source:
        """The source one step deeper: `at("settings")`, `at("[0]")`."""
        joined = (
            f"{self.path}{suffix}"
            if suffix.startswith("[") or not self.path
            else (f"{self.path}.{suffix}")
        )
        return Source(self.file, joined)


_NOWHERE = Source()


def source_field() -> Any:
    """A `source: Source` dataclass field that defaults to nowhere and is left out of ==."""
    return field(default=_NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Duration:
    """Knock's `{"unit": ..., "value": ...}`; months are calendar months."""

    unit: DurationUnit
    value: int


# -- conditions ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Condition:
    """One leaf: `{"variable": "data.status", "operator": "equal_to", "argument": "paid"}`."""

    variable: str
    operator: str
    argument: Any = None
    source: Source = source_field()


@dataclass(frozen=True, slots=True)
class ConditionGroup:
    """`{"all": [...]}` (every item holds) or `{"any": [...]}` (at least one holds)."""

    mode: Literal["all", "any"]
    items: tuple[Condition | ConditionGroup, ...]
    source: Source = source_field()
