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


def test_registered_tags_and_filters_are_copied_not_shared() -> None:
    first, second = TemplateRenderer(), TemplateRenderer()
    first.env.filters["shout"] = lambda value: str(value).upper()
    assert "shout" not in second.env.filters
    assert first.env.tags is not second.env.tags
    assert first.env.tags["if"] is second.env.tags["if"]  # built once per process
    assert second.render('{{ "a" | shout }}', {}, WHERE).text == "a"  # unknown: passed through
