"""What a render reports: where a template lives, what looked wrong in it, and errors.

Knock renders undefined variables as empty strings, so a typo in `{{ recipient.frist_name }}`
goes unnoticed in production. Every render therefore records what it could not resolve as a
`Diagnostic`; strict mode turns the first one into a `TemplateError`.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from emulator.core import DoorstepError


@dataclass(frozen=True, slots=True)
class TemplateLocation:
    """The template field being rendered: `workflow 'x', step 'email_1', field 'subject'`."""

    workflow: str
    step: str
    field: str

    def __str__(self) -> str:
        return f"workflow {self.workflow!r}, step {self.step!r}, field {self.field!r}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One thing a render could not resolve (it still rendered, as Knock would)."""

    kind: str  # undefined_variable | unknown_filter | filter_error | missing_translation
    name: str
    location: TemplateLocation
    line: int | None
    message: str

    def __str__(self) -> str:
        where = str(self.location) if self.line is None else f"{self.location}, line {self.line}"
        return f"{where}: {self.message}"


class TemplateError(DoorstepError):
    """A template that cannot be parsed or rendered, or a strict-mode diagnostic."""

    def __init__(
        self,
        message: str,
        location: TemplateLocation,
        *,
        line: int | None = None,
        column: int | None = None,
        fix: str = "",
    ) -> None:
        self.location = location
        self.line = line
        self.column = column
        self.reason = message
        where = str(location)
        if line is not None:
            where += f", line {line}" + (f", column {column}" if column is not None else "")
        text = f"{where}: {message}"
        super().__init__(f"{text} (fix: {fix})" if fix else text)


@dataclass(frozen=True, slots=True)
class Rendered:
    """One rendered template field and what its render recorded."""

    text: str
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True, slots=True)
class RenderedContent:
    """A whole channel template, rendered: `fields` use Knock's names (`subject`, `html_body`)."""

    fields: dict[str, Any] = field(default_factory=dict)
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True, slots=True)
class Note:
    """A raw observation made during a render, before it is tied to a template location."""

    kind: str
    name: str
    message: str
    source: str | None  # the template source the token came from (main template or a partial)
    index: int  # character offset into `source`, -1 when unknown


# The list observations of the render in progress go to. A ContextVar keeps concurrent renders
# (threads, asyncio tasks) apart without passing a collector through python-liquid's internals.
SINK: ContextVar[list[Note] | None] = ContextVar("doorstep_template_sink", default=None)


def note(kind: str, name: str, message: str, source: str | None = None, index: int = -1) -> None:
    """Record an observation on the render in progress (no-op outside a render)."""
    sink = SINK.get()
    if sink is not None:
        sink.append(Note(kind, name, message, source, index))


def line_of(source: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = source.count("\n", 0, index) + 1
    start = source.rfind("\n", 0, index) + 1
    return line, index - start + 1
