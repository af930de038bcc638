"""Parsed templates are shared between renderers (one parse per process), while what a render
reads (its context, clock and entities) stays each renderer's own."""

from __future__ import annotations

from datetime import UTC, datetime

from emulator.templates import TemplateLocation, TemplateRenderer

WHERE = TemplateLocation("w", "s", "subject")
SOURCE = '{{ vars.name }} at {{ "now" | date: "%Y-%m-%d" }}'


def test_two_renderers_share_the_parse_and_render_their_own_state() -> None:
    first = TemplateRenderer(now=lambda: datetime(2025, 1, 1, tzinfo=UTC))
    second = TemplateRenderer(now=lambda: datetime(2030, 6, 1, tzinfo=UTC))
    a = first.render(SOURCE, {"vars": {"name": "Ada"}}, WHERE).text
    b = second.render(SOURCE, {"vars": {"name": "Bo"}}, WHERE).text
    assert (a, b) == ("Ada at 2025-01-01", "Bo at 2030-06-01")
    assert first._compile(SOURCE, WHERE).nodes is second._compile(SOURCE, WHERE).nodes
