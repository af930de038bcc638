"""A layout renders once for many bodies: its `{{ content }}` is a hole filled per email.

Every email with a layout renders that layout around its body. When `content` appears in the
layout only as a bare `{{ content }}`, and the rest of it uses only tags and filters whose output
depends on nothing but the values it reads, the layout's output is a function of those values
(its "surroundings": `footer_links`, `vars`, ...). It is then rendered once per distinct
surroundings with a marker in the hole, and each body is put in the marker's place. Anything
else (partials, translations, dates, the data filters, values that are not plain JSON) renders
in full as before. What a render records (undefined variables, ...) is kept with it and reported
again for every email it wraps.
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from emulator.definitions import Layout

if TYPE_CHECKING:
    from liquid import BoundTemplate

# A value that cannot come from a template: the hole the body goes into.
MARKER = f"\x00doorstep-layout-content-{os.urandom(16).hex()}\x00"

# fmt: off
_PURE_TAGS = frozenset({
    "if", "unless", "case", "for", "tablerow", "assign", "cycle", "increment", "decrement",
    "comment", "raw", "liquid", "echo", "break", "continue", "#",
})  # not `capture` (nor `ifchanged`): they would read the marker as a value
# Output depends only on the input and arguments (not the clock, translations or entities).
_PURE_FILTERS = frozenset({
    "abs", "append", "at_least", "at_most", "base64_decode", "base64_encode",
    "base64_url_safe_decode", "base64_url_safe_encode", "capitalize", "ceil", "compact",
    "concat", "default", "divided_by", "downcase", "escape", "escape_once", "escapejs", "find",
    "find_index", "first", "floor", "has", "join", "last", "lstrip", "map", "minus", "modulo",
    "newline_to_br", "plus", "prepend", "reject", "remove", "remove_first", "remove_last",
    "replace", "replace_first", "replace_last", "reverse", "round", "rstrip", "safe", "size",
    "slice", "sort", "sort_natural", "split", "squish", "strip", "strip_html",
    "strip_newlines", "sum", "times", "truncate", "truncatewords", "uniq", "upcase",
    "url_decode", "url_encode", "where", "json", "from_json", "pluralize", "titlecase", "md5",
    "sha256", "hmac_sha256", "intersect", "from_markdown", "compare_versions", "equals",
})
# fmt: on
_MARKUP = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_CONTENT_WORD = re.compile(r"\bcontent\b")
_BARE_CONTENT = re.compile(r"\{\{-?\s*content\s*-?\}\}")
_BUILTIN_NAMES = ("now", "today")  # python-liquid's own globals: the wall clock
_MAX_VALUES = 200  # surroundings larger than this render in full (keying them costs too much)


def hole_roots(template: BoundTemplate, source: str) -> tuple[str, ...] | None:
    """The names besides `content` a layout reads, or None when it must render in full."""
    for markup in _MARKUP.findall(source):
        if _CONTENT_WORD.search(markup) and not _BARE_CONTENT.fullmatch(markup):
            return None  # `content` filtered, tested or assigned: its value matters
    analysis = template.analyze(include_partials=False)
    if not set(analysis.tags) <= _PURE_TAGS or not set(analysis.filters) <= _PURE_FILTERS:
        return None
    return tuple(name for name in analysis.globals if name != "content")


@lru_cache(maxsize=256)
def footer_links(layout: Layout) -> list[dict[str, str]]:
    """`footer_links` as layouts read them (one list per layout: templates cannot change it)."""
    return [{"text": link.text, "url": link.url} for link in layout.footer_links]


class _Unfit(Exception):
    """A value the surroundings key cannot hold."""


_MISSING = object()
_UNSET = ("unset",)


def surroundings(roots: tuple[str, ...], scope: Mapping[str, Any]) -> Hashable | None:
    """A key equal for scopes whose `roots` hold equal plain values (types included: `1`,
    `1.0` and `true` render differently), or None when a value is not plain JSON."""
    budget = [_MAX_VALUES]
    try:
        return tuple(_frozen(scope.get(root, _MISSING), root, budget) for root in roots)
    except _Unfit:
        return None


def _frozen(value: Any, root: str, budget: list[int]) -> Hashable:
    budget[0] -= 1
    if budget[0] < 0:
        raise _Unfit
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return (kind, value)
    if kind is float:
        return (kind, repr(value))  # -0.0 and 0.0 render differently
    if value is _MISSING:
        if root in _BUILTIN_NAMES:
            raise _Unfit  # falls through to the wall clock
        return _UNSET
    if kind is dict:
        items = []
        for key, item in value.items():
            if type(key) is not str:
                raise _Unfit
            items.append((key, _frozen(item, "", budget)))
        return (dict, tuple(items))
    if kind is list or kind is tuple:
        return (kind, tuple(_frozen(v, "", budget) for v in value))
    raise _Unfit
