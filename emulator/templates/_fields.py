"""`FieldRenderer`: renders the fields of one channel step, for the channel renderers.

It reaches the renderer through `FieldSource`, the few members it uses, so that
`TemplateRenderer` can dispatch to the channel renderers without an import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Protocol

from emulator.definitions import Layout, Partial
from emulator.templates._diagnostics import (
    Diagnostic,
    RenderedContent,
    TemplateError,
    TemplateLocation,
)


class FieldSource(Protocol):
    """What rendering a step's fields needs from `TemplateRenderer`."""

    @property
    def layouts(self) -> Mapping[str, Layout]: ...

    @property
    def partials(self) -> Mapping[str, Partial]: ...

    def render_into(
        self,
        source: str,
        context: Mapping[str, Any],
        where: TemplateLocation,
        found: list[Diagnostic],
    ) -> str: ...

    def render_scoped(
        self,
        source: str,
        context: Mapping[str, Any],
        where: TemplateLocation,
        found: list[Diagnostic],
    ) -> tuple[str, dict[str, Any]]: ...

    def render_layout(
        self,
        layout: Layout,
        part: str,
        scope: Mapping[str, Any],
        content: str,
        where: TemplateLocation,
        found: list[Diagnostic],
    ) -> str: ...


class FieldRenderer:
    """Renders named fields of one step, collecting every diagnostic in one list."""

    def __init__(
        self,
        renderer: FieldSource,
        context: Mapping[str, Any],
        workflow: str,
        step: str,
    ) -> None:
        self.renderer = renderer
        self.context = context
        self.workflow = workflow
        self.step = step
        self.found: list[Diagnostic] = []

    def where(self, field: str) -> TemplateLocation:
        return _location(self.workflow, self.step, field)

    def text(self, field: str, source: Any, context: Mapping[str, Any] | None = None) -> str:
        """Render `source` (a Liquid string) as the field `field`; absent renders as ""."""
        if source is None:
            return ""
        if not isinstance(source, str):
            raise TemplateError(
                f"expected a Liquid string, found {type(source).__name__}",
                self.where(field),
                fix="write the field as a string in the workflow's template object",
            )
        ctx = self.context if context is None else context
        return self.renderer.render_into(source, ctx, self.where(field), self.found)

    def layout(self, layout: Layout, part: str, scope: Mapping[str, Any], content: str) -> str:
        """Render `layout`'s `part` (`html_layout`, `text_layout`) around `content`."""
        where = self.where(f"layout {layout.key!r} {part}")
        return self.renderer.render_layout(layout, part, scope, content, where, self.found)

    def content(self, fields: dict[str, Any]) -> RenderedContent:
        return RenderedContent(fields, tuple(self.found))


@lru_cache(maxsize=4096)
def _location(workflow: str, step: str, field: str) -> TemplateLocation:
    """Every message of a step renders the same fields: one (immutable) location each."""
    return TemplateLocation(workflow, step, field)
