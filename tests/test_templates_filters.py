"""Knock's Liquid filters against the documented input/output pairs (docs
`template-editor/reference-liquid-helpers.mdx`), plus the edge cases Knock's docs imply."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import pytest

from emulator.templates import TemplateLocation, TemplateRenderer, build_context

WHERE = TemplateLocation("wf", "email_1", "html_body")
FIXED_NOW = datetime(2023, 12, 31, 19, 30, tzinfo=UTC)


def render(source: str, **extra: Any) -> tuple[str, list[str]]:
    context = build_context(
        data=extra.pop("data", {}),
        recipient=extra.pop("recipient", {"id": "user_123", "name": "John Hammond"}),
        actor=None,
        tenant=None,
        vars={},
        workflow="wf",
        timestamp=extra.pop("timestamp", "2024-01-01T00:30:00Z"),
        total_actors=extra.pop("total_actors", None),
    )
    context.update(extra)
    renderer = TemplateRenderer(now=lambda: FIXED_NOW, translations=TRANSLATIONS)
    rendered = renderer.render(source, context, WHERE)
    return rendered.text, [d.kind for d in rendered.diagnostics]


TRANSLATIONS = {
    "en": {
        "welcome": "Welcome!",
        "nav": {"home": "Home"},
        "like": "{{ actorName }} liked your post",
        "comments": {"zero": "No comments", "one": "One comment", "other": "{{ count }} comments"},
    },
    "fr": {"welcome": "Bienvenue !"},
    "admin.en": {"title": "Admin"},
}

# (template, expected output, extra context) — the first rows are the docs' own examples.
DOCUMENTED = [
    ('{{ timestamp | timezone: "America/New_York"}}', "2023-12-31T19:30:00-05:00", {}),
    (
        '{{ startDate | date: "%-I:%M %p %Z" , "America/New_York" }}',
        "2:30 PM EST",
        {"startDate": "2023-12-31T19:30:00Z"},
    ),
    ('{{ ts | format_date_in_locale: "en-GB", "long" }}', "31 December 2023", {}),
    (
        '{{ ts | format_datetime_in_locale: "en-GB", "medium", "short" }}',
        "31 Dec 2023, 14:30",
        {},
    ),
    ('{{ 10000 | format_number: "en" }}', "10,000", {}),
    ('{{ 10 | currency: "GBP", "en" }}', "£10.00", {}),
    ('{{ 10.99 | rounded_currency: "GBP", "en" }}', "£11", {}),
    ("{{ recipient | json }}", '{"id": "user_123", "name": "John Hammond"}', {}),
    ('{{ total_actors | pluralize: "user", "users" }}', "users", {"total_actors": 2}),
    ("{{ project_name | titlecase }}", "My Project Name", {"project_name": "my project name"}),
    ("{{ arr1 | intersect: arr2 | json }}", '["Acme Corp", "InGen"]', {}),
    ("{{ body | from_markdown }}", "<h1>Hello</h1>", {"body": "# Hello"}),
    ('{{ "1.0.0" | compare_versions: "2.0.0" }}', "-1", {}),
    ('{{ "now" | date: "%B %d, %Y" }}', "December 31, 2023", {}),
]

# The date/time format option tables (en-US and en-GB columns) for 2023-12-31 14:30:45 UTC.
DATE_FORMATS = [
    ("en-US", "short", "12/31/23"),
    ("en-US", "medium", "Dec 31, 2023"),
    ("en-US", "long", "December 31, 2023"),
    ("en-US", "full", "Sunday, December 31, 2023"),
    ("en-GB", "short", "31/12/2023"),
    ("en-GB", "medium", "31 Dec 2023"),
    ("en-GB", "long", "31 December 2023"),
    ("en-GB", "full", "Sunday, 31 December 2023"),
]
TIME_FORMATS = [
    ("en-US", "short", "2:30 PM"),
    ("en-US", "medium", "2:30:45 PM"),
    ("en-GB", "short", "14:30"),
    ("en-GB", "medium", "14:30:45"),
]

MORE = [
    ("{{ 10 | currency }}", "$10.00"),
    ("{{ 1234.5 | currency: 'EUR', 'de' }}", "1.234,50\xa0€"),
    ("{{ 1234567 | format_number: 'de' }}", "1.234.567"),
    ("{{ 1 | pluralize: 'user', 'users' }}", "user"),
    ("{{ 0 | pluralize: 'user', 'users' }}", "users"),
    ("{{ '2.0.0' | compare_versions: '2.0.0' }}", "0"),
    ("{{ '2.10.0' | compare_versions: '2.9.1' }}", "1"),
    ("{{ '1.0.0-beta' | compare_versions: '1.0.0' }}", "-1"),
    ("{{ 'abc' | md5 }}", hashlib.md5(b"abc").hexdigest()),
    ("{{ 'abc' | sha256 }}", hashlib.sha256(b"abc").hexdigest()),
    (
        "{{ 'user_123' | hmac_sha256: 'some-key' }}",
        hmac.new(b"some-key", b"user_123", hashlib.sha256).hexdigest(),
    ),
    ("{% assign o = '{\"a\": [1, 2]}' | from_json %}{{ o.a[1] }}", "2"),
    ("{{ 'premium' | equals: 'premium' }}", "true"),
    ("{{ 'free' | equals: 'premium' }}", "false"),
    ("{{ 'welcome' | t }}", "Welcome!"),
    ("{{ 'nav.home' | t }}", "Home"),
    ("{{ 'admin:title' | t }}", "Admin"),
    ("{{ 'like' | t: actorName: 'Ann' }}", "Ann liked your post"),
    ("{{ 'comments' | t: count: 0 }}", "No comments"),
    ("{{ 'comments' | t: count: 1 }}", "One comment"),
    ("{{ 'comments' | t: count: 4 }}", "4 comments"),
    ("{{ 'x' | upcase }} {{ 'a,b' | split: ',' | join: '+' }}", "X a+b"),
    ("{{ 4 | plus: 1 }} {{ 'hello' | truncate: 4 }}", "5 h..."),
]


@pytest.mark.parametrize(("source", "expected", "extra"), DOCUMENTED)
def test_documented_examples(source: str, expected: str, extra: dict[str, Any]) -> None:
    extra = {
        "ts": "2023-12-31T14:30:45Z",
        "arr1": ["Acme Corp", "InGen", "Initech"],
        "arr2": ["InGen", "Umbrella", "Acme Corp"],
        **extra,
    }
    text, diagnostics = render(source, **extra)
    assert (text, diagnostics) == (expected, [])


@pytest.mark.parametrize(("locale", "style", "expected"), DATE_FORMATS)
def test_date_format_options(locale: str, style: str, expected: str) -> None:
    source = f'{{{{ ts | format_date_in_locale: "{locale}", "{style}" }}}}'
    assert render(source, ts="2023-12-31T14:30:45Z") == (expected, [])


@pytest.mark.parametrize(("locale", "style", "expected"), TIME_FORMATS)
def test_time_format_options(locale: str, style: str, expected: str) -> None:
    source = f'{{{{ ts | format_datetime_in_locale: "{locale}", "medium", "{style}" }}}}'
    text, diagnostics = render(source, ts="2023-12-31T14:30:45Z")
    assert text.endswith(expected)
    assert diagnostics == []


@pytest.mark.parametrize(("source", "expected"), MORE)
def test_more_filters(source: str, expected: str) -> None:
    assert render(source) == (expected, [])


def test_translation_uses_recipient_locale_then_language_then_default() -> None:
    assert render("{{ 'welcome' | t }}", recipient={"locale": "fr-CA"}) == ("Bienvenue !", [])
    assert render("{{ 'nav.home' | t }}", recipient={"locale": "fr"}) == ("Home", [])


@pytest.mark.parametrize(
    ("source", "expected", "kind"),
    [
        ("{{ 'ten' | currency }}", "ten", "filter_error"),
        ("{{ 5 | currency: 'EUR', 'xx' }}", "€5.00", "filter_error"),
        ("{{ 'not json' | from_json | json }}", "null", "filter_error"),
        ("{{ 'x' | timezone: 'Mars/Base' }}", "x", "filter_error"),
        ("{{ 'x.y' | compare_versions: '1.0.0' }}", "", "filter_error"),
        ("{{ 'missing.key' | t }}", "missing.key", "missing_translation"),
        ("{{ nothing | currency }}", "", "undefined_variable"),
    ],
)
def test_bad_input_renders_and_is_recorded(source: str, expected: str, kind: str) -> None:
    assert render(source) == (expected, [kind])


def test_date_with_unparseable_input_returns_it() -> None:
    assert render("{{ 'soon' | date: '%Y' }}") == ("soon", [])
