"""A pure template renders once per distinct values it reads: what it makes (text and
diagnostics) is exactly what rendering it in full makes, and templates that never repeat stop
being remembered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from full_render import rendered_in_full

from emulator.templates import Diagnostic, TemplateError, TemplateLocation, TemplateRenderer
from emulator.templates._memo import MEMO, TRIAL, read_paths, values_at

WHERE = TemplateLocation("wf", "email_1", "subject")


@pytest.mark.parametrize(
    ("source", "paths"),
    [
        ("Invoice {{ data.invoice_id }} updated", (("data", "invoice_id"),)),
        (
            '{{ n }} {{ n | pluralize: "a", "b" }} {{ vars.app_url }}',
            (("n",), ("vars", "app_url")),
        ),
        ("{{ data.items[0].name }}{{ data[key] }}", (("data",), ("data", "items"), ("key",))),
        ("{% for a in acts %}{{ a.name }}{% endfor %}{% assign x = 1 %}{{ x }}", (("acts",),)),
        ('{{ "now" | date: "%Y" }}', None),  # the clock
        ("{{ id | user }}", None),  # the data filters read entities
        ("{% t %}Hello{% endt %}", None),  # translations
        ("{{ x | no_such_filter }}", None),  # unknown filters are recorded per render
    ],
)
def test_which_templates_are_remembered_and_what_they_read(source: str, paths: Any) -> None:
    renderer = TemplateRenderer()
    assert read_paths(renderer.env.from_string(source), source) == paths


@pytest.mark.parametrize(
    ("scope", "same_as", "equal"),
    [
        ({"data": {"a": 1, "b": 2}}, {"data": {"a": 1, "b": 3}}, True),  # `b` is not read
        ({"data": {"a": 1}}, {"data": {"a": 1.0}}, False),  # 1 and 1.0 render differently
        ({"data": {"a": 1}}, {"data": {"a": True}}, False),
        ({"data": {"a": 0.0}}, {"data": {"a": -0.0}}, False),
        ({"data": {}}, {"data": {"c": 1}}, False),  # no `a`: the whole object is read
        ({"data": [1]}, {"data": [1]}, True),  # not an object: the whole value
        ({}, {"other": 1}, True),  # unset either way
    ],
)
def test_keys_are_the_plain_values_at_the_paths_read(
    scope: dict[str, Any], same_as: dict[str, Any], equal: bool
) -> None:
    paths = (("data", "a"),)
    assert (values_at(paths, scope) == values_at(paths, same_as)) is equal


@pytest.mark.parametrize(
    "scope",
    [
        {"data": {"a": datetime(2024, 1, 1, tzinfo=UTC)}},  # not plain JSON
        {"data": {"a": {1: "x"}}},  # a key that is not a string
        {"data": {"a": list(range(500))}},  # too large to be worth keying
    ],
)
def test_values_that_cannot_be_keyed_render_in_full(scope: dict[str, Any]) -> None:
    assert values_at((("data", "a"),), scope) is None


def test_the_wall_clock_is_never_a_key() -> None:
    assert values_at((("now",),), {}) is None
    assert values_at((("now",),), {"now": "data's own now"}) is not None


TEMPLATES = [
    "Invoice {{ data.invoice_id }} is {{ data.status | upcase }}",
    '{{ n }} {{ n | pluralize: "update", "updates" }}',
    "{% for a in data.list %}{{ a }},{% endfor %}{{ data.list.size }} {{ data.list.first }}",
    "{{ missing.name }} {{ data.invoice_id }} {{ data.x | no_such_filter }}",
    "{% if data.status == 'paid' %}thanks{% else %}{{ data | json }}{% endif %}",
    '{{ "now" | date: "%Y" }} {{ data.invoice_id }}',
    "{% assign total = n | plus: 1 %}{{ total }}{% increment c %}{% increment c %}",
]
SCOPES: list[dict[str, Any]] = [
    {"n": 1, "data": {"invoice_id": "inv_1", "status": "paid", "list": [1, 2]}},
    {"n": 1.0, "data": {"invoice_id": "inv_1", "status": "paid", "list": [1, 2]}},
    {"n": True, "data": {"invoice_id": "inv_1", "status": "open", "list": []}},
    {"n": 2, "data": {"invoice_id": "inv_2", "status": "open", "list": {"size": 9}}},
    {"n": "1", "data": {"invoice_id": None}},
    {"data": "text"},
    {},
]


def _full(renderer: TemplateRenderer, source: str, scope: dict[str, Any]) -> Any:
    return rendered_in_full(renderer, source, scope, WHERE)


@pytest.mark.parametrize("source", TEMPLATES)
def test_remembered_renders_are_the_full_renders(source: str) -> None:
    now = datetime(2024, 5, 1, tzinfo=UTC)
    for _ in range(3):  # later rounds (and renderers) come from the memo
        renderer = TemplateRenderer(now=lambda: now)
        for scope in SCOPES:
            got: list[Diagnostic] = []
            text = renderer.render_into(source, scope, WHERE, got)
            assert (text, got) == _full(renderer, source, scope)


def test_strict_mode_raises_for_every_render_of_a_remembered_template() -> None:
    for _ in range(2):
        with pytest.raises(TemplateError, match="missing"):
            TemplateRenderer(strict=True).render_into("{{ missing }} {{ n }}", {"n": 1}, WHERE, [])


def test_a_template_that_never_repeats_is_given_up() -> None:
    renderer = TemplateRenderer()
    changing, repeating = "{{ n }} (never repeats)", "{{ m }} (repeats)"
    for n in range(TRIAL + 1):
        renderer.render_into(changing, {"n": n}, WHERE, [])
        renderer.render_into(repeating, {"m": n % 2}, WHERE, [])
    assert MEMO.given_up(renderer._flavour, changing)
    assert not MEMO.given_up(renderer._flavour, repeating)


def test_a_template_whose_values_cannot_be_keyed_is_given_up() -> None:
    renderer = TemplateRenderer()
    source = "{{ data | size }} (too many values)"
    for _ in range(TRIAL):
        renderer.render_into(source, {"data": list(range(500))}, WHERE, [])
    assert MEMO.given_up(renderer._flavour, source)
