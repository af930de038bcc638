"""TemplateRenderer.render, build_context, diagnostics, strict mode, partials, channels."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from emulator.definitions._model import Partial
from emulator.templates import (
    TemplateError,
    TemplateLocation,
    TemplateRenderer,
    build_context,
)

WHERE = TemplateLocation("comments", "email_1", "subject")


def ctx(**data: Any) -> dict[str, Any]:
    return build_context(
        data=data,
        recipient={"id": "u1", "name": "Ann", "email": "ann@example.com"},
        actor={"id": "u2", "name": "Bob"},
        tenant=None,
        vars={"app_url": "https://app.example.com"},
        workflow="comments",
        timestamp=datetime(2023, 12, 31, 19, 30, tzinfo=UTC),
    )


def test_location_str() -> None:
    assert str(WHERE) == "workflow 'comments', step 'email_1', field 'subject'"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ page_name }}", "Home"),
        ("{{ data.page_name }}", "Home"),
        ("{{ recipient.name }} / {{ actor.name }}", "Ann / Bob"),
        ("{{ vars.app_url }}", "https://app.example.com"),
        ("{{ workflow.key }}", "comments"),
        ("{{ timestamp }}", "2023-12-31T19:30:00Z"),
        ("{{ total_activities }}/{{ total_actors }}", "1/1"),
        ("{% if total_actors > 1 %}many{% else %}one{% endif %}", "one"),
        ("{{ missing }}|{{ recipient.nope }}", "|"),
    ],
)
def test_root_scope(source: str, expected: str) -> None:
    assert TemplateRenderer().render(source, ctx(page_name="Home"), WHERE).text == expected


def test_reserved_names_win_over_data_keys() -> None:
    context = ctx(recipient="spoofed", page_name="Home")
    assert TemplateRenderer().render("{{ recipient.name }}", context, WHERE).text == "Ann"


def test_undefined_variables_are_recorded_with_line() -> None:
    rendered = TemplateRenderer().render("Hi\n{{ recipient.frist_name }}!", ctx(), WHERE)
    assert rendered.text == "Hi\n!"
    (diag,) = rendered.diagnostics
    assert (diag.kind, diag.name, diag.line, diag.location) == (
        "undefined_variable",
        "recipient.frist_name",
        2,
        WHERE,
    )


@pytest.mark.parametrize(
    "source",
    [
        "{% if data.maybe %}x{% endif %}",
        "{{ data.maybe | default: 'none' }}",
        "{% unless recipient.nope %}y{% endunless %}",
    ],
)
def test_existence_checks_do_not_record(source: str) -> None:
    assert TemplateRenderer().render(source, ctx(), WHERE).diagnostics == ()


def test_repeated_undefined_in_loop_is_reported_once() -> None:
    source = "{% for i in (1..3) %}{{ ghost }}{% endfor %}"
    assert len(TemplateRenderer().render(source, ctx(), WHERE).diagnostics) == 1


def test_unknown_filter_renders_input_and_is_recorded() -> None:
    rendered = TemplateRenderer().render("a\n{{ 'x' | shout }}", ctx(), WHERE)
    assert rendered.text == "a\nx"
    (diag,) = rendered.diagnostics
    assert (diag.kind, diag.name, diag.line) == ("unknown_filter", "shout", 2)


@pytest.mark.parametrize(
    ("source", "kind"),
    [("{{ nope }}", "undefined_variable"), ("{{ 1 | nope }}", "unknown_filter")],
)
def test_strict_mode_raises_with_location(source: str, kind: str) -> None:
    with pytest.raises(TemplateError) as info:
        TemplateRenderer(strict=True).render(source, ctx(), WHERE)
    assert info.value.location == WHERE
    assert info.value.line == 1
    assert "step 'email_1'" in str(info.value)
    assert "nope" in str(info.value)


@pytest.mark.parametrize(
    ("source", "line", "column"),
    [
        ("a\n {% if x %}", 2, 2),
        ("a\n b {{ x | }}", 2, 4),
        ("{% for %}", 1, 1),
        ("one\ntwo {% endif %}", 2, 5),
        ("x\n{% include 'footer' %}", 2, 1),
    ],
)
def test_syntax_errors_name_line_and_column(source: str, line: int, column: int) -> None:
    with pytest.raises(TemplateError) as info:
        TemplateRenderer().check_syntax(source, WHERE)
    assert (info.value.line, info.value.column) == (line, column)
    assert str(info.value).startswith(f"{WHERE}, line {line}, column {column}: syntax error")


def test_include_is_refused_with_a_fix() -> None:
    with pytest.raises(TemplateError, match=r"use \{% render"):
        TemplateRenderer().render("{% include 'x' %}", ctx(), WHERE)


def _chain(depth: int) -> dict[str, Partial]:
    parts = {
        f"p{i}": Partial(f"p{i}", f"P{i}", "html", f"<{i}>{{% render 'p{i + 1}' %}}")
        for i in range(1, depth)
    }
    parts[f"p{depth}"] = Partial(f"p{depth}", "last", "html", f"<{depth}>")
    return parts


def test_render_partial_with_arguments() -> None:
    partials = {"greet": Partial("greet", "Greet", "html", "Hello {{ who }} from {{ actor.name }}")}
    renderer = TemplateRenderer(partials=partials)
    text = renderer.render("{% render 'greet', who: recipient.name %}", ctx(), WHERE).text
    assert text == "Hello Ann from Bob"


def test_partials_nest_five_levels_but_not_six() -> None:
    assert TemplateRenderer(partials=_chain(5)).render("{% render 'p1' %}", ctx(), WHERE).text == (
        "<1><2><3><4><5>"
    )
    with pytest.raises(TemplateError, match="nested more than 5"):
        TemplateRenderer(partials=_chain(6)).render("{% render 'p1' %}", ctx(), WHERE)


def test_missing_partial_names_known_ones() -> None:
    renderer = TemplateRenderer(partials=_chain(1))
    with pytest.raises(
        TemplateError, match=r"partial 'nope' does not exist \(known partials: p1\)"
    ):
        renderer.render("{% render 'nope' %}", ctx(), WHERE)


def test_undefined_inside_partial_names_the_partial() -> None:
    partials = {"card": Partial("card", "Card", "html", "x\n{{ ghost }}")}
    rendered = TemplateRenderer(partials=partials).render("{% render 'card' %}", ctx(), WHERE)
    (diag,) = rendered.diagnostics
    assert "in partial 'card', line 2" in diag.message


def test_each_source_is_compiled_once() -> None:
    renderer = TemplateRenderer()
    for name in ("a", "b", "c"):
        renderer.render("{{ recipient.name }}", ctx(n=name), WHERE)
    assert len(renderer._compiled) == 1


def test_build_context_batch_fields() -> None:
    context = build_context(
        data={"x": 1},
        recipient={"id": "u1"},
        actor={"id": "a"},
        tenant={"id": "t"},
        vars=None,
        workflow={"key": "w", "id": "v1", "categories": ["c"]},
        timestamp="2024-01-01T00:00:00Z",
        total_activities=3,
        activities=[{"id": "1"}, {"id": "2"}],
        actors=[{"id": "a"}, {"id": "b"}],
        current_message={"id": "m"},
    )
    assert context["total_actors"] == 2
    assert context["x"] == 1
    assert context["workflow"]["categories"] == ["c"]
    assert context["current_message"] == {"id": "m"}


@pytest.mark.parametrize(
    ("source", "fix"),
    [
        ("{{ vars.app_url }}", "set `app_url` under `vars:` in doorstep.yaml"),
        ("{{ data.name }}", "define the value in the trigger data"),
        ("{{ 1 | no_such_filter }}", "use one of Knock's filters"),
    ],
)
def test_strict_mode_fix_says_what_to_do(source: str, fix: str) -> None:
    from emulator.templates import TemplateError, TemplateLocation, TemplateRenderer

    with pytest.raises(TemplateError, match=re.escape(fix)):
        TemplateRenderer(strict=True).render(source, {"vars": {}}, TemplateLocation("w", "s", "f"))
