"""Email assembly (layouts, pre_content, visual blocks, partials, CSS inlining, text part) and
the other channels' content, as the engine receives it from `render_channel`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from emulator.definitions._model import FooterLink, Layout, Partial
from emulator.templates import TemplateError, TemplateRenderer, build_context

EXPECTED = Path(__file__).parent / "expected"

FOOTER = (
    '<div class="footer">{% for link in footer_links %}'
    '<a href="{{ link.url }}">{{ link.text }}</a>{% endfor %}'
)
LAYOUT = Layout(  # a layout with a <style> block, footer links and a pre_content variable
    key="default",
    name="Default",
    html_layout=(
        "<!DOCTYPE html>\n<html>\n<head>\n<style>\n"
        "body { font-family: Helvetica, sans-serif; color: #333333; }\n"
        ".footer a { color: #888888; }\n"
        "h1 { font-size: 20px; margin: 0; }\n"
        "@media (max-width: 600px) { .container { width: 100% !important; } }\n"
        "</style>\n</head>\n<body>\n"
        '<div class="container">{{ content }}</div>\n'
        f"{FOOTER} {{{{ greeting }}}}</div>\n</body>\n</html>\n"
    ),
    text_layout=(
        "{{ content }}\n\n--\n"
        "{% for link in footer_links %}{{ link.text }}: {{ link.url }}\n{% endfor %}"
    ),
    footer_links=(FooterLink("Manage preferences", "https://example.com/prefs"),),
)
PARTIALS = {
    "signature": Partial("signature", "Signature", "html", '<p class="sig">Thanks, {{ team }}</p>'),
}
MARKDOWN = (
    "# {{ greeting }}\n\n**{{ actor.name }}** commented on *{{ page_name }}*:\n\n"
    "> {{ comment_body }}"
)
BUTTON = {
    "label": "View page",
    "action": "{{ vars.app_url }}/pages/{{ page_id }}",
    "variant": "solid",
}
TEMPLATE: dict[str, Any] = {
    "subject": (
        "{{ total_activities }} new "
        "{{ total_activities | pluralize: 'comment', 'comments' }} on {{ page_name }}"
    ),
    "settings": {
        "layout_key": "default",
        "pre_content": "{% assign greeting = 'Hi ' | append: recipient.name %}",
    },
    "visual_blocks": [
        {"type": "markdown", "content": MARKDOWN},
        {
            "type": "button_set",
            "buttons": [BUTTON],
            "layout_attrs": {"horizontal_align": "center", "padding_top": 8, "padding_bottom": 8},
        },
        {"type": "divider"},
        {"type": "partial", "key": "signature", "attrs": {"team": "The {{ vars.team }} team"}},
    ],
}
OVERRIDES = {"from_name": "{{ vars.team }}", "reply_to_address": "{{ actor.email }}"}
CONTEXT = build_context(
    data={"page_name": "Roadmap", "page_id": "p1", "comment_body": "Looks great!"},
    recipient={"id": "u1", "name": "Ann", "email": "ann@example.com"},
    actor={"id": "u2", "name": "Bob", "email": "bob@example.com"},
    tenant=None,
    vars={"app_url": "https://app.example.com", "team": "Acme"},
    workflow="comments",
    timestamp="2024-01-01T00:00:00Z",
)


def renderer(**kwargs: Any) -> TemplateRenderer:
    return TemplateRenderer(layouts={"default": LAYOUT}, partials=PARTIALS, **kwargs)


def email(template: dict[str, Any], overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    content = renderer().render_channel(
        "email", template, overrides or {}, CONTEXT, workflow="comments", step="email_1"
    )
    assert content.diagnostics == ()
    return content.fields


def _compare(name: str, actual: str) -> None:
    path = EXPECTED / name
    if os.environ.get("DOORSTEP_UPDATE_EXPECTED"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


def test_layout_partial_markdown_css_matches_expected_html() -> None:
    fields = email(TEMPLATE, OVERRIDES)
    _compare("email_layout_blocks.html", fields["html_body"])
    _compare("email_layout_blocks.txt", fields["text_body"])
    assert fields["subject"] == "1 new comment on Roadmap"
    assert (fields["from_name"], fields["reply_to_address"]) == ("Acme", "bob@example.com")


def test_css_is_inlined_and_media_queries_kept() -> None:
    html = email(TEMPLATE)["html_body"]
    assert '<body style="font-family: Helvetica, sans-serif;color: #333333;">' in html
    assert "@media (max-width: 600px)" in html
    assert ".footer a" not in html


@pytest.mark.parametrize(
    ("block", "fragment"),
    [
        ({"type": "markdown", "content": "**hi**"}, 'class="block-row block-row--markdown-v1"'),
        ({"type": "markdown", "content": "x"}, '<div class="block-markdown">'),
        ({"type": "html", "content": "<b>{{ page_name }}</b>"}, "<b>Roadmap</b>"),
        ({"type": "divider"}, 'class="block-divider"'),
        (
            {
                "type": "button_set",
                "buttons": [{"label": "Go", "action": "/x", "variant": "outline"}],
            },
            'class="block-button block-button--outline block-button--md"',
        ),
        (
            {"type": "image", "url": "https://img/{{ page_id }}.png", "alt": "A", "action": "/a"},
            '<a href="/a" target="_blank"><img src="https://img/p1.png" alt="A">',
        ),
        (
            {"type": "partial", "key": "signature", "attrs": {"team": "Ops"}},
            "Thanks, Ops",
        ),
    ],
)
def test_visual_blocks(block: dict[str, Any], fragment: str) -> None:
    fields = email({"subject": "s", "settings": {}, "visual_blocks": [block]})
    assert fragment in fields["html_body"]


def test_branding_colors_come_from_vars() -> None:
    context = {**CONTEXT, "vars": {"branding": {"primary_color": "#ff0000"}}}
    template = {
        "subject": "s",
        "visual_blocks": [{"type": "button_set", "buttons": [{"label": "Go", "action": "/"}]}],
    }
    content = renderer().render_channel("email", template, {}, context, workflow="w", step="e")
    assert "background-color: #ff0000" in content.fields["html_body"]


def test_markdown_block_keeps_liquid_strings_intact() -> None:
    block = {"type": "markdown", "content": 'Hi {{ "there" | upcase }} [link]({{ vars.app_url }})'}
    html = email({"subject": "s", "visual_blocks": [block]})["html_body"]
    assert 'Hi THERE <a href="https://app.example.com">link</a>' in html


def test_html_body_without_layout_is_sent_as_written() -> None:
    fields = email({"subject": "Hi", "html_body": "<p>Hello {{ recipient.name }}</p>"})
    assert "<p>Hello Ann</p>" in fields["html_body"]
    assert "footer" not in fields["html_body"]
    assert fields["text_body"] == "Hello Ann\n"


def test_given_text_body_is_rendered_and_wrapped_in_text_layout() -> None:
    template = {
        "subject": "s",
        "html_body": "<p>x</p>",
        "text_body": "{{ greeting }}, see {{ page_name }}",
        "settings": TEMPLATE["settings"],
    }
    text = email(template)["text_body"]
    assert text.startswith(
        "Hi Ann, see Roadmap\n\n--\nManage preferences: https://example.com/prefs"
    )


def test_pre_content_assigns_reach_subject_body_and_layout() -> None:
    template = {
        "subject": "{{ greeting }}",
        "html_body": "<p>{{ greeting }}</p>",
        "settings": TEMPLATE["settings"],
    }
    fields = email(template)
    assert fields["subject"] == "Hi Ann"
    assert fields["html_body"].count("Hi Ann") == 2


def test_unknown_layout_names_known_layouts() -> None:
    template = {"subject": "s", "html_body": "x", "settings": {"layout_key": "fancy"}}
    with pytest.raises(
        TemplateError, match=r"layout 'fancy' does not exist \(known layouts: default\)"
    ):
        email(template)


def test_diagnostics_name_the_block_field() -> None:
    template = {"subject": "s", "visual_blocks": [{"type": "html", "content": "{{ nope }}"}]}
    content = renderer().render_channel("email", template, {}, CONTEXT, workflow="w", step="e")
    (diag,) = content.diagnostics
    assert diag.location.field == "visual_blocks[0].content"


def test_in_app_feed_blocks() -> None:
    template = {
        "markdown_body": "**{{ actor.name }}** commented on {{ page_name }}",
        "action_url": "{{ vars.app_url }}/p/{{ page_id }}",
        "action_buttons": [{"label": "Open", "action": "{{ vars.app_url }}"}],
    }
    fields = (
        renderer()
        .render_channel("in_app_feed", template, {}, CONTEXT, workflow="w", step="f")
        .fields
    )
    assert fields["markdown_body"] == "**Bob** commented on Roadmap"
    assert fields["body"] == "<p><strong>Bob</strong> commented on Roadmap</p>\n"
    assert fields["action_url"] == "https://app.example.com/p/p1"
    assert fields["blocks"][0] == {
        "type": "markdown",
        "name": "body",
        "content": template["markdown_body"],
        "rendered": fields["body"],
    }
    assert fields["blocks"][1]["rendered"] == "https://app.example.com/p/p1"
    assert fields["blocks"][2]["buttons"] == [
        {"label": "Open", "action": "https://app.example.com", "name": "primary"}
    ]


@pytest.mark.parametrize(
    ("channel", "template", "expected"),
    [
        ("sms", {"text_body": "Hi {{ recipient.name }}"}, {"text": "Hi Ann"}),
        (
            "push",
            {"title": "{{ page_name }}", "text_body": "New comment", "settings": {}},
            {"title": "Roadmap", "text": "New comment"},
        ),
        (
            "push",
            {"title": "t", "text_body": "x", "settings": {"delivery_type": "silent"}},
            {"title": "t", "delivery_type": "silent"},
        ),
        (
            "chat",
            {"markdown_body": "*{{ page_name }}*", "summary": "{{ actor.name }}"},
            {"markdown_body": "*Roadmap*", "summary": "Bob"},
        ),
        ("chat", {"json_body": '{"t": "{{ page_id }}"}'}, {"json_body": '{"t": "p1"}'}),
        (
            "http",
            {
                "method": "post",
                "url": "{{ vars.app_url }}/hook",
                "headers": [{"key": "X-Page", "value": "{{ page_id }}"}],
                "body": "{{ data | json }}",
            },
            {
                "method": "POST",
                "url": "https://app.example.com/hook",
                "headers": [{"key": "X-Page", "value": "p1"}],
                "body": '{"page_name": "Roadmap", "page_id": "p1", "comment_body": "Looks great!"}',
            },
        ),
    ],
)
def test_other_channels(channel: str, template: dict[str, Any], expected: dict[str, Any]) -> None:
    content = renderer().render_channel(channel, template, {}, CONTEXT, workflow="w", step="s")
    assert content.fields == expected


def test_unknown_channel_type_is_an_error() -> None:
    with pytest.raises(TemplateError, match="unknown channel type 'fax'"):
        renderer().render_channel("fax", {}, {}, CONTEXT, workflow="w", step="s")


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>a</p><p>b</p>", "a\n\nb"),
        ('<p>See <a href="https://x.io">the page</a></p>', "See the page (https://x.io)"),
        ('<a href="https://x.io">https://x.io</a>', "https://x.io"),
        ("<ul><li>one</li><li>two</li></ul>", "- one\n- two"),
        ("<head><style>p{}</style></head><p>A &amp; B<br>C</p>", "A & B\nC"),
        ('<img src="i.png" alt="Logo"><hr>', "Logo\n\n---"),
        (
            "<table><tr><td>Invoice</td><td>inv_100</td></tr><tr><th>Total</th><td>$5</td></tr>",
            "Invoice inv_100\n\nTotal $5",
        ),
    ],
)
def test_derived_text(html: str, text: str) -> None:
    from emulator.templates._text import html_to_text

    assert html_to_text(html) == text
