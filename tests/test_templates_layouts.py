"""A layout renders once per distinct surroundings with its `{{ content }}` as a hole: the emails
it makes are exactly those of rendering it in full around each body, diagnostics included."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from full_render import rendered_in_full

from emulator.definitions._model import FooterLink, Layout, Partial
from emulator.templates import Diagnostic, TemplateError, TemplateLocation, TemplateRenderer
from emulator.templates._layouts import hole_roots
from emulator.templates._memo import surroundings

WHERE = TemplateLocation("wf", "email_1", "layout 'default' html_layout")
FOOTER = '{% for link in footer_links %}<a href="{{ link.url }}">{{ link.text }}</a>{% endfor %}'
LINKS = [{"text": "Help", "url": "https://example.com/help"}]
HELP = (FooterLink("Help", "https://example.com/help"),)


def _layout(source: str, links: tuple[FooterLink, ...] = HELP) -> Layout:
    return Layout("default", "Default", html_layout=source, footer_links=links)


PARTIALS = {"sig": Partial("sig", "Sig", "html", "<p>{{ team }}</p>")}


@pytest.mark.parametrize(
    ("source", "roots"),
    [
        (f"<div>{{{{ content }}}}</div>{FOOTER}", ("footer_links",)),
        ("<p>{{- content -}}</p>{{ vars.app_url }}", ("vars",)),
        ('<meta name="viewport" content="width=device-width">{{ content }}', ()),
        ("{{ content }}{{ n | plus: 1 }}{% if flag %}!{% endif %}", ("n", "flag")),
        ("{{ content | upcase }}", None),  # the body's value matters
        ("{% if content %}{{ content }}{% endif %}", None),
        ("{% for c in content %}{{ c }}{% endfor %}", None),
        ("{% capture c %}{{ content }}{% endcapture %}{{ c | upcase }}", None),
        ('{{ "now" | date: "%Y" }}{{ content }}', None),  # the clock
        ("{% render 'sig' %}{{ content }}", None),  # partials
        ("{{ content }}{{ user_id | user }}", None),  # the data filters read entities
        ("{% t %}Hello{% endt %}{{ content }}", None),  # translations
    ],
)
def test_which_layouts_render_once_for_many_bodies(source: str, roots: Any) -> None:
    renderer = TemplateRenderer(partials=PARTIALS)
    assert hole_roots(renderer.env.from_string(source), source) == roots


@pytest.mark.parametrize(
    ("scope", "keyed"),
    [
        ({"n": 1}, True),
        ({"n": [1, {"a": None}]}, True),
        ({}, True),  # missing: renders empty, the same every time
        ({"n": datetime(2024, 1, 1, tzinfo=UTC)}, False),  # not plain JSON
        ({"n": {1: "a"}}, False),  # a key that is not a string
        ({"n": list(range(500))}, False),  # too large to be worth keying
    ],
)
def test_surroundings_key_only_plain_values(scope: dict[str, Any], keyed: bool) -> None:
    assert (surroundings(("n",), scope) is not None) is keyed


def test_surroundings_fall_back_to_the_wall_clock_only_when_unset() -> None:
    assert surroundings(("now",), {}) is None
    assert surroundings(("now",), {"now": "set by data"}) is not None


LAYOUTS = [
    f"<html><body>{{{{ content }}}}<hr>{FOOTER}</body></html>",
    "{{ content }}\n\n---\n{% for link in footer_links %}{{ link.text }}: {{ link.url }}\n"
    "{% endfor %}",
    "[{{ n }}|{{ n | plus: 0 }}]{{ content }}{{ content }}",
    "<p>{{ missing.name }}</p>{{ content }}{{ n | no_such_filter }}",
    "{% if n %}{{ n | json }}{% endif %}{{- content -}}",
    '{{ "now" | date: "%Y" }} {{ content | size }}',
    "{% capture c %}{{ content }}{% endcapture %}{{ c | upcase }}",
]
# `1`, `1.0`, `true` and `-0.0` render differently and must not share a rendering.
SCOPES = [{"n": 1}, {"n": 1.0}, {"n": True}, {"n": -0.0}, {"n": 0.0}, {"n": "1"}, {}]
BODIES = ["<p>one</p>", "{{ n }} literal $1 \\1", "", "<p>one</p>"]


def _full(renderer: TemplateRenderer, source: str, scope: dict[str, Any]) -> Any:
    return rendered_in_full(renderer, source, scope, WHERE)


@pytest.mark.parametrize("source", LAYOUTS)
def test_layouts_render_as_in_full_around_every_body(source: str) -> None:
    renderer = TemplateRenderer(now=lambda: datetime(2024, 5, 1, tzinfo=UTC))
    for scope in SCOPES:
        for body in BODIES:
            got: list[Diagnostic] = []
            text = renderer.render_layout(_layout(source), "html_layout", scope, body, WHERE, got)
            whole = {**scope, "footer_links": LINKS, "content": body}
            assert (text, got) == _full(renderer, source, whole)


def test_a_layout_renders_once_per_distinct_surroundings(monkeypatch: pytest.MonkeyPatch) -> None:
    renderer = TemplateRenderer()
    renders: list[str] = []
    full = renderer._render_noting
    monkeypatch.setattr(renderer, "_render_noting", lambda *a: renders.append(a[1]) or full(*a))
    source = "{% comment %}once per surroundings{% endcomment %}" + LAYOUTS[0]
    for body in ("a", "b", "c"):
        renderer.render_layout(_layout(source), "html_layout", {}, body, WHERE, [])
    renderer.render_layout(_layout(source, ()), "html_layout", {}, "d", WHERE, [])
    other = TemplateRenderer()  # another Emulator's renderer: the same shells
    other.render_layout(_layout(source), "html_layout", {}, "e", WHERE, [])
    assert len(renders) == 2  # one per footer: the bodies and the other renderer share it


def test_strict_mode_raises_for_every_email_a_shared_layout_wraps() -> None:
    for body in ("a", "b"):
        with pytest.raises(TemplateError, match="missing"):
            TemplateRenderer(strict=True).render_layout(
                _layout("{{ missing }}{{ content }}"), "html_layout", {}, body, WHERE, []
            )
