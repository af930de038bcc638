"""Liquid keywords as properties after a dot (`{{ data.limit }}`), as in Knock's Shopify Liquid.

Doc: knocklabs/docs content/template-editor/variables.mdx — `data` is "the complete data passed
to the workflow trigger", whatever its keys are called; Knock's Liquid is Shopify's, where a word
after a dot is always a property.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from liquid.builtin.expressions._tokenize import _keywords as python_liquid_keywords
from wfbuild import in_app, make_emulator, workflow

from emulator.templates import TemplateError, TemplateLocation, TemplateRenderer, build_context
from emulator.templates._keywords import LIQUID_KEYWORDS, keywords_as_properties

WHERE = TemplateLocation("wf", "in_app_feed_1", "markdown_body")


def render(source: str, **data: Any) -> str:
    context = build_context(
        data=data,
        recipient={"id": "u1"},
        actor=None,
        tenant=None,
        vars=None,
        workflow="wf",
        timestamp=datetime(2025, 1, 1, tzinfo=UTC),
    )
    return TemplateRenderer(strict=True).render(source, context, WHERE).text


def test_the_table_is_every_keyword_python_liquid_lexes() -> None:
    assert set(LIQUID_KEYWORDS) == set(python_liquid_keywords)


@pytest.mark.parametrize("word", LIQUID_KEYWORDS)
def test_keyword_after_a_dot_is_a_property(word: str) -> None:
    source = (
        f"{{{{ data.{word} }}}}|{{{{ data.{word}.x | upcase }}}}|{{{{ {word}_n.{word} }}}}"
        f"|{{% if data.{word}.x == 'v' and data.{word} %}}yes{{% endif %}}"
        f"|{{% for i in data.list.{word} limit: 2 %}}{{{{ i }}}}{{% endfor %}}"
        f"|{{% assign a = data.{word}.x %}}{{{{ a }}}}"
    )
    data = {word: {"x": "v"}, f"{word}_n": {word: 7}, "list": {word: [1, 2, 3]}}
    assert render(source, **data) == f"{data[word]}|V|7|yes|12|v"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("data.limit", 'data["limit"]'),
        ("data.limit.offset", 'data["limit"]["offset"]'),
        ('"data.limit" | append: data.in', '"data.limit" | append: data["in"]'),
        ("x in (1..limit)", "x in (1..limit)"),  # a range's end is a variable, not a property
        ("item in items limit: data.limit", 'item in items limit: data["limit"]'),
        ("data.limited | data.information", "data.limited | data.information"),
        ("data.limit?", "data.limit?"),  # python-liquid's `?` names are left as they are
        ("data['a.if']", "data['a.if']"),
        ("x[0].if", 'x[0]["if"]'),
    ],
)
def test_pre_pass_rewrites_only_keywords_after_a_dot(expression: str, expected: str) -> None:
    assert keywords_as_properties(expression) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{% raw %}{{ data.limit }}{% endraw %}", "{{ data.limit }}"),
        ("a.limit {% comment %}{{ data.for }}{% endcomment %}", "a.limit "),
        ("{% for i in (1..3) reversed limit: 2 offset: 1 %}{{ i }}{% endfor %}", "32"),
        ("{% if data.empty == empty %}e{% endif %}", "e"),
    ],
)
def test_text_raw_comments_and_real_keywords_are_unchanged(source: str, expected: str) -> None:
    assert render(source, empty=[]) == expected


def test_syntax_errors_keep_their_line() -> None:
    with pytest.raises(TemplateError) as caught:
        render("{{ data.for }}\n{{ data.limit | }}")
    assert "line 2" in str(caught.value)


def test_a_run_with_a_keyword_data_key_delivers() -> None:
    emu = make_emulator(workflow("keys", in_app(body="{{ data.limit }} of {{ data.offset.max }}")))
    emu.identify("u1")
    run = emu.trigger("keys", ["u1"], data={"limit": 5, "offset": {"max": 9}}).runs[0]
    assert run.status == "completed"
    assert emu.messages()[0].content["markdown_body"].strip() == "5 of 9"
