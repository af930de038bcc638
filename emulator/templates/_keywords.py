"""Liquid keywords as properties after a dot: `{{ data.limit }}`, `{% if data.for %}`.

Knock renders with Shopify Liquid, where a word after a dot is always a property name, so trigger
data keyed `limit`, `offset`, `with`, `in`, `contains`, `empty`, ... is read like any other
(docs.knock.app/template-editor/variables: `data` is "the complete data passed to the workflow
trigger"). python-liquid 2 lexes those words as keywords everywhere and refuses the template
("expected an identifier, found limit"). This pre-pass rewrites each keyword that follows a dot
inside `{{ }}` and `{% %}` markup into bracket notation (`data["limit"]`), which python-liquid
reads as the same path; quoted strings, text, `{% raw %}` and comments are left alone. Line
numbers are unchanged; a syntax error later on the same line reports a column up to three
characters further right per rewritten keyword before it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from liquid.token import TOKEN_EXPRESSION, Token

# Every word python-liquid 2.3's expression lexer turns into a keyword token.
LIQUID_KEYWORDS: tuple[str, ...] = (
    "and",
    "as",
    "blank",
    "cols",
    "contains",
    "continue",
    "else",
    "empty",
    "false",
    "for",
    "if",
    "in",
    "limit",
    "nil",
    "not",
    "null",
    "offset",
    "or",
    "required",
    "reversed",
    "true",
    "with",
)

_PROPERTY_KEYWORD = re.compile(
    r"""(?P<quoted>"[^"]*"|'[^']*')"""  # strings are copied as they are
    r"|(?<=[\w\]?])\.(?P<word>" + "|".join(LIQUID_KEYWORDS) + r")(?![\w\-?])"
)


def _replace(match: re.Match[str]) -> str:
    word = match.group("word")
    return match.group() if word is None else f'["{word}"]'


def keywords_as_properties(expression: str) -> str:
    """`data.limit | size` -> `data["limit"] | size`; everything else is returned unchanged."""
    if "." not in expression:
        return expression
    return _PROPERTY_KEYWORD.sub(_replace, expression)


def with_keyword_properties(
    lexer: Callable[[str], Iterator[Token]],
) -> Callable[[str], Iterator[Token]]:
    """Wrap a template lexer so every tag and output expression goes through the pre-pass."""

    def tokenize(source: str) -> Iterator[Token]:
        for token in lexer(source):
            if token.kind == TOKEN_EXPRESSION:
                rewritten = keywords_as_properties(token.value)
                if rewritten != token.value:
                    token = token._replace(value=rewritten)
            yield token

    return tokenize
