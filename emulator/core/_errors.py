"""Exceptions users see. Every message says what is wrong, where, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass


class DoorstepError(Exception):
    """Base class for every error Doorstep raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a definition file: where it is, what it is, how to fix it."""

    file: str
    path: str
    message: str
    fix: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text} (fix: {self.fix})" if self.fix else text


class DefinitionError(DoorstepError):
    """Workflow, layout or partial definitions that cannot be loaded as they are."""

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        count = len(self.problems)
        head = "invalid definition" if count == 1 else f"{count} problems in definitions"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class DefinitionWarning(UserWarning):
    """A definition file loaded with a problem worth fixing (an empty workflow file, ...)."""


class TriggerError(DoorstepError):
    """A trigger or cancel request that Knock would refuse; `code` is Knock's error code."""

    def __init__(self, code: str, message: str, *, status: int = 422) -> None:
        self.code = code
        self.status = status
        super().__init__(f"{code}: {message}")


class ClockError(DoorstepError):
    """A clock operation that would move virtual time backwards or is otherwise invalid."""
