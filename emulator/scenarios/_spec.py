"""How a scenario action is declared: its schema (the keys beside it, which are required and how
each is checked), the check of its own value, and how it plays.

Every action is one `ActionSpec` in the registry (`_registry.py`); the loader and the runner only
iterate it, so adding an action is writing one spec.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from emulator.scenarios._checks import Issue, StepCheck
from emulator.scenarios._model import Action
from emulator.scenarios._player import Player
from emulator.scenarios._yaml import line_of

OptionCheck = Callable[[Any, Mapping[str, Any]], Issue | None]
"""Checks an option's value (None when absent) given all the step's keys; returns the issue."""

ReportAt = Literal["step", "line", "key"]
"""Where an option's problem is reported: at the action key (line and path), at the option's line
with the action's path, or at the option's own line and path."""


@dataclass(frozen=True, slots=True)
class Option:
    """A key allowed beside the action key (`recipients:` beside `trigger:`)."""

    name: str
    check: OptionCheck | None = None
    required: bool = False  # checked even when absent (the check then sees None)
    report_at: ReportAt = "step"


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One scenario action: `name` is its key in a step, `doc` says what it does."""

    name: str
    doc: str
    check: Callable[[StepCheck], None]
    play: Callable[[Player, Action], None]
    options: tuple[Option, ...] = ()

    @property
    def option_names(self) -> frozenset[str]:
        """The keys allowed beside the action key."""
        return frozenset(o.name for o in self.options)

    @property
    def required(self) -> frozenset[str]:
        """The keys that must be beside the action key."""
        return frozenset(o.name for o in self.options if o.required)

    def check_step(self, step: StepCheck) -> None:
        """The action's own value first, then each declared option in order."""
        self.check(step)
        for option in self.options:
            present = option.name in step.args
            if option.check is None or not (present or option.required):
                continue
            issue = option.check(step.args.get(option.name), step.args)
            if issue is None:
                continue
            line = line_of(step.args, option.name) if present and option.report_at != "step" else 0
            path = f"{step.path}.{option.name}" if option.report_at == "key" else ""
            step.report(*issue, line=line, path=path)


def value_check(issue: Callable[[Any], Issue | None]) -> Callable[[StepCheck], None]:
    """A checker for actions whose value has one possible problem."""

    def check(step: StepCheck) -> None:
        found = issue(step.value)
        if found is not None:
            step.report(*found)

    return check
