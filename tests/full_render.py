"""The reference the shared-rendering tests compare against: a template rendered in full, past
the render memo and layout shells (what the engine made before they existed)."""

from __future__ import annotations

from typing import Any

from emulator.templates import Diagnostic, TemplateLocation, TemplateRenderer


def rendered_in_full(
    renderer: TemplateRenderer, source: str, scope: dict[str, Any], where: TemplateLocation
) -> tuple[str, list[Diagnostic]]:
    """`source` rendered in `scope` from a fresh parse, with the diagnostics it left."""
    found: list[Diagnostic] = []
    text, notes = renderer._render_noting(renderer.env.from_string(source), source, scope, where)
    if notes:
        renderer._collect(notes, source, where, found)
    return text, found
