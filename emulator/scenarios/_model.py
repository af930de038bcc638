"""The scenario file model: given users, then a sequence of actions and expectations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from emulator import DoorstepError, Problem


class ScenarioError(DoorstepError):
    """A scenario file that cannot be loaded; every problem names its file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        head = (
            "invalid scenario"
            if len(self.problems) == 1
            else f"{len(self.problems)} problems in scenario"
        )
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


@dataclass(frozen=True)
class Action:
    """One entry of `steps:`; `args` holds the action's value under `kind` plus its options."""

    kind: str
    args: Mapping[str, Any]
    file: str
    line: int
    index: int

    @property
    def where(self) -> str:
        """`file:line` of the action, for error messages."""
        return f"{self.file}:{self.line}"

    def summary(self) -> str:
        """The action as one line of a scenario report."""
        value = self.args.get(self.kind)
        if self.kind == "expect":
            return "expect " + ", ".join(self.args["expect"])
        if isinstance(value, Mapping):
            return f"{self.kind} " + " ".join(f"{k}={v}" for k, v in value.items())
        return f"{self.kind} {value}" if value not in (None, True) else self.kind


@dataclass(frozen=True)
class Scenario:
    """One scenario; settings left as None fall back to the runner's defaults."""

    name: str
    file: Path
    line: int
    actions: tuple[Action, ...]
    users: tuple[Mapping[str, Any], ...] = ()
    tenants: tuple[Mapping[str, Any], ...] = ()
    description: str = ""
    workflows: Path | None = None
    config: Path | None = None  # a doorstep.yaml (vars, channels, environment preferences)
    start: datetime | None = None
    strict: bool | None = None
    vars: Mapping[str, Any] | None = None
    channels: Mapping[str, Any] | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def where(self) -> str:
        """`file:line` of the scenario, for error messages."""
        return f"{self.file}:{self.line}"
