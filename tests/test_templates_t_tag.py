"""Knock's `{% t %}…{% endt %}` block (docs `template-editor/translations.mdx`, "Using the t tag"):
the block's text is the key, its translation is rendered as Liquid in the current scope."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.templates import TemplateError, TemplateLocation, TemplateRenderer, build_context

WHERE = TemplateLocation("order-shipped", "email_1", "html_body")

CONGRATS = "Congratulations, {{ recipient.name }}!"
VIP = "{% if vip %}Dear VIP{% else %}Hello{% endif %}"
TRANSLATIONS: dict[str, Any] = {
    "en": {
        "Have you received your order?": "Have you received your order?",
        CONGRATS: CONGRATS,
        "Note: v1.2 is out.": "Heads up: v1.2 is out.",
        "Item {{ item }}": "Item {{ item }}",
        VIP: VIP.replace("Hello", "Hi"),
        "You have {{ n }} new": "{{ n }} new for you",
    },
    "de": {
        "Have you received your order?": "Haben Sie Ihre Bestellung erhalten?",
        CONGRATS: "Herzlichen Glückwunsch, {{ recipient.name }}!",
        "Item {{ item }}": "Artikel {{ item }}",
    },
    "fr": {CONGRATS: "Félicitations, {{ recipient.name }}!"},
    "admin.de": {"Have you received your order?": "not the default namespace"},
}


def context(locale: str | None = None, **data: Any) -> dict[str, Any]:
    recipient: dict[str, Any] = {"id": "u1", "name": "Ellie"}
    if locale is not None:
        recipient["locale"] = locale
    return build_context(
        data=data,
        recipient=recipient,
        actor=None,
        tenant=None,
        vars={},
        workflow="order-shipped",
        timestamp="2024-01-01T00:00:00Z",
    )


def render(source: str, locale: str | None = None, **data: Any) -> tuple[str, list[str]]:
    rendered = TemplateRenderer(translations=TRANSLATIONS).render(
        source, context(locale, **data), WHERE
    )
    return rendered.text, [d.kind for d in rendered.diagnostics]


@pytest.mark.parametrize(
    ("source", "locale", "expected"),
    [
        # No locale on the recipient -> the default locale (en).
        ("<p>{% t %}Have you received your order?{% endt %}</p>", None, "Have you received"),
        ("<p>{% t %}Have you received your order?{% endt %}</p>", "en", "Have you received"),
        ("<p>{% t %}Have you received your order?{% endt %}</p>", "de", "Haben Sie Ihre"),
        # lang-REGION falls back to the language, then to the default locale.
        ("<p>{% t %}Have you received your order?{% endt %}</p>", "de-AT", "Haben Sie Ihre"),
        ("<p>{% t %}Have you received your order?{% endt %}</p>", "pt-BR", "Have you received"),
        # Interpolation: the translated value is Liquid rendered against the run scope.
        (f"{{% t %}}{CONGRATS}{{% endt %}}", "en", "Congratulations, Ellie!"),
        (f"{{% t %}}{CONGRATS}{{% endt %}}", "de", "Herzlichen Glückwunsch, Ellie!"),
        (f"{{% t %}}{CONGRATS}{{% endt %}}", "fr-CA", "Félicitations, Ellie!"),
        # `:` and `.` in the text are prose: no namespace, no nested path.
        ("{% t %}Note: v1.2 is out.{% endt %}", "de", "Heads up: v1.2 is out."),
        # Whitespace control trims the key as it trims the output.
        ("{%- t -%}\n  Have you received your order?\n{%- endt -%}", "de", "Haben Sie Ihre"),
    ],
)
def test_block_is_translated_in_the_recipient_locale(
    source: str, locale: str | None, expected: str
) -> None:
    text, kinds = render(source, locale)
    assert expected in text
    assert kinds == []


@pytest.mark.parametrize(
    ("source", "locale", "data", "expected", "kinds"),
    [
        # Loop variables and assigns are in scope for the translated value.
        (
            "{% for item in items %}{% t %}Item {{ item }}{% endt %};{% endfor %}",
            "de",
            {"items": ["a", "b"]},
            "Artikel a;Artikel b;",
            [],
        ),
        ("{% assign n = 3 %}{% t %}You have {{ n }} new{% endt %}", "en", {}, "3 new for you", []),
        # Tags inside the block are part of the key and of the translated value.
        (f"{{% t %}}{VIP}{{% endt %}}", "en", {"vip": False}, "Hi", []),
        (f"{{% t %}}{VIP}{{% endt %}}", "de", {"vip": True}, "Dear VIP", []),
        # Inside other blocks; untranslated nested Liquid renders as written.
        (
            "{% if true %}{% t %}{% for i in (1..3) %}{{ i }}{% endfor %}!{% endt %}{% endif %}",
            "en",
            {},
            "123!",
            ["missing_translation"],
        ),
        (
            "{% t %}{% t %}Item {{ item }}{% endt %} more{% endt %}",
            "de",
            {"item": "x"},
            "Artikel x more",
            ["missing_translation"],
        ),
    ],
)
def test_nested_liquid(
    source: str, locale: str, data: dict[str, Any], expected: str, kinds: list[str]
) -> None:
    assert render(source, locale, **data) == (expected, kinds)


@pytest.mark.parametrize(
    ("source", "locale", "translations", "expected"),
    [
        (
            "{% t %}Shipped, {{ recipient.name }}.{% endt %}",
            "de",
            TRANSLATIONS,
            "Shipped, Ellie.",
        ),
        ("<b>{% t %}Unknown{% endt %}</b>", None, TRANSLATIONS, "<b>Unknown</b>"),
        # Only the default namespace (the system translation file) is searched.
        ("{% t %}Hi{% endt %}", "de", {"admin.de": {"Hi": "Hallo"}}, "Hi"),
        # A nested object under the key is not a translation.
        ("{% t %}Hi{% endt %}", "de", {"de": {"Hi": {"one": "Hallo"}}}, "Hi"),
    ],
)
def test_missing_translation_renders_block_and_records(
    source: str, locale: str | None, translations: dict[str, Any], expected: str
) -> None:
    rendered = TemplateRenderer(translations=translations).render(source, context(locale), WHERE)
    assert rendered.text == expected
    (diagnostic,) = rendered.diagnostics
    assert (diagnostic.kind, diagnostic.line, diagnostic.location) == (
        "missing_translation",
        1,
        WHERE,
    )
    assert "{% t %}" in diagnostic.message
    assert repr(diagnostic.name) in diagnostic.message


def test_without_any_translation_files_the_block_is_its_own_default_text() -> None:
    # Knock seeds the default locale with the block's text on commit: nothing is missing.
    rendered = TemplateRenderer(strict=True).render(
        "{% t %}Hi {{ recipient.name }}{% endt %}", context(), WHERE
    )
    assert rendered.text == "Hi Ellie"
    assert rendered.diagnostics == ()


def test_strict_mode_names_workflow_step_and_field() -> None:
    renderer = TemplateRenderer(translations=TRANSLATIONS, strict=True)
    source = "line one\n{% t %}Not translated{% endt %}"
    with pytest.raises(TemplateError) as info:
        renderer.render(source, context("de"), WHERE)
    message = str(info.value)
    assert message.startswith(f"{WHERE}, line 2: strict mode: no translation")
    assert "'order-shipped'" in message
    assert "'email_1'" in message
    assert "'html_body'" in message
    assert info.value.location == WHERE


def test_undefined_variable_in_translation_points_at_the_tag() -> None:
    translations = {"de": {"Hi": "Hallo {{ recipient.nickname }}"}}
    rendered = TemplateRenderer(translations=translations).render(
        "\n\n{% t %}Hi{% endt %}", context("de"), WHERE
    )
    assert rendered.text == "\n\nHallo "
    (diagnostic,) = rendered.diagnostics
    assert (diagnostic.kind, diagnostic.line) == ("undefined_variable", 3)
    assert "translation of {% t %} block 'Hi'" in diagnostic.message


@pytest.mark.parametrize(
    ("source", "match"),
    [
        ("{% t 'greeting' %}Hi{% endt %}", r"takes no arguments \(got \"'greeting'\"\)"),
        ("{% t name: recipient.name %}Hi {{ name }}{% endt %}", "write variables inline"),
        ("{% t %}Hi", r"never closed; add \{% endt %\}"),
        ("{% liquid\nt\necho 'x'\nendt %}", r"inside \{% liquid %\}"),
    ],
)
def test_syntax_errors(source: str, match: str) -> None:
    with pytest.raises(TemplateError, match=match) as info:
        TemplateRenderer(translations=TRANSLATIONS).check_syntax(source, WHERE)
    assert "syntax error" in str(info.value)
    assert info.value.line == 1


def test_argument_error_points_at_the_tag() -> None:
    with pytest.raises(TemplateError) as info:
        TemplateRenderer().check_syntax("ok\n  {% t x %}Hi{% endt %}", WHERE)
    assert (info.value.line, info.value.column) == (2, 3)
    assert "fix:" in str(info.value)


def test_invalid_liquid_in_a_translation_names_key_and_file() -> None:
    translations = {"de": {"Hi": "Hallo {% if %}"}}
    with pytest.raises(TemplateError, match=r"translations/de/de.json") as info:
        TemplateRenderer(translations=translations).render(
            "{% t %}Hi{% endt %}", context("de"), WHERE
        )
    assert "'Hi'" in str(info.value)
    assert info.value.line == 1


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (f"{{% t %}}{CONGRATS}{{% endt %}}", "Herzlichen Glückwunsch, Ellie!"),
        ("{% t %}Untranslated {{ recipient.name }}{% endt %}", "Untranslated Ellie"),
    ],
)
def test_async_render_matches_sync(source: str, expected: str) -> None:
    template = TemplateRenderer(translations=TRANSLATIONS).env.from_string(source)
    assert asyncio.run(template.render_async(context("de"))) == expected


@pytest.mark.parametrize("text", [" ", "\n\t", "\x85"])
def test_whitespace_only_block_is_output(text: str) -> None:
    rendered = TemplateRenderer().render(f"a{{% t %}}{text}{{% endt %}}b", context(), WHERE)
    assert rendered.text == f"a{text}b"


@given(st.text(alphabet=st.characters(blacklist_characters="{}%-\r", blacklist_categories=["Cs"])))
def test_plain_text_without_translation_renders_verbatim(text: str) -> None:
    """Without a translation the block is transparent: it renders exactly what it wraps."""
    renderer = TemplateRenderer(translations=TRANSLATIONS)
    rendered = renderer.render(f"{{% t %}}{text}{{% endt %}}", context(), WHERE)
    assert rendered.text == text
    expected = [("missing_translation", text)]
    assert [(d.kind, d.name) for d in rendered.diagnostics] == expected
