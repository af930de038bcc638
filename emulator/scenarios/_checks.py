"""What the loader and the action checkers share: the problem list and the value checks that
several actions (and the file's own keys) use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator import Problem

Issue = tuple[str, str]
"""A problem found in a value: the message and how to fix it."""

TIME_FIX = "write 2025-01-01T09:00:00Z"


class Problems:
    """Every problem found in one file, collected so all of them are reported at once."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.found: list[Problem] = []

    def add(self, line: int, path: str, message: str, fix: str = "") -> None:
        self.found.append(Problem(self.file, path, message, fix, line or None))


@dataclass(frozen=True, slots=True)
class StepCheck:
    """One step being checked: its action's value, all its keys, and where to report."""

    args: Mapping[str, Any]
    value: Any
    path: str  # `steps[3].trigger`
    line: int  # the line of the action key
    problems: Problems

    def report(self, message: str, fix: str, *, line: int = 0, path: str = "") -> None:
        """Add a problem, at the action key's line and path unless told otherwise."""
        self.problems.add(line or self.line, path or self.path, message, fix)


def parse_time(value: Any) -> datetime | Issue:
    """An aware datetime from a YAML timestamp or an ISO 8601 string, else the issue."""
    when = value
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return f"{value!r} is not an ISO 8601 time", TIME_FIX
    if not isinstance(when, datetime):
        return f"{value!r} is not a time", TIME_FIX
    if when.tzinfo is None:
        return f"{value!r} has no time zone", "add Z or +00:00"
    return when


def time_issue(value: Any, args: Mapping[str, Any]) -> Issue | None:
    """The issue with a time value, or None when it is an aware time."""
    found = parse_time(value)
    return None if isinstance(found, datetime) else found


def mapping_issue(value: Any, args: Mapping[str, Any]) -> Issue | None:
    """`data:` must be a mapping."""
    return (
        None if isinstance(value, Mapping) else ("`data` must be a mapping", "write `data: {k: v}`")
    )


def key_issue(value: Any, message: str, fix: str, *, empty_ok: bool = False) -> Issue | None:
    """The action's value must be a string (a workflow, audience or event key), not empty unless
    `empty_ok`."""
    return None if isinstance(value, str) and (value or empty_ok) else (message, fix)
